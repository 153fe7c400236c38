/**
 * npm run bench: reports, as information (no targets, no pass or fail):
 *   - the offline plan of every shipped stack: wall time, CPU time (user + system) and peak
 *     RSS of the whole plan process, resources planned and the estimated monthly cost
 *   - what each extra team costs: the GCP platform (Pulumi.gcp.yaml) planned with several
 *     counts of inline teams, and the slope of a least-squares fit of CPU time and peak RSS
 *   - the SDK's own cost per resource (tools/bench-sdk.ts), the part of each team's time the
 *     project's code does not spend
 *   - install footprint (node_modules) and the program's own source size
 * Prints tables, then one JSON line for trend tracking. BENCH_RUNS (default 3): runs per
 * point, the median is reported. BENCH_TEAMS=0 skips the teams and the SDK's cost.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function dirBytes(dir: string, skip: (p: string) => boolean = () => false): number {
    let total = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (skip(p)) continue;
        if (entry.isDirectory()) total += dirBytes(p, skip);
        else if (entry.isFile()) total += fs.statSync(p).size;
    }
    return total;
}

/** One plan process: wall ms, CPU ms (user + system) and peak RSS, from the process itself. */
interface Sample {
    wallMs: number;
    cpuMs: number;
    rssMiB: number;
    stdout: string;
}

