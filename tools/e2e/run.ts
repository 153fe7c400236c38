/**
 * npm run test:e2e -- [options]
 *
 * The program under the real Pulumi engine against a real Kubernetes API server: the current
 * kubeconfig context and the `pulumi` found on PATH, a file backend in a temporary folder and
 * a generated passphrase. Steps:
 *   1. preflight: CLI version, API server, nodes, default StorageClass;
 *   2. with --serve-charts, DIR's chart packages served on 127.0.0.1 as a chart repository;
 *   3. a temporary copy of the project with an e2e stack: Pulumi.dev.yaml plus the overrides
 *      the run needs (the kubeconfig context; `mlops:mirror` when --charts, --serve-charts or
 *      --images is given), and the program's cluster preflight, which must stop a stack whose
 *      storage class the cluster lacks before anything is created;
 *   4. `pulumi preview --policy-pack policies` of the fresh stack (everything unknown);
 *   5. `pulumi up --yes`: every planned resource created (event log vs `pulumi stack export`);
 *   6. `pulumi up --expect-no-changes`;
 *   7. `pulumi preview --policy-pack policies` again (values known): no violation, no policy
 *      that cannot run;
 *   8. a team stack (Pulumi.team-vision.yaml, on the same kubeconfig context: it reads its
 *      team's mlops-team ConfigMap that the e2e stack wrote): up, every resource created, destroy;
 *   9. `pulumi destroy --yes`, then, through the API server, no object left that was not
 *      there before step 5 (events and leases aside), naming the objects in the stacks'
 *      namespaces or carrying their labels.
 * Prints a one-screen summary; exit 1 on any failure, 2 on bad usage. Every step's log (text
 * output plus the engine's JSON event log) is kept in a temporary folder whose path is printed;
 * the rest of that folder (project copy, state, Helm caches) is removed at the end, unless
 * --keep-on-failure kept the stacks.
 *
 * Options:
 *   --context NAME       kubeconfig context (default: the current one)
 *   --charts URL         install the charts from this chart repository (a Helm repository URL
 *                        or an oci:// prefix): `mlops:mirror.charts`
 *   --serve-charts DIR   serve DIR's chart packages (.tgz, as `helm pull` writes them) on
 *                        127.0.0.1 as a chart repository, and install the charts from it
 *   --images PREFIX      image mirror prefix (mlops:mirror.images)
 *   --team FILE          team stack config (default Pulumi.team-vision.yaml); --no-team skips it
 *   --plugin-download    let the CLI download missing plugins (default: off, as on air-gapped
 *                        machines: PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true)
 *   --keep-on-failure    do not destroy after a failed step (to inspect the cluster)
 * Without --charts or --serve-charts the charts come from their upstream repositories.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { ChartServer, packageFiles, serveCharts } from "./charts";
import {
    ApiResource,
    KubeClient,
    KubeList,
    KubeObject,
    kubeconfigFiles,
    message,
} from "./kube-client";

const ROOT = path.resolve(__dirname, "..", "..");
/** What the copy of the project needs to run the program and the policy pack. */
const PROJECT_FILES = [
    "Pulumi.yaml",
    "index.ts",
    "package.json",
    "tsconfig.json",
    "components",
    "stacks",
    "policies",
];
/** Kinds that come and go on their own: not leftovers. */
const NOISE = new Set(["events", "events.k8s.io/events", "coordination.k8s.io/leases"]);

export interface Options {
    context?: string;
    /** A directory of chart packages to serve (absolute). */
    serveCharts?: string;
    /** A chart repository URL or OCI prefix. */
    charts?: string;
    images?: string;
    team?: string;
    pluginDownload: boolean;
    keepOnFailure: boolean;
}

const CHARTS_ALLOWED =
    "a Helm repository URL (http:// or https://, e.g. https://charts.example.com/mlops) or an OCI prefix (e.g. oci://registry.example.com/charts)";
const SERVE_CHARTS_ALLOWED =
    "a directory of chart packages (.tgz, as `helm pull --destination DIR` writes them; see docs/e2e.md)";

/** The runner's options; throws a UsageError naming the option, the value and what is allowed. */
export function parseArgs(argv: readonly string[]): Options {
    const o: Options = {
        pluginDownload: false,
        keepOnFailure: false,
        team: "Pulumi.team-vision.yaml",
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--context") o.context = value();
        else if (a === "--serve-charts") o.serveCharts = value();
        else if (a === "--charts") o.charts = value();
        else if (a === "--images") o.images = value();
        else if (a === "--team") o.team = value();
        else if (a === "--no-team") o.team = undefined;
        else if (a === "--plugin-download") o.pluginDownload = true;
        else if (a === "--keep-on-failure") o.keepOnFailure = true;
        else throw new UsageError(`unknown option ${a}`);
    }
    if (o.charts !== undefined && o.serveCharts !== undefined) {
        throw new UsageError(
            `--charts ${o.charts} and --serve-charts ${o.serveCharts} exclude each other: ` +
                "give --charts with a chart repository, or --serve-charts with a directory of chart packages",
        );
    }
    if (o.charts !== undefined && !/^(https?|oci):\/\/[^/]/.test(o.charts)) {
        throw new UsageError(`--charts ${o.charts}: must be ${CHARTS_ALLOWED}`);
    }
    if (o.serveCharts !== undefined) {
        const dir = path.resolve(o.serveCharts);
        let isDir = false;
        try {
            isDir = fs.statSync(dir).isDirectory();
        } catch {
            // absent: said below
        }
        if (!isDir) {
            throw new UsageError(
                `--serve-charts ${o.serveCharts}: no such directory; must be ${SERVE_CHARTS_ALLOWED}`,
            );
        }
        if (packageFiles(dir).length === 0) {
            throw new UsageError(
                `--serve-charts ${o.serveCharts}: no chart packages (*.tgz) in it; must be ${SERVE_CHARTS_ALLOWED}`,
            );
        }
        o.serveCharts = dir;
    }
    return o;
}

