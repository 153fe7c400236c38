/**
 * npm run plan -- --stack <name> | --config <Pulumi.x.yaml> [--json] [--tree] [--render <dir>]
 *     [--platform <stack>]
 *
 * Runs the program offline under Pulumi's mocks and prints what it would create, as a preview
 * would: the operation summary, the stack outputs, the resources (a tree, or a summary per type
 * when the stack is large; `--tree` always prints the tree), policies, schema, cost, GPU capacity
 * and footprint. `--render` also writes every Kubernetes object as a YAML manifest into <dir>
 * (see render.ts). `--json` prints one JSON document; through npm use `npm run -s plan`, as
 * npm prints its own banner on stdout otherwise. A team stack's plan reads its team's
 * `mlops-team` ConfigMap as the plan of its platform stack writes it (`--platform`, else the
 * one platform config here that declares the team).
 * Exit 0: ok. 2: invalid config or stack file (message on stderr). 1: any other failure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { profiles } from "../../policies/profiles";
import { policies } from "../../policies/rules";
import { PlanConfigError, runPlan } from "./run";
import { checkPolicies } from "./policy-check";
import { checkSchemas, SchemaReport } from "./schema-check";
import { estimateCost, renderCost } from "./cost";
import { ConfigError, loadConfig } from "../../stacks/config";
import { missingIdentityMessage, teamView } from "../../stacks/team";
import { TEAM_FACTS_CONFIGMAP } from "../../components/tenancy/team";
import { ExistingObject, RecordedRead } from "./recorder";
import { readStackConfig, stackFileOf, StackFileError } from "./stack-config";
import { footprintOf, renderFootprint } from "./footprint";
import {
    TREE_MAX,
    capacityOfPlan,
    previewSummary,
    renderCapacity,
    renderOutputs,
    renderPolicyFindings,
    renderTree,
    typeSummary,
} from "./output";
import { HELM_RELEASES_FILE, renderObjects, writeRendering } from "./render";

interface Args {
    file: string;
    json: boolean;
    /** Print the whole resource tree, however large. */
    tree: boolean;
    /** Directory to write the rendered manifests into. */
    render?: string;
    /** A team stack's plan: the platform stack it runs on. */
    platform?: string;
}

/** Bad arguments: the message and the usage line on stderr, exit 1. */
class UsageError extends Error {}

function usage(message: string): never {
    throw new UsageError(
        `${message}\nusage: npm run plan -- (--stack <name> | --config <Pulumi.x.yaml>) [--json] [--tree] [--render <dir>] [--platform <stack>]`,
    );
}

function parseArgs(argv: readonly string[]): Args {
    let file: string | undefined;
    let json = false;
    let tree = false;
    let render: string | undefined;
    let platform: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") json = true;
        else if (a === "--tree") tree = true;
        else if (a === "--render") {
            const v = argv[++i];
            if (!v) usage(`${a} needs a directory`);
            if (render) usage("give --render once");
            render = path.resolve(v);
        } else if (a === "--platform") {
            const v = argv[++i];
            if (!v) usage(`${a} needs a stack name`);
            platform = v;
        } else if (a === "--stack" || a === "--config") {
            const v = argv[++i];
            if (!v) usage(`${a} needs a value`);
            if (file) usage("give one of --stack or --config");
            file = stackFileOf(a, v);
        } else usage(`unknown argument: ${a}`);
    }
    if (!file) usage("give --stack or --config");
    if (!fs.existsSync(file)) usage(`no such stack config: ${file}`);
    return { file, json, tree, render, platform };
}

/**
 * Exits once everything written has reached the pipe: `process.exit` right after a large
 * write to a pipe would cut the output short.
 */
