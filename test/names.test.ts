/**
 * Every Kubernetes name the platform derives from user-chosen names is valid and unique, for
 * names at the schema's limits: the longest cluster name, teams and models sharing a long
 * prefix, a canary. (GCP identifiers: test/gcp-names.test.ts.)
 */
import { reveal, settle, startRecording } from "../tools/plan/recorder";
import { CLUSTER_NAME_MAX, MODEL_NAME_MAX, TEAM_NAME_MAX, parseConfig } from "../stacks/config";
import { platformStack } from "../stacks/platform";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * The longest valid name per kind: a Service or Namespace name is a 63-character label; a
 * Job's name is copied into its pods' `batch.kubernetes.io/job-name` label (63); a
 * StatefulSet's pods carry `controller-revision-hash: <name>-<10 characters>` (63); KServe's
 * raw deployment names the Service `<name>-predictor`. Others are DNS subdomains (253).
 */
function maxName(kind: string): { max: number; re: RegExp } {
    switch (kind) {
        case "Service":
        case "Namespace":
        case "Job":
            return { max: 63, re: DNS_LABEL };
        case "StatefulSet":
            return { max: 63 - 11, re: DNS_LABEL };
        case "InferenceService":
            return { max: 63 - "-predictor".length, re: DNS_LABEL };
        default:
            return { max: 253, re: DNS_SUBDOMAIN };
    }
}

const long = (prefix: string, n: number, last = "a") =>
    (prefix + "x".repeat(n)).slice(0, n - 1) + last;

describe("Kubernetes names at the limits of the schema", () => {
    let objects: { type: string; kind: string; metadata: any; podLabels?: any }[] = [];

    beforeAll(async () => {
        const rec = startRecording({ stack: "dev" });
        const config = parseConfig({
            cluster: { name: long("c", CLUSTER_NAME_MAX) },
            teams: [
                { name: long("team", TEAM_NAME_MAX, "a") },
                { name: long("team", TEAM_NAME_MAX, "b") },
            ],
            serving: {
                models: ["a", "b"].map((last) => ({
                    name: long("model", MODEL_NAME_MAX, last),
                    format: "sklearn",
                    storageUri: "s3://b/m",
                    canary: { storageUri: "s3://b/m2", trafficPercent: 10 },
                })),
            },
        });
        platformStack(config);
        await settle();
        objects = rec.resources
            .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.includes("helm"))
            .map((r) => {
                const inputs = reveal(r.inputs) as any;
                return {
                    type: r.type,
                    kind: r.type.split(":").pop()!,
                    metadata: inputs?.metadata ?? {},
                    podLabels: inputs?.spec?.template?.metadata?.labels,
                };
            });
    });

    it("builds the whole platform with its teams and models", () => {
        const kinds = new Set(objects.map((o) => o.kind));
        for (const k of ["Namespace", "Service", "StatefulSet", "Job", "InferenceService"])
            expect(kinds).toContain(k);
        expect(objects.filter((o) => o.kind === "InferenceService")).toHaveLength(4);
    });

    it("gives every object a valid name, namespace and labels", () => {
        const bad: string[] = [];
        for (const o of objects) {
            const { max, re } = maxName(o.kind);
            const name = o.metadata.name;
            if (typeof name === "string" && (name.length > max || !re.test(name)))
                bad.push(`${o.kind} name ${name} (${name.length} > ${max} or invalid)`);
            const ns = o.metadata.namespace;
            if (typeof ns === "string" && (ns.length > 63 || !DNS_LABEL.test(ns)))
                bad.push(`${o.kind} ${name} namespace ${ns}`);
            for (const labels of [o.metadata.labels, o.podLabels]) {
                for (const [k, v] of Object.entries(labels ?? {})) {
                    if (typeof v !== "string" || v.includes("{{")) continue;
                    if (v.length > 63 || !LABEL_VALUE.test(v))
                        bad.push(`${o.kind} ${name} label ${k}=${v}`);
                }
            }
        }
        expect(bad).toEqual([]);
    });

    it("gives no two objects of a kind the same name in a namespace", () => {
        const seen = new Map<string, number>();
        for (const o of objects) {
            if (typeof o.metadata.name !== "string") continue;
            const key = `${o.type} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    });
});
