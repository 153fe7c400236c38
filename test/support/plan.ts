/**
 * The offline plan as a user runs it, in a child process, with what it printed; and the test
 * run's one plan of each shipped stack, which ./global-setup.ts makes before any test file runs.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

/** The plan command's entry point (`npm run plan`). */
const PLAN = path.join(ROOT, "tools", "plan", "cli.ts");

export interface PlanRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /**
     * The cloud SDKs in the plan process's module cache when it exited, sorted:
     * `["@pulumi/gcp"]`; null if it exited without saying.
     */
    readonly loadedSdks: string[] | null;
}

/**
 * Loaded before the plan: when the process exits, writes the cloud SDKs in Node's module
 * cache to the file named by MLOPS_TEST_SDKS_FILE. It prints nothing.
 */
const SDK_RECORDER =
    "data:text/javascript," +
    encodeURIComponent(String.raw`
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
const cache = createRequire(process.cwd() + "/").cache; // Node's one module cache
process.on("exit", () => {
    const sdks = new Set();
    for (const file of Object.keys(cache)) {
        const m = /node_modules[\\/](@pulumi[\\/](?:gcp|aws|azure-native|eks|awsx))[\\/]/.exec(file);
        if (m) sdks.add(m[1].replace("\\", "/"));
    }
    writeFileSync(process.env.MLOPS_TEST_SDKS_FILE, JSON.stringify([...sdks].sort()));
});
`);

/** Node's arguments and environment for `npm run plan -- <args>`, and how to read the SDKs. */
function planProcess(args: readonly string[]) {
    const sdksDir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-sdks-"));
    const sdksFile = path.join(sdksDir, "sdks.json");
    return {
        argv: ["--import", SDK_RECORDER, "--import", "tsx", PLAN, ...args],
        env: { ...process.env, MLOPS_TEST_SDKS_FILE: sdksFile },
        loadedSdks(): string[] | null {
            const sdks = fs.existsSync(sdksFile)
                ? (JSON.parse(fs.readFileSync(sdksFile, "utf8")) as string[])
                : null;
            fs.rmSync(sdksDir, { recursive: true, force: true });
            return sdks;
        },
    };
}

/** `npm run plan -- <args>` without npm's own start-up. */
export function planCli(...args: string[]): PlanRun {
    const p = planProcess(args);
    const r = spawnSync(process.execPath, p.argv, {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
        maxBuffer: 256 * 1024 * 1024,
        env: p.env,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, loadedSdks: p.loadedSdks() };
}

/** {@link planCli} without blocking, for ./global-setup.ts, which runs several at once. */
export function planCliAsync(args: readonly string[]): Promise<PlanRun> {
    const p = planProcess(args);
    const child = spawn(process.execPath, p.argv, { cwd: ROOT, env: p.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    return new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (status) =>
            resolve({
                status,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
                loadedSdks: p.loadedSdks(),
            }),
        );
    });
}

/** `npm run -s mirror:list -- <args>`: its exit code and output, from a process of its own. */
export function mirrorListCli(...args: string[]): Omit<PlanRun, "loadedSdks"> {
    const r = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "tools", "mirror-list.ts"), ...args],
        { cwd: ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The directory of this run's shipped-stack plans, set by ./global-setup.ts. */
export const PLANS_ENV = "MLOPS_TEST_PLANS";

/**
 * Where the run's plans render each shipped stack's manifests: `$MLOPS_TEST_RENDER_DIR/<stack>`.
 * .ci/run sets it, and its kube-score scan reads the manifests there; otherwise
 * ./global-setup.ts sets it to a directory beside the run's plans.
 */
export const RENDER_DIR_ENV = "MLOPS_TEST_RENDER_DIR";

/** The directory the run's plan of `stack` rendered its manifests into. */
export function renderDir(stack: string): string {
    const base = process.env[RENDER_DIR_ENV];
    if (!base) throw new Error(`${RENDER_DIR_ENV} is not set: run the tests with jest`);
    return path.join(path.resolve(base), stack);
}

/** The arguments of the run's one plan of a shipped stack. */
export function shippedStackArgs(stack: string): string[] {
    return ["--stack", stack, "--json", "--render", renderDir(stack)];
}

/** The file the run's plan of `stack` is kept in. */
export function shippedStackFile(stack: string): string {
    const dir = process.env[PLANS_ENV];
    if (!dir) throw new Error(`${PLANS_ENV} is not set: run the tests with jest`);
    return path.join(dir, `${stack}.json`);
}

/**
 * The run's one plan of a shipped stack: `npm run plan -- --stack <stack> --json --render
 * <renderDir(stack)>` in a process of its own (its stdout is what `--json` alone prints; the
 * rendering adds a line to stderr and the manifests in {@link renderDir}).
 */
export function shippedStackPlan(stack: string): PlanRun {
    return JSON.parse(fs.readFileSync(shippedStackFile(stack), "utf8")) as PlanRun;
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
