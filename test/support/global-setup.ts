/**
 * jest globalSetup: a directory for this run's shared plans (see planCli in ./plan.ts), so
 * each stack is planned once per run however many test files read it, and the platform stack
 * a team stack references once for all of them; and the run's plan server (./plan-server.ts),
 * which makes the plans that need no process of their own.
 */
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLAN_CACHE_ENV, PLAN_SERVER_ENV } from "./plan";
import { setPlanServer } from "./plan-server-process";

export default async function globalSetup(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-test-plans-"));
    process.env[PLAN_CACHE_ENV] = dir;
    // The platform plan a team stack's plan runs, shared by the team stacks (tools/plan.ts).
    process.env.MLOPS_PLAN_OUTPUTS_CACHE = dir;
    const socket = path.join(dir, "plan-server.sock");
    const server = fork(path.join(__dirname, "plan-server.ts"), [socket], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
        server.once("message", () => resolve());
        server.once("exit", (code) => reject(new Error(`the plan server exited ${code}`)));
    });
    setPlanServer(server);
    process.env[PLAN_SERVER_ENV] = socket;
}
