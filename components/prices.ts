/**
 * Price table for the plan's cost estimate.
 *
 * Source: the providers' public list prices (Google Cloud "VM instance pricing", "GPU pricing",
 * "GKE pricing", "Cloud SQL pricing", "Filestore pricing", "Cloud NAT pricing", "Cloud Load
 * Balancing pricing"; AWS "EC2 On-Demand" and "Spot" pricing, "Amazon EKS pricing", "RDS",
 * "EFS", "VPC pricing" (NAT gateway), "Elastic Load Balancing"), regions us-central1 and
 * us-east-1, USD, compiled 2026-11-22 and rounded. Spot prices move daily: the figures are
 * typical discounts, not quotes. Verify before budgeting; update this file in one reviewed diff.
 */

/** Hourly price of one node: on demand and spot. */
export interface NodePrice {
    readonly onDemand: number;
    readonly spot: number;
}

export const PRICE_SOURCE =
    "public list prices of Google Cloud (us-central1) and AWS (us-east-1), USD, compiled 2026-11-22";
export const PRICE_DATE = "2026-11-22";
export const HOURS_PER_MONTH = 730;

/** Machine types, whole node per hour; accelerator-optimized types include their GPUs. */
export const machinePrices: Readonly<Record<"gcp" | "aws", Readonly<Record<string, NodePrice>>>> = {
    gcp: {
        "e2-standard-2": { onDemand: 0.067, spot: 0.02 },
        "e2-standard-4": { onDemand: 0.134, spot: 0.04 },
        "e2-standard-8": { onDemand: 0.268, spot: 0.08 },
        "n2-standard-4": { onDemand: 0.194, spot: 0.047 },
        "n2-standard-8": { onDemand: 0.388, spot: 0.094 },
        "n1-standard-4": { onDemand: 0.19, spot: 0.04 },
        "n1-standard-8": { onDemand: 0.38, spot: 0.08 },
        "g2-standard-4": { onDemand: 0.707, spot: 0.283 },
        "g2-standard-8": { onDemand: 0.854, spot: 0.342 },
        "g2-standard-12": { onDemand: 1.0, spot: 0.4 },
        "g2-standard-24": { onDemand: 2.0, spot: 0.8 },
        "a2-highgpu-1g": { onDemand: 3.673, spot: 1.469 },
        "a2-highgpu-2g": { onDemand: 7.347, spot: 2.939 },
        "a2-ultragpu-1g": { onDemand: 5.069, spot: 2.028 },
        "a3-highgpu-8g": { onDemand: 88.49, spot: 35.4 },
    },
    aws: {
        "t3.large": { onDemand: 0.0832, spot: 0.03 },
        "m6i.large": { onDemand: 0.096, spot: 0.04 },
        "m6i.xlarge": { onDemand: 0.192, spot: 0.08 },
        "m6i.2xlarge": { onDemand: 0.384, spot: 0.16 },
        "g4dn.xlarge": { onDemand: 0.526, spot: 0.21 },
        "g4dn.2xlarge": { onDemand: 0.752, spot: 0.3 },
        "g5.xlarge": { onDemand: 1.006, spot: 0.4 },
        "g5.2xlarge": { onDemand: 1.212, spot: 0.48 },
        "g6.xlarge": { onDemand: 0.805, spot: 0.32 },
        "g6.2xlarge": { onDemand: 0.978, spot: 0.39 },
        "g6e.xlarge": { onDemand: 1.861, spot: 0.74 },
        "p4d.24xlarge": { onDemand: 32.77, spot: 13.1 },
        "p5.48xlarge": { onDemand: 98.32, spot: 39.3 },
    },
};

/** GPUs attached to general-purpose GCE machines (N1), per GPU per hour. */
export const attachedGpuPrices: Readonly<Record<string, NodePrice>> = {
    "nvidia-tesla-t4": { onDemand: 0.35, spot: 0.14 },
    "nvidia-tesla-v100": { onDemand: 2.48, spot: 0.99 },
    "nvidia-tesla-p4": { onDemand: 0.6, spot: 0.24 },
};

