/**
 * jest globalSetup: plans every shipped stack once for the whole run, each in a plan process of
 * its own (as many at a time as the machine has cores, at most two), and keeps what each printed
 * in a file the test files read (shippedStackPlan in ./plan.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    PLANS_ENV,
    RENDER_DIR_ENV,
    planCliAsync,
    shippedStackArgs,
    shippedStackFile,
    shippedStacks,
} from "./plan";

export default async function globalSetup(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-test-plans-"));
    // Read by the test files: jest starts its workers after this, with this environment.
    process.env[PLANS_ENV] = dir;
    process.env[RENDER_DIR_ENV] ||= path.join(dir, "render");
    const queue = shippedStacks();
    const planNext = async (): Promise<void> => {
        for (let stack = queue.shift(); stack; stack = queue.shift()) {
            const run = await planCliAsync(shippedStackArgs(stack));
            fs.writeFileSync(shippedStackFile(stack), JSON.stringify(run));
        }
    };
    const parallel = Math.min(2, os.availableParallelism());
    await Promise.all(Array.from({ length: parallel }, planNext));
}
