/**
 * Monthly cost estimate of a stack from its config: node pools by machine and GPU type,
 * control plane, database, shared filesystem, NAT and load balancer, idle (every pool at its
 * minimum) and at maximum scale, on demand and with spot capacity.
 */
import type { PlatformConfig } from "../../stacks/config";
import {
    HOURS_PER_MONTH,
    NodePrice,
    PRICE_DATE,
    PRICE_SOURCE,
    attachedGpuPrices,
    cloudSqlTierPrices,
    defaultSystemMachine,
    gkeFreeTierMonthlyCredit,
    persistentDiskPerGiBMonth,
    fixedPrices,
    machinePrices,
    rdsPrices,
    unitPrices,
    weightedGpuPrice,
} from "../../components/prices";

/** Monthly USD in the four scenarios. */
export interface Scenarios {
    readonly idleOnDemand: number;
    readonly idleSpot: number;
    readonly maxOnDemand: number;
    readonly maxSpot: number;
}

export interface CostLine extends Scenarios {
    readonly item: string;
    /** Why a line is zero or unknown. */
    readonly note?: string;
}

export interface CostEstimate {
    readonly currency: "USD";
    readonly hoursPerMonth: number;
    readonly source: string;
    readonly date: string;
    readonly lines: CostLine[];
    readonly total: Scenarios;
    /** Items with no price in the table (not in the total). */
    readonly unpriced: string[];
    /**
     * Each team's quota at full use, at the unit prices OpenCost is given: the most its pods
     * can cost a month, to hold against OpenCost's actuals (`npm run cost:actuals`).
     */
    readonly teams: TeamCost[];
}

/** A team's quota priced at the unit prices, monthly, on demand. */
export interface TeamCost {
    readonly team: string;
    readonly cpu: number;
    readonly memoryGiB: number;
    readonly gpu: number;
    readonly storageGiB: number;
    /** Undefined when a GPU has no price here (an existing cluster's GPUs). */
    readonly monthly?: number;
}

const round = (x: number) => Math.round(x * 100) / 100;
const monthly = (hourly: number) => hourly * HOURS_PER_MONTH;
const flat = (item: string, hourly: number, note?: string): CostLine => {
    const m = round(monthly(hourly));
    return {
        item,
        idleOnDemand: m,
        idleSpot: m,
        maxOnDemand: m,
        maxSpot: m,
        ...(note ? { note } : {}),
    };
};

function nodePrice(
    cloud: "gcp" | "aws",
    machine: string,
    gpuType?: string,
    gpus = 0,
): NodePrice | undefined {
    const base = machinePrices[cloud][machine];
    if (!base) return undefined;
    const attached = cloud === "gcp" && gpuType ? attachedGpuPrices[gpuType] : undefined;
    if (!attached) return base;
    return {
        onDemand: base.onDemand + attached.onDemand * gpus,
        spot: base.spot + attached.spot * gpus,
    };
}

/**
 * Spot columns price every pool at spot rates (the system pool stays on demand): what the
 * stack costs with spot capacity, whatever each pool is set to.
 */
function poolLine(
    item: string,
    price: NodePrice,
    min: number,
    max: number,
    spotAllowed: boolean,
    note?: string,
): CostLine {
    const spot = spotAllowed ? price.spot : price.onDemand;
    return {
        item,
        idleOnDemand: round(monthly(price.onDemand * min)),
        idleSpot: round(monthly(spot * min)),
        maxOnDemand: round(monthly(price.onDemand * max)),
        maxSpot: round(monthly(spot * max)),
        ...(note ? { note } : {}),
    };
}

/** GiB in a Kubernetes size (`"50Gi"`, `"100G"`), rounded up. */
function gibOf(size: string): number {
    const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(size);
    if (!m) return 0;
    const scale: Record<string, number> = {
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
    };
    return Math.ceil((Number(m[1]) * (m[2] ? scale[m[2]] : 1)) / 2 ** 30);
}

