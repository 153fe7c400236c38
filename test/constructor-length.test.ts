/**
 * No constructor in components/ runs over 120 lines: a component's constructor reads as a short
 * list of named steps (validate, defaults, children through private builders, outputs), so that
 * what a component creates can be read at a glance.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const COMPONENTS = path.resolve(__dirname, "..", "components");
const MAX_LINES = 120;

/** One constructor: `file: Class` and its lines, from `constructor` to the closing brace. */
interface Constructor {
    readonly where: string;
    readonly lines: number;
}

/** Every constructor with a body in one source text, found on its syntax tree. */
function constructorsOf(file: string, text: string): Constructor[] {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const found: Constructor[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isConstructorDeclaration(node) && node.body) {
            const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
            const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
            const cls = node.parent.name?.text ?? "(anonymous class)";
            found.push({ where: `${file}: ${cls}`, lines: last - first + 1 });
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
}

/** The .ts files under a folder, relative to components/'s parent, sorted. */
function sourceFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) return sourceFiles(p);
            return e.name.endsWith(".ts") ? [p] : [];
        })
        .sort();
}

const all = sourceFiles(COMPONENTS).flatMap((f) =>
    constructorsOf(path.relative(path.dirname(COMPONENTS), f), fs.readFileSync(f, "utf8")),
);

describe("constructor length", () => {
    it("counts from `constructor` to the closing brace, comments before it not included", () => {
        const text = [
            "export class A {",
            "    /** Doc. */",
            "    constructor(x: number) {",
            "        // why",
            "        this.x = x;",
            "    }",
            "    x: number;",
            "}",
            "class B { constructor() {} }",
            "declare class C { constructor(); }",
        ].join("\n");
        expect(constructorsOf("f.ts", text)).toEqual([
            { where: "f.ts: A", lines: 4 },
            { where: "f.ts: B", lines: 1 },
        ]);
    });

    it("finds the constructor of every component under components/, cloud folders included", () => {
        const classes = all.map((c) => c.where);
        expect(classes).toEqual(
            expect.arrayContaining([
                "components/aws/eks.ts: EksCluster",
                "components/gcp/gke.ts: GkeCluster",
                "components/platform/mlops-platform.ts: MlopsPlatform",
                "components/tenancy/team.ts: Team",
            ]),
        );
        expect(classes.length).toBeGreaterThanOrEqual(20);
    });

    it(`is at most ${MAX_LINES} lines everywhere in components/`, () => {
        expect(all.filter((c) => c.lines > MAX_LINES)).toEqual([]);
    });
});
