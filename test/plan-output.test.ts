/**
 * The plan's human output reads like `pulumi preview`, and its JSON document is what
 * tools/plan/README.md says, through the command it documents. Formatting is tested as pure
 * functions over one in-process plan of the dev stack; one child process runs that command.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { policies } from "../policies/rules";
import { keySchemas } from "../stacks/config";
import { PlanResult, runPlan } from "../tools/plan/run";
import {
    LEVEL_NAMES,
    POLICY_CONFIG_KEYS,
    TREE_MAX,
    previewSummary,
    renderOutputs,
    renderPolicyFindings,
    typeSummary,
} from "../tools/plan/output";
import { PolicyViolation } from "../tools/plan/policy-check";
import { RecordedResource } from "../tools/plan/recorder";
import { readStackConfig } from "../tools/plan/stack-config";

const ROOT = path.resolve(__dirname, "..");
/** The plan's own README, where its output is documented. */
const README = fs.readFileSync(path.join(ROOT, "tools", "plan", "README.md"), "utf8");

let dev: PlanResult;
beforeAll(async () => {
    dev = await runPlan(readStackConfig(path.join(ROOT, "Pulumi.dev.yaml")));
});

const resource = (type: string, name: string): RecordedResource => ({
    urn: `urn:pulumi:s::p::${type}::${name}`,
    type,
    name,
    custom: true,
    protect: false,
    dependsOn: [],
    inputs: {},
});

describe("the operation summary, as the Pulumi CLI 3.248.0 prints a preview's", () => {
    // pkg/backend/display/diff.go renderSummaryEvent at v3.248.0:
    //   "%sResources:%s\n", then per op "    %s%d %s%s%s\n" with deploy.Prefix(op) ("+ " for
    //   create, pkg/resource/deploy/step.go RawPrefix), the count, "to " in a preview and the op.
    it("is a Resources: headline and one '+ N to create' line, indented four spaces", () => {
        const three = [
            resource("pulumi:pulumi:Stack", "s"),
            resource("mlops:tracking:MlflowServer", "m"),
            resource("kubernetes:core/v1:Secret", "x"),
        ];
        expect(previewSummary(three)).toBe("Resources:\n    + 3 to create");
    });

    it("counts what the engine counts: reads (a StackReference) are not creates", () => {
        // pkg/engine/update.go: a read step with no prior state is not recorded.
        const withRead = [
            resource("pulumi:pulumi:Stack", "s"),
            resource("pulumi:pulumi:StackReference", "org/p/dev"),
        ];
        expect(previewSummary(withRead)).toBe("Resources:\n    + 1 to create");
    });

    it("counts every resource of the dev plan, the stack and its components included", () => {
        expect(previewSummary(dev.resources)).toBe(
            `Resources:\n    + ${dev.resources.length} to create`,
        );
        expect(dev.resources.filter((r) => r.type === "pulumi:pulumi:Stack")).toHaveLength(1);
    });
});

describe("the stack outputs in the human output", () => {
    it("shows the domain and every URL, and no secret", () => {
        const text = renderOutputs(dev.outputs, dev.secretOutputs);
        const lines = text.split("\n");
        expect(lines[0]).toBe("Outputs (values the cloud assigns are mock values):");
        expect(lines).toContainEqual(
            expect.stringMatching(/^ {4}domain +: "mlops\.localtest\.me"$/),
        );
        for (const [key, url] of [
            ["dashboard", "https://traefik.mlops.localtest.me"],
            ["tracking", "https://mlflow.mlops.localtest.me"],
            ["workflows", "https://argo.mlops.localtest.me"],
            ["featureStore", "https://features.mlops.localtest.me"],
            ["iris", "https://iris-model.mlops.localtest.me"],
        ]) {
            expect(lines).toContainEqual(
                expect.stringMatching(
                    new RegExp(`^ {8,12}${key} *: "${url.replace(/\./g, "\\.")}"$`),
                ),
            );
        }
        // Single sign-on: no route has a password (the dashboard's output is its URL); the
        // bundled Dex's logins are secret, the issuer to register at is not.
        expect(dev.secretOutputs).toEqual(["credentials", "logins"]);
        expect(lines).toContainEqual(
            expect.stringMatching(/^ {8}issuer +: "https:\/\/dex\.mlops\.localtest\.me"$/),
        );
        for (const k of dev.secretOutputs) {
            expect(lines).toContainEqual(
                expect.stringMatching(new RegExp(`^ {4}${k} +: \\[secret\\]$`)),
            );
        }
        expect(text).not.toContain("mock-password");
    });

    it("renders nested values as preview does: objects in braces, list items as [i]", () => {
        expect(renderOutputs({ a: { bb: 1, c: ["x"] } }, [])).toBe(
            [
                "Outputs (values the cloud assigns are mock values):",
                "    a: {",
                "        bb: 1",
                "        c : [",
                '            [0]: "x"',
                "        ]",
                "    }",
            ].join("\n"),
        );
    });
});

