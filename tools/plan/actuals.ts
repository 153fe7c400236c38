/**
 * npm run cost:actuals -- --stack <name> --opencost <url> [--window 7d]
 *
 * Holds what each team cost, as OpenCost allocated it over a window, against the plan's
 * estimate: its quota at full use at the same unit prices OpenCost is given. Then each pool:
 * what OpenCost priced its nodes at over the window, against the plan's pool at its minimum
 * and maximum size. Reach OpenCost
 * first: `kubectl -n mlops port-forward svc/opencost 9003` and `--opencost http://localhost:9003`.
 * Exit 0: printed. 2: bad stack file or config. 1: bad arguments, or OpenCost did not answer.
 */
import type { PlatformConfig } from "../../stacks/config";
import { ConfigError, loadConfig } from "../../stacks/config";
import { HOURS_PER_MONTH } from "../../components/prices";
import { poolEstimates, teamCosts } from "./cost";
import { readStackConfig, stackFileOf, StackFileError } from "./stack-config";

/** One namespace's allocation as OpenCost's `/allocation` answers it (core/pkg/opencost/allocation_json.go). */
export interface Allocation {
    readonly name: string;
    readonly minutes: number;
    readonly cpuCost: number;
    readonly gpuCost: number;
    readonly ramCost: number;
    readonly pvCost: number;
    readonly totalCost: number;
}

/** One pool's nodes as OpenCost's `/assets` priced them over the window. */
export interface PoolAssets {
    /** Distinct nodes seen. */
    readonly nodes: number;
    /** Node-minutes: the sum of each node's minutes in the window. */
    readonly nodeMinutes: number;
    readonly cost: number;
    readonly gpuCost: number;
    /** The window's length in minutes: the assets' window, else the longest-lived node's. */
    readonly minutes: number;
}

/** A pool's estimate range and actuals. */
export interface PoolActual {
    readonly pool: string;
    readonly machine: string;
    /** Monthly at the pool's minimum and maximum node count. */
    readonly minimum: number;
    readonly maximum: number;
    readonly window?: PoolAssets;
    /** The window's cost at a month's rate. */
    readonly monthlyRate?: number;
    /** Nodes on average over the window. */
    readonly averageNodes?: number;
}

