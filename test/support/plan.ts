/** Runs the offline plan as a user would, in a child process, and captures what it prints. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface PlanRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** `npm run plan -- <args>` without npm's own start-up. */
export function runPlanCli(...args: string[]): PlanRun {
    const r = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "tools", "plan.ts"), ...args],
        {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 60_000,
        },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes a stack config to a temporary `Pulumi.<name>.yaml` and returns its path. */
export function writeStackConfig(name: string, yamlText: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-plan-"));
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, yamlText);
    return file;
}

/** Every shipped stack config. */
export function shippedStacks(): string[] {
    return fs
        .readdirSync(ROOT)
        .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
        .map((f) => f.replace(/^Pulumi\.(.+)\.yaml$/, "$1"))
        .sort();
}
