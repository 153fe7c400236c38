/** Runs the offline plan as a user would, in a child process, and captures what it prints. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

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
 * Loaded before tools/plan.ts: when the process exits, writes the cloud SDKs in Node's module
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

/** `npm run plan -- <args>` without npm's own start-up. */
export function runPlanCli(...args: string[]): PlanRun {
    const sdksFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mlops-sdks-")), "sdks.json");
    const r = spawnSync(
        process.execPath,
        ["--import", SDK_RECORDER, "--import", "tsx", path.join(ROOT, "tools", "plan.ts"), ...args],
        {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 60_000,
            env: { ...process.env, MLOPS_TEST_SDKS_FILE: sdksFile },
        },
    );
    const loadedSdks = fs.existsSync(sdksFile)
        ? (JSON.parse(fs.readFileSync(sdksFile, "utf8")) as string[])
        : null;
    fs.rmSync(path.dirname(sdksFile), { recursive: true, force: true });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, loadedSdks };
}

/** Where {@link planCli} keeps the runs of this jest run (set by test/support/global-setup.ts). */
export const PLAN_CACHE_ENV = "MLOPS_TEST_PLAN_CACHE";

/** The socket of this jest run's plan server (./plan-server.ts), set by ./global-setup.ts. */
export const PLAN_SERVER_ENV = "MLOPS_TEST_PLAN_SERVER";

/** Sends one request to the plan server and prints its answer (plain Node, no tsx). */
const SERVER_CLIENT = String.raw`
const conn = require("node:net").connect(process.argv[1]);
let answer = "";
conn.setEncoding("utf8");
conn.on("data", (c) => (answer += c));
conn.on("end", () => process.stdout.write(answer));
conn.on("error", (e) => { process.stderr.write(String(e)); process.exit(3); });
process.stdin.pipe(conn, { end: false });
`;

/**
 * `npm run plan -- <args>` as the plan server runs it: the plan command's exit code and
 * output, exactly as printed, without a process of its own (loadedSdks is null). Falls back
 * to {@link runPlanCli} when the run has no server.
 */
function servedPlan(args: readonly string[]): PlanRun {
    return served("plan", args) ?? runPlanCli(...args);
}

/**
 * `npm run -s mirror:list -- <args>`: its exit code and output, exactly as printed, from the
 * plan server (or a process of its own when the run has none).
 */
export function mirrorListCli(...args: string[]): Omit<PlanRun, "loadedSdks"> {
    const answer = served("mirror-list", args);
    if (answer) return answer;
    const r = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "tools", "mirror-list.ts"), ...args],
        { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One command run by this jest run's plan server; undefined when the run has none. */
function served(command: "plan" | "mirror-list", args: readonly string[]): PlanRun | undefined {
    const socket = process.env[PLAN_SERVER_ENV];
    if (!socket) return undefined;
    const r = spawnSync(process.execPath, ["-e", SERVER_CLIENT, socket], {
        input: JSON.stringify({ command, args }) + "\n",
        encoding: "utf8",
        timeout: 120_000,
        maxBuffer: 256 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`plan server (${socket}): ${r.stderr || r.error}`);
    const answer = JSON.parse(r.stdout) as { status: number; stdout: string; stderr: string };
    return { ...answer, loadedSdks: null };
}

/** The config files a plan with these arguments reads: its own and the platform stacks beside it. */
function configTexts(args: readonly string[]): string[] {
    const texts: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const file =
            args[i] === "--stack"
                ? path.join(ROOT, `Pulumi.${args[i + 1]}.yaml`)
                : args[i] === "--config"
                  ? path.resolve(args[i + 1])
                  : undefined;
        if (!file) continue;
        for (const dir of new Set([path.dirname(file), ROOT])) {
            for (const f of fs
                .readdirSync(dir)
                .filter((n) => /^Pulumi\..+\.yaml$/.test(n))
                .sort())
                texts.push(f, fs.readFileSync(path.join(dir, f), "utf8"));
        }
        texts.push(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "(absent)");
    }
    return texts;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * `npm run plan -- <args>`, once per jest run for the same arguments and config files: every
 * test file that plans the same stack the same way reads the one run (its exit code and its
 * output, exactly as printed), which the run's plan server makes ({@link servedPlan}).
 * Without the jest run's cache directory, runs every time.
 */
export function planCli(...args: string[]): PlanRun {
    return sharedPlan("served", args, servedPlan);
}

/** {@link sharedPlan} of {@link runPlanCli}: a process of its own, once per jest run. */
function processPlan(...args: string[]): PlanRun {
    return sharedPlan("process", args, (a) => runPlanCli(...a));
}

function sharedPlan(
    mode: "served" | "process",
    args: readonly string[],
    run: (args: readonly string[]) => PlanRun,
): PlanRun {
    const dir = process.env[PLAN_CACHE_ENV];
    if (!dir) return run(args);
    const key = createHash("sha256")
        .update(JSON.stringify([mode, args, configTexts(args)]))
        .digest("hex")
        .slice(0, 32);
    const result = path.join(dir, `${key}.json`);
    const lock = path.join(dir, `${key}.lock`);
    const read = () => JSON.parse(fs.readFileSync(result, "utf8")) as PlanRun;
    try {
        fs.mkdirSync(lock);
    } catch {
        // Another worker is planning it: wait for its result.
        for (let waited = 0; !fs.existsSync(result); waited += 100) {
            if (waited > 120_000)
                throw new Error(`no plan result for ${args.join(" ")} after 120s`);
            sleep(100);
        }
        return read();
    }
    const planned = run(args);
    fs.writeFileSync(`${result}.tmp`, JSON.stringify(planned));
    fs.renameSync(`${result}.tmp`, result);
    return planned;
}

/**
 * Where a jest run leaves each shipped stack's rendered manifests: `$MLOPS_TEST_RENDER_DIR/<stack>`
 * when set (.ci/run sets it, and its kube-score scan reads them there instead of planning every
 * stack again), else beside this run's shared plans.
 */
export const RENDER_DIR_ENV = "MLOPS_TEST_RENDER_DIR";

let ownRenderDir: string | undefined;

/** The directory {@link shippedStackPlan} renders `stack` into. */
export function renderDir(stack: string): string {
    const base =
        process.env[RENDER_DIR_ENV] ||
        (process.env[PLAN_CACHE_ENV] && path.join(process.env[PLAN_CACHE_ENV], "render")) ||
        (ownRenderDir ??= fs.mkdtempSync(path.join(os.tmpdir(), "mlops-render-")));
    return path.join(path.resolve(base), stack);
}

/**
 * The shipped stacks whose run's plan is a process of its own: the cloud SDK isolation checks
 * read which SDKs it loaded (a local stack, a gcp one, an aws one). The plan server makes the
 * others.
 */
export const OWN_PROCESS_STACKS: readonly string[] = ["aws", "dev", "gcp"];

/**
 * `npm run plan -- --stack <stack> --json --render <renderDir(stack)>`, the one plan of a
 * shipped stack in a jest run (its JSON is what `--json` alone prints; the rendering adds a
 * line to stderr and the manifests in {@link renderDir}).
 */
export function shippedStackPlan(stack: string): PlanRun {
    const args = ["--stack", stack, "--json", "--render", renderDir(stack)];
    return OWN_PROCESS_STACKS.includes(stack) ? processPlan(...args) : planCli(...args);
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
