/**
 * One plan process for a whole test run: started by test/support/global-setup.ts, it serves
 * the runs of `npm run plan` that need no process of their own (planCli in ./plan.ts), one
 * after another, so that each does not load Node, tsx and the SDKs again.
 *
 * Each request is `{command, args}` as one JSON line on a connection to the Unix socket given
 * as the first argument (`plan`, tools/plan.ts's planCommand, or `mirror-list`,
 * tools/mirror-list.ts's mirrorListCommand: the CLIs' own code); the answer is
 * `{status, stdout, stderr}`, what that command prints and exits with for those arguments. Before each
 * plan the program's modules (index.ts, stacks/, components/) are dropped from the module
 * cache, so the program runs afresh, and the recording's mocks reset Pulumi's runtime state;
 * the SDKs, the policies and the schema models stay loaded. A team stack's platform stack,
 * which the CLI plans in a child process, is planned here first, the same way.
 *
 * A run that must be a process of its own (one that reports which SDKs the process loaded)
 * does not come here.
 */
import "../../tools/lib/fast-start";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { mirrorListCommand } from "../../tools/mirror-list";
import { planCommand, setPlatformPlanner } from "../../tools/plan";

/** The commands the server runs, by name. */
const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
    plan: planCommand,
    "mirror-list": mirrorListCommand,
};

const ROOT = path.resolve(__dirname, "..", "..");
const PROGRAM_FILES = (file: string) =>
    file === path.join(ROOT, "index.ts") ||
    ["components", "stacks"].some((d) => file.startsWith(path.join(ROOT, d) + path.sep));

interface Answer {
    status: number;
    stdout: string;
    stderr: string;
}

/** Drops the program's modules from the module cache: the next require runs it afresh. */
function forgetProgram(): void {
    for (const file of Object.keys(require.cache))
        if (PROGRAM_FILES(file)) delete require.cache[file];
}

// A team stack's platform stack is planned here too, before the team stack's own plan (which
// then loads the program afresh), as the CLI would plan it in a child: outputs in full.
setPlatformPlanner(async (platformFile) => {
    const reveal = process.env.MLOPS_PLAN_REVEAL_OUTPUTS;
    process.env.MLOPS_PLAN_REVEAL_OUTPUTS = "1";
    try {
        return await serve("plan", ["--config", platformFile, "--json"]);
    } finally {
        if (reveal === undefined) delete process.env.MLOPS_PLAN_REVEAL_OUTPUTS;
        else process.env.MLOPS_PLAN_REVEAL_OUTPUTS = reveal;
        forgetProgram();
    }
});

/** Runs one command with this process's stdout and stderr captured. */
async function serve(command: string, args: readonly string[]): Promise<Answer> {
    forgetProgram();
    const out: string[] = [];
    const err: string[] = [];
    const capture = (into: string[]) =>
        ((chunk: string | Uint8Array, ...rest: unknown[]) => {
            into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
            const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
            done?.();
            return true;
        }) as typeof process.stdout.write;
    const writes = [process.stdout.write, process.stderr.write] as const;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    let status: number;
    try {
        const run = COMMANDS[command];
        if (!run) throw new Error(`no such command: ${command}`);
        status = await run(args);
    } catch (e) {
        err.push(`plan failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        status = 1;
    } finally {
        [process.stdout.write, process.stderr.write] = writes;
    }
    return { status, stdout: out.join(""), stderr: err.join("") };
}

const socket = process.argv[2];
if (!socket) throw new Error("usage: plan-server.ts <socket path>");
let queue: Promise<unknown> = Promise.resolve();
const server = net.createServer((conn) => {
    let request = "";
    conn.setEncoding("utf8");
    conn.on("data", (chunk: string) => {
        request += chunk;
        if (!request.endsWith("\n")) return;
        const { command, args } = JSON.parse(request) as { command: string; args: string[] };
        queue = queue.then(async () => conn.end(JSON.stringify(await serve(command, args))));
    });
});
fs.rmSync(socket, { force: true });
server.listen(socket, () => process.send?.("ready"));
process.on("disconnect", () => process.exit(0));