describe("a large stack prints a summary per type", () => {
    it("counts each type, most numerous first, and names --tree", () => {
        const rs = [
            resource("kubernetes:core/v1:Secret", "a"),
            resource("kubernetes:core/v1:Secret", "b"),
            resource("pulumi:pulumi:Stack", "s"),
        ];
        expect(typeSummary(rs)).toBe(
            [
                "Resources by type (3 in 2 types; --tree prints every resource):",
                "  2  kubernetes:core/v1:Secret",
                "  1  pulumi:pulumi:Stack",
            ].join("\n"),
        );
    });

    it("sums to the plan's resources; the dev stack (every team's fences) prints it", () => {
        const counts = typeSummary(dev.resources)
            .split("\n")
            .slice(1)
            .map((l) => Number(l.trim().split(/\s+/)[0]));
        expect(counts.reduce((a, b) => a + b, 0)).toBe(dev.resources.length);
        expect(dev.resources.length).toBeGreaterThan(TREE_MAX);
    });
});

describe("policy findings grouped per policy, with the config key to change", () => {
    const v = (policy: string, level: "advisory" | "mandatory", name: string, message: string) =>
        ({
            policy,
            level,
            urn: `urn:pulumi:s::p::mlops:storage:ObjectStore$kubernetes:core/v1:Secret::${name}`,
            message,
        }) satisfies PolicyViolation;

    it("prints mandatory groups first, each with its count, key and findings", () => {
        const text = renderPolicyFindings(
            [
                v(
                    "object-store-no-anonymous-access",
                    "advisory",
                    "a",
                    "anonymous callers may Read",
                ),
                v("k8s-image-pinned", "mandatory", "b", "image x has no tag"),
                v(
                    "object-store-no-anonymous-access",
                    "advisory",
                    "c",
                    "anonymous callers may List",
                ),
            ],
            "dev",
            42,
        );
        expect(text).toBe(
            [
                "Policies: 42 checked (dev profile), 3 violations",
                "  mandatory (fails the plan) k8s-image-pinned: 1 finding",
                "      to change: no config key (set by the program)",
                "      - image x has no tag",
                "          kubernetes:core/v1:Secret b",
                "  advisory (warns) object-store-no-anonymous-access: 2 findings",
                "      to change: mlops:storage.objectStore.publicRead (false)",
                "      - anonymous callers may Read",
                "          kubernetes:core/v1:Secret a",
                "      - anonymous callers may List",
                "          kubernetes:core/v1:Secret c",
            ].join("\n"),
        );
    });

    it("names the levels as the README does", () => {
        expect(LEVEL_NAMES).toEqual({
            mandatory: "mandatory (fails the plan)",
            advisory: "advisory (warns)",
        });
        expect(README).toContain("`advisory (warns)` or `mandatory (fails the");
        expect(README).toContain("1 a mandatory policy violation");
    });

    /** Whether the schema of `mlops:<segs[0]>` has the nested key path `segs[1..]`. */
    const hasPath = (segs: string[]): boolean => {
        // zod 4 keeps wrappers' inner schemas in `_zod.def`.
        const unwrap = (s: any): any => {
            const def = s?._zod?.def;
            if (!def) return s;
            if (["default", "prefault", "optional", "nullable"].includes(def.type))
                return unwrap(def.innerType);
            if (def.type === "pipe") return unwrap(def.out);
            if (def.type === "array") return unwrap(def.element);
            return s;
        };
        let cur: any = (keySchemas as Record<string, unknown>)[segs[0]];
        for (const seg of segs.slice(1)) {
            const shape = unwrap(cur)?._zod?.def?.shape;
            if (!shape || !(seg in shape)) return false;
            cur = shape[seg];
        }
        return cur !== undefined;
    };

    it("maps only policies of the pack, to keys the config has", () => {
        const names = new Set(policies.map((p) => p.name));
        const keys = Object.entries(POLICY_CONFIG_KEYS).flatMap(([policy, text]) => {
            expect(names).toContain(policy);
            return text.match(/mlops:[A-Za-z.[\]]+/g) ?? [];
        });
        expect(keys.length).toBeGreaterThan(10);
        for (const key of keys) {
            const segs = key.slice("mlops:".length).replace(/\[\]/g, "").split(".");
            expect([key, hasPath(segs)]).toEqual([key, true]);
        }
        expect(hasPath(["cluster", "gpuPools", "minNodes"])).toBe(true);
        expect(hasPath(["cluster", "gpuPools", "minNode"])).toBe(false);
    });
});

