/**
 * Imported by tools/bench.ts into each plan process it times: on exit, writes the process's
 * CPU time (user + system), peak RSS (process.resourceUsage) and the plan's phases
 * (lib/phases.ts) to MLOPS_BENCH_USAGE.
 */
import * as fs from "node:fs";
import { recordedPhases } from "./lib/phases";

const file = process.env.MLOPS_BENCH_USAGE;
if (file) {
    process.on("exit", () => {
        const u = process.resourceUsage();
        fs.writeFileSync(
            file,
            JSON.stringify({
                cpuUs: u.userCPUTime + u.systemCPUTime,
                maxRssKiB: u.maxRSS,
                phases: recordedPhases(),
            }),
        );
    });
}
