/** jest globalTeardown: stops the plan server and removes this run's shared plans (./global-setup.ts). */
import * as fs from "node:fs";
import { PLAN_CACHE_ENV } from "./plan";
import { planServer } from "./plan-server-process";

export default async function globalTeardown(): Promise<void> {
    const server = planServer();
    if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.disconnect();
        await exited;
    }
    const dir = process.env[PLAN_CACHE_ENV];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