describe("--json as the README documents it", () => {
    const section = README;
    const block = /```bash\n([^]*?)```/.exec(section)![1];
    const command = block
        .split("\n")
        .find((l) => l.includes("--json"))!
        .replace(/\s+#.*$/, "")
        .trim();

    it("is the command the README shows, through npm", () => {
        expect(command).toBe("npm run -s plan -- --stack dev --json");
    });

    it("prints one JSON document on stdout, with exactly the documented keys", () => {
        const r = spawnSync("bash", ["-c", command], {
            cwd: ROOT,
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
            timeout: 120_000,
        });
        expect(r.status).toBe(0);
        const doc = JSON.parse(r.stdout);
        // `--json` prints `{stack, resources: [{...}], policies: [...], ..., footprint: {...}}`.
        const sentence = /`--json` prints `(\{[^`]*\})`/.exec(README.replace(/\n/g, " "))![1];
        const topLevel = (s: string) => {
            const keys: string[] = [];
            let depth = 0;
            let word = "";
            for (const ch of s.slice(1, -1)) {
                if ("[{".includes(ch)) depth++;
                if ("]}".includes(ch)) depth--;
                if (depth === 0 && /[A-Za-z]/.test(ch)) word += ch;
                else if (depth === 0 && (ch === "," || ch === ":")) {
                    if (word) keys.push(word);
                    word = "";
                }
            }
            if (word) keys.push(word);
            return keys;
        };
        expect(topLevel(sentence)).toEqual([
            "stack",
            "resources",
            "reads",
            "policies",
            "schema",
            "schemaUnchecked",
            "cost",
            "capacity",
            "outputs",
            "footprint",
        ]);
        expect(Object.keys(doc)).toEqual(topLevel(sentence));
        const inner = (key: string) =>
            new RegExp(`${key}: \\[?\\{([^}]*)\\}`)
                .exec(sentence)![1]
                .split(",")
                .map((k) => k.trim());
        expect(Object.keys(doc.resources[0])).toEqual(inner("resources"));
        expect(doc.reads).toEqual([]);
        expect(Object.keys(doc.footprint)).toEqual(inner("footprint"));
        expect(doc.footprint.cpuCores).toBeGreaterThan(0);
        expect(doc.outputs.domain).toBe("mlops.localtest.me");
        expect(doc.capacity).toMatchObject({ capacity: 0, demand: 0, oversubscribed: false });
    });
});