function finish(code: number): void {
    process.exitCode = code;
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/** What a plan printed and exited with. */
interface PlanRunOutput {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** `plan --config <platformFile> --json`, in a child process. */
function platformPlan(platformFile: string): PlanRunOutput {
    const r = spawnSync(
        process.execPath,
        ["--import", "tsx", __filename, "--config", platformFile, "--json"],
        {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The platform stack configs in `dir` and the teams each declares. */
function platformConfigs(
    dir: string,
): { file: string; teams: { name: string; stack: boolean }[] }[] {
    const found: { file: string; teams: { name: string; stack: boolean }[] }[] = [];
    for (const f of fs.readdirSync(dir).sort()) {
        if (!/^Pulumi\.[^.]+\.yaml$/.test(f)) continue;
        let config: Record<string, string>;
        try {
            config = readStackConfig(path.join(dir, f)).config;
        } catch {
            continue;
        }
        if ((config["mlops:kind"] ?? "platform") !== "platform") continue;
        let teams: unknown;
        try {
            teams = JSON.parse(config["mlops:teams"] ?? "[]");
        } catch {
            continue;
        }
        if (!Array.isArray(teams)) continue;
        found.push({
            file: path.join(dir, f),
            teams: teams.map((t: { name?: unknown; stack?: unknown }) => ({
                name: String(t?.name),
                stack: t?.stack === true,
            })),
        });
    }
    return found;
}

/**
 * Which platform stack config a team stack's plan stands on: `--platform <stack>`, else the
 * deprecated `mlops:platformStack`'s stack, else the one config beside it or in the project
 * that declares the team (the one with `stack: true` when several do).
 */
export function platformFileFor(
    config: ReturnType<typeof loadConfig>,
    file: string,
    platform?: string,
): string {
    const team = config.teams[0].name;
    const named = platform ?? config.platformStack?.split("/").pop();
    if (named) {
        const candidates = [
            path.join(path.dirname(file), `Pulumi.${named}.yaml`),
            stackFileOf("--stack", named),
        ];
        const found = candidates.find((f) => fs.existsSync(f));
        if (!found) {
            throw new ConfigError([
                `${platform ? "--platform" : `mlops:platformStack ${config.platformStack}`}: no Pulumi.${named}.yaml here to plan the platform from (looked in ${candidates.join(", ")})`,
            ]);
        }
        return found;
    }
    // Beside the team stack first, then in the project.
    const dirs = [path.dirname(path.resolve(file)), path.dirname(stackFileOf("--stack", team))];
    for (const dir of [...new Set(dirs)]) {
        const declaring = platformConfigs(dir).filter((p) => p.teams.some((t) => t.name === team));
        if (declaring.length === 0) continue;
        const withStack = declaring.filter((p) => p.teams.some((t) => t.name === team && t.stack));
        const chosen = declaring.length === 1 ? declaring : withStack;
        if (chosen.length === 1) return chosen[0].file;
        const names = (chosen.length ? chosen : declaring).map((p) => path.basename(p.file));
        throw new ConfigError([
            `mlops:teams[0].name: got "${team}"; ${chosen.length ? "several platform stack configs declare it with stack: true" : "several platform stack configs declare it, none with stack: true"} (${names.join(", ")}): plan with --platform <stack> to pick the platform it runs on`,
        ]);
    }
    throw new ConfigError([missingIdentityMessage(team)]);
}

/**
 * What a team stack reads from the cluster, for its plan: its team's `mlops-team` ConfigMap
 * as the platform stack writes it, from planning the platform's config (see
 * {@link platformFileFor}) in a child process. Checked as the program checks it, before the
 * run: the program would stop on a problem inside an apply.
 */
export function clusterObjects(
    config: ReturnType<typeof loadConfig>,
    file: string,
    platform?: string,
): ExistingObject[] {
    if (config.kind !== "team") return [];
    const platformFile = platformFileFor(config, file, platform);
    const where = path.basename(platformFile);
    const r = platformPlan(platformFile);
    let resources: { type: string; inputs: Record<string, unknown> }[];
    try {
        resources = JSON.parse(r.stdout).resources;
    } catch {
        throw new Error(`planning the platform stack (${where}) failed:\n${r.stderr}`);
    }
    if (r.status !== 0 && r.status !== 1) {
        throw new Error(`planning the platform stack (${where}) failed:\n${r.stderr}`);
    }
    const team = config.teams[0];
    const namespace = `team-${team.name}`;
    const map = resources.find((x) => {
        const meta = x.inputs.metadata as { name?: string; namespace?: string } | undefined;
        return (
            x.type === CONFIGMAP &&
            meta?.name === TEAM_FACTS_CONFIGMAP &&
            meta?.namespace === namespace
        );
    });
    const data = map?.inputs.data as Record<string, string> | undefined;
    try {
        teamView(data, team);
    } catch (e) {
        throw new ConfigError([(e as Error).message]);
    }
    return [{ type: CONFIGMAP, id: `${namespace}/${TEAM_FACTS_CONFIGMAP}`, state: map!.inputs }];
}

const CONFIGMAP = "kubernetes:core/v1:ConfigMap";

/** What the program reads and does not create, as preview lists a read. */
function renderReads(reads: readonly RecordedRead[]): string {
    // Plain strings (the rule against Outputs in templates reads `.id` as one).
    const line = ({ type, id }: RecordedRead) => `    ${type}  ${id}`;
    return ["Reads (not created):", ...reads.map(line)].join("\n");
}

function renderSchema(report: SchemaReport): string {
    const unchecked = Object.entries(report.unchecked).map(([t, n]) => `${t} (${n})`);
    return [
        `Schema: ${report.checked} Kubernetes objects validated, ${report.problems.length} invalid`,
        ...report.problems.map((p) => `  ${p.path}: ${p.message}\n      ${p.urn}`),
        ...(unchecked.length ? [`  no schema available for: ${unchecked.join(", ")}`] : []),
    ].join("\n");
}

/**
 * The plan command: what `npm run plan -- <argv>` prints (on this process's stdout and
 * stderr) and the exit code it ends with. One plan per process: Pulumi's runtime state is
 * global.
 */
export async function planCommand(argv: readonly string[]): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        process.stderr.write(`${e.message}\n`);
        return 1;
    }
    try {
        const stack = readStackConfig(args.file);
        const config = loadConfig(stack.config);
        const cost = estimateCost(config);
        const result = await runPlan(
            stack,
            undefined,
            clusterObjects(config, args.file, args.platform),
        );

        let rendered = "";
        if (args.render) {
            const rendering = renderObjects(result.resources);
            writeRendering(rendering, result.stack, args.render);
            rendered =
                `Rendered ${rendering.objects.length} Kubernetes objects into ${args.render}; ` +
                `${rendering.helmReleases.length} Helm releases not rendered (listed in ${HELM_RELEASES_FILE})`;
        }
        const environment = stack.config["mlops:environment"] === "prod" ? "prod" : "dev";
        const profile = profiles[environment];

        const violations = await checkPolicies(result.resources, policies, profile);

        const schema = await checkSchemas(result.resources);

        const capacity = capacityOfPlan(result.resources, profile);
        const footprint = footprintOf(result.resources);
        const failed =
            violations.some((v) => v.level === "mandatory") || schema.problems.length > 0;
        if (args.json) {
            const doc = {
                stack: result.stack,
                resources: result.resources.map((r) => ({
                    urn: r.urn,
                    type: r.type,
                    name: r.name,
                    parent: r.parent ?? null,
                    protect: r.protect,
                    inputs: r.inputs,
                })),
                reads: result.reads,
                policies: violations,
                schema: schema.problems,
                schemaUnchecked: schema.unchecked,
                cost,
                capacity: capacity ?? null,
                outputs: Object.fromEntries(
                    Object.entries(result.outputs).map(([k, v]) => [
                        k,
                        result.secretOutputs.includes(k) ? "[secret]" : v,
                    ]),
                ),
                footprint: {
                    cpuCores: footprint.cpuCores,
                    memoryBytes: footprint.memoryBytes,
                    pods: footprint.lines,
                    uncounted: footprint.uncounted,
                },
            };
            process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
            if (rendered) process.stderr.write(rendered + "\n");
        } else {
            process.stdout.write(
                `Plan of stack ${result.stack} (${path.relative(process.cwd(), args.file)})\n\n`,
            );
            const tree = args.tree || result.resources.length <= TREE_MAX;
            process.stdout.write(
                (tree ? renderTree(result.resources) : typeSummary(result.resources)) + "\n\n",
            );
            if (result.reads.length > 0) process.stdout.write(renderReads(result.reads) + "\n\n");
            // In preview's order: the outputs, then the operation summary.
            process.stdout.write(renderOutputs(result.outputs, result.secretOutputs) + "\n\n");
            process.stdout.write(previewSummary(result.resources) + "\n\n");
            process.stdout.write(
                renderPolicyFindings(violations, environment, policies.length) + "\n\n",
            );
            process.stdout.write(renderSchema(schema) + "\n\n");
            process.stdout.write(renderCost(cost) + "\n\n");
            process.stdout.write(renderCapacity(capacity) + "\n");
            process.stdout.write(renderFootprint(footprint) + "\n");
            if (rendered) process.stdout.write("\n" + rendered + "\n");
        }

        return failed ? 1 : 0;
    } catch (e) {
        if (
            e instanceof PlanConfigError ||
            e instanceof ConfigError ||
            e instanceof StackFileError
        ) {
            process.stderr.write(`${e.message}\n`);
            return 2;
        }
        process.stderr.write(
            `plan failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
        );
        return 1;
    }
}

if (require.main === module)
    // (A promise the program leaves pending fails the process: the SDK's own exit check.)
    void planCommand(process.argv.slice(2)).then(finish);
