/**
 * Where a plan process spends its CPU: `phase(name)` closes the phase that ran since the
 * previous mark (the first, `start-up`, since the process started) with its CPU time (user +
 * system, every thread) and wall time. Recorded only when npm run bench times the process
 * (MLOPS_BENCH_USAGE set); tools/bench-usage.ts writes them out with the process's totals.
 */
export interface Phase {
    readonly name: string;
    readonly cpuMs: number;
    readonly wallMs: number;
}

interface Marks {
    readonly phases: Phase[];
    cpuUs: number;
    wallMs: number;
}

/** Shared by every module instance in the process (bench-usage.ts loads as ESM, plan.ts as CJS). */
const KEY = Symbol.for("mlops-platform.plan-phases");

function marks(): Marks {
    const g = globalThis as { [KEY]?: Marks };
    return (g[KEY] ??= { phases: [], cpuUs: 0, wallMs: 0 });
}

/** Ends the running phase as `name`. */
export function phase(name: string): void {
    if (!process.env.MLOPS_BENCH_USAGE) return;
    const m = marks();
    const u = process.cpuUsage();
    const cpuUs = u.user + u.system;
    const wallMs = performance.now();
    m.phases.push({
        name,
        cpuMs: Math.round((cpuUs - m.cpuUs) / 1000),
        wallMs: Math.round(wallMs - m.wallMs),
    });
    m.cpuUs = cpuUs;
    m.wallMs = wallMs;
}

/** The phases recorded so far, in order. */
export function recordedPhases(): readonly Phase[] {
    return marks().phases;
}
