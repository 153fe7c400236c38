/**
 * npm run bench: measures what the project promises to keep fast and cheap.
 *   - offline plan time of every shipped stack (median of 3 runs, whole process)
 *   - resources planned and the estimated monthly cost (idle and max, on demand)
 *   - install footprint (node_modules) and the program's own source size
 *   - the plan's targets, as CPU time (user + system) and wall time of the whole plan
 *     process: the GCP platform (Pulumi.gcp.yaml) with 10 inline teams under 2 CPU-s; each
 *     extra team under 20 ms (the slope of a least-squares fit over several team counts);
 *     200 teams under 6 CPU-s and 400 MiB peak RSS
 *   - where a plan's CPU goes: the phases of tools/plan.ts (lib/phases.ts) at 10 and 200 teams
 *     and per extra team, and the SDK's own cost per resource (tools/bench-sdk.ts)
 * Prints tables, then one JSON line for trend tracking. BENCH_RUNS (default 3): runs per
 * point, the median is reported. BENCH_TEAMS=0 skips the team targets.
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

/** A phase of a plan process (lib/phases.ts). */
interface Phase {
    name: string;
    cpuMs: number;
    wallMs: number;
}

/** One plan process: wall ms, CPU ms (user + system) and peak RSS, from the process itself. */
interface Sample {
    wallMs: number;
    cpuMs: number;
    rssMiB: number;
    phases: Phase[];
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
            path.join(ROOT, "tools", "plan.ts"),
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
        phases: Phase[];
    };
    fs.rmSync(path.dirname(usage), { recursive: true, force: true });
    return {
        wallMs,
        cpuMs: u.cpuUs / 1000,
        rssMiB: u.maxRssKiB / 1024,
        phases: u.phases,
        stdout: r.stdout,
    };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median of RUNS plans, each figure apart (each phase's too). */
function planMedian(args: readonly string[]): Sample {
    const samples = Array.from({ length: RUNS }, () => planOnce(args));
    return {
        wallMs: median(samples.map((s) => s.wallMs)),
        cpuMs: median(samples.map((s) => s.cpuMs)),
        rssMiB: median(samples.map((s) => s.rssMiB)),
        phases: samples[0].phases.map((p, i) => ({
            name: p.name,
            cpuMs: median(samples.map((s) => s.phases[i].cpuMs)),
            wallMs: median(samples.map((s) => s.phases[i].wallMs)),
        })),
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

/** The plan targets: GCP with 10 teams, the marginal cost of a team, 200 teams. */
function teamTargets() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-bench-teams-"));
    try {
        const counts = [10, 40, 70, 100];
        const points = counts.map((n) => ({
            n,
            ...planMedian(["--config", gcpWithTeams(dir, n)]),
        }));
        const cpu = fit(points.map((p) => ({ x: p.n, y: p.cpuMs })));
        const rss = fit(points.map((p) => ({ x: p.n, y: p.rssMiB })));
        const large = planMedian(["--config", gcpWithTeams(dir, 200)]);
        const ten = points[0];
        const resourcesOf = (s: Sample) =>
            (JSON.parse(s.stdout) as { resources: unknown[] }).resources.length;
        const resourcesPerTeam = (resourcesOf(large) - resourcesOf(ten)) / 190;
        const sdk = sdkFloor();
        return {
            points: points.map((p) => ({
                teams: p.n,
                cpuMs: Math.round(p.cpuMs),
                wallMs: Math.round(p.wallMs),
                rssMiB: Math.round(p.rssMiB),
            })),
            // Where the CPU goes, 10 teams against 200: the phases of plan.ts, and what each
            // extra team adds to each.
            phases: ten.phases.map((p, i) => ({
                name: p.name,
                teams10CpuMs: p.cpuMs,
                teams200CpuMs: large.phases[i].cpuMs,
                perTeamCpuMs: Math.round(((large.phases[i].cpuMs - p.cpuMs) / 190) * 100) / 100,
            })),
            resourcesPerTeam,
            // The SDK's own registration cost, what the program phase cannot go below.
            sdk: {
                points: sdk.points,
                cpuMsPerResource: Math.round(sdk.cpuMsPerResource * 1000) / 1000,
                cpuMsPerTeam: Math.round(sdk.cpuMsPerResource * resourcesPerTeam * 100) / 100,
            },
            targets: [
                { what: "GCP + 10 teams, CPU s", target: 2, measured: ten.cpuMs / 1000 },
                { what: "GCP + 10 teams, wall s", target: 2, measured: ten.wallMs / 1000 },
                { what: "each extra team, CPU ms", target: 20, measured: cpu.slope },
                { what: "each extra team, MiB", target: undefined, measured: rss.slope },
                { what: "GCP + 200 teams, CPU s", target: 6, measured: large.cpuMs / 1000 },
                { what: "GCP + 200 teams, wall s", target: 6, measured: large.wallMs / 1000 },
                { what: "GCP + 200 teams, peak RSS MiB", target: 400, measured: large.rssMiB },
            ].map((t) => ({
                ...t,
                measured: Math.round(t.measured * 100) / 100,
                met: t.target === undefined ? null : t.measured < t.target,
            })),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
const teams = process.env.BENCH_TEAMS === "0" ? undefined : teamTargets();

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
    process.stdout.write(`\nGCP + N inline teams    CPU ms  wall ms  RSS MiB\n`);
    for (const p of teams.points) {
        process.stdout.write(
            `${String(p.teams).padEnd(20)} ${pad(p.cpuMs, 9)} ${pad(p.wallMs, 8)} ${pad(p.rssMiB, 8)}\n`,
        );
    }
    process.stdout.write(`\ntarget                           target  measured\n`);
    for (const t of teams.targets) {
        const verdict = t.met === null ? "" : t.met ? "  met" : "  NOT MET";
        process.stdout.write(
            `${t.what.padEnd(30)} ${pad(t.target === undefined ? "-" : `< ${t.target}`, 8)} ${pad(t.measured, 9)}${verdict}\n`,
        );
    }
    process.stdout.write(`\nplan phase (CPU ms)    10 teams  200 teams  per extra team\n`);
    for (const p of teams.phases) {
        process.stdout.write(
            `${p.name.padEnd(20)} ${pad(p.teams10CpuMs, 10)} ${pad(p.teams200CpuMs, 10)} ${pad(p.perTeamCpuMs.toFixed(2), 15)}\n`,
        );
    }
    const floor = teams.sdk.points.map((p) => `${p.n} resources: ${p.cpuMs} ms`).join(", ");
    process.stdout.write(
        `\nSDK floor: a plain ConfigMap through the SDK's mocks and the recording costs ` +
            `${teams.sdk.cpuMsPerResource} CPU ms (${floor}); a team is ` +
            `${teams.resourcesPerTeam} resources, so ${teams.sdk.cpuMsPerTeam} ms of each ` +
            `team's program phase is the SDK's own.\n`,
    );
}
process.stdout.write(
    `footprint: node_modules ${footprint.nodeModulesMiB} MiB, source ${footprint.sourceKiB} KiB\n`,
);
process.stdout.write(JSON.stringify({ runs: RUNS, stacks: rows, teams, footprint }) + "\n");