/** Cores in a CPU quantity (`"8"`, `"500m"`). */
export function coresOf(quantity: string): number {
    return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** GiB in a Kubernetes size, exactly. */
export function exactGibOf(size: string): number {
    const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(size);
    if (!m) return 0;
    const scale: Record<string, number> = {
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
    };
    return (Number(m[1]) * (m[2] ? scale[m[2]] : 1)) / 2 ** 30;
}

/**
 * The price of one GPU that OpenCost is given: the stack's GPU pools' prices weighted by
 * their GPUs at maximum scale (OpenCost's custom pricing has a single GPU price). Undefined
 * when no pool has a price (none, or an existing cluster's).
 */
export function stackGpuPrice(config: PlatformConfig): number | undefined {
    return weightedGpuPrice(config.cloud, config.cluster.gpuPools);
}

/** Each team's quota at full use, on demand, at the unit prices. */
export function teamCosts(config: PlatformConfig): TeamCost[] {
    const u = unitPrices[config.cloud];
    const gpuPrice = stackGpuPrice(config);
    return config.teams.map((t) => {
        const cpu = coresOf(t.quota.cpu);
        const memoryGiB = exactGibOf(t.quota.memory);
        const storageGiB = exactGibOf(t.quota.storage);
        const gpu = t.quota.gpu;
        const hourly =
            cpu * u.cpu +
            memoryGiB * u.memoryGiB +
            storageGiB * u.storageGiB +
            (gpu > 0 ? (gpuPrice ?? NaN) * gpu : 0);
        return {
            team: t.name,
            cpu,
            memoryGiB,
            gpu,
            storageGiB,
            ...(Number.isNaN(hourly) ? {} : { monthly: round(monthly(hourly)) }),
        };
    });
}

/** A provisioned pool's node price and size, to hold against OpenCost's node costs. */
export interface PoolEstimate {
    /** `system`, or the GPU pool's name (its nodes' `mlops.dev/gpu-pool` label). */
    readonly pool: string;
    readonly machine: string;
    /** One node's hourly price: spot for a spot pool, on demand otherwise. */
    readonly nodeHourly: number;
    readonly minNodes: number;
    readonly maxNodes: number;
}

/** The pools the platform provisions (none on `local`, none in a team stack), priced per node. */
export function poolEstimates(config: PlatformConfig): PoolEstimate[] {
    if (config.kind === "team" || config.cloud === "local") return [];
    const cloud = config.cloud;
    const out: PoolEstimate[] = [];
    const sys = config.cluster.systemPool;
    const sysMachine = sys.machineType ?? defaultSystemMachine[cloud];
    const sysPrice = nodePrice(cloud, sysMachine);
    if (sysPrice) {
        out.push({
            pool: "system",
            machine: sysMachine,
            nodeHourly: sysPrice.onDemand,
            minNodes: sys.minNodes,
            maxNodes: sys.maxNodes,
        });
    }
    for (const pool of config.cluster.gpuPools) {
        const machine = pool.machineType ?? "";
        const price = nodePrice(cloud, machine, pool.gpuType, pool.gpusPerNode);
        if (!price) continue;
        out.push({
            pool: pool.name,
            machine,
            nodeHourly: pool.spot ? price.spot : price.onDemand,
            minNodes: pool.minNodes,
            maxNodes: pool.maxNodes,
        });
    }
    return out;
}

/** The estimate for a validated config. */
export function estimateCost(config: PlatformConfig): CostEstimate {
    const lines: CostLine[] = [];
    const unpriced: string[] = [];
    const cloud = config.cloud;

    if (config.kind === "team") {
        lines.push(
            flat(
                "team stack",
                0,
                "runs inside the platform's cluster; its share is bounded by its quota",
            ),
        );
    } else if (cloud === "local") {
        lines.push(
            flat(
                "cluster nodes",
                0,
                "existing cluster: its nodes are not provisioned by the platform",
            ),
        );
        for (const pool of config.cluster.gpuPools) {
            lines.push(flat(`GPU pool ${pool.name} (${pool.gpuType})`, 0, "existing nodes"));
        }
        lines.push(flat("database, object store, shared filesystem", 0, "run in the cluster"));
    } else {
        const fixed = fixedPrices[cloud];
        const zonal = cloud === "gcp" && config.cluster.gcp?.zone !== undefined;
        if (zonal && monthly(fixed.controlPlane) <= gkeFreeTierMonthlyCredit) {
            lines.push(
                flat(
                    "control plane (zonal)",
                    0,
                    `the GKE free tier's $${gkeFreeTierMonthlyCredit.toFixed(2)} monthly credit per billing account covers one zonal cluster; another costs $${round(monthly(fixed.controlPlane)).toFixed(2)}`,
                ),
            );
        } else lines.push(flat("control plane", fixed.controlPlane));
        const sys = config.cluster.systemPool;
        const sysMachine = sys.machineType ?? defaultSystemMachine[cloud];
        const sysPrice = nodePrice(cloud, sysMachine);
        if (sysPrice) {
            lines.push(
                poolLine(
                    `system pool (${sysMachine})`,
                    sysPrice,
                    sys.minNodes,
                    sys.maxNodes,
                    false,
                ),
            );
        } else unpriced.push(`system pool machine ${sysMachine}`);
        for (const pool of config.cluster.gpuPools) {
            const machine = pool.machineType ?? "";
            const price = nodePrice(cloud, machine, pool.gpuType, pool.gpusPerNode);
            const item = `GPU pool ${pool.name} (${machine}, ${pool.gpuType}${pool.spot ? ", spot" : ""})`;
            if (price) lines.push(poolLine(item, price, pool.minNodes, pool.maxNodes, true));
            else unpriced.push(`${item}: no price for ${machine}`);
        }
        if (cloud === "aws") {
            // RDS: the configured class; Multi-AZ (prod) runs a standby of the same class.
            const cls = config.database.instanceClass;
            const hourly = rdsPrices[cls];
            const multiAz = config.environment === "prod";
            if (hourly === undefined) unpriced.push(`database class ${cls}`);
            else
                lines.push(
                    flat(
                        `database (${cls}${multiAz ? ", Multi-AZ" : ""})`,
                        hourly * (multiAz ? 2 : 1),
                    ),
                );
        } else {
            const tier = cloud === "gcp" ? config.database.tier : undefined;
            const tierPrice = tier ? cloudSqlTierPrices[tier] : undefined;
            if (tierPrice !== undefined) lines.push(flat(`database (${tier})`, tierPrice));
            else lines.push(flat("database", fixed.database));
        }
        if (config.storage.sharedFilesystem.enabled && config.storage.sharedFilesystem.inCluster) {
            // An NFS server in the cluster on one balanced persistent disk of the asked size.
            const gib = gibOf(config.storage.sharedFilesystem.size);
            lines.push(
                flat(
                    `shared filesystem (in-cluster NFS, ${gib} GiB disk)`,
                    (persistentDiskPerGiBMonth * gib) / HOURS_PER_MONTH,
                ),
            );
        } else if (config.storage.sharedFilesystem.enabled) {
            // Each ReadWriteMany claim provisions its own instance of at least the tier's
            // minimum (mlops:storage.sharedFilesystem.size is refused on clouds): one, idle.
            const gib = fixed.filesystemMinGiB;
            lines.push(
                cloud === "aws"
                    ? flat(
                          "shared filesystem (EFS)",
                          0,
                          `billed per GiB stored, $${(fixed.filesystemPerGiBHour * HOURS_PER_MONTH).toFixed(2)} per GiB-month; nothing when empty`,
                      )
                    : flat(
                          `shared filesystem (${Math.round(gib)} GiB)`,
                          fixed.filesystemPerGiBHour * gib,
                      ),
            );
        }
        // aws: one NAT gateway per zone in prod, one for the VPC in dev.
        const nats =
            cloud === "aws" && config.environment === "prod"
                ? (config.cluster.aws?.availabilityZoneCount ?? 1)
                : 1;
        lines.push(
            flat(nats > 1 ? `NAT gateways (${nats})` : "NAT gateway", fixed.natGateway * nats),
        );
        if (config.routing.serviceType === "LoadBalancer")
            lines.push(flat("load balancer", fixed.loadBalancer));
    }

    const sum = (k: keyof Scenarios) => round(lines.reduce((a, l) => a + l[k], 0));
    return {
        currency: "USD",
        hoursPerMonth: HOURS_PER_MONTH,
        source: PRICE_SOURCE,
        date: PRICE_DATE,
        lines,
        total: {
            idleOnDemand: sum("idleOnDemand"),
            idleSpot: sum("idleSpot"),
            maxOnDemand: sum("maxOnDemand"),
            maxSpot: sum("maxSpot"),
        },
        unpriced,
        teams: config.kind === "team" ? [] : teamCosts(config),
    };
}

const money = (x: number) => `$${x.toFixed(2)}`;

/** The estimate as a fixed-width table. */
export function renderCost(estimate: CostEstimate): string {
    const header = ["item", "idle on-demand", "idle spot", "max on-demand", "max spot"];
    const rows = [
        ...estimate.lines.map((l) => [
            l.item,
            money(l.idleOnDemand),
            money(l.idleSpot),
            money(l.maxOnDemand),
            money(l.maxSpot),
        ]),
        [
            "total",
            money(estimate.total.idleOnDemand),
            money(estimate.total.idleSpot),
            money(estimate.total.maxOnDemand),
            money(estimate.total.maxSpot),
        ],
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) =>
        r
            .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
            .join("  ");
    const notes = estimate.lines.filter((l) => l.note).map((l) => `  ${l.item}: ${l.note}`);
    return [
        `Estimated monthly cost (${estimate.currency}, ${estimate.hoursPerMonth} h; ${estimate.source})`,
        fmt(header),
        ...rows.slice(0, -1).map(fmt),
        fmt(rows[rows.length - 1]),
        ...notes,
        ...estimate.unpriced.map((u) => `  not priced: ${u}`),
        ...renderTeams(estimate.teams),
    ].join("\n");
}

/** The teams' quotas at full use, after the estimate. */
function renderTeams(teams: readonly TeamCost[]): string[] {
    if (teams.length === 0) return [];
    const rows = teams.map((t) => [
        t.team,
        `${t.cpu} CPU, ${t.memoryGiB} GiB, ${t.gpu} GPU, ${t.storageGiB} GiB disk`,
        t.monthly === undefined ? "GPU not priced" : money(t.monthly),
    ]);
    const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
    return [
        "Team quotas at full use (monthly, on demand; OpenCost's actuals: npm run cost:actuals)",
        ...rows.map((r) => `  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`),
    ];
}
