/** Guardrails for team namespaces and the charts the platform installs. */
import { capacityReport, PoolCapacity } from "./capacity";
import { ofType, resourcePolicy, stackPolicy } from "./lib";

/** Label that marks a namespace as a team's. */
export const TEAM_LABEL = "mlops.dev/team";

const teamNamespaces = (args: Parameters<Parameters<typeof stackPolicy>[0]["validate"]>[0]) =>
    ofType(args, "kubernetes:core/v1:Namespace").filter(
        (n) => n.props?.metadata?.labels?.[TEAM_LABEL],
    );

export const teamGpuQuota = stackPolicy({
    name: "team-namespace-gpu-quota",
    description: "Every team namespace has a ResourceQuota that limits nvidia.com/gpu.",
    enforcementLevel: "mandatory",
    validate: (args, report) => {
        const quotas = ofType(args, "kubernetes:core/v1:ResourceQuota");
        for (const ns of teamNamespaces(args)) {
            const name = ns.props.metadata.name;
            const limited = quotas.some((q) => {
                const hard = q.props?.spec?.hard ?? {};
                return (
                    q.props?.metadata?.namespace === name &&
                    (hard["requests.nvidia.com/gpu"] !== undefined ||
                        hard["limits.nvidia.com/gpu"] !== undefined)
                );
            });
            if (!limited)
                report(`team namespace '${name}' has no ResourceQuota on nvidia.com/gpu`, ns.urn);
        }
    },
});

export const teamDefaultDeny = stackPolicy({
    name: "team-namespace-default-deny",
    description: "Every team namespace has a default-deny NetworkPolicy for ingress and egress.",
    enforcementLevel: "mandatory",
    validate: (args, report) => {
        const policies = ofType(args, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        for (const ns of teamNamespaces(args)) {
            const name = ns.props.metadata.name;
            const denies = policies.some((p) => {
                const spec = p.props?.spec ?? {};
                const types: string[] = spec.policyTypes ?? [];
                return (
                    p.props?.metadata?.namespace === name &&
                    Object.keys(spec.podSelector ?? {}).length === 0 &&
                    types.includes("Ingress") &&
                    types.includes("Egress") &&
                    !(spec.ingress ?? []).length &&
                    !(spec.egress ?? []).length
                );
            });
            if (!denies)
                report(`team namespace '${name}' has no default-deny NetworkPolicy`, ns.urn);
        }
    },
});

export const teamGpuWithinCapacity = stackPolicy({
    name: "team-gpu-quota-within-capacity",
    description:
        "Team GPU quotas add up to no more than the GPU pools' maximum capacity times the allowed oversubscription.",
    enforcementLevel: "advisory",
    configSchema: { properties: { oversubscription: { type: "number", default: 1 } } },
    validate: (args, report) => {
        const pools: PoolCapacity[] = [
            ...ofType(args, "gcp:container/nodePool:NodePool")
                .filter((p) => (p.props?.nodeConfig?.guestAccelerators ?? []).length > 0)
                .map((p) => {
                    const acc = p.props.nodeConfig.guestAccelerators[0];
                    return {
                        maxNodes: p.props?.autoscaling?.maxNodeCount ?? 0,
                        gpusPerNode: acc.count ?? 1,
                        sharedClientsPerGpu: acc.gpuSharingConfig?.maxSharedClientsPerGpu ?? 1,
                    };
                }),
            ...ofType(args, "aws:eks/nodeGroup:NodeGroup")
                .filter((g) => g.props?.labels?.["mlops.dev/gpu-pool"])
                .map((g) => ({
                    maxNodes: g.props?.scalingConfig?.maxSize ?? 0,
                    gpusPerNode: Number(g.props?.labels?.["mlops.dev/gpus-per-node"] ?? 1),
                })),
        ];
        // On an existing cluster the pools are not in the stack: nothing to compare with.
        if (pools.length === 0) return;
        const teams = new Set(teamNamespaces(args).map((n) => n.props.metadata.name));
        const gpus = ofType(args, "kubernetes:core/v1:ResourceQuota")
            .filter((q) => teams.has(q.props?.metadata?.namespace))
            .map((q) => Number(q.props?.spec?.hard?.["requests.nvidia.com/gpu"] ?? 0));
        const factor = args.getConfig<{ oversubscription?: number }>().oversubscription ?? 1;
        const r = capacityReport(pools, gpus, factor);
        if (r.oversubscribed) {
            report(
                `team GPU quotas total ${r.demand}, above ${r.capacity} GPUs at maximum scale × ${factor}`,
            );
        }
    },
});

export const helmChartPinned = resourcePolicy({
    name: "helm-chart-pinned",
    description: "Every Helm release pins an exact chart version.",
    enforcementLevel: "mandatory",
    types: ["kubernetes:helm.sh/v3:Release"],
    validate: (p, report) => {
        const v = String(p?.version ?? "");
        if (!/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v))
            report(`chart '${p?.chart}' version '${v}' is not an exact version`);
    },
});

export const tenancyPolicies = [
    teamGpuQuota,
    teamDefaultDeny,
    teamGpuWithinCapacity,
    helmChartPinned,
];
