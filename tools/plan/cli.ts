/**
 * npm run plan -- --stack <name> | --config <Pulumi.x.yaml> [--json] [--tree] [--render <dir>]
 *
 * Runs the program offline under Pulumi's mocks and prints what it would create, as a preview
 * would: the operation summary, the stack outputs, the resources (a tree, or a summary per type
 * when the stack is large; `--tree` always prints the tree), policies, schema, cost, GPU capacity
 * and footprint. `--render` also writes every Kubernetes object as a YAML manifest into <dir>
 * (see render.ts). `--json` prints one JSON document; through npm use `npm run -s plan`, as
 * npm prints its own banner on stdout otherwise.
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
import { teamIdentityProblem } from "../../stacks/team";
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
}

/** Bad arguments: the message and the usage line on stderr, exit 1. */
class UsageError extends Error {}

function usage(message: string): never {
    throw new UsageError(
        `${message}\nusage: npm run plan -- (--stack <name> | --config <Pulumi.x.yaml>) [--json] [--tree] [--render <dir>]`,
    );
}

function parseArgs(argv: readonly string[]): Args {
    let file: string | undefined;
    let json = false;
    let tree = false;
    let render: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") json = true;
        else if (a === "--tree") tree = true;
        else if (a === "--render") {
            const v = argv[++i];
            if (!v) usage(`${a} needs a directory`);
            if (render) usage("give --render once");
            render = path.resolve(v);
        } else if (a === "--stack" || a === "--config") {
            const v = argv[++i];
            if (!v) usage(`${a} needs a value`);
            if (file) usage("give one of --stack or --config");
            file = stackFileOf(a, v);
        } else usage(`unknown argument: ${a}`);
    }
    if (!file) usage("give --stack or --config");
    if (!fs.existsSync(file)) usage(`no such stack config: ${file}`);
    return { file, json, tree, render };
}

/**
 * Exits once everything written has reached the pipe: `process.exit` right after a large
 * write to a pipe would cut the output short.
 */
function finish(code: number): void {
    process.exitCode = code;
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

/** Set by a team stack's plan when it plans its platform stack: outputs in full (mock values). */
const REVEAL = "MLOPS_PLAN_REVEAL_OUTPUTS";

/** What a plan printed and exited with. */
interface PlanRunOutput {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** `plan --config <platformFile> --json` with outputs in full, in a child process. */
function platformPlan(platformFile: string): PlanRunOutput {
    const r = spawnSync(
        process.execPath,
        ["--import", "tsx", __filename, "--config", platformFile, "--json"],
        {
            encoding: "utf8",
            env: { ...process.env, [REVEAL]: "1" },
            maxBuffer: 64 * 1024 * 1024,
        },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The outputs of the platform stack a team stack references, from planning that stack's
 * config (`Pulumi.<stack>.yaml` beside this one or in the project) in a child process.
 */
export function referencedOutputs(
    config: ReturnType<typeof loadConfig>,
    file: string,
): Record<string, Record<string, unknown>> {
    if (config.kind !== "team" || !config.platformStack) return {};
    const name = config.platformStack.split("/").pop()!;
    const candidates = [
        path.join(path.dirname(file), `Pulumi.${name}.yaml`),
        stackFileOf("--stack", name),
    ];
    const platformFile = candidates.find((f) => fs.existsSync(f));
    if (!platformFile) {
        throw new Error(
            `mlops:platformStack ${config.platformStack}: no Pulumi.${name}.yaml here to plan it from (looked in ${candidates.join(", ")})`,
        );
    }
    const r = platformPlan(platformFile);
    if (r.status !== 0 && r.status !== 1) {
        throw new Error(`planning the platform stack ${config.platformStack} failed:\n${r.stderr}`);
    }
    let outputs: Record<string, unknown>;
    try {
        outputs = JSON.parse(r.stdout).outputs as Record<string, unknown>;
    } catch {
        throw new Error(`planning the platform stack ${config.platformStack} failed:\n${r.stderr}`);
    }
    // Fail before the run: the program would stop on this inside an apply.
    // A config problem of the team stack: exit 2, no stack trace.
    const problem = teamIdentityProblem(config.teams[0].name, config.platformStack, outputs);
    if (problem) throw new ConfigError([problem]);
    return { [config.platformStack]: outputs };
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
        const result = await runPlan(stack, undefined, referencedOutputs(config, args.file));

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
                policies: violations,
                schema: schema.problems,
                schemaUnchecked: schema.unchecked,
                cost,
                capacity: capacity ?? null,
                outputs: Object.fromEntries(
                    Object.entries(result.outputs).map(([k, v]) => [
                        k,
                        result.secretOutputs.includes(k) && !process.env[REVEAL] ? "[secret]" : v,
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
