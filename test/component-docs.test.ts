/**
 * The component reference, docs/components/, is what TypeDoc makes of components/ with
 * typedoc.json: this runs TypeDoc into a temporary folder and compares, file by file. It also
 * holds what the reference is for: every ComponentResource under components/ is on its module's
 * page with its type token, and every optional argument of a component says its default.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const COMPONENTS = path.join(ROOT, "components");
const DOCS = path.join(ROOT, "docs", "components");

/** The part of TypeDoc's JSON model (`--json`) that the checks below read. */
interface Reflection {
    readonly id: number;
    readonly name: string;
    /** TypeDoc's ReflectionKind: 128 class, 256 interface, 512 constructor. */
    readonly kind: number;
    readonly flags: { readonly isOptional?: boolean };
    readonly comment?: { readonly blockTags?: readonly { readonly tag: string }[] };
    readonly children?: readonly Reflection[];
    readonly signatures?: readonly { readonly parameters?: readonly Reflection[] }[];
    readonly extendedTypes?: readonly TypeNode[];
    readonly type?: TypeNode;
}
interface TypeNode {
    readonly type: string;
    readonly name?: string;
    /** A reflection's id, for references to the project's own types. */
    readonly target?: number | TypeNode;
    readonly elementType?: TypeNode;
    readonly declaration?: Reflection;
}

/** Files under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
}

/** One component, by a plain text scan of its source. */
interface ScannedComponent {
    readonly className: string;
    /** The module: its file under components/, without `.ts` (`storage/object-store`). */
    readonly module: string;
    /** `public static readonly __pulumiType = "…"`, if declared. */
    readonly token?: string;
    /** Whether the constructor registers it under that token: `super(<Class>.__pulumiType, …)`. */
    readonly registersToken: boolean;
}

function scannedComponents(): ScannedComponent[] {
    return filesUnder(COMPONENTS)
        .filter((f) => f.endsWith(".ts"))
        .flatMap((f) => {
            const source = fs.readFileSync(path.join(COMPONENTS, f), "utf8");
            return [
                ...source.matchAll(/^export class (\w+) extends pulumi\.ComponentResource\b/gm),
            ].map(([, className]) => ({
                className,
                module: f.replace(/\.ts$/, "").split(path.sep).join("/"),
                token: new RegExp(
                    `^export class ${className} [^]*?public static readonly __pulumiType = "([^"]+)";`,
                    "m",
                ).exec(source)?.[1],
                registersToken: source.includes(`super(${className}.__pulumiType, `),
            }));
        });
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), "component-docs-"));
const generated = path.join(out, "markdown");
let model: Reflection;
const components = scannedComponents();

