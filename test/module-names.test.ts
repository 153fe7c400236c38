/**
 * Every module's file name says what is inside it: no `kube.ts`, `types.ts`, `workload.ts`,
 * `lib.ts` or `utils.ts` that a reader must open to learn what it holds (`kube-client.ts`,
 * `kubernetes-cluster.ts`, `service-workload.ts`, `policy-builders.ts` do say it).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const FOLDERS = ["components", "stacks", "policies", "tools", "test"];
const SKIP = new Set(["node_modules", "fixtures"]);

/** Names that say only that a module exists, not what it holds. */
const VAGUE = new Set([
    "common",
    "helper",
    "helpers",
    "kube",
    "lib",
    "misc",
    "shared",
    "types",
    "util",
    "utils",
    "workload",
]);

/** The vague module names among `files` (paths relative to the project). */
function vague(files: readonly string[]): string[] {
    return files.filter((f) => /\.(ts|js|py|sh)$/.test(f) && VAGUE.has(path.parse(f).name));
}

/** The files under a folder, relative to the project, folders in SKIP left out. */
function filesUnder(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return SKIP.has(e.name) ? [] : filesUnder(rel);
        return [rel];
    });
}

describe("module names", () => {
    it("finds a vague name in any folder and of any source kind, and only a vague one", () => {
        expect(
            vague([
                "tools/verify/kube.ts",
                "components/cluster/types.ts",
                "policies/lib.ts",
                "tools/utils.sh",
                "tools/verify/loopback-kubectl.ts",
                "tools/e2e/kube-client.ts",
                "components/service-workload.ts",
                "docs/types.md",
            ]),
        ).toEqual([
            "tools/verify/kube.ts",
            "components/cluster/types.ts",
            "policies/lib.ts",
            "tools/utils.sh",
        ]);
    });

    it("reads every folder of the program, the tools and the tests", () => {
        const files = FOLDERS.flatMap(filesUnder);
        expect(files).toEqual(
            expect.arrayContaining([
                path.join("components", "aws", "eks.ts"),
                path.join("tools", "plan", "recorder.ts"),
                path.join("tools", "verify", "loopback-kubectl.ts"),
                path.join("test", "module-names.test.ts"),
            ]),
        );
    });

    it("says what each module holds", () => {
        expect(vague([...FOLDERS.flatMap(filesUnder), "index.ts"])).toEqual([]);
    });
});
