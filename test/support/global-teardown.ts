/** jest globalTeardown: removes the run's plans (./global-setup.ts). */
import * as fs from "node:fs";
import { PLANS_ENV } from "./plan";

export default function globalTeardown(): void {
    const dir = process.env[PLANS_ENV];
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
