/**
 * Imported by tools/bench.ts into each plan process it times: on exit, writes the process's
 * CPU time (user + system) and peak RSS (process.resourceUsage) to MLOPS_BENCH_USAGE.
 */
import * as fs from "node:fs";

const file = process.env.MLOPS_BENCH_USAGE;
if (file) {
    process.on("exit", () => {
        const u = process.resourceUsage();
        fs.writeFileSync(
            file,
            JSON.stringify({ cpuUs: u.userCPUTime + u.systemCPUTime, maxRssKiB: u.maxRSS }),
        );
    });
}