/** Fixed hourly prices per cloud. */
export const fixedPrices = {
    gcp: {
        controlPlane: 0.1,
        natGateway: 0.044,
        loadBalancer: 0.025,
        /** Cloud SQL, the smallest dedicated-core tier (db-custom-1-3840), per hour. */
        database: 0.0695,
        /** Filestore Basic HDD per GiB-hour; the minimum instance is 1 TiB. */
        filesystemPerGiBHour: 0.00022,
        filesystemMinGiB: 1024,
    },
    aws: {
        controlPlane: 0.1,
        natGateway: 0.045,
        loadBalancer: 0.0225,
        /** RDS PostgreSQL db.t4g.small, single AZ, per hour. */
        database: 0.032,
        /** EFS Standard per GiB-hour (0.30 per GiB-month). */
        filesystemPerGiBHour: 0.3 / HOURS_PER_MONTH,
        filesystemMinGiB: 0,
    },
} as const;

/** The system pool's machine type when the config names none. */
export const defaultSystemMachine = { gcp: "e2-standard-4", aws: "m6i.xlarge" } as const;

/**
 * RDS for PostgreSQL instance classes, single-AZ, per hour (AWS "Amazon RDS for PostgreSQL
 * pricing", On-Demand, us-east-1, compiled 2026-11-22); Multi-AZ costs twice as much.
 * Storage (gp3, $0.115 per GiB-month) is not included.
 */
export const rdsPrices: Readonly<Record<string, number>> = {
    "db.t4g.micro": 0.016,
    "db.t4g.small": 0.032,
    "db.t4g.medium": 0.065,
    "db.t4g.large": 0.129,
    "db.m7g.large": 0.168,
    "db.m7g.xlarge": 0.337,
    "db.r7g.large": 0.239,
};

/**
 * Cloud SQL for PostgreSQL, Enterprise edition, per hour, by tier ("Cloud SQL pricing",
 * us-central1): the shared-core tiers a development profile uses. The default tier,
 * db-custom-1-3840, is `fixedPrices.gcp.database`.
 */
export const cloudSqlTierPrices: Readonly<Record<string, number>> = {
    "db-f1-micro": 0.0105,
    "db-g1-small": 0.035,
};

/** Balanced persistent disk (`standard-rwo` on GKE) per GiB-month ("Disk pricing", us-central1). */
export const persistentDiskPerGiBMonth = 0.1;

/**
 * The GKE free tier ("GKE pricing"): a monthly credit per billing account, applied to zonal and
 * Autopilot clusters, that covers one zonal cluster's management fee (0.10 per hour).
 */
export const gkeFreeTierMonthlyCredit = 74.4;

/**
 * vCPUs and GiB of memory of the GPU machines above, for the price of their GPUs alone
 * (machine price less its vCPUs and memory at `unitPrices`). Google Cloud "Accelerator-optimized
 * machine family" and "GPU machine types"; AWS "Amazon EC2 accelerated computing instances".
 */
export const gpuMachineShapes: Readonly<Record<string, { vcpus: number; memoryGiB: number }>> = {
    "g2-standard-4": { vcpus: 4, memoryGiB: 16 },
    "g2-standard-8": { vcpus: 8, memoryGiB: 32 },
    "g2-standard-12": { vcpus: 12, memoryGiB: 48 },
    "g2-standard-24": { vcpus: 24, memoryGiB: 96 },
    "a2-highgpu-1g": { vcpus: 12, memoryGiB: 85 },
    "a2-highgpu-2g": { vcpus: 24, memoryGiB: 170 },
    "a2-ultragpu-1g": { vcpus: 12, memoryGiB: 170 },
    "a3-highgpu-8g": { vcpus: 208, memoryGiB: 1872 },
    "g4dn.xlarge": { vcpus: 4, memoryGiB: 16 },
    "g4dn.2xlarge": { vcpus: 8, memoryGiB: 32 },
    "g5.xlarge": { vcpus: 4, memoryGiB: 16 },
    "g5.2xlarge": { vcpus: 8, memoryGiB: 32 },
    "g6.xlarge": { vcpus: 4, memoryGiB: 16 },
    "g6.2xlarge": { vcpus: 8, memoryGiB: 32 },
    "g6e.xlarge": { vcpus: 4, memoryGiB: 32 },
    "p4d.24xlarge": { vcpus: 96, memoryGiB: 1152 },
    "p5.48xlarge": { vcpus: 192, memoryGiB: 2048 },
};

