/** Guardrails for team namespaces and the charts the platform installs. */
import { capacityOfStack, TEAM_LABEL } from "./capacity";
import { ofType, resourcePolicy, stackPolicy } from "./policy-builders";

export { TEAM_LABEL };

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
    // No default: unset, the factor is the stack's own (mlops:cluster.gpuOversubscription,
    // carried on the platform namespace), as the offline plan reports it.
    configSchema: { properties: { oversubscription: { type: "number" } } },
    validate: (args, report) => {
        const override = args.getConfig<{ oversubscription?: number }>().oversubscription;
        // The plan's report comes from the same function over the same resources.
        const r = capacityOfStack(args.resources, override);
        // No cluster in the stack (a team stack): nothing to compare with.
        if (!r) return;
        if (r.oversubscribed) {
            report(
                `team GPU quotas total ${r.demand}, above ${r.capacity} GPUs at maximum scale × ${r.factor}`,
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
