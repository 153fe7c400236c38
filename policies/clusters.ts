/** Guardrails for GKE and EKS clusters and their GPU pools. */
import { coversWholeInternet } from "./cidr";
import { ofType, resourcePolicy, stackPolicy } from "./policy-builders";
import { input, UNKNOWN } from "./unknown-inputs";

const GKE = "gcp:container/cluster:Cluster";
const GKE_POOL = "gcp:container/nodePool:NodePool";
const EKS = "aws:eks/cluster:Cluster";
const EKS_GROUP = "aws:eks/nodeGroup:NodeGroup";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

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

export const gkeSecretsEncryption = resourcePolicy({
    name: "gke-secrets-encryption",
    description: "GKE encrypts Kubernetes Secrets with a Cloud KMS key.",
    enforcementLevel: "advisory",
    types: [GKE],
    validate: (p, report) => {
        const enc = p?.databaseEncryption;
        if (enc?.state !== "ENCRYPTED" || !enc?.keyName)
            report("databaseEncryption is not ENCRYPTED with a Cloud KMS key");
    },
});

export const gkeControlPlaneRestricted = resourcePolicy({
    name: "gke-control-plane-restricted",
    description:
        "The GKE control plane has no public endpoint, or one open only to listed networks, never to the whole internet or to Google Cloud's public addresses.",
    enforcementLevel: "advisory",
    types: [GKE],
    validate: (p, report) => {
        if (p?.privateClusterConfig?.enablePrivateEndpoint === true) return;
        const config = p?.masterAuthorizedNetworksConfig;
        const cidrs: string[] = (config?.cidrBlocks ?? []).map((b: any) => String(b?.cidrBlock));
        if (!config)
            report("public endpoint without authorized networks: any address may reach it");
        else if (cidrs.length === 0)
            report("public endpoint with no authorized network listed: make the endpoint private");
        else if (coversWholeInternet(cidrs))
            report(`public endpoint open to the whole internet (${cidrs.join(", ")})`);
        else if (config.gcpPublicCidrsAccessEnabled !== false)
            report(
                "public endpoint admits Google Cloud's public addresses (gcpPublicCidrsAccessEnabled is not false)",
            );
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
        if (coversWholeInternet(cidrs))
            report(`public endpoint open to the whole internet (${cidrs.join(", ")})`);
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

/** Why a node group's instance metadata is reachable from pods, or undefined when it is not. */
function metadataProblem(group: { props: any; dependencies: readonly any[] }): string | undefined {
    const ref = input(() => group.props.launchTemplate);
    if (ref === UNKNOWN) return undefined;
    if (!ref)
        return "no launch template: EKS's default leaves IMDSv1 on with a hop limit of 2, so pods reach the node role";
    const template = group.dependencies.find((d) => d.type === LAUNCH_TEMPLATE);
    if (!template)
        return "its launch template is not in this stack, so its metadata options cannot be checked";
    const md = input(() => template.props.metadataOptions);
    if (md === UNKNOWN) return undefined;
    const m = (md ?? {}) as Record<string, unknown>;
    if (m.httpEndpoint === "disabled") return undefined; // no metadata at all
    const wrong: string[] = [];
    if (m.httpTokens !== "required")
        wrong.push(`httpTokens is ${m.httpTokens ?? "unset"}, not required`);
    if (m.httpPutResponseHopLimit !== 1)
        wrong.push(`httpPutResponseHopLimit is ${m.httpPutResponseHopLimit ?? "unset"}, not 1`);
    return wrong.length ? `launch template: ${wrong.join("; ")}` : undefined;
}

export const eksNodeMetadataProtected = stackPolicy({
    name: "eks-node-metadata-protected",
    description:
        "EKS node groups launch from a template with IMDSv2 required and a hop limit of 1, so pods cannot take the node's role.",
    enforcementLevel: "advisory",
    validate: (args, report) => {
        for (const group of ofType(args, EKS_GROUP)) {
            const name = input(() => group.props.nodeGroupName);
            const problem = metadataProblem(group);
            if (problem)
                report(
                    `node group ${typeof name === "string" ? `'${name}'` : group.name}: ${problem}`,
                    group.urn,
                );
        }
    },
});

export const clusterPolicies = [
    gkePrivateNodes,
    gkeWorkloadIdentity,
    gkeShieldedNodes,
    gkeReleaseChannel,
    gkeSecretsEncryption,
    gkeControlPlaneRestricted,
    gkeGpuScalesToZero,
    gkeGpuBounded,
    gkeGpuTainted,
    eksEndpointRestricted,
    eksSecretsEncryption,
    eksControlPlaneLogs,
    eksNodeMetadataProtected,
    eksGpuScalesToZero,
    eksGpuTainted,
];
