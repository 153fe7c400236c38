/**
 * tools/kube-score.sh -> node --import tsx tools/kube-score.ts --kube-score <bin>
 *     [--allowlist <file>] [--out <dir>] [--rendered <dir>] [--stack <name> ...] [--all]
 *
 * Renders every shipped stack (`Pulumi.<stack>.yaml` at the root; each in its own plan
 * process: Pulumi's runtime state is global) with `npm run plan -- --render`, runs
 * `kube-score score` over each stack's manifests and compares the findings with the
 * allowlist. Exit 0 only when every finding is explained and no entry is stale.
 * `--rendered <dir>` takes a stack's manifests from `<dir>/<stack>` where a plan with
 * `--render <dir>/<stack>` of this checkout already wrote them (.ci/run: its test run's plans)
 * and renders only the stacks missing there.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    AllowEntry,
    AllowlistError,
    describeFinding,
    Finding,
    findingsOf,
    judge,
    parseAllowlist,
} from "./kube-score-findings";

const ROOT = path.resolve(__dirname, "..");

/** The Kubernetes minor the checks assume: the API server the e2e toolchain builds. */
const KUBERNETES_VERSION = "v1.34";

interface Args {
    kubeScore: string;
    allowlist: string;
    out?: string;
    rendered?: string;
    stacks: string[];
    all: boolean;
}

function usage(message: string): never {
    process.stderr.write(
        `${message}\nusage: tools/kube-score.ts --kube-score <bin> [--allowlist <file>] [--out <dir>] [--rendered <dir>] [--stack <name> ...] [--all]\n`,
    );
    process.exit(1);
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = {
        kubeScore: "",
        allowlist: path.join(ROOT, "kube-score-allowlist.yaml"),
        stacks: [],
        all: false,
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => argv[++i] ?? usage(`${a} needs a value`);
        if (a === "--kube-score") args.kubeScore = value();
        else if (a === "--allowlist") args.allowlist = path.resolve(value());
        else if (a === "--out") args.out = path.resolve(value());
        else if (a === "--rendered") args.rendered = path.resolve(value());
        else if (a === "--stack") args.stacks.push(value());
        else if (a === "--all") args.all = true;
        else usage(`unknown argument: ${a}`);
    }
    if (!args.kubeScore) usage("give --kube-score <bin>");
    return args;
}

/** Every shipped stack: `Pulumi.<stack>.yaml` at the repository root. */
function shippedStacks(): string[] {
    return fs
        .readdirSync(ROOT)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** Renders one stack into `dir`; throws with the plan's stderr if the plan fails. */
function render(stack: string, dir: string): void {
    const r = spawnSync(
        process.execPath,
        [
            "--import",
            "tsx",
            path.join(ROOT, "tools", "plan", "cli.ts"),
            "--stack",
            stack,
            "--json",
            "--render",
            dir,
        ],
        {
            cwd: ROOT,
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
        },
    );
    if (r.status !== 0) {
        throw new Error(`plan of ${stack} exited ${r.status ?? r.signal}:\n${r.stderr}`);
    }
}

/** Runs kube-score over one stack's manifests. */
function score(bin: string, stack: string, dir: string): { findings: Finding[]; scored: number } {
    const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => path.join(dir, f));
    if (files.length === 0) return { findings: [], scored: 0 };
    const r = spawnSync(
        bin,
        [
            "score",
            "--output-format",
            "json",
            "--output-version",
            "v2",
            "--color",
            "never",
            "--kubernetes-version",
            KUBERNETES_VERSION,
            // Exceptions live in the allowlist, with reasons, not in annotations on objects.
            "--disable-ignore-checks-annotations",
            ...files,
        ],
        { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
    );
    // kube-score exits 1 when it found a critical problem; anything else is its failure.
    if (r.error || (r.status !== 0 && r.status !== 1)) {
        throw new Error(
            `kube-score on ${stack} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`,
        );
    }
    const findings = findingsOf(stack, r.stdout);
    const scored = ((JSON.parse(r.stdout) as unknown[] | null) ?? []).length;
    return { findings, scored };
}

function main(): number {
    const args = parseArgs(process.argv.slice(2));
    let entries: AllowEntry[];
    try {
        entries = parseAllowlist(fs.readFileSync(args.allowlist, "utf8"));
    } catch (e) {
        process.stderr.write(
            `${args.allowlist}: ${e instanceof AllowlistError ? e.message : String(e)}\n`,
        );
        return 1;
    }
    const shipped = shippedStacks();
    const stacks = args.stacks.length ? args.stacks : shipped;
    const out = args.out ?? fs.mkdtempSync(path.join(os.tmpdir(), "mlops-kube-score-"));
    const findings: Finding[] = [];
    for (const stack of stacks) {
        const done = args.rendered ? path.join(args.rendered, stack) : undefined;
        const dir =
            done && fs.existsSync(path.join(done, "helm-releases.txt"))
                ? done
                : path.join(out, stack);
        const reuse = dir === done;
        if (!reuse) render(stack, dir);
        const { findings: found, scored } = score(args.kubeScore, stack, dir);
        const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).length;
        const helm = fs
            .readFileSync(path.join(dir, "helm-releases.txt"), "utf8")
            .split("\n")
            .filter((l) => l && !l.startsWith("#")).length;
        process.stdout.write(
            `${stack}: ${files} objects rendered, ${scored} of a kind kube-score checks, ` +
                `${helm} Helm releases not scanned; ${found.length} findings before the allowlist` +
                (reuse ? ` (manifests from ${dir})` : "") +
                "\n",
        );
        findings.push(...found);
    }
    const judgeStale = stacks.length === shipped.length && shipped.every((s) => stacks.includes(s));
    const verdict = judge(findings, entries, judgeStale);
    if (args.all) {
        process.stdout.write(`\nAll findings (${findings.length}):\n`);
        for (const f of findings) process.stdout.write(`  ${describeFinding(f)}\n`);
    }
    process.stdout.write(
        `\n${findings.length} findings: ${verdict.allowed.length} explained by ${args.allowlist}, ${verdict.unexplained.length} unexplained\n`,
    );
    for (const f of verdict.unexplained)
        process.stdout.write(`  UNEXPLAINED ${describeFinding(f)}\n`);
    for (const e of verdict.stale) {
        process.stdout.write(
            `  STALE allowlist entry (matches no finding): ${e.check} ${e.object}${e.stack ? ` stack ${e.stack}` : ""}\n`,
        );
    }
    if (!judgeStale) process.stdout.write("  (some stacks only: stale entries not judged)\n");
    const ok = verdict.unexplained.length === 0 && verdict.stale.length === 0;
    // A temporary render is kept only to look into a failure.
    if (ok && !args.out) fs.rmSync(out, { recursive: true, force: true });
    else process.stdout.write(`manifests in ${out}\n`);
    return ok ? 0 : 1;
}

try {
    process.exitCode = main();
} catch (e) {
    process.stderr.write(`kube-score scan failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
}
