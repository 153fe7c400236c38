/** Guardrails for GKE and EKS clusters and their GPU pools. */
import { resourcePolicy } from "./policy-builders";

const GKE = "gcp:container/cluster:Cluster";
const GKE_POOL = "gcp:container/nodePool:NodePool";
const EKS = "aws:eks/cluster:Cluster";
const EKS_GROUP = "aws:eks/nodeGroup:NodeGroup";

const isGkeGpuPool = (p: any) => (p?.nodeConfig?.guestAccelerators ?? []).length > 0;
const isEksGpuGroup = (p: any) =>
    /NVIDIA|GPU/i.test(String(p?.amiType ?? "")) || p?.labels?.["mlops.dev/gpu-pool"];

export const gkePrivateNodes = resourcePolicy({
    name: "gke-private-nodes",
    description: "GKE nodes have private IPs only.",
    enforcementLevel: "mandatory",
    types: [GKE],
    validate: (p, report) => {
        if (p?.privateClusterConfig?.enablePrivateNodes !== true)
            report("privateClusterConfig.enablePrivateNodes is not true");
    },
});

export const gkeWorkloadIdentity = resourcePolicy({
    name: "gke-workload-identity",
    description: "GKE clusters use Workload Identity, so pods need no service account keys.",
    enforcementLevel: "mandatory",
    types: [GKE],
    validate: (p, report) => {
        if (!p?.workloadIdentityConfig?.workloadPool)
            report("workloadIdentityConfig.workloadPool is not set");
    },
});

export const gkeShieldedNodes = resourcePolicy({
    name: "gke-shielded-nodes",
    description: "GKE clusters run shielded nodes.",
    enforcementLevel: "mandatory",
    types: [GKE],
    validate: (p, report) => {
        if (p?.enableShieldedNodes === false) report("enableShieldedNodes is false");
    },
});

export const gkeReleaseChannel = resourcePolicy({
    name: "gke-release-channel",
    description: "GKE clusters follow a release channel so that they receive upgrades.",
    enforcementLevel: "advisory",
    types: [GKE],
    validate: (p, report) => {
        const channel = p?.releaseChannel?.channel;
        if (!["RAPID", "REGULAR", "STABLE", "EXTENDED"].includes(channel))
            report(`release channel is '${channel ?? "none"}'`);
    },
});

export const gkeGpuScalesToZero = resourcePolicy({
    name: "gke-gpu-pool-scales-to-zero",
    description: "GKE GPU node pools autoscale down to zero nodes when idle.",
    enforcementLevel: "advisory",
    types: [GKE_POOL],
    validate: (p, report) => {
        if (!isGkeGpuPool(p)) return;
        if (p?.autoscaling?.minNodeCount !== 0 && p?.autoscaling?.totalMinNodeCount !== 0) {
            report(
                `GPU pool keeps ${p?.autoscaling?.minNodeCount ?? p?.initialNodeCount ?? "fixed"} nodes at idle`,
            );
        }
    },
});

export const gkeGpuBounded = resourcePolicy({
    name: "gke-gpu-pool-bounded",
    description: "GKE GPU node pools autoscale to a bounded maximum.",
    enforcementLevel: "mandatory",
    types: [GKE_POOL],
    configSchema: { properties: { maxNodes: { type: "integer", default: 16 } } },
    validate: (p, report, args) => {
        if (!isGkeGpuPool(p)) return;
        const bound = args.getConfig<{ maxNodes?: number }>().maxNodes ?? 16;
        const max = p?.autoscaling?.maxNodeCount ?? p?.autoscaling?.totalMaxNodeCount;
        if (typeof max !== "number") report("GPU pool has no autoscaling maximum");
        else if (max > bound)
            report(`GPU pool may grow to ${max} nodes, above the bound of ${bound}`);
    },
});

export const gkeGpuTainted = resourcePolicy({
    name: "gke-gpu-pool-tainted",
    description: "GKE GPU node pools carry the nvidia.com/gpu NoSchedule taint.",
    enforcementLevel: "mandatory",
    types: [GKE_POOL],
    validate: (p, report) => {
        if (!isGkeGpuPool(p)) return;
        const taints: any[] = p?.nodeConfig?.taints ?? [];
        if (!taints.some((t) => t.key === "nvidia.com/gpu" && t.effect === "NO_SCHEDULE")) {
            report("GPU pool lacks the nvidia.com/gpu NO_SCHEDULE taint");
        }
    },
});

export const eksEndpointRestricted = resourcePolicy({
    name: "eks-endpoint-restricted",
    description:
        "The EKS API endpoint is private or open only to listed networks, never 0.0.0.0/0.",
    enforcementLevel: "mandatory",
    types: [EKS],
    validate: (p, report) => {
        const vpc = p?.vpcConfig ?? {};
        if (vpc.endpointPublicAccess === false) return;
        const cidrs: string[] = vpc.publicAccessCidrs ?? ["0.0.0.0/0"];
        if (cidrs.includes("0.0.0.0/0")) report("public endpoint open to 0.0.0.0/0");
    },
});

export const eksSecretsEncryption = resourcePolicy({
    name: "eks-secrets-encryption",
    description: "EKS encrypts Kubernetes Secrets with a KMS key.",
    enforcementLevel: "mandatory",
    types: [EKS],
    validate: (p, report) => {
        if (!(p?.encryptionConfig?.resources ?? []).includes("secrets"))
            report("encryptionConfig does not cover secrets");
    },
});

export const eksControlPlaneLogs = resourcePolicy({
    name: "eks-control-plane-logs",
    description: "EKS sends API, audit and authenticator logs to CloudWatch.",
    enforcementLevel: "advisory",
    types: [EKS],
    validate: (p, report) => {
        const on: string[] = p?.enabledClusterLogTypes ?? [];
        const missing = ["api", "audit", "authenticator"].filter((t) => !on.includes(t));
        if (missing.length) report(`control-plane logs off: ${missing.join(", ")}`);
    },
});

export const eksGpuScalesToZero = resourcePolicy({
    name: "eks-gpu-group-scales-to-zero",
    description: "EKS GPU node groups scale down to zero nodes when idle.",
    enforcementLevel: "advisory",
    types: [EKS_GROUP],
    validate: (p, report) => {
        if (isEksGpuGroup(p) && p?.scalingConfig?.minSize !== 0)
            report(`GPU group keeps ${p?.scalingConfig?.minSize} nodes at idle`);
    },
});

export const eksGpuTainted = resourcePolicy({
    name: "eks-gpu-group-tainted",
    description: "EKS GPU node groups carry the nvidia.com/gpu NoSchedule taint.",
    enforcementLevel: "mandatory",
    types: [EKS_GROUP],
    validate: (p, report) => {
        if (!isEksGpuGroup(p)) return;
        if (
            !(p?.taints ?? []).some(
                (t: any) => t.key === "nvidia.com/gpu" && t.effect === "NO_SCHEDULE",
            )
        ) {
            report("GPU group lacks the nvidia.com/gpu NO_SCHEDULE taint");
        }
    },
});

export const clusterPolicies = [
    gkePrivateNodes,
    gkeWorkloadIdentity,
    gkeShieldedNodes,
    gkeReleaseChannel,
    gkeGpuScalesToZero,
    gkeGpuBounded,
    gkeGpuTainted,
    eksEndpointRestricted,
    eksSecretsEncryption,
    eksControlPlaneLogs,
    eksGpuScalesToZero,
    eksGpuTainted,
];