/** `mlops:mirror` for the stacks: the chart repository and the image prefix, when given. */
export function mirrorConfig(
    charts: string | undefined,
    images: string | undefined,
): { charts?: string; images?: string } | undefined {
    if (!charts && !images) return undefined;
    return { ...(charts ? { charts } : {}), ...(images ? { images } : {}) };
}

/**
 * A stack's config for the run: BASE (a stack file's `config`) with the kubeconfig context
 * set in `mlops:cluster` and, when given, `mlops:mirror` replaced by MIRROR.
 */
export function e2eStackConfig(
    base: Readonly<Record<string, unknown>>,
    context: string,
    mirror: { charts?: string; images?: string } | undefined,
): Record<string, unknown> {
    const config: Record<string, unknown> = { ...base };
    config["mlops:cluster"] = {
        ...(config["mlops:cluster"] as Record<string, unknown> | undefined),
        context,
    };
    if (mirror) config["mlops:mirror"] = mirror;
    return config;
}

export class UsageError extends Error {}

interface StepResult {
    name: string;
    ok: boolean;
    seconds: number;
    detail: string;
    /** First errors, for the summary. */
    errors: string[];
    log?: string;
}

/** One engine event of `--event-log` (the fields used here). */
interface EngineEvent {
    resourcePreEvent?: { metadata: { op: string; urn: string; type: string } };
    resOutputsEvent?: { metadata: { op: string; urn: string; type: string } };
    resOpFailedEvent?: { metadata: { op: string; urn: string; type: string } };
    diagnosticEvent?: { urn?: string; message: string; severity: string };
    policyEvent?: {
        resourceUrn?: string;
        message: string;
        policyName: string;
        enforcementLevel: string;
    };
    summaryEvent?: { resourceChanges: Record<string, number>; result?: string };
}

interface CommandResult {
    code: number;
    output: string;
    events: EngineEvent[];
    seconds: number;
    log: string;
}

class Runner {
    public readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-e2e-"));
    public readonly logs = path.join(this.tmp, "logs");
    public readonly project = path.join(this.tmp, "project");
    public readonly results: StepResult[] = [];
    private readonly env: NodeJS.ProcessEnv;
    private seq = 0;

