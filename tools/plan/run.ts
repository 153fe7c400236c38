/**
 * The offline plan: runs the real program under Pulumi's mocks with one stack's config and
 * returns every resource it would register.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../stacks/config";
import { ExistingObject, RecordedRead, RecordedResource, settle, startRecording } from "./recorder";
import { StackConfig } from "./stack-config";

/** The program's entry point. */
export const PROGRAM = path.resolve(__dirname, "..", "..", "index.ts");

/** What a plan found. */
export interface PlanResult {
    readonly stack: string;
    readonly resources: RecordedResource[];
    /** What the program read without creating it (`<Resource>.get`). */
    readonly reads: RecordedRead[];
    /** The stack outputs, resolved, and which of them are secret. */
    readonly outputs: Record<string, unknown>;
    readonly secretOutputs: string[];
}

/** The plan could not run the program: the config is invalid (exit 2). */
export class PlanConfigError extends Error {
    constructor(public readonly cause: ConfigError) {
        super(cause.message);
        this.name = "PlanConfigError";
    }
}

/**
 * Runs the program once, in this process, with `stack`'s config. A process can plan one
 * stack: Pulumi's runtime state is global.
 */
export async function runPlan(
    stack: StackConfig,
    program: string = PROGRAM,
    existing: readonly ExistingObject[] = [],
): Promise<PlanResult> {
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    try {
        pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
        const recording = startRecording({ stack: stack.stack, existing });
        let exported: Record<string, unknown> | undefined;
        try {
            // The program must load after the mocks and config are in place, inside the stack.
            // The module's own exports keep their secrecy; what runInPulumiStack returns does not.
            await pulumi.runtime.runInPulumiStack(
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                async () => (exported = require(program)),
            );
        } catch (e) {
            throw unwrapConfigError(e);
        }
        await settle();
        if (failures.length > 0) throw unwrapConfigError(failures[0]);
        const outputs: Record<string, unknown> = {};
        const secretOutputs: string[] = [];
        for (const [key, value] of Object.entries(exported ?? {})) {
            const output = pulumi.output(value as pulumi.Input<unknown>) as pulumi.Output<unknown>;
            outputs[key] = await new Promise((resolve) => output.apply((v) => resolve(v)));
            if (await pulumi.isSecret(output)) secretOutputs.push(key);
        }
        return {
            stack: stack.stack,
            resources: recording.resources,
            reads: recording.reads,
            outputs,
            secretOutputs,
        };
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

function unwrapConfigError(e: unknown): unknown {
    if (e instanceof ConfigError) return new PlanConfigError(e);
    // Loaded through another module instance (e.g. a test runner's registry): match by name.
    if (e instanceof Error && e.name === "ConfigError")
        return new PlanConfigError(e as ConfigError);
    return e;
}
