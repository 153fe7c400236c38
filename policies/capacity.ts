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