    constructor(opts: Options) {
        fs.mkdirSync(this.logs);
        fs.mkdirSync(path.join(this.tmp, "state"));
        fs.mkdirSync(path.join(this.tmp, "helm"));
        this.env = {
            ...process.env,
            // The file backend, without touching the user's `pulumi login` (same effect as
            // `pulumi login file://...` for every command run here).
            PULUMI_BACKEND_URL: `file://${path.join(this.tmp, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(24).toString("base64url"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            // Enables --event-log (the engine's events as JSON lines), as the Automation API does.
            PULUMI_DEBUG_COMMANDS: "true",
            ...(opts.pluginDownload ? {} : { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" }),
            // Helm's repository cache and config of the releases, inside the temp folder.
            HELM_CACHE_HOME: path.join(this.tmp, "helm", "cache"),
            HELM_CONFIG_HOME: path.join(this.tmp, "helm", "config"),
            HELM_DATA_HOME: path.join(this.tmp, "helm", "data"),
            NO_COLOR: "1",
        };
    }

    /** Runs a command in the project copy; text output and engine events go to the log dir. */
    public async run(
        name: string,
        cmd: string,
        args: string[],
        engine = false,
    ): Promise<CommandResult> {
        const n = String(++this.seq).padStart(2, "0");
        const log = path.join(this.logs, `${n}-${name}.log`);
        const eventLog = path.join(this.logs, `${n}-${name}.events.jsonl`);
        const fullArgs = engine ? [...args, "--color", "never", "--event-log", eventLog] : args;
        fs.writeFileSync(log, `$ ${cmd} ${fullArgs.join(" ")}\n`);
        const t0 = Date.now();
        const code = await new Promise<number>((resolve) => {
            const child = spawn(cmd, fullArgs, { cwd: this.project, env: this.env });
            const out = fs.createWriteStream(log, { flags: "a" });
            child.stdout.pipe(out, { end: false });
            child.stderr.pipe(out, { end: false });
            child.on("error", (e) => {
                out.end(`\n${e.message}\n`);
                resolve(127);
            });
            child.on("close", (c) => {
                out.end();
                resolve(c ?? 1);
            });
        });
        const seconds = (Date.now() - t0) / 1000;
        const events: EngineEvent[] = [];
        if (engine && fs.existsSync(eventLog)) {
            for (const line of fs.readFileSync(eventLog, "utf8").split("\n")) {
                if (!line.trim()) continue;
                try {
                    events.push(JSON.parse(line) as EngineEvent);
                } catch {
                    // a partial last line (interrupted run)
                }
            }
        }
        return { code, output: fs.readFileSync(log, "utf8"), events, seconds, log };
    }

    public pulumi(name: string, args: string[], engine = true) {
        return this.run(name, "pulumi", args, engine);
    }

    public record(r: StepResult): StepResult {
        this.results.push(r);
        const mark = r.ok ? "ok  " : "FAIL";
        console.log(`[e2e] ${mark} ${r.name} (${fmtTime(r.seconds)}): ${r.detail}`);
        for (const e of r.errors.slice(0, 3)) console.log(`         ${e}`);
        return r;
    }

    public get failed(): boolean {
        return this.results.some((r) => !r.ok);
    }

    /** Removes the project copy, the state and Helm's caches: only the logs stay. */
    public removeWorkFiles(): void {
        for (const dir of ["project", "state", "helm"]) {
            fs.rmSync(path.join(this.tmp, dir), { recursive: true, force: true });
        }
    }
}

function fmtTime(s: number): string {
    return s < 60
        ? `${s.toFixed(0)}s`
        : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

function oneLine(s: string, max = 400): string {
    const t = s.replace(/\s+/g, " ").trim();
    return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** Error diagnostics and failed operations of a run, most specific first. */
function engineErrors(r: CommandResult): string[] {
    const out: string[] = [];
    for (const e of r.events) {
        if (e.diagnosticEvent?.severity === "error") {
            const urn = e.diagnosticEvent.urn ? `${e.diagnosticEvent.urn.split("::").pop()}: ` : "";
            // Helm lists one error a line ("\t* ..."), often the same one many times.
            const parts = [
                ...new Set(e.diagnosticEvent.message.split(/\n\s*\*\s+/).map((p) => oneLine(p))),
            ].filter(Boolean);
            out.push(urn + parts.join(" ⟶ "));
        }
    }
    if (out.length === 0 && r.code !== 0) {
        const lines = r.output.split("\n").filter((l) => /error|failed/i.test(l));
        out.push(...lines.slice(-3).map((l) => oneLine(l)));
    }
    return [...new Set(out)];
}

function changes(r: CommandResult): Record<string, number> {
    const s = r.events.find((e) => e.summaryEvent)?.summaryEvent;
    return s?.resourceChanges ?? {};
}

function fmtChanges(c: Record<string, number>): string {
    const parts = Object.entries(c).map(([k, v]) => `${v} ${k}`);
    return parts.length ? parts.join(", ") : "no changes";
}

/** URNs the engine reports with this op in its final (outputs) events. */
function urnsWithOp(r: CommandResult, ...ops: string[]): Set<string> {
    return new Set(
        r.events
            .map((e) => e.resOutputsEvent?.metadata)
            .filter(
                (m): m is { op: string; urn: string; type: string } => !!m && ops.includes(m.op),
            )
            .map((m) => m.urn),
    );
}

interface Deployment {
    resources?: {
        urn: string;
        type: string;
        outputs?: Record<string, unknown>;
        inputs?: Record<string, unknown>;
    }[];
    pending_operations?: unknown[];
}

async function exportStack(runner: Runner, stack: string): Promise<Deployment> {
    const r = await runner.pulumi(`export-${stack}`, ["stack", "export", "--stack", stack], false);
    if (r.code !== 0) throw new Error(`pulumi stack export --stack ${stack} failed (${r.log})`);
    const json = r.output.slice(r.output.indexOf("{"));
    return (JSON.parse(json) as { deployment: Deployment }).deployment;
}

/** Up, then compare what the engine created with what the state holds. */
async function upAndCheck(runner: Runner, stack: string, label: string): Promise<boolean> {
    const r = await runner.pulumi(`up-${stack}`, [
        "up",
        "--yes",
        "--stack",
        stack,
        "--skip-preview",
    ]);
    // Created, or read (the team stack's mlops-team ConfigMap is read, not created): what the
    // state must hold.
    const created = urnsWithOp(r, "create", "read");
    const c = changes(r);
    let detail = `${fmtChanges(c)}`;
    const errors: string[] = [];
    let ok = r.code === 0;
    if (ok) {
        const dep = await exportStack(runner, stack);
        const inState = (dep.resources ?? []).filter(
            (x) => !x.type.startsWith("pulumi:providers:"),
        );
        // Providers are compared too: the state holds every provider the update created.
        const stateUrns = new Set((dep.resources ?? []).map((x) => x.urn));
        const missing = inState.filter((x) => !created.has(x.urn)).map((x) => x.urn);
        const notInState = [...created].filter((u) => !stateUrns.has(u));
        const pending = dep.pending_operations?.length ?? 0;
        detail += `; state: ${inState.length} resources (+${(dep.resources ?? []).length - inState.length} providers), ${pending} pending operations`;
        if (missing.length || notInState.length || pending) {
            ok = false;
            detail += `; created but not in state: ${notInState.length}, in state but not created: ${missing.length}`;
            errors.push(
                ...[...notInState, ...missing].map((u) => u.split("::").slice(-2).join("::")),
            );
        }
    }
    runner.record({
        name: label,
        ok,
        seconds: r.seconds,
        detail,
        errors: ok ? [] : [...errors, ...engineErrors(r)],
        log: r.log,
    });
    return ok;
}

async function policyPreview(runner: Runner, stack: string, label: string): Promise<boolean> {
    const r = await runner.pulumi(`preview-policies-${stack}`, [
        "preview",
        "--stack",
        stack,
        "--policy-pack",
        path.join(runner.project, "policies"),
    ]);
    // The engine reports a policy that threw on an unknown value as a policy event whose
    // message says it can't run: counted apart from the violations.
    const cantRun = /can't run policy|cannot run policy|could not run policy/i;
    const events = r.events.filter((e) => e.policyEvent).map((e) => e.policyEvent!);
    const violations = events.filter((v) => !cantRun.test(v.message));
    const cannotRun = [
        ...events
            .filter((v) => cantRun.test(v.message))
            .map((v) => `${v.resourceUrn?.split("::").pop() ?? "?"}: ${v.message}`),
        ...r.output
            .split("\n")
            .filter((l) => cantRun.test(l) && !events.some((v) => l.includes(v.message.trim()))),
    ];
    const ok = r.code === 0 && violations.length === 0 && cannotRun.length === 0;
    const byLevel = violations.reduce<Record<string, number>>((acc, v) => {
        acc[v.enforcementLevel] = (acc[v.enforcementLevel] ?? 0) + 1;
        return acc;
    }, {});
    runner.record({
        name: label,
        ok,
        seconds: r.seconds,
        detail:
            `${fmtChanges(changes(r))}; policy violations: ${violations.length}` +
            (violations.length ? ` (${fmtChanges(byLevel)})` : "") +
            `; policies that could not run: ${cannotRun.length}`,
        errors: [
            ...violations.map((v) =>
                oneLine(
                    `[${v.enforcementLevel}] ${v.policyName}: ${v.resourceUrn?.split("::").pop() ?? ""} ${v.message}`,
                ),
            ),
            ...[...new Set(cannotRun.map((l) => `cannot run: ${oneLine(l)}`))],
            ...(r.code !== 0 ? engineErrors(r) : []),
        ],
        log: r.log,
    });
    return ok;
}

/**
 * The program's cluster preflight under the real engine: `up` of a scratch copy of the stack
 * whose claims name a class the cluster lacks, then of one on a cluster with no default class
 * (the defaults' annotation set to "false" meanwhile, restored after), must each stop within
 * a minute, with the message naming the key, before any object is created in the cluster.
 * The scratch stack is destroyed and removed.
 */
async function preflightFailsFast(runner: Runner, kube: KubeClient, stack: string): Promise<void> {
    const scratch = `${stack}-preflight`;
    const file = (s: string) => path.join(runner.project, `Pulumi.${s}.yaml`);
    fs.copyFileSync(file(stack), file(scratch));
    const t0 = Date.now();
    const errors: string[] = [];
    const details: string[] = [];
    const init = await runner.pulumi(
        "stack-init-preflight",
        ["stack", "init", scratch, "--non-interactive"],
        false,
    );
    if (init.code !== 0) throw new Error(`pulumi stack init ${scratch} failed (${init.log})`);
    const annotation = "storageclass.kubernetes.io/is-default-class";
    const attempt = async (name: string, expected: string) => {
        const before = (await kube.get<KubeList>("/api/v1/namespaces")).items.length;
        const r = await runner.pulumi(name, ["up", "--yes", "--stack", scratch, "--skip-preview"]);
        const after = (await kube.get<KubeList>("/api/v1/namespaces")).items.length;
        const said = r.output.includes(expected);
        details.push(
            `${name}: exit ${r.code} in ${fmtTime(r.seconds)}${said ? ", says what to change" : ""}`,
        );
        if (r.code === 0) errors.push(`${name}: the update succeeded`);
        if (!said) errors.push(`${name}: no "${expected}" in ${r.log}`);
        if (r.seconds > 60) errors.push(`${name}: took ${fmtTime(r.seconds)} (more than a minute)`);
        if (after !== before) errors.push(`${name}: ${after - before} namespaces appeared`);
    };
    const set = await runner.pulumi(
        "config-preflight",
        [
            "config",
            "set",
            "--path",
            "--stack",
            scratch,
            "mlops:cluster.storageClass",
            "no-such-class",
        ],
        false,
    );
    if (set.code !== 0) throw new Error(`pulumi config set failed (${set.log})`);
    await attempt("up-missing-class", 'mlops:cluster.storageClass: got "no-such-class"');
    const rm = await runner.pulumi(
        "config-rm-preflight",
        ["config", "rm", "--path", "--stack", scratch, "mlops:cluster.storageClass"],
        false,
    );
    if (rm.code !== 0) throw new Error(`pulumi config rm failed (${rm.log})`);
    const defaults = (await kube.get<KubeList>("/apis/storage.k8s.io/v1/storageclasses")).items
        .filter((c) => c.metadata.annotations?.[annotation] === "true")
        .map((c) => c.metadata.name);
    const mark = async (value: string) => {
        for (const name of defaults) {
            const r = await kube.request(
                "PATCH",
                `/apis/storage.k8s.io/v1/storageclasses/${name}`,
                { metadata: { annotations: { [annotation]: value } } },
                "application/merge-patch+json",
            );
            if (r.status !== 200)
                throw new Error(`PATCH storageclass ${name}: ${r.status} ${message(r.body)}`);
        }
    };
    try {
        await mark("false");
        await attempt(
            "up-no-default-class",
            "mlops:cluster.storageClass: not set, and the cluster of context",
        );
    } finally {
        await mark("true");
    }
    const d = await runner.pulumi("destroy-preflight", [
        "destroy",
        "--yes",
        "--stack",
        scratch,
        "--remove",
    ]);
    if (d.code !== 0) errors.push(`destroy of ${scratch} failed (${d.log})`);
    runner.record({
        name: "cluster preflight fails fast",
        ok: errors.length === 0,
        seconds: (Date.now() - t0) / 1000,
        detail:
            details.join("; ") +
            `; default class${defaults.length === 1 ? "" : "es"} ${defaults.join(", ")} restored`,
        errors,
    });
}

/** Every object the API server lists, by uid (noise kinds aside). */
async function snapshot(
    kube: KubeClient,
    resources: ApiResource[],
): Promise<Map<string, { res: ApiResource; obj: KubeObject }>> {
    const out = new Map<string, { res: ApiResource; obj: KubeObject }>();
    for (const res of resources) {
        const key = res.group ? `${res.group}/${res.name}` : res.name;
        if (NOISE.has(key)) continue;
        try {
            const list = await kube.get<KubeList>(res.listPath);
            for (const obj of list.items ?? []) {
                if (obj.metadata.uid) out.set(obj.metadata.uid, { res, obj });
            }
        } catch {
            // not listable for this user: nothing to compare
        }
    }
    return out;
}

/** Namespaces and Helm releases of a stack, from its state. */
function stackFootprint(dep: Deployment): { namespaces: Set<string>; releases: Set<string> } {
    const namespaces = new Set<string>();
    const releases = new Set<string>();
    for (const r of dep.resources ?? []) {
        const o = (r.outputs ?? {}) as {
            metadata?: { name?: string; namespace?: string };
            name?: string;
            namespace?: string;
        };
        if (r.type === "kubernetes:core/v1:Namespace" && o.metadata?.name)
            namespaces.add(o.metadata.name);
        else if (r.type === "kubernetes:helm.sh/v3:Release") {
            if (o.name) releases.add(o.name);
            if (o.namespace) namespaces.add(o.namespace);
        } else if (r.type.startsWith("kubernetes:") && o.metadata?.namespace) {
            namespaces.add(o.metadata.namespace);
        }
    }
    return { namespaces, releases };
}

function describe(res: ApiResource, obj: KubeObject): string {
    const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : "";
    const terminating = obj.metadata.deletionTimestamp ? " (terminating)" : "";
    return `${res.kind} ${ns}${obj.metadata.name}${terminating}`;
}

function ours(
    obj: KubeObject,
    footprint: { namespaces: Set<string>; releases: Set<string> },
): string | undefined {
    const m = obj.metadata;
    if (m.namespace && footprint.namespaces.has(m.namespace)) return `in namespace ${m.namespace}`;
    if (!m.namespace && footprint.namespaces.has(m.name) && obj.kind !== "PersistentVolume")
        return "a namespace of the stack";
    const label = Object.keys(m.labels ?? {}).find((k) => k.startsWith("mlops.dev/"));
    if (label) return `label ${label}`;
    const release = m.annotations?.["meta.helm.sh/release-name"];
    if (release && footprint.releases.has(release)) return `Helm release ${release}`;
    if (m.labels?.["app.kubernetes.io/managed-by"] === "pulumi") return "managed-by pulumi";
    return undefined;
}

/**
 * CRDs that Helm keeps on uninstall, by design: those a chart ships in its crds/ directory
 * (Helm installs them and never deletes them) and those annotated `helm.sh/resource-policy:
 * keep` (Argo's and cert-manager's, so that uninstalling cannot delete every Workflow and
 * Certificate in the cluster). A created-since-up CRD with Helm's release annotation and no
 * keep policy is not excused: Helm should have deleted it.
 */
// Items of a list carry no kind: it comes from the API resource listed.
function keptByHelm(res: ApiResource, obj: KubeObject): string | undefined {
    if (res.kind !== "CustomResourceDefinition") return undefined;
    const a = obj.metadata.annotations ?? {};
    if (a["helm.sh/resource-policy"] === "keep") return "helm.sh/resource-policy: keep";
    if (!a["meta.helm.sh/release-name"] && !obj.metadata.labels?.["app.kubernetes.io/managed-by"])
        return "a chart's crds/ directory";
    return undefined;
}

/** The API server's own APIService of a CRD group (`v1.<group>`), which goes with the CRDs. */
function crdGroupApiService(res: ApiResource, obj: KubeObject, keptGroups: Set<string>): boolean {
    return (
        res.kind === "APIService" &&
        obj.metadata.labels?.["kube-aggregator.kubernetes.io/automanaged"] !== undefined &&
        keptGroups.has(obj.metadata.name.replace(/^[^.]+\./, ""))
    );
}

async function main(opts: Options): Promise<number> {
    const runner = new Runner(opts);
    const started = Date.now();
    console.log(`[e2e] logs: ${runner.logs}`);
    let chartServer: ChartServer | undefined;
    let kube: KubeClient;
    const stack = "e2e";
    const teamStack = "e2e-team";
    let platformUp = false;
    let baseline = new Map<string, { res: ApiResource; obj: KubeObject }>();
    let resources: ApiResource[] = [];
    const footprint = { namespaces: new Set<string>(), releases: new Set<string>() };
    const addFootprint = (dep: Deployment) => {
        const f = stackFootprint(dep);
        f.namespaces.forEach((n) => footprint.namespaces.add(n));
        f.releases.forEach((n) => footprint.releases.add(n));
    };

    try {
        // ------------------------------------------------------------ preflight
        {
            const t0 = Date.now();
            const v = spawnSync("pulumi", ["version"], {
                env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
            });
            if (v.status !== 0) throw new Error("no `pulumi` on PATH");
            kube = new KubeClient(kubeconfigFiles(), opts.context);
            const version = await kube.get<{ gitVersion: string }>("/version");
            const nodes = await kube.get<KubeList>("/api/v1/nodes");
            const classes = await kube.get<KubeList>("/apis/storage.k8s.io/v1/storageclasses");
            const defaultClass = classes.items.find(
                (c) =>
                    c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] ===
                    "true",
            );
            const crds = await kube.get<KubeList>(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            );
            const ok = nodes.items.length > 0 && !!defaultClass;
            runner.record({
                name: "preflight",
                ok,
                seconds: (Date.now() - t0) / 1000,
                detail:
                    `pulumi ${v.stdout.toString().trim()}, context ${kube.context} (${kube.server}, ${version.gitVersion}), ` +
                    `${nodes.items.length} nodes, default StorageClass ${defaultClass?.metadata.name ?? "NONE"}, ` +
                    `${crds.items.length} CRDs before the run`,
                errors: ok
                    ? []
                    : ["the cluster needs nodes and a default StorageClass (see docs/e2e.md)"],
            });
            if (!ok) {
                runner.removeWorkFiles();
                return summary(runner, started, []);
            }
        }

        // ------------------------------------------------------------ chart mirror
        let chartsUrl = opts.charts;
        if (opts.serveCharts) {
            const t0 = Date.now();
            const requestLog = path.join(runner.logs, "chart-server.log");
            chartServer = await serveCharts(opts.serveCharts, 0, (l) =>
                fs.appendFileSync(requestLog, l + "\n"),
            );
            chartsUrl = chartServer.url;
            fs.writeFileSync(
                path.join(runner.logs, "charts.txt"),
                chartServer.packages
                    .map((p) => `${p.file} ${p.name} ${p.version} sha256:${p.digest}`)
                    .join("\n") + "\n",
            );
            runner.record({
                name: "chart repository",
                ok: true,
                seconds: (Date.now() - t0) / 1000,
                detail: `${chartServer.packages.length} chart packages of ${opts.serveCharts} served at ${chartsUrl}: ${chartServer.packages.map((p) => `${p.name} ${p.version}`).join(", ")}`,
                errors: [],
            });
        }

        // ------------------------------------------------------------ project copy + stacks
        {
            const t0 = Date.now();
            fs.mkdirSync(runner.project);
            for (const f of PROJECT_FILES) {
                fs.cpSync(path.join(ROOT, f), path.join(runner.project, f), {
                    recursive: true,
                    filter: (src) => !src.includes(`${path.sep}node_modules`),
                });
            }
            fs.symlinkSync(
                path.join(ROOT, "node_modules"),
                path.join(runner.project, "node_modules"),
            );
            const policyModules = path.join(ROOT, "policies", "node_modules");
            let policyDeps = "linked";
            if (fs.existsSync(policyModules)) {
                fs.symlinkSync(
                    policyModules,
                    path.join(runner.project, "policies", "node_modules"),
                );
            } else {
                const r = await runner.run("npm-ci-policies", "npm", [
                    "ci",
                    "--prefix",
                    path.join(runner.project, "policies"),
                    "--no-audit",
                    "--no-fund",
                ]);
                if (r.code !== 0) throw new Error(`npm ci in the policy pack failed (${r.log})`);
                policyDeps = "installed (npm ci)";
            }
            const mirror = mirrorConfig(chartsUrl, opts.images);
            const dev = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
                config: Record<string, unknown>;
            };
            const config = e2eStackConfig(dev.config, kube.context, mirror);
            const overrides = {
                "mlops:cluster.context": kube.context,
                ...(mirror ? { "mlops:mirror": mirror } : {}),
            };
            fs.writeFileSync(
                path.join(runner.project, `Pulumi.${stack}.yaml`),
                yaml.dump({ config }),
            );
            let r = await runner.pulumi(
                "stack-init",
                ["stack", "init", stack, "--non-interactive"],
                false,
            );
            if (r.code !== 0) throw new Error(`pulumi stack init failed (${r.log})`);
            let teamDetail = "";
            if (opts.team) {
                const team = yaml.load(fs.readFileSync(path.resolve(ROOT, opts.team), "utf8")) as {
                    config: Record<string, unknown>;
                };
                const tc = e2eStackConfig(team.config, kube.context, mirror);
                fs.writeFileSync(
                    path.join(runner.project, `Pulumi.${teamStack}.yaml`),
                    yaml.dump({ config: tc }),
                );
                r = await runner.pulumi(
                    "stack-init-team",
                    ["stack", "init", teamStack, "--non-interactive"],
                    false,
                );
                if (r.code !== 0)
                    throw new Error(`pulumi stack init ${teamStack} failed (${r.log})`);
                teamDetail = `, team stack ${teamStack} from ${opts.team}`;
            }
            const head = spawnSync("git", ["-C", ROOT, "describe", "--always", "--dirty"]);
            const source =
                head.status === 0 ? `working tree ${head.stdout.toString().trim()}, ` : "";
            runner.record({
                name: "stacks",
                ok: true,
                seconds: (Date.now() - t0) / 1000,
                detail: `${source}project copy ${runner.project} (policy pack deps ${policyDeps}); stack ${stack} = Pulumi.dev.yaml + ${JSON.stringify(overrides)}${teamDetail}`,
                errors: [],
            });
        }

        // ------------------------------------------------------------ cluster preflight
        await preflightFailsFast(runner, kube, stack);

        // ------------------------------------------------------------ fresh policy preview
        await policyPreview(runner, stack, "preview --policy-pack (fresh stack)");

        // ------------------------------------------------------------ up, up again, policy preview
        resources = await kube.resources();
        baseline = await snapshot(kube, resources);
        platformUp = await upAndCheck(runner, stack, "up");
        try {
            addFootprint(await exportStack(runner, stack));
        } catch {
            // no state: nothing to add
        }
        if (platformUp) {
            const r = await runner.pulumi(`up-again-${stack}`, [
                "up",
                "--yes",
                "--stack",
                stack,
                "--expect-no-changes",
            ]);
            const c = changes(r);
            const changed = Object.entries(c).filter(([k, v]) => k !== "same" && v > 0);
            runner.record({
                name: "up again (--expect-no-changes)",
                ok: r.code === 0 && changed.length === 0,
                seconds: r.seconds,
                detail: fmtChanges(c),
                errors:
                    r.code === 0 && changed.length === 0
                        ? []
                        : [
                              ...r.events
                                  .map((e) => e.resourcePreEvent?.metadata)
                                  .filter((m) => m && m.op !== "same")
                                  .map(
                                      (m) => `${m!.op} ${m!.urn.split("::").slice(-2).join("::")}`,
                                  ),
                              ...engineErrors(r),
                          ],
                log: r.log,
            });
            await policyPreview(runner, stack, "preview --policy-pack (after up)");

            // -------------------------------------------------------- team stack
            if (opts.team) {
                await upAndCheck(runner, teamStack, `team stack up (${teamStack})`);
                try {
                    addFootprint(await exportStack(runner, teamStack));
                } catch {
                    // no state
                }
            }
        }
    } catch (e) {
        if (e instanceof UsageError) throw e;
        runner.record({
            name: "runner",
            ok: false,
            seconds: 0,
            detail: "stopped",
            errors: [oneLine(e instanceof Error ? e.message : String(e))],
        });
    }

    // ---------------------------------------------------------------- teardown
    const leftovers: string[] = [];
    const keep = opts.keepOnFailure && runner.failed;
    if (keep) {
        console.log(
            `[e2e] --keep-on-failure: not destroying; PULUMI_BACKEND_URL=file://${path.join(runner.tmp, "state")}`,
        );
    } else {
        const stacksToDestroy: [string, string][] = [];
        if (opts.team && fs.existsSync(path.join(runner.project, `Pulumi.${teamStack}.yaml`))) {
            stacksToDestroy.push([teamStack, `team stack destroy (${teamStack})`]);
        }
        if (fs.existsSync(path.join(runner.project, `Pulumi.${stack}.yaml`)))
            stacksToDestroy.push([stack, "destroy"]);
        for (const [s, label] of stacksToDestroy) {
            const r = await runner.pulumi(`destroy-${s}`, ["destroy", "--yes", "--stack", s]);
            const dep = await exportStack(runner, s).catch(() => ({ resources: [] }) as Deployment);
            const remaining = (dep.resources ?? []).filter(
                (x) => !x.type.startsWith("pulumi:providers:"),
            ).length;
            const ok = r.code === 0 && remaining === 0;
            runner.record({
                name: label,
                ok,
                seconds: r.seconds,
                detail: `${fmtChanges(changes(r))}; ${remaining} resources left in state`,
                errors: ok ? [] : engineErrors(r),
                log: r.log,
            });
        }
        // ------------------------------------------------------------ leftovers
        if (baseline.size > 0) {
            const t0 = Date.now();
            let left: string[] = [];
            let kept: string[] = [];
            let unexplained = 0;
            // Objects being deleted (a namespace, its contents) go on their own: wait up to a
            // minute while any is terminating or the set still shrinks.
            let previous = -1;
            for (let i = 0; i < 12; i++) {
                const now = await snapshot(kube!, await kube!.resources());
                left = [];
                kept = [];
                unexplained = 0;
                let terminating = 0;
                const keptGroups = new Set<string>();
                for (const [uid, { res, obj }] of now) {
                    if (baseline.has(uid) || !keptByHelm(res, obj)) continue;
                    keptGroups.add(obj.metadata.name.replace(/^[^.]+\./, ""));
                }
                for (const [uid, { res, obj }] of now) {
                    if (baseline.has(uid)) continue;
                    const keep = keptByHelm(res, obj);
                    if (keep || crdGroupApiService(res, obj, keptGroups)) {
                        kept.push(
                            `${describe(res, obj)} [${keep ?? "APIService of a kept CRD group"}]`,
                        );
                        continue;
                    }
                    const why = ours(obj, footprint);
                    if (!why) unexplained++;
                    if (obj.metadata.deletionTimestamp) terminating++;
                    left.push(`${describe(res, obj)}${why ? ` [${why}]` : ""}`);
                }
                if (left.length === 0 || (terminating === 0 && left.length === previous)) break;
                previous = left.length;
                await new Promise((r) => setTimeout(r, 5000));
            }
            // Objects of the stacks that were there before `up`: a previous run's leftovers,
            // which this run could neither create nor be blamed for (a fresh cluster avoids it).
            const before = [...baseline.values()]
                .filter(({ obj }) => ours(obj, footprint))
                .map(({ res, obj }) => describe(res, obj));
            if (before.length) {
                runner.record({
                    name: "cluster clean before up",
                    ok: false,
                    seconds: 0,
                    detail: `${before.length} objects of the stacks' namespaces or releases existed before up (reset the cluster)`,
                    errors: before.slice(0, 4),
                });
            }
            leftovers.push(...left.sort());
            fs.writeFileSync(path.join(runner.logs, "leftovers.txt"), left.join("\n") + "\n");
            fs.writeFileSync(
                path.join(runner.logs, "kept-crds.txt"),
                kept.sort().join("\n") + "\n",
            );
            runner.record({
                name: "nothing left in the cluster",
                ok: left.length === 0,
                seconds: (Date.now() - t0) / 1000,
                detail:
                    `${left.length} objects created since before up remain` +
                    (left.length
                        ? ` (${left.length - unexplained} in the stacks' namespaces, labels or releases)`
                        : "") +
                    `; checked ${resources.length} resource kinds, namespaces ${[...footprint.namespaces].sort().join(", ") || "-"}` +
                    (kept.length
                        ? `; kept by Helm's CRD policy, by design: ${kept.filter((k) => k.includes("CustomResourceDefinition")).length} CRDs and their APIServices (${path.join(runner.logs, "kept-crds.txt")})`
                        : ""),
                errors: [],
            });
        }
    }
    await chartServer?.close();
    if (chartServer) {
        const served = chartServer.requests.filter(
            (r) => r.status === 200 && r.path.endsWith(".tgz"),
        );
        fs.writeFileSync(
            path.join(runner.logs, "charts-served.txt"),
            [...new Set(served.map((r) => r.path))].join("\n") + "\n",
        );
    }
    // The state is of no use without the passphrase, which goes with this process.
    if (!keep) runner.removeWorkFiles();
    return summary(runner, started, leftovers, chartServer);
}

