import * as fs from "node:fs";
import * as path from "node:path";
import {
    COMPONENTS,
    DOC,
    anchorOf,
    componentDoc,
    componentReference,
} from "../tools/component-docs";

const reference = componentReference();

/** Exported classes that extend pulumi.ComponentResource, by a plain text scan of components/. */
function scannedComponents(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return scannedComponents(p);
        if (!e.name.endsWith(".ts")) return [];
        return [
            ...fs
                .readFileSync(p, "utf8")
                .matchAll(/^export class (\w+) extends pulumi\.ComponentResource\b/gm),
        ].map((m) => m[1]);
    });
}

describe("component reference (docs/components.md)", () => {
    it("is generated from components/ and current", () => {
        expect(fs.readFileSync(DOC, "utf8")).toBe(componentDoc(reference));
    });

    it("finds every exported ComponentResource class under components/, by discovery", () => {
        const found = reference.components.map((c) => c.className).sort();
        expect(found).toEqual(scannedComponents(COMPONENTS).sort());
        expect(found.length).toBeGreaterThanOrEqual(17);
        expect(found).toEqual(expect.arrayContaining(["ObjectStore", "GkeCluster", "Team"]));
    });

    it("gives each component its type token, mlops:<module>:<ClassName>", () => {
        for (const c of reference.components) {
            expect(c.token).toMatch(/^mlops:[a-z]+:\w+$/);
            expect(c.token.split(":")[2]).toBe(c.className);
        }
        expect(reference.components.find((c) => c.className === "ObjectStore")?.token).toBe(
            "mlops:storage:ObjectStore",
        );
    });

    it("finds no optional argument without a @default", () => {
        expect(reference.problems).toEqual([]);
    });

    it("reads args with their type, default and description, nested settings included", () => {
        const store = reference.components.find((c) => c.className === "ObjectStore")!;
        expect(store.argsType).toBe("ObjectStoreArgs");
        expect(store.args.find((a) => a.name === "size")).toEqual({
            name: "size",
            type: "string",
            optional: true,
            default: '"20Gi"',
            description: "Volume size.",
        });
        expect(store.args.find((a) => a.name === "namespace")?.optional).toBe(false);
        expect(store.outputs.map((o) => o.name)).toEqual(
            expect.arrayContaining(["endpoint", "buckets", "credentialsSecretName", "connection"]),
        );
        const gke = reference.components.find((c) => c.className === "GkeCluster")!;
        expect(gke.args.find((a) => a.name === "systemPool.maxNodes")?.default).toBe("3");
        expect(gke.methods.map((m) => m.name)).toEqual(["gpuScheduling"]);
        expect(reference.types.map((t) => t.name)).toEqual(
            expect.arrayContaining(["GkeGpuPool", "ObjectStoreConnection", "ContainerResources"]),
        );
    });

    it("links every component and type it names to a heading of the page", () => {
        const doc = componentDoc(reference);
        const anchors = new Set([...doc.matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1])));
        const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
        expect(links.length).toBeGreaterThan(reference.components.length);
        expect(links.filter((l) => !anchors.has(l))).toEqual([]);
    });

    it("documents a component added later without being told of it", () => {
        const fixture = path.join(__dirname, "fixtures", "component-docs");
        const ref = componentReference(fixture);
        expect(ref.components.map((c) => [c.className, c.token])).toEqual([
            ["Widget", "mlops:widgets:Widget"],
        ]);
        const widget = ref.components[0];
        expect(widget.file).toBe("test/fixtures/component-docs/widget.ts");
        expect(widget.description).toBe(
            'A widget, for the generator\'s test.\n\n```ts\nnew Widget("w", { namespace: "ns" });\n```',
        );
        expect(widget.args.map((a) => [a.name, a.type, a.optional, a.default])).toEqual([
            ["namespace", "pulumi.Input<string>", false, undefined],
            ["size", "WidgetSize", true, '"small"'],
            ["limits", "object", true, "1 CPU"],
            ["limits.cpu", "number", true, "1"],
            ["parts", "readonly WidgetPart[]", true, "[]"],
            ["colour", "string", true, undefined],
        ]);
        // Private members are not outputs.
        expect(widget.outputs.map((o) => [o.name, o.type])).toEqual([
            ["url", "pulumi.Output<string>"],
            ["kind", '"widget"'],
        ]);
        expect(widget.methods.map((m) => [m.name, m.type])).toEqual([
            ["twice", "(count: number): number"],
        ]);
        expect(ref.types.map((t) => [t.name, t.alias])).toEqual([
            ["WidgetPart", undefined],
            ["WidgetSize", '"small" | "large"'],
        ]);
        expect(ref.problems).toEqual(["Widget: optional colour has no @default"]);
        const doc = componentDoc(ref);
        expect(doc).toContain(
            '| `size` | `WidgetSize` | "small" | See [WidgetSize](#widgetsize). |',
        );
        expect(doc).toContain("| `colour` | `string` | — | Forgot to say its default. |");
        expect(doc).toContain('```ts\ntype WidgetSize = "small" | "large";\n```');
    });
});
