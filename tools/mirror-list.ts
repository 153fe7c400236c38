/**
 * npm run -s mirror:list -- --stack <name> | --config <Pulumi.x.yaml> [--json]
 *
 * What a stack needs from a chart and image mirror (`mlops:mirror`, docs/mirror.md): every
 * chart it installs (name, version, upstream source, and where the mirror must hold it) and
 * every image it runs (upstream reference → mirror reference). Derived from the offline plan
 * of the stack (the real program under mocks, `tools/plan/cli.ts --json`): the Helm releases and
 * every container it declares, plus the images each installed chart runs as versions.ts pins
 * them (`chartImages`, which the components set in the charts' values). Sorted, de-duplicated.
 * The plan runs in this process (a team stack's platform stack in a child, as the plan does).
 *
 * Exit 0: listed. 1: listed, but something the stack sets is not pinned in versions.ts or
 * lies outside the mirror (on stderr); or bad arguments. 2: invalid config or stack file.
 */
import * as fs from "node:fs";
import {
    Mirror,
    canonicalImage,
    chartName,
    chartSource,
    formatImage,
    mirrorTarget,
} from "../components/mirror";
import { ChartPin, chartImages, charts, images } from "../components/versions";
import { ConfigError, loadConfig } from "../stacks/config";
import { PlanConfigError, runPlan } from "./plan/run";
import { SecretValue } from "./plan/recorder";
import { StackConfig, StackFileError, readStackConfig, stackFileOf } from "./plan/stack-config";
import { clusterObjects } from "./plan/cli";

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** One chart to mirror. */
export interface ChartEntry {
    readonly name: string;
    readonly version: string;
    /** Upstream: a repository URL holding `name`, or the chart's `oci://` reference. */
    readonly source: string;
    /** In the mirror: the repository URL holding `name`, or the chart's `oci://` reference. */
    readonly target?: string;
}

/** One image to mirror: fully qualified upstream reference → mirror reference. */
export interface ImageEntry {
    readonly source: string;
    readonly target?: string;
}

/** What a stack needs from its mirror. */
export interface MirrorListing {
    readonly mirror: Mirror;
    readonly charts: ChartEntry[];
    readonly images: ImageEntry[];
    /** What the stack sets that is not pinned in versions.ts or not in the mirror. */
    readonly problems: string[];
}

/** A resource as the plan records it (in process, or from `plan --json`). */
export interface PlannedResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
}

/** Every pinned image reference, by key (`images` and each chart's `chartImages`). */
function pinnedImages(): string[] {
    return [
        ...Object.values(images),
        ...Object.values(chartImages).flatMap((byRole) => Object.values(byRole)),
    ];
}

/** Every container (an object with a string `name` and `image`) anywhere in `value`. */
function containerImages(value: unknown, found: string[] = []): string[] {
    if (value instanceof SecretValue) return containerImages(value.value, found);
    if (Array.isArray(value)) value.forEach((v) => containerImages(v, found));
    else if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (typeof o.name === "string" && typeof o.image === "string") found.push(o.image);
        Object.values(o).forEach((v) => containerImages(v, found));
    }
    return found;
}

/**
 * Every image a chart's values give as parts (an object with string `registry`, `repository`
 * and `tag`) anywhere in `value`, as `registry/repository:tag`: an image a component sets in
 * place of one of the chart's own (Google's Prometheus build on gcp's managed backend).
 */
function partImages(value: unknown, found: string[] = []): string[] {
    if (value instanceof SecretValue) return partImages(value.value, found);
    if (Array.isArray(value)) value.forEach((v) => partImages(v, found));
    else if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        const { registry, repository, tag } = o;
        if (
            typeof registry === "string" &&
            typeof repository === "string" &&
            typeof tag === "string"
        )
            found.push(`${registry}/${repository}:${tag}`);
        Object.values(o).forEach((v) => partImages(v, found));
    }
    return found;
}

/** A chart pinned in versions.ts, by its key there. */
function pinOf(name: string, version: string): [keyof typeof charts, ChartPin] | undefined {
    const found = Object.entries(charts).find(
        ([, pin]) => chartName(pin) === name && pin.version === version,
    );
    return found as [keyof typeof charts, ChartPin] | undefined;
}

/** Where a chart lives: a repository URL, or the chart's own `oci://` reference. */
function chartLocation(chart: string, repo: string | undefined): string {
    return repo ? repo : chart;
}

/**
 * The listing of a planned stack. Sources are canonical references
 * (`docker.io/library/postgres:18.6`); targets follow components/mirror.ts `mirrorTarget`.
 */
