/**
 * npm run bench: measures what the project promises to keep fast and cheap.
 *   - offline plan time of every shipped stack (median of 3 runs, whole process)
 *   - resources planned and the estimated monthly cost (idle and max, on demand)
 *   - install footprint (node_modules) and the program's own source size
 * Prints a table, then one JSON line for trend tracking.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
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

const stacks = fs
    .readdirSync(ROOT)
    .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
    .map((f) => f.slice("Pulumi.".length, -".yaml".length))
    .sort();

const rows = stacks.map((stack) => {
    const times: number[] = [];
    let doc: { resources: unknown[]; cost: { total: Record<string, number> } } | undefined;
    for (let i = 0; i < RUNS; i++) {
        const start = process.hrtime.bigint();
        const r = spawnSync(
            process.execPath,
            ["--import", "tsx", path.join(ROOT, "tools", "plan.ts"), "--stack", stack, "--json"],
            {
                cwd: ROOT,
                encoding: "utf8",
                maxBuffer: 64 * 1024 * 1024,
            },
        );
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (r.status !== 0) throw new Error(`plan of ${stack} exited ${r.status}: ${r.stderr}`);
        doc = JSON.parse(r.stdout);
    }
    times.sort((a, b) => a - b);
    return {
        stack,
        planMs: Math.round(times[Math.floor(times.length / 2)]),
        resources: doc!.resources.length,
        idleUsd: doc!.cost.total.idleOnDemand,
        maxUsd: doc!.cost.total.maxOnDemand,
    };
});

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
process.stdout.write(`stack        plan ms  resources  idle $/mo   max $/mo\n`);
for (const r of rows) {
    process.stdout.write(
        `${r.stack.padEnd(10)} ${pad(r.planMs, 9)} ${pad(r.resources, 10)} ${pad(r.idleUsd.toFixed(2), 11)} ${pad(r.maxUsd.toFixed(2), 10)}\n`,
    );
}
process.stdout.write(
    `footprint: node_modules ${footprint.nodeModulesMiB} MiB, source ${footprint.sourceKiB} KiB\n`,
);
process.stdout.write(JSON.stringify({ runs: RUNS, stacks: rows, footprint }) + "\n");
