/**
 * GPU capacity against team quotas: how many GPUs the pools can offer at their maximum, how
 * many the teams may request, and whether the quotas exceed capacity beyond the allowed
 * oversubscription factor. Pure, shared by the guardrails and the offline plan.
 */

/** A GPU pool's contribution at maximum scale. */
export interface PoolCapacity {
    readonly maxNodes: number;
    readonly gpusPerNode: number;
    /** Pods that may share one GPU (time-sharing or MPS). @default 1 */
    readonly sharedClientsPerGpu?: number;
}

export interface CapacityReport {
    /** Schedulable GPU slots with every pool at its maximum. */
    readonly capacity: number;
    /** Sum of the teams' GPU quotas. */
    readonly demand: number;
    readonly factor: number;
    /** demand / capacity (Infinity when there is demand and no capacity). */
    readonly ratio: number;
    readonly oversubscribed: boolean;
}

/** GPU slots the pools offer at maximum scale. */
export function gpuCapacity(pools: readonly PoolCapacity[]): number {
    return pools.reduce(
        (sum, p) => sum + p.maxNodes * p.gpusPerNode * (p.sharedClientsPerGpu ?? 1),
        0,
    );
}

/** Compares team GPU quotas with capacity; `factor` is the oversubscription allowed (≥ 1). */
export function capacityReport(
    pools: readonly PoolCapacity[],
    teamGpus: readonly number[],
    factor = 1,
): CapacityReport {
    const capacity = gpuCapacity(pools);
    const demand = teamGpus.reduce((a, b) => a + b, 0);
    const ratio = capacity === 0 ? (demand === 0 ? 0 : Infinity) : demand / capacity;
    return { capacity, demand, factor, ratio, oversubscribed: demand > capacity * factor };
}

/** The few fields of a stack resource that the capacity check reads. */
export interface StackResource {
    readonly type: string;
    readonly props: any;
}

/**
 * Annotations of the platform namespace that carry what the stack's resources cannot show:
 * the oversubscription allowed (`mlops:cluster.gpuOversubscription`), and, on an existing
 * cluster whose nodes the stack does not create, the GPU pools the config declares.
 */
export const GPU_OVERSUBSCRIPTION_ANNOTATION = "mlops.dev/gpu-oversubscription";
export const GPU_POOLS_ANNOTATION = "mlops.dev/gpu-pools";

/** The platform namespace's capacity annotations. */
export function capacityAnnotations(
    factor: number,
    declaredPools?: readonly PoolCapacity[],
): Record<string, string> {
    return {
        [GPU_OVERSUBSCRIPTION_ANNOTATION]: String(factor),
        ...(declaredPools
            ? {
                  [GPU_POOLS_ANNOTATION]: JSON.stringify(
                      declaredPools.map((p) => ({
                          maxNodes: p.maxNodes,
                          gpusPerNode: p.gpusPerNode,
                          sharedClientsPerGpu: p.sharedClientsPerGpu ?? 1,
                      })),
                  ),
              }
            : {}),
    };
}

/** Label that marks a namespace as a team's. */
export const TEAM_LABEL = "mlops.dev/team";
const CLUSTER_TYPES = ["gcp:container/cluster:Cluster", "aws:eks/cluster:Cluster"];

/**
 * GPU capacity against team quotas, read from a stack's resources: GKE node pools with
 * accelerators, EKS node groups labelled as GPU pools, and an existing cluster's declared pools
 * (the platform namespace's annotation). The one code path of the guardrail
 * `team-gpu-quota-within-capacity` and of the plan's report, so that they agree on every cluster
 * kind. `undefined` when the stack has no cluster to compare with (a team stack).
 * `factorOverride` is the policy config's `oversubscription`, which wins over the annotation.
 */
export function capacityOfStack(
    resources: readonly StackResource[],
    factorOverride?: number,
): CapacityReport | undefined {
    const ofType = (t: string) => resources.filter((r) => r.type === t);
    const platformNs = ofType("kubernetes:core/v1:Namespace").filter(
        (n) => n.props?.metadata?.annotations?.[GPU_OVERSUBSCRIPTION_ANNOTATION] !== undefined,
    );
    const annotations = platformNs[0]?.props?.metadata?.annotations ?? {};
    const declared = annotations[GPU_POOLS_ANNOTATION];
    const pools: PoolCapacity[] = [
        ...ofType("gcp:container/nodePool:NodePool")
            .filter((p) => (p.props?.nodeConfig?.guestAccelerators ?? []).length > 0)
            .map((p) => {
                const acc = p.props.nodeConfig.guestAccelerators[0];
                return {
                    maxNodes: p.props?.autoscaling?.maxNodeCount ?? 0,
                    gpusPerNode: acc.count ?? 1,
                    sharedClientsPerGpu: acc.gpuSharingConfig?.maxSharedClientsPerGpu ?? 1,
                };
            }),
        ...ofType("aws:eks/nodeGroup:NodeGroup")
            .filter((g) => g.props?.labels?.["mlops.dev/gpu-pool"])
            .map((g) => ({
                maxNodes: g.props?.scalingConfig?.maxSize ?? 0,
                gpusPerNode: Number(g.props?.labels?.["mlops.dev/gpus-per-node"] ?? 1),
            })),
        ...(typeof declared === "string" ? (JSON.parse(declared) as PoolCapacity[]) : []),
    ];
    const known =
        pools.length > 0 ||
        typeof declared === "string" ||
        CLUSTER_TYPES.some((t) => ofType(t).length > 0);
    if (!known) return undefined;
    const teams = new Set(
        ofType("kubernetes:core/v1:Namespace")
            .filter((n) => n.props?.metadata?.labels?.[TEAM_LABEL])
            .map((n) => n.props.metadata.name),
    );
    const gpus = ofType("kubernetes:core/v1:ResourceQuota")
        .filter((q) => teams.has(q.props?.metadata?.namespace))
        .map((q) => Number(q.props?.spec?.hard?.["requests.nvidia.com/gpu"] ?? 0));
    const annotated = Number(annotations[GPU_OVERSUBSCRIPTION_ANNOTATION]);
    const factor = factorOverride ?? (Number.isFinite(annotated) ? annotated : 1);
    return capacityReport(pools, gpus, factor);
}
