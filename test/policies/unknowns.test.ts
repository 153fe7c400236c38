/**
 * No policy can be blinded by an unknown value. Under `pulumi preview` many inputs are
 * unknown (a generated password, a resource's name, a Secret's whole stringData), and the
 * policy SDK throws when a policy reads one: the engine then prints "can't run policy ...
 * during preview" and the guardrail passes without looking (npm run test:e2e found one).
 * Here every policy of the pack runs over whole platforms, with each input path of each
 * resource made unknown in turn, the way the engine feeds them (tools/plan/policy-check.ts
 * puts props behind the SDK's own proxy), and must never be unable to run.
 */
import { Policies, ResourceValidationPolicy } from "@pulumi/policy";
import { UNKNOWN_SENTINEL } from "../../policies/unknown-inputs";
import { policies } from "../../policies/rules";
import { parseConfig } from "../../stacks/config";
import { platformStack } from "../../stacks/platform";
import { SSO } from "../support/fixtures";
import { checkPolicies } from "../../tools/plan/policy-check";
import {
    RecordedResource,
    UnknownValue,
    reveal,
    settle,
    startRecording,
} from "../../tools/plan/recorder";

const MAX_DEPTH = 4;

/** Sign-on and a certificate browsers trust: what prod requires of the routes. */
const PROD_ROUTING = { ...SSO, tls: { mode: "acme", acme: { email: "ops@example.com" } } };

/** Each path into `value` down to MAX_DEPTH (first element of lists only). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (prefix.length >= MAX_DEPTH || value === null || typeof value !== "object") return [];
    const entries: [string | number, unknown][] = Array.isArray(value)
        ? value.length
            ? [[0, value[0]]]
            : []
        : Object.entries(value);
    return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

function withUnknownAt(inputs: unknown, path: (string | number)[]): Record<string, unknown> {
    const copy = structuredClone(reveal(inputs)) as Record<string | number, any>;
    let cur = copy;
    for (const k of path.slice(0, -1)) cur = cur[k];
    cur[path[path.length - 1]] = new UnknownValue();
    return copy;
}

async function build(raw: Record<string, unknown>): Promise<RecordedResource[]> {
    const rec = startRecording({ stack: "unknowns" });
    platformStack(parseConfig(raw));
    await settle();
    return rec.resources.filter((r) => r.custom);
}

const resourcePolicies = policies.filter((p) => "validateResource" in p) as Policies;
const stackPolicies = policies.filter((p) => !("validateResource" in p)) as Policies;

describe.each([
    [
        "local, every service, inline teams, a public store",
        {
            environment: "prod",
            routing: { tls: { mode: "acme", acme: { email: "ops@example.com" } } },
            storage: { objectStore: { publicRead: true } },
            teams: [{ name: "vision", quota: { gpu: 1 } }],
            serving: {
                models: [
                    {
                        name: "iris",
                        format: "sklearn",
                        storageUri: "s3://b/m",
                        canary: { storageUri: "s3://b/m2", trafficPercent: 10 },
                    },
                ],
            },
        },
    ],
    [
        "gcp with GPU pools and inline teams",
        {
            cloud: "gcp",
            environment: "prod",
            routing: PROD_ROUTING,
            cluster: {
                gcp: { project: "my-project", region: "us-central1" },
                gpuPools: [
                    { name: "l4", gpuType: "nvidia-l4", machineType: "g2-standard-8", maxNodes: 2 },
                ],
            },
            teams: [{ name: "vision", quota: { gpu: 1 } }],
        },
    ],
    [
        "aws with GPU node groups and inline teams",
        {
            cloud: "aws",
            environment: "prod",
            routing: PROD_ROUTING,
            cluster: {
                aws: {
                    region: "us-east-1",
                    accountId: "123456789012",
                    endpointPublicAccessCidrs: ["203.0.113.0/24"],
                },
                gpuPools: [
                    { name: "l4", gpuType: "nvidia-l4", machineType: "g6.xlarge", maxNodes: 2 },
                ],
            },
            teams: [{ name: "vision", quota: { gpu: 1 } }],
        },
    ],
])("%s", (_what, raw) => {
    let resources: RecordedResource[] = [];
    beforeAll(async () => {
        resources = await build(raw);
    });

    it("plans a real platform to vary", () => {
        expect(resources.length).toBeGreaterThan(40);
    });

    it("every policy runs with any one input unknown", async () => {
        const cannot: string[] = [];
        let variants = 0;
        for (const [i, r] of resources.entries()) {
            for (const path of paths(reveal(r.inputs))) {
                variants++;
                const varied = { ...r, inputs: withUnknownAt(r.inputs, path) };
                const stack = resources.map((x, j) => (j === i ? varied : x));
                const where = `${r.type} ${r.name} with ${path.join(".")} unknown`;
                // A policy that trips over the sentinel (reads it as a list, say) fails the
                // preview outright: as bad as one that cannot run.
                for (const [set, over] of [
                    [resourcePolicies, [varied]],
                    [stackPolicies, stack],
                ] as const) {
                    try {
                        for (const v of await checkPolicies(over, set))
                            if (v.message.startsWith("can't run"))
                                cannot.push(`${v.policy} on ${where}`);
                    } catch (e) {
                        cannot.push(`${(e as Error).message} on ${where}`);
                    }
                }
            }
        }
        expect(variants).toBeGreaterThan(500);
        expect(cannot).toEqual([]);
    });
});

describe("the check can fail", () => {
    it("reports, as mandatory, a policy that reads an unknown value", async () => {
        const naive: ResourceValidationPolicy = {
            name: "naive",
            description: "Reads a Secret's data without care.",
            enforcementLevel: "advisory",
            validateResource: (args, report) => {
                if (Object.keys(args.props.stringData ?? {}).length > 9) report("many keys");
            },
        };
        const secret: RecordedResource = {
            urn: "urn:pulumi:s::p::kubernetes:core/v1:Secret::s",
            type: "kubernetes:core/v1:Secret",
            name: "s",
            custom: true,
            protect: false,
            dependsOn: [],
            inputs: { stringData: new UnknownValue() },
        } as unknown as RecordedResource;
        expect(await checkPolicies([secret], [naive])).toEqual([
            {
                policy: "naive",
                level: "mandatory",
                urn: secret.urn,
                message:
                    "can't run during preview: string value at .stringData can't be known during preview",
            },
        ]);
    });
});

describe("a resource with an unknown input is skipped, not the whole policy", () => {
    const ns = (name: string, labels: unknown): RecordedResource =>
        ({
            urn: `urn:pulumi:s::p::kubernetes:core/v1:Namespace::${name}`,
            type: "kubernetes:core/v1:Namespace",
            name,
            custom: true,
            protect: false,
            dependsOn: [],
            inputs: { metadata: { name, labels } },
        }) as unknown as RecordedResource;

    it("judges the team namespaces it can read and skips the one it cannot", async () => {
        const policy = policies.filter((p) => p.name === "team-namespace-default-deny");
        const found = await checkPolicies(
            [ns("team-a", new UnknownValue()), ns("team-b", { "mlops.dev/team": "b" })],
            policy,
        );
        expect(found.map((v) => v.message)).toEqual([
            "team namespace 'team-b' has no default-deny NetworkPolicy",
        ]);
    });

    it("uses the engine's unknown sentinel", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        expect(require("@pulumi/policy/proxy").unknownStringValue).toBe(UNKNOWN_SENTINEL);
    });
});