function planOnce(args: readonly string[]): Sample {
    const usage = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlops-bench-")), "usage.json");
    const start = process.hrtime.bigint();
    const r = spawnSync(
        process.execPath,
        [
            "--import",
            "tsx",
            "--import",
            path.join(ROOT, "tools", "bench-usage.ts"),
            path.join(ROOT, "tools", "plan", "cli.ts"),
            ...args,
            "--json",
        ],
        {
            cwd: ROOT,
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
            env: { ...process.env, MLOPS_BENCH_USAGE: usage },
        },
    );
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`plan ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    const u = JSON.parse(fs.readFileSync(usage, "utf8")) as {
        cpuUs: number;
        maxRssKiB: number;
    };
    fs.rmSync(path.dirname(usage), { recursive: true, force: true });
    return {
        wallMs,
        cpuMs: u.cpuUs / 1000,
        rssMiB: u.maxRssKiB / 1024,
        stdout: r.stdout,
    };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median of RUNS plans, each figure apart. */
function planMedian(args: readonly string[]): Sample {
    const samples = Array.from({ length: RUNS }, () => planOnce(args));
    return {
        wallMs: median(samples.map((s) => s.wallMs)),
        cpuMs: median(samples.map((s) => s.cpuMs)),
        rssMiB: median(samples.map((s) => s.rssMiB)),
        stdout: samples[samples.length - 1].stdout,
    };
}

/**
 * What the SDK alone costs per resource (tools/bench-sdk.ts: plain ConfigMaps through the
 * mocks and the recording, in a process of their own), as the slope between two counts.
 */
function sdkFloor() {
    const run = (n: number) => {
        const samples = Array.from({ length: RUNS }, () => {
            const r = spawnSync(
                process.execPath,
                ["--import", "tsx", path.join(ROOT, "tools", "bench-sdk.ts"), String(n)],
                { cwd: ROOT, encoding: "utf8" },
            );
            if (r.status !== 0) throw new Error(`bench-sdk ${n} exited ${r.status}: ${r.stderr}`);
            return JSON.parse(r.stdout) as { resources: number; cpuMs: number };
        });
        return { n: samples[0].resources, cpuMs: median(samples.map((s) => s.cpuMs)) };
    };
    const points = [run(1000), run(5000)];
    return {
        points,
        cpuMsPerResource: (points[1].cpuMs - points[0].cpuMs) / (points[1].n - points[0].n),
    };
}

/** Pulumi.gcp.yaml with `n` inline CPU-only teams in place of its own. */
function gcpWithTeams(dir: string, n: number): string {
    const text = fs.readFileSync(path.join(ROOT, "Pulumi.gcp.yaml"), "utf8");
    const at = text.indexOf("\n  mlops:teams:");
    if (at < 0) throw new Error("Pulumi.gcp.yaml: no mlops:teams to replace");
    const teams = Array.from(
        { length: n },
        (_, i) =>
            `    - name: team${i}\n      members: [group:team${i}@example.com]\n` +
            `      quota: { cpu: 8, memory: 32Gi, gpu: 0 }\n`,
    ).join("");
    const file = path.join(dir, `Pulumi.gcp-${n}-teams.yaml`);
    fs.writeFileSync(file, `${text.slice(0, at)}\n  mlops:teams:\n${teams}`);
    return file;
}

/** Least-squares slope and intercept of y over x. */
function fit(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
    const n = points.length;
    const mx = points.reduce((a, p) => a + p.x, 0) / n;
    const my = points.reduce((a, p) => a + p.y, 0) / n;
    const slope =
        points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) /
        points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
    return { slope, intercept: my - slope * mx };
}

const stacks = fs
    .readdirSync(ROOT)
    .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
    .map((f) => f.slice("Pulumi.".length, -".yaml".length))
    .sort();

const rows = stacks.map((stack) => {
    const m = planMedian(["--stack", stack]);
    const doc = JSON.parse(m.stdout) as {
        resources: unknown[];
        cost: { total: Record<string, number> };
    };
    return {
        stack,
        planMs: Math.round(m.wallMs),
        cpuMs: Math.round(m.cpuMs),
        rssMiB: Math.round(m.rssMiB),
        resources: doc.resources.length,
        idleUsd: doc.cost.total.idleOnDemand,
        maxUsd: doc.cost.total.maxOnDemand,
    };
});

/** What each extra team costs: GCP with several team counts, and the SDK's own share. */
function teamSlope() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-bench-teams-"));
    try {
        const counts = [10, 40, 70, 100];
        const points = counts.map((n) => {
            const m = planMedian(["--config", gcpWithTeams(dir, n)]);
            const resources = (JSON.parse(m.stdout) as { resources: unknown[] }).resources.length;
            return { n, resources, ...m };
        });
        const cpu = fit(points.map((p) => ({ x: p.n, y: p.cpuMs })));
        const rss = fit(points.map((p) => ({ x: p.n, y: p.rssMiB })));
        const first = points[0];
        const last = points[points.length - 1];
        const resourcesPerTeam = (last.resources - first.resources) / (last.n - first.n);
        const sdk = sdkFloor();
        const round2 = (x: number) => Math.round(x * 100) / 100;
        return {
            points: points.map((p) => ({
                teams: p.n,
                resources: p.resources,
                cpuMs: Math.round(p.cpuMs),
                wallMs: Math.round(p.wallMs),
                rssMiB: Math.round(p.rssMiB),
            })),
            perTeam: {
                cpuMs: round2(cpu.slope),
                rssMiB: round2(rss.slope),
                resources: resourcesPerTeam,
            },
            // The SDK's own registration cost, what the program cannot go below.
            sdk: {
                points: sdk.points,
                cpuMsPerResource: Math.round(sdk.cpuMsPerResource * 1000) / 1000,
                cpuMsPerTeam: round2(sdk.cpuMsPerResource * resourcesPerTeam),
            },
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
const teams = process.env.BENCH_TEAMS === "0" ? undefined : teamSlope();

const footprint = {
    nodeModulesMiB: Math.round(dirBytes(path.join(ROOT, "node_modules")) / 2 ** 20),
    sourceKiB: Math.round(
        dirBytes(
            ROOT,
            (p) => /node_modules|\.git$|[\\/]bin$/.test(p) || p.endsWith("package-lock.json"),
        ) / 1024,
    ),
};

const pad = (s: string | number, n: number) => String(s).padStart(n);
process.stdout.write(`stack        plan ms   CPU ms  RSS MiB  resources  idle $/mo   max $/mo\n`);
for (const r of rows) {
    process.stdout.write(
        `${r.stack.padEnd(10)} ${pad(r.planMs, 9)} ${pad(r.cpuMs, 8)} ${pad(r.rssMiB, 8)} ${pad(r.resources, 10)} ${pad(r.idleUsd.toFixed(2), 11)} ${pad(r.maxUsd.toFixed(2), 10)}\n`,
    );
}
if (teams) {
    process.stdout.write(`\nGCP + N inline teams  resources   CPU ms  wall ms  RSS MiB\n`);
    for (const p of teams.points) {
        process.stdout.write(
            `${String(p.teams).padEnd(20)} ${pad(p.resources, 10)} ${pad(p.cpuMs, 8)} ${pad(p.wallMs, 8)} ${pad(p.rssMiB, 8)}\n`,
        );
    }
    process.stdout.write(
        `each extra team: ${teams.perTeam.resources} resources, ${teams.perTeam.cpuMs} CPU ms, ` +
            `${teams.perTeam.rssMiB} MiB (least-squares slope)\n`,
    );
    const floor = teams.sdk.points.map((p) => `${p.n} resources: ${p.cpuMs} ms`).join(", ");
    process.stdout.write(
        `\nSDK's own cost: a plain ConfigMap through the SDK's mocks and the recording costs ` +
            `${teams.sdk.cpuMsPerResource} CPU ms (${floor}), so ${teams.sdk.cpuMsPerTeam} ms ` +
            `of each team's time is the SDK's own.\n`,
    );
}
process.stdout.write(
    `footprint: node_modules ${footprint.nodeModulesMiB} MiB, source ${footprint.sourceKiB} KiB\n`,
);
process.stdout.write(JSON.stringify({ runs: RUNS, stacks: rows, teams, footprint }) + "\n");
