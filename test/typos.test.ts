/**
 * No silent typos: a key in a namespace one edit away from `mlops`, in the project's own
 * namespace, or an `mlops` key the program does not know, is an error naming it and the closest
 * known key; a stack file that is not YAML names its file, line and column, in one line, exit 2.
 */
import * as path from "node:path";
import { ConfigError, closestKey, editDistance, loadConfig } from "../stacks/config";
import { readStackConfig } from "../tools/plan/stack-config";
import { planCli, writeStackConfig } from "./support/plan";

function problems(all: Record<string, string>): string[] {
    try {
        loadConfig(all);
        return [];
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return [...e.problems];
    }
}

const ALLOWED =
    "kind, cloud, environment, domain, cluster, storage, database, routing, tracking, workflows, featureStore, serving, observability, teams, platformStack, mirror";

describe("a namespace one edit away from mlops", () => {
    it.each([
        ["mlop:domain", "mlop", "mlops:domain"],
        ["mlps:cloud", "mlps", "mlops:cloud"],
        ["mlopss:domain", "mlopss", "mlops:domain"],
        ["MLOPS:cloud", "MLOPS", "mlops:cloud"],
        ["mlosp:cluster.name", "mlosp", "mlops:cluster.name"],
    ])("%s", (key, ns, meant) => {
        expect(problems({ [key]: "x" })).toEqual([
            `${key}: unknown config namespace "${ns}" (did you mean ${meant}?); every key of this program is in the mlops namespace`,
        ]);
    });

    it("names an unknown key there without a guess when none is close", () => {
        expect(problems({ "mlopss:x": "1" })).toEqual([
            'mlopss:x: unknown config namespace "mlopss"; every key of this program is in the mlops namespace',
        ]);
    });

    it("reports it beside the mlops keys' own problems", () => {
        expect(problems({ "mlop:domain": "a.b", "mlops:cloud": "azure" })).toEqual([
            'mlop:domain: unknown config namespace "mlop" (did you mean mlops:domain?); every key of this program is in the mlops namespace',
            'mlops:cloud: got "azure"; must be one of "local", "gcp", "aws"',
        ]);
    });

    it("leaves the providers' namespaces alone", () => {
        expect(
            problems({
                "kubernetes:context": "kind-mlops",
                "gcp:project": "p",
                "aws:region": "us-east-1",
                "pulumi:tags": "{}",
                "mlops:cloud": "local",
            }),
        ).toEqual([]);
    });
});

describe("a key in the project's namespace (written without mlops:)", () => {
    it("is an error naming the mlops key it was meant to be", () => {
        expect(problems({ "mlops-platform:domain": "a.example.com" })).toEqual([
            "mlops-platform:domain: a key in the project's namespace, which the program does not read (did you mean mlops:domain?); every key of this program is in the mlops namespace",
        ]);
    });

    it("is what a stack file's key without a namespace becomes", () => {
        const file = writeStackConfig("bare", "config:\n  domain: a.example.com\n");
        expect(readStackConfig(file).config).toEqual({ "mlops-platform:domain": "a.example.com" });
        expect(problems(readStackConfig(file).config)).toHaveLength(1);
    });
});

describe("an mlops key the program does not know", () => {
    it("suggests the closest top-level key", () => {
        expect(problems({ "mlops:domian": "a.example.com" })).toEqual([
            `mlops:domian: unknown key (did you mean mlops:domain?); allowed keys: ${ALLOWED}`,
        ]);
        expect(problems({ "mlops:featurestore": "{}" })).toEqual([
            `mlops:featurestore: unknown key (did you mean mlops:featureStore?); allowed keys: ${ALLOWED}`,
        ]);
    });

    it("suggests the closest nested key", () => {
        expect(problems({ "mlops:cluster": JSON.stringify({ gpuPool: [] }) })).toEqual([
            "mlops:cluster.gpuPool: unknown key (did you mean mlops:cluster.gpuPools?); allowed keys: name, kubeconfig, context, storageClass, gpuOversubscription, nvidiaDevicePlugin, oidcPrefix, gcp, aws, systemPool, gpuPools",
        ]);
        expect(
            problems({
                "mlops:cluster": JSON.stringify({
                    gpuPools: [{ name: "a", gpuType: "nvidia-l4", maxNodes: 1, maxNode: 2 }],
                }),
            }),
        ).toEqual([
            "mlops:cluster.gpuPools[0].maxNode: unknown key (did you mean mlops:cluster.gpuPools[0].maxNodes?); allowed keys: name, gpuType, gpusPerNode, machineType, minNodes, maxNodes, spot, sharing",
        ]);
    });

    it("explains a dotted key written flat, which Pulumi does not nest", () => {
        expect(problems({ "mlops:cluster.gpuPool": "3" })).toEqual([
            "mlops:cluster.gpuPool: unknown key; a stack file nests structured values: write gpuPool under mlops:cluster (pulumi config set --path does)",
        ]);
    });

    it("guesses nothing when nothing is close", () => {
        expect(problems({ "mlops:zzzzzzzz": "1" })).toEqual([
            `mlops:zzzzzzzz: unknown key; allowed keys: ${ALLOWED}`,
        ]);
    });
});

describe("edit distance", () => {
    it("counts insertions, deletions, substitutions and swaps, ignoring case", () => {
        expect(editDistance("mlops", "mlops")).toBe(0);
        expect(editDistance("mlop", "mlops")).toBe(1);
        expect(editDistance("mlopss", "mlops")).toBe(1);
        expect(editDistance("mlps", "mlops")).toBe(1);
        expect(editDistance("mlosp", "mlops")).toBe(1);
        expect(editDistance("mlpso", "mlops")).toBe(2);
        expect(editDistance("MLOPS", "mlops")).toBe(0);
        expect(editDistance("kubernetes", "mlops")).toBeGreaterThan(5);
    });

    it("takes the closest key within a third of the name's letters", () => {
        expect(closestKey("domian", ["domain", "cloud"])).toBe("domain");
        expect(closestKey("tracing", ["tracking", "teams"])).toBe("tracking");
        expect(closestKey("xyz", ["domain", "cloud"])).toBeUndefined();
    });
});

describe("a stack file that is not valid YAML", () => {
    const text = ["config:", "  mlops:cloud: local", "  mlops:domain: [a", "  mlops:x: 1", ""].join(
        "\n",
    );

    it("names the file, the line and the column in one line", () => {
        const file = writeStackConfig("broken", text);
        expect(() => readStackConfig(file)).toThrow(
            new Error(`${file}:4:3: invalid YAML: missed comma between flow collection entries`),
        );
    });

    it("is exit code 2 of the plan, that one line on stderr and nothing on stdout", () => {
        const file = writeStackConfig("broken", text);
        const run = planCli("--config", file, "--json");
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr).toBe(
            `${file}:4:3: invalid YAML: missed comma between flow collection entries\n`,
        );
    });

    it("refuses a stack file whose config is not a mapping", () => {
        const file = writeStackConfig("list", "config:\n  - a\n");
        expect(() => readStackConfig(file)).toThrow(
            `${file}: 'config:' must be a mapping of keys to values`,
        );
        expect(path.basename(file)).toBe("Pulumi.list.yaml");
    });
});