/** Hourly unit prices: what a vCPU, a GiB of memory and a GiB of disk cost, on demand and spot. */
export interface UnitPrices {
    readonly cpu: number;
    readonly spotCpu: number;
    readonly memoryGiB: number;
    readonly spotMemoryGiB: number;
    /** Persistent disk per GiB-hour. */
    readonly storageGiB: number;
}

/**
 * Unit prices, from the same source and date as the machines above. gcp: the E2 series'
 * vCPU and memory prices in us-central1 (e2-standard-4 at these prices is its listed $0.134).
 * aws: EC2 lists no separate vCPU and memory prices, so m6i.large's ($0.096 for 2 vCPUs and
 * 8 GiB) is split between them in the E2 ratio; gp3 EBS at $0.08 per GiB-month. local (any
 * existing cluster): gcp's, as a reference.
 */
export const unitPrices: Readonly<Record<"gcp" | "aws" | "local", UnitPrices>> = {
    gcp: {
        cpu: 0.021811,
        spotCpu: 0.006543,
        memoryGiB: 0.002923,
        spotMemoryGiB: 0.000877,
        storageGiB: persistentDiskPerGiBMonth / HOURS_PER_MONTH,
    },
    aws: {
        cpu: 0.031248,
        spotCpu: 0.01302,
        memoryGiB: 0.004188,
        spotMemoryGiB: 0.001745,
        storageGiB: 0.08 / HOURS_PER_MONTH,
    },
    local: {
        cpu: 0.021811,
        spotCpu: 0.006543,
        memoryGiB: 0.002923,
        spotMemoryGiB: 0.000877,
        storageGiB: persistentDiskPerGiBMonth / HOURS_PER_MONTH,
    },
};

/** A GPU pool as far as its price goes. */
export interface PricedGpuPool {
    readonly gpuType: string;
    readonly gpusPerNode: number;
    /** Absent on an existing cluster. */
    readonly machineType?: string;
}

/**
 * The hourly on-demand price of one GPU of a pool: an attached GPU's list price (N1), else its
 * machine's price less the machine's vCPUs and memory at `unitPrices`, per GPU. Undefined when
 * the table cannot tell (an existing cluster's pool names no machine).
 */
export function gpuHourlyPrice(cloud: "gcp" | "aws" | "local", pool: PricedGpuPool) {
    if (cloud === "gcp" && attachedGpuPrices[pool.gpuType])
        return attachedGpuPrices[pool.gpuType].onDemand;
    if (cloud === "local" || pool.machineType === undefined) return undefined;
    const machine = machinePrices[cloud][pool.machineType];
    const shape = gpuMachineShapes[pool.machineType];
    if (!machine || !shape) return undefined;
    const u = unitPrices[cloud];
    const host = shape.vcpus * u.cpu + shape.memoryGiB * u.memoryGiB;
    return Math.max(0, (machine.onDemand - host) / pool.gpusPerNode);
}

/**
 * The price of one GPU that OpenCost is given: the GPU pools' prices weighted by their GPUs at
 * maximum scale (OpenCost's custom pricing has a single GPU price). Undefined when no pool has
 * a price (none, or an existing cluster's).
 */
export function weightedGpuPrice(
    cloud: "gcp" | "aws" | "local",
    pools: readonly (PricedGpuPool & { readonly maxNodes: number })[],
): number | undefined {
    let gpus = 0;
    let cost = 0;
    for (const pool of pools) {
        const price = gpuHourlyPrice(cloud, pool);
        if (price === undefined) continue;
        const n = pool.gpusPerNode * Math.max(1, pool.maxNodes);
        gpus += n;
        cost += price * n;
    }
    return gpus === 0 ? undefined : cost / gpus;
}