/** CRDs and the APIServices the API server registers for their groups, counted by group. */
function compactLeftovers(leftovers: readonly string[]): string[] {
    const byGroup = new Map<string, number>();
    const out: string[] = [];
    for (const l of leftovers) {
        const m = /^(CustomResourceDefinition|APIService) ([^ ]+)/.exec(l);
        if (!m) {
            out.push(l);
            continue;
        }
        const group = m[2].slice(m[2].indexOf(".") + 1);
        const key = `${m[1]}s of ${group}`;
        byGroup.set(key, (byGroup.get(key) ?? 0) + 1);
    }
    return [...[...byGroup].map(([k, n]) => `${n} ${k}`), ...out];
}

function summary(
    runner: Runner,
    started: number,
    leftovers: string[],
    server?: ChartServer,
): number {
    const total = (Date.now() - started) / 1000;
    const line = "─".repeat(100);
    console.log(
        `\n${line}\nmlops-platform e2e: ${runner.failed ? "FAILED" : "PASSED"} in ${fmtTime(total)}\n${line}`,
    );
    for (const r of runner.results) {
        console.log(
            `${r.ok ? " ok " : "FAIL"}  ${r.name.padEnd(38)} ${fmtTime(r.seconds).padStart(7)}  ${oneLine(r.detail, 160)}`,
        );
        for (const e of r.errors.slice(0, 4)) console.log(`        ${oneLine(e, 220)}`);
        if (r.errors.length > 4)
            console.log(`        … ${r.errors.length - 4} more in ${r.log ?? runner.logs}`);
    }
    if (server) {
        const charts = new Set(
            server.requests
                .filter((q) => q.status === 200 && q.path.endsWith(".tgz"))
                .map((q) => q.path),
        );
        console.log(
            `charts fetched from the served repository: ${
                [...charts]
                    .map((c) => c.slice(1))
                    .sort()
                    .join(", ") || "none"
            }`,
        );
    }
    if (leftovers.length) {
        console.log(
            `left in the cluster (${leftovers.length}; all in ${path.join(runner.logs, "leftovers.txt")}):`,
        );
        const lines = compactLeftovers(leftovers);
        for (const l of lines.slice(0, 12)) console.log(`        ${l}`);
        if (lines.length > 12) console.log(`        … ${lines.length - 12} more`);
    }
    console.log(`logs: ${runner.logs}\n${line}`);
    return runner.failed ? 1 : 0;
}

if (require.main === module) {
    let opts: Options;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        console.error(e instanceof Error ? e.message : e);
        process.exit(2);
    }
    main(opts).then(
        (code) => process.exit(code),
        (e: unknown) => {
            console.error(e instanceof UsageError ? e.message : e);
            process.exit(e instanceof UsageError ? 2 : 1);
        },
    );
}
