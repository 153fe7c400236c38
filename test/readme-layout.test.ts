/**
 * The README's Layout section matches the tree: it names every top-level folder a contributor
 * works in, every shipped stack, every concern folder of components/ and every module that sits
 * directly in components/.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** The code block under `## Layout` in a README's text. */
function layoutOf(readme: string): string {
    const section = readme.split(/^## Layout$/m)[1]?.split(/^## /m)[0] ?? "";
    return section.match(/```\n([\s\S]*?)```/)?.[1] ?? "";
}

/** What the tree has that a Layout must name. */
interface Tree {
    readonly topLevel: readonly string[];
    readonly stacks: readonly string[];
    readonly concerns: readonly string[];
    readonly componentModules: readonly string[];
}

function treeOf(root: string): Tree {
    const entries = (dir: string) => fs.readdirSync(path.join(root, dir), { withFileTypes: true });
    return {
        topLevel: ["index.ts", "Pulumi.yaml", "stacks/", "components/", "policies/", "tools/"]
            .concat(["test/", "docs/", ".ci/run", ".dependency-cruiser.cjs", "typedoc.json"])
            .filter((f) => fs.existsSync(path.join(root, f))),
        stacks: entries(".")
            .map((e) => e.name.match(/^Pulumi\.(.+)\.yaml$/)?.[1])
            .filter((s): s is string => s !== undefined),
        concerns: entries("components")
            .filter((e) => e.isDirectory())
            .map((e) => e.name),
        componentModules: entries("components")
            .filter((e) => e.isFile() && e.name.endsWith(".ts") && e.name !== "index.ts")
            .map((e) => e.name),
    };
}

/** What the tree has and the layout does not name, each as `kind: name`. */
function unnamed(layout: string, tree: Tree): string[] {
    const named = (word: string) =>
        new RegExp(
            `(^|[\\s,(])${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([\\s,;)]|$)`,
            "m",
        ).test(layout);
    return [
        // A folder may be named by a subfolder (`tools/plan/`).
        ...tree.topLevel
            .filter((f) => !(f.endsWith("/") ? layout.includes(f) : named(f)))
            .map((f) => `top level: ${f}`),
        ...tree.stacks.filter((s) => !named(s)).map((s) => `stack: ${s}`),
        ...tree.concerns
            .filter((c) => !named(c) && !named(`components/${c}/`))
            .map((c) => `components/${c}/`),
        ...tree.componentModules.filter((m) => !named(m)).map((m) => `components/${m}`),
    ];
}

describe("README Layout", () => {
    it("names what a tree has, and reports each thing it leaves out", () => {
        const tree: Tree = {
            topLevel: ["index.ts", "stacks/"],
            stacks: ["dev", "team-nlp"],
            concerns: ["storage", "aws", "routing"],
            componentModules: ["versions.ts", "mirror.ts"],
        };
        const layout = [
            "index.ts    the entry",
            "Pulumi.yaml  dev (local), gcp",
            "components/  one folder per concern: storage, routing; versions.ts",
            "components/aws/  EKS",
        ].join("\n");
        expect(unnamed(layout, tree)).toEqual([
            "top level: stacks/",
            "stack: team-nlp",
            "components/mirror.ts",
        ]);
    });

    it("is the code block of the README's Layout section", () => {
        const layout = layoutOf(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
        expect(layout).toMatch(/^index\.ts\s/);
        expect(layout).toContain("components/aws/");
    });

    it("matches the tree", () => {
        const layout = layoutOf(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
        const tree = treeOf(ROOT);
        expect(tree.concerns).toEqual(expect.arrayContaining(["aws", "gcp", "storage"]));
        expect(tree.stacks).toEqual(expect.arrayContaining(["dev", "team-nlp"]));
        expect(unnamed(layout, tree)).toEqual([]);
    });
});
