/**
 * jest globalSetup: a directory for this run's shared plans (see planCli in ./plan.ts), so
 * each stack is planned once per run however many test files read it, and the platform stack
 * a team stack references once for all of them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLAN_CACHE_ENV } from "./plan";

export default function globalSetup(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-test-plans-"));
    process.env[PLAN_CACHE_ENV] = dir;
    // The platform plan a team stack's plan runs, shared by the team stacks (tools/plan.ts).
    process.env.MLOPS_PLAN_OUTPUTS_CACHE = dir;
}
