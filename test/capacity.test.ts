/**
 * The plan's GPU capacity report and the `team-gpu-quota-within-capacity` guardrail agree on
 * every cluster kind: both are policies/capacity.ts's capacityOfStack over the same resources.
 * Each case builds a whole platform stack under the recording mocks, then asks both.
 */
import { capacityAnnotations, capacityOfStack } from "../policies/capacity";
import { profiles } from "../policies/profiles";
import { teamGpuWithinCapacity } from "../policies/tenancy";
import { parseConfig } from "../stacks/config";
import { platformStack } from "../stacks/platform";
import { capacityOfPlan } from "../tools/plan/output";
import { checkPolicies } from "../tools/plan/policy-check";
import { RecordedResource, settle, startRecording } from "../tools/plan/recorder";
import { SSO } from "./support/fixtures";

async function build(raw: Record<string, unknown>): Promise<RecordedResource[]> {
    const rec = startRecording({ stack: "capacity" });
    platformStack(parseConfig(raw));
    await settle();
    return rec.resources;
}

/** The guardrail's findings over a plan's resources, with the dev profile. */
async function guardrail(resources: RecordedResource[]): Promise<string[]> {
    const found = await checkPolicies(resources, [teamGpuWithinCapacity], profiles.dev);
    return found.map((v) => v.message);
}

const gcp = { project: "my-project", region: "us-central1" };
const kinds: Record<string, Record<string, unknown>> = {
    // An existing cluster: its GPU nodes are not in the stack; the config declares them.
    "existing (local)": {
        cloud: "local",
        cluster: { gpuPools: [{ name: "l4", gpuType: "nvidia-l4", gpusPerNode: 2, maxNodes: 2 }] },
    },
    gcp: {
        cloud: "gcp",
        routing: SSO,
        cluster: {
            gcp,
            gpuPools: [
                {
                    name: "l4",
                    gpuType: "nvidia-l4",
                    gpusPerNode: 2,
                    machineType: "g2-standard-24",
                    maxNodes: 2,
                },
            ],
        },
    },
};

const withTeams = (
    raw: Record<string, unknown>,
    gpus: number[],
    oversubscription?: number,
): Record<string, unknown> => ({
    ...raw,
    cluster: {
        ...(raw.cluster as object),
        ...(oversubscription ? { gpuOversubscription: oversubscription } : {}),
    },
    teams: gpus.map((gpu, i) => ({ name: `t${i}`, quota: { gpu } })),
});

describe.each(Object.entries(kinds))("on %s", (_kind, raw) => {
    // Two platforms per kind: quotas of 5 GPUs over 4, allowed ×1 (the default) and ×1.5.
    let strict: RecordedResource[] = [];
    let lenient: RecordedResource[] = [];
    beforeAll(async () => {
        strict = await build(withTeams(raw, [3, 2]));
        lenient = await build(withTeams(raw, [3, 2], 1.5));
    });

    it("oversubscribed: both say so, with the same numbers", async () => {
        expect(capacityOfPlan(strict, profiles.dev)).toEqual({
            capacity: 4,
            demand: 5,
            factor: 1,
            ratio: 1.25,
            oversubscribed: true,
        });
        expect(await guardrail(strict)).toEqual([
            "team GPU quotas total 5, above 4 GPUs at maximum scale × 1",
        ]);
    });

    it("within mlops:cluster.gpuOversubscription: both pass", async () => {
        expect(capacityOfPlan(lenient, profiles.dev)).toEqual({
            capacity: 4,
            demand: 5,
            factor: 1.5,
            ratio: 1.25,
            oversubscribed: false,
        });
        expect(await guardrail(lenient)).toEqual([]);
    });

    it("the policy pack's oversubscription config wins, in both", async () => {
        for (const [resources, factor, message] of [
            [lenient, 1, ["team GPU quotas total 5, above 4 GPUs at maximum scale × 1"]],
            [strict, 2, []],
        ] as const) {
            const profile = { "team-gpu-quota-within-capacity": { oversubscription: factor } };
            expect(capacityOfPlan(resources, profile)).toMatchObject({
                factor,
                oversubscribed: message.length > 0,
            });
            const found = await checkPolicies(resources, [teamGpuWithinCapacity], profile);
            expect(found.map((v) => v.message)).toEqual(message);
        }
    });
});

describe("an existing cluster without GPU pools and a team with a GPU quota", () => {
    it("is capacity 0, oversubscribed, in both", async () => {
        const resources = await build(withTeams({ cloud: "local" }, [1]));
        expect(capacityOfPlan(resources, profiles.dev)).toMatchObject({
            capacity: 0,
            demand: 1,
            oversubscribed: true,
        });
        expect(await guardrail(resources)).toEqual([
            "team GPU quotas total 1, above 0 GPUs at maximum scale × 1",
        ]);
    });
});

describe("GKE GPU sharing and EKS node groups go through the same path", () => {
    const team = [
        {
            type: "kubernetes:core/v1:Namespace",
            props: { metadata: { name: "team-a", labels: { "mlops.dev/team": "a" } } },
        },
        {
            type: "kubernetes:core/v1:ResourceQuota",
            props: {
                metadata: { namespace: "team-a" },
                spec: { hard: { "requests.nvidia.com/gpu": "6" } },
            },
        },
    ];

    it("counts time-shared GPUs as their clients", () => {
        const pool = {
            type: "gcp:container/nodePool:NodePool",
            props: {
                autoscaling: { maxNodeCount: 1 },
                nodeConfig: {
                    guestAccelerators: [
                        { count: 1, gpuSharingConfig: { maxSharedClientsPerGpu: 4 } },
                    ],
                },
            },
        };
        expect(capacityOfStack([pool, ...team])).toMatchObject({ capacity: 4, demand: 6 });
    });

    it("reads EKS GPU node groups by their labels", () => {
        const group = {
            type: "aws:eks/nodeGroup:NodeGroup",
            props: {
                scalingConfig: { maxSize: 3 },
                labels: { "mlops.dev/gpu-pool": "g", "mlops.dev/gpus-per-node": "2" },
            },
        };
        expect(capacityOfStack([group, ...team])).toMatchObject({
            capacity: 6,
            demand: 6,
            oversubscribed: false,
        });
    });

    it("counts a GKE cluster without GPU pools as capacity 0", () => {
        const cluster = { type: "gcp:container/cluster:Cluster", props: {} };
        expect(capacityOfStack([cluster, ...team])).toMatchObject({
            capacity: 0,
            oversubscribed: true,
        });
    });

    it("has nothing to compare with in a team stack (no cluster, no declared pools)", () => {
        expect(capacityOfStack(team)).toBeUndefined();
    });

    it("declares an existing cluster's pools and the factor on the platform namespace", () => {
        expect(capacityAnnotations(1.5, [{ maxNodes: 2, gpusPerNode: 1 }])).toEqual({
            "mlops.dev/gpu-oversubscription": "1.5",
            "mlops.dev/gpu-pools": '[{"maxNodes":2,"gpusPerNode":1,"sharedClientsPerGpu":1}]',
        });
        expect(capacityAnnotations(1)).toEqual({ "mlops.dev/gpu-oversubscription": "1" });
    });
});