beforeAll(() => {
    try {
        execFileSync(
            process.execPath,
            [
                path.join(ROOT, "node_modules", "typedoc", "bin", "typedoc"),
                "--out",
                generated,
                "--json",
                path.join(out, "model.json"),
                "--logLevel",
                "Warn",
            ],
            { cwd: ROOT, stdio: "pipe" },
        );
    } catch (e) {
        const err = e as { stdout?: Buffer; stderr?: Buffer };
        throw new Error(`typedoc failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
    }
    model = JSON.parse(fs.readFileSync(path.join(out, "model.json"), "utf8")) as Reflection;
}, 300_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

/** Every reflection of the model by id, and the component classes TypeDoc found. */
function indexModel() {
    const byId = new Map<number, Reflection>();
    const walk = (r: Reflection) => {
        byId.set(r.id, r);
        r.children?.forEach(walk);
    };
    walk(model);
    const classes = [...byId.values()].filter(
        (r) => r.kind === 128 && r.extendedTypes?.some((t) => t.name === "ComponentResource"),
    );
    return { byId, classes };
}

describe("component reference (docs/components/)", () => {
    it("is what TypeDoc generates from components/ now (else: npm run docs:components)", () => {
        const files = filesUnder(generated);
        expect(files).toEqual(expect.arrayContaining(["README.md", "storage/object-store.md"]));
        expect(filesUnder(DOCS)).toEqual(files);
        for (const f of files) {
            const want = fs.readFileSync(path.join(generated, f), "utf8");
            expect([f, fs.readFileSync(path.join(DOCS, f), "utf8")]).toEqual([f, want]);
        }
    });

    it("covers every ComponentResource class under components/", () => {
        const scanned = components.map((c) => c.className).sort();
        expect(scanned.length).toBeGreaterThanOrEqual(22);
        expect(scanned).toEqual(expect.arrayContaining(["EksCluster", "ObjectStore", "Team"]));
        expect(
            indexModel()
                .classes.map((c) => c.name)
                .sort(),
        ).toEqual(scanned);
    });

    it("gives each component its type token, the one it registers", () => {
        for (const c of components) {
            expect([c.className, c.token?.split(":")]).toEqual([
                c.className,
                ["mlops", expect.stringMatching(/^[a-z]+$/), c.className],
            ]);
            expect([c.className, c.registersToken]).toEqual([c.className, true]);
            const page = fs.readFileSync(path.join(DOCS, `${c.module}.md`), "utf8");
            // The class's own row: a page may document two components.
            const tokenRow = page
                .slice(Math.max(0, page.indexOf(`\n### ${c.className}\n`)))
                .split("\n")
                .find((l) => l.startsWith("|") && l.includes("`__pulumiType`"));
            expect([c.className, page.includes(`\n### ${c.className}\n`), tokenRow]).toEqual([
                c.className,
                true,
                expect.stringContaining(`| \`"${c.token}"\``),
            ]);
        }
        const eks = fs.readFileSync(path.join(DOCS, "aws", "eks.md"), "utf8");
        expect(eks).toContain('`"mlops:cluster:EksCluster"`');
    });

    it("says the default of every optional argument of a component", () => {
        const { byId, classes } = indexModel();
        const hasDefault = (r: Reflection) =>
            r.comment?.blockTags?.some((t) => t.tag === "@default") ?? false;
        /** The members of an args type: a project interface, an object literal, or a list of them. */
        const members = (t: TypeNode | undefined): readonly Reflection[] => {
            if (!t) return [];
            if (t.type === "reference" && typeof t.target === "number") {
                const target = byId.get(t.target);
                return target?.kind === 256 ? (target.children ?? []) : [];
            }
            if (t.type === "reflection") return t.declaration?.children ?? [];
            if (t.type === "array") return members(t.elementType);
            if (t.type === "typeOperator" && typeof t.target === "object") return members(t.target);
            return [];
        };
        const undocumented: string[] = [];
        let checked = 0;
        for (const c of classes) {
            const ctor = c.children?.find((m) => m.kind === 512);
            const args = ctor?.signatures?.[0]?.parameters?.[1];
            expect([c.name, args?.name]).toEqual([c.name, "args"]);
            for (const arg of members(args?.type)) {
                // Settings nested in an object literal are arguments too (`systemPool.maxNodes`).
                const nested = arg.type?.type === "reflection" ? members(arg.type) : [];
                for (const [name, r] of [
                    [arg.name, arg] as const,
                    ...nested.map((n) => [`${arg.name}.${n.name}`, n] as const),
                ]) {
                    checked++;
                    if (r.flags.isOptional && !hasDefault(r))
                        undocumented.push(`${c.name}: ${name}`);
                }
            }
        }
        expect(undocumented).toEqual([]);
        expect(checked).toBeGreaterThan(150);
        const store = fs.readFileSync(path.join(DOCS, "storage", "object-store.md"), "utf8");
        expect(store).toMatch(
            /`size\?` +\| `readonly` \| `string` +\| Volume size\. \*\*Default\*\* `"20Gi"` +\|/,
        );
        const gke = fs.readFileSync(path.join(DOCS, "gcp", "gke.md"), "utf8");
        expect(gke).toMatch(
            /`systemPool\.maxNodes\?` +\| `readonly` \| `number` +\| \*\*Default\*\* `3` +\|/,
        );
    });
});