export function mirrorListing(
    resources: readonly PlannedResource[],
    mirror: Mirror = {},
): MirrorListing {
    const problems: string[] = [];
    const chartEntries = new Map<string, ChartEntry>();
    const imageEntries = new Map<string, ImageEntry>();
    const target = (ref: string) =>
        mirror.images ? formatImage(mirrorTarget(ref, mirror.images)) : undefined;
    const addImage = (ref: string) => {
        const source = formatImage(canonicalImage(ref));
        imageEntries.set(source, { source, ...(mirror.images ? { target: target(ref) } : {}) });
    };

    // What each pinned image is called in the program's inputs: itself, or its mirror target.
    const bySetReference = new Map<string, string>();
    for (const ref of pinnedImages()) bySetReference.set(target(ref) ?? ref, ref);

    for (const r of resources) {
        if (r.type === RELEASE) {
            const chart = String(r.inputs.chart);
            const version = String(r.inputs.version);
            const repo = (r.inputs.repositoryOpts as { repo?: string } | undefined)?.repo;
            const name = chartName({ chart });
            const pinned = pinOf(name, version);
            if (!pinned) {
                problems.push(
                    `${r.name}: chart ${name} ${version} is not pinned in components/versions.ts`,
                );
                continue;
            }
            const [key, pin] = pinned;
            const expected = chartSource(pin, mirror);
            if (chart !== expected.chart || repo !== expected.repositoryOpts?.repo) {
                const from = (c: string, url?: string) => (url ? `${c} from ${url}` : c);
                problems.push(
                    `${r.name}: installs ${from(chart, repo)}, expected ` +
                        from(expected.chart, expected.repositoryOpts?.repo),
                );
            }
            chartEntries.set(`${name} ${version}`, {
                name,
                version,
                source: chartLocation(pin.chart, pin.repo || undefined),
                ...(mirror.charts ? { target: chartLocation(chart, repo) } : {}),
            });
            const byRole: Record<string, string> =
                (chartImages as Partial<Record<string, Record<string, string>>>)[key] ?? {};
            Object.values(byRole).forEach(addImage);
            // Pinned images outside the chart's own set; any other parts are the chart's.
            for (const set of partImages(r.inputs.values)) {
                const ref = bySetReference.get(set);
                if (ref !== undefined) addImage(ref);
            }
        }
        for (const set of containerImages(r.inputs)) {
            const ref = bySetReference.get(set);
            if (ref === undefined) {
                problems.push(
                    mirror.images && !set.startsWith(`${mirror.images.replace(/\/+$/, "")}/`)
                        ? `${r.name}: image ${set} is outside the mirror ${mirror.images}`
                        : `${r.name}: image ${set} is not pinned in components/versions.ts`,
                );
                continue;
            }
            addImage(ref);
        }
    }
    const byKey = <T>(m: Map<string, T>) =>
        [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    return {
        mirror,
        charts: byKey(chartEntries),
        images: byKey(imageEntries),
        problems: [...new Set(problems)],
    };
}

/** The listing as text: one chart or image a line, source → target when a mirror is set. */
export function renderListing(stack: string, listing: MirrorListing): string {
    const m = listing.mirror;
    const pad = (rows: string[][]) => {
        const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
        return rows.map(
            (r) =>
                "  " +
                r
                    .map((c, i) => c.padEnd(widths[i]))
                    .join("  ")
                    .trimEnd(),
        );
    };
    const lines = [
        `Mirror listing of stack ${stack}`,
        `mlops:mirror.charts: ${m.charts ?? "not set (charts come from upstream)"}`,
        `mlops:mirror.images: ${m.images ?? "not set (images come from upstream)"}`,
        "",
        `Charts (${listing.charts.length}): name, version, upstream${m.charts ? " → mirror" : ""}`,
        ...pad(
            listing.charts.map((c) => [
                c.name,
                c.version,
                c.source,
                ...(c.target ? ["→", c.target] : []),
            ]),
        ),
        "",
        `Images (${listing.images.length}): upstream${m.images ? " → mirror" : ""}`,
        ...pad(listing.images.map((i) => [i.source, ...(i.target ? ["→", i.target] : [])])),
    ];
    return lines.join("\n") + "\n";
}

/** Bad arguments: the message and the usage line on stderr, exit 1. */
class UsageError extends Error {}

function usage(message: string): never {
    throw new UsageError(
        `${message}\nusage: npm run -s mirror:list -- (--stack <name> | --config <Pulumi.x.yaml>) [--json]`,
    );
}

function parseArgs(argv: readonly string[]): { file: string; json: boolean } {
    let file: string | undefined;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") json = true;
        else if (a === "--stack" || a === "--config") {
            const v = argv[++i];
            if (!v) usage(`${a} needs a value`);
            if (file) usage("give one of --stack or --config");
            file = stackFileOf(a, v);
        } else usage(`unknown argument: ${a}`);
    }
    if (!file) usage("give --stack or --config");
    if (!fs.existsSync(file)) usage(`no such stack config: ${file}`);
    return { file, json };
}

/**
 * The mirror:list command: what `npm run -s mirror:list -- <argv>` prints (on this process's
 * stdout and stderr) and the exit code it ends with. The stack's offline plan runs in this
 * process, as `npm run plan` plans it (a team stack's platform stack in a child).
 */
export async function mirrorListCommand(argv: readonly string[]): Promise<number> {
    let args: { file: string; json: boolean };
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`${e.message}\n`);
        return 1;
    }
    let stack: StackConfig;
    let config: ReturnType<typeof loadConfig>;
    let resources: PlannedResource[];
    try {
        stack = readStackConfig(args.file);
        config = loadConfig(stack.config);
        resources = (await runPlan(stack, undefined, clusterObjects(config, args.file))).resources;
    } catch (e) {
        if (!(
            e instanceof ConfigError ||
            e instanceof StackFileError ||
            e instanceof PlanConfigError
        ))
            throw e;
        process.stderr.write(`${e.message}\n`);
        return 2;
    }
    const mirror: Mirror = config.mirror ?? {};
    const listing = mirrorListing(resources, mirror);
    process.stdout.write(
        args.json
            ? JSON.stringify({ stack: stack.stack, ...listing }, null, 2) + "\n"
            : renderListing(stack.stack, listing),
    );
    for (const p of listing.problems) process.stderr.write(`problem: ${p}\n`);
    return listing.problems.length > 0 ? 1 : 0;
}

if (require.main === module)
    mirrorListCommand(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(1);
        },
    );
