/** jest globalTeardown: removes this run's shared plans (./global-setup.ts). */
import * as fs from "node:fs";
import { PLAN_CACHE_ENV } from "./plan";

export default function globalTeardown(): void {
    const dir = process.env[PLAN_CACHE_ENV];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