/** A team's estimate and actuals. */
export interface TeamActual {
    readonly team: string;
    readonly namespace: string;
    /** The quota at full use, monthly (undefined: a GPU has no price). */
    readonly estimate?: number;
    /** What OpenCost allocated over the window. */
    readonly window?: { readonly minutes: number; readonly cost: number; readonly gpuCost: number };
    /** The window's cost at a month's rate. */
    readonly monthlyRate?: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The `/allocation` query: per namespace, the window in one set. */
export function allocationUrl(base: string, window: string): string {
    const u = new URL("allocation", base.endsWith("/") ? base : `${base}/`);
    u.searchParams.set("window", window);
    u.searchParams.set("aggregate", "namespace");
    u.searchParams.set("accumulate", "true");
    return u.toString();
}

/** The namespaces' allocations from an `/allocation` answer (`{code, data: [{<ns>: {...}}]}`). */
export function allocationsOf(body: unknown): Map<string, Allocation> {
    const doc = body as { code?: number; data?: Record<string, Allocation>[]; message?: string };
    if (doc.code !== 200 || !Array.isArray(doc.data)) {
        throw new Error(
            `OpenCost answered code ${String(doc.code)}${doc.message ? `: ${doc.message}` : ""}`,
        );
    }
    const out = new Map<string, Allocation>();
    for (const set of doc.data) {
        for (const [ns, a] of Object.entries(set ?? {})) out.set(ns, a);
    }
    return out;
}

/** The `/assets` query: every asset of the window, in one set. */
export function assetsUrl(base: string, window: string): string {
    const u = new URL("assets", base.endsWith("/") ? base : `${base}/`);
    u.searchParams.set("window", window);
    return u.toString();
}

/**
 * The pool a node asset belongs to: the `mlops.dev/gpu-pool` node label (kube-state-metrics
 * exports it, components/observability/alerting.ts), which OpenCost keeps with the `label_`
 * prefix Prometheus gave it removed; nodes without it are the system pool's.
 */
function poolOfNode(labels: Record<string, string> | undefined): string {
    return labels?.mlops_dev_gpu_pool ?? labels?.label_mlops_dev_gpu_pool ?? "system";
}

interface PoolSum {
    names: Set<string>;
    nodeMinutes: number;
    cost: number;
    gpuCost: number;
}

/** Node assets per pool from an `/assets` answer (`{code, data: {<key>: asset}}`). */
export function nodePoolsOf(body: unknown): Map<string, PoolAssets> {
    const doc = body as { code?: number; data?: Record<string, unknown>; message?: string };
    if (doc.code !== 200 || doc.data === null || typeof doc.data !== "object") {
        throw new Error(
            `OpenCost answered code ${String(doc.code)}${doc.message ? `: ${doc.message}` : ""}`,
        );
    }
    const acc = new Map<string, PoolSum>();
    let longest = 0;
    let windowMinutes: number | undefined;
    for (const asset of Object.values(doc.data)) {
        const a = asset as {
            type?: string;
            properties?: { name?: string };
            labels?: Record<string, string>;
            minutes?: number;
            totalCost?: number;
            gpuCost?: number;
            window?: { start?: string; end?: string };
        };
        if (a?.type !== "Node") continue;
        const pool = poolOfNode(a.labels);
        const p: PoolSum = acc.get(pool) ?? {
            names: new Set(),
            nodeMinutes: 0,
            cost: 0,
            gpuCost: 0,
        };
        p.names.add(a.properties?.name ?? "");
        p.nodeMinutes += a.minutes ?? 0;
        p.cost += a.totalCost ?? 0;
        p.gpuCost += a.gpuCost ?? 0;
        acc.set(pool, p);
        longest = Math.max(longest, a.minutes ?? 0);
        const start = Date.parse(a.window?.start ?? "");
        const end = Date.parse(a.window?.end ?? "");
        if (end > start) windowMinutes = (end - start) / 60_000;
    }
    const minutes = windowMinutes ?? longest;
    const out = new Map<string, PoolAssets>();
    for (const [pool, p] of acc) {
        out.set(pool, {
            nodes: p.names.size,
            nodeMinutes: p.nodeMinutes,
            cost: round(p.cost),
            gpuCost: round(p.gpuCost),
            minutes,
        });
    }
    return out;
}

/** Each provisioned pool's range against its nodes' cost. */
export function poolActuals(
    config: PlatformConfig,
    pools: ReadonlyMap<string, PoolAssets>,
): PoolActual[] {
    return poolEstimates(config).map((e) => {
        const w = pools.get(e.pool);
        return {
            pool: e.pool,
            machine: e.machine,
            minimum: round(e.nodeHourly * e.minNodes * HOURS_PER_MONTH),
            maximum: round(e.nodeHourly * e.maxNodes * HOURS_PER_MONTH),
            ...(w
                ? {
                      window: w,
                      monthlyRate:
                          w.minutes > 0 ? round((w.cost * HOURS_PER_MONTH * 60) / w.minutes) : 0,
                      averageNodes:
                          w.minutes > 0 ? Math.round((w.nodeMinutes / w.minutes) * 10) / 10 : 0,
                  }
                : {}),
        };
    });
}

/** Each team's estimate against its allocation. */
export function teamActuals(
    config: PlatformConfig,
    allocations: ReadonlyMap<string, Allocation>,
): TeamActual[] {
    return teamCosts(config).map((t) => {
        const namespace = `team-${t.team}`;
        const a = allocations.get(namespace);
        return {
            team: t.team,
            namespace,
            ...(t.monthly === undefined ? {} : { estimate: t.monthly }),
            ...(a
                ? {
                      window: {
                          minutes: a.minutes,
                          cost: round(a.totalCost),
                          gpuCost: round(a.gpuCost),
                      },
                      monthlyRate:
                          a.minutes > 0
                              ? round((a.totalCost * HOURS_PER_MONTH * 60) / a.minutes)
                              : 0,
                  }
                : {}),
        };
    });
}

const money = (x?: number) => (x === undefined ? "-" : `$${x.toFixed(2)}`);

/** The table. */
export function renderActuals(rows: readonly TeamActual[], window: string): string {
    const header = [
        "team",
        "quota at full use",
        `actual (${window})`,
        "of which GPU",
        "monthly rate",
        "of quota",
    ];
    const body = rows.map((r) => [
        r.team,
        money(r.estimate),
        r.window ? money(r.window.cost) : "no allocation",
        money(r.window?.gpuCost),
        money(r.monthlyRate),
        r.estimate && r.monthlyRate !== undefined
            ? `${Math.round((100 * r.monthlyRate) / r.estimate)}%`
            : "-",
    ]);
    return table(header, body);
}

/** The pools' table. */
export function renderPoolActuals(rows: readonly PoolActual[], window: string): string {
    const header = [
        "pool",
        "at minimum",
        "at maximum",
        `actual (${window})`,
        "monthly rate",
        "nodes on average",
    ];
    const body = rows.map((r) => [
        `${r.pool} (${r.machine})`,
        money(r.minimum),
        money(r.maximum),
        r.window ? money(r.window.cost) : "no nodes",
        money(r.monthlyRate),
        r.averageNodes === undefined ? "-" : String(r.averageNodes),
    ]);
    return table(header, body);
}

function table(header: readonly string[], body: readonly string[][]): string {
    const w = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const fmt = (r: readonly string[]) =>
        r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
    return [fmt(header), ...body.map(fmt)].join("\n");
}

interface Args {
    file: string;
    opencost: string;
    window: string;
}

function parseArgs(argv: readonly string[]): Args {
    let file: string | undefined;
    let opencost: string | undefined;
    let window = "7d";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack" || a === "--config") file = stackFileOf(a, value());
        else if (a === "--opencost") opencost = value();
        else if (a === "--window") window = value();
        else throw new UsageError(`unknown argument ${a}`);
    }
    if (!file) throw new UsageError("--stack or --config is required");
    if (!opencost || !/^https?:\/\//.test(opencost))
        throw new UsageError(
            `--opencost: got ${JSON.stringify(opencost ?? "")}; must be an http(s) URL`,
        );
    if (!/^[0-9]+[mhd]$/.test(window))
        throw new UsageError(
            `--window: got ${JSON.stringify(window)}; must be a duration such as 24h or 7d`,
        );
    return { file, opencost, window };
}

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
    let args: Args;
    let config: PlatformConfig;
    try {
        args = parseArgs(argv);
        config = loadConfig(readStackConfig(args.file).config);
    } catch (e) {
        if (e instanceof ConfigError || e instanceof StackFileError) {
            process.stderr.write(`${(e as Error).message}\n`);
            return 2;
        }
        process.stderr.write(
            `${(e as Error).message}\nusage: npm run cost:actuals -- --stack <name> --opencost <url> [--window 7d]\n`,
        );
        return 1;
    }
    const url = allocationUrl(args.opencost, args.window);
    let allocations: Map<string, Allocation>;
    try {
        const res = await fetch(url);
        allocations = allocationsOf(await res.json());
    } catch (e) {
        process.stderr.write(`${url}: ${(e as Error).message}\n`);
        return 1;
    }
    process.stdout.write(`${renderActuals(teamActuals(config, allocations), args.window)}\n`);
    if (poolEstimates(config).length === 0) return 0;
    const assets = assetsUrl(args.opencost, args.window);
    let pools: Map<string, PoolAssets>;
    try {
        const res = await fetch(assets);
        pools = nodePoolsOf(await res.json());
    } catch (e) {
        process.stderr.write(`${assets}: ${(e as Error).message}\n`);
        return 1;
    }
    process.stdout.write(`\n${renderPoolActuals(poolActuals(config, pools), args.window)}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code));
}
