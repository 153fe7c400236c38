/**
 * jest globalSetup: a directory for this run's shared plans (see planCli in ./plan.ts), so
 * each stack is planned once per run however many test files read it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLAN_CACHE_ENV } from "./plan";

export default function globalSetup(): void {
    process.env[PLAN_CACHE_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-test-plans-"));
}
