/**
 * The mlops-platform program: reads and validates the stack config once, then builds the
 * platform stack or a team stack. The exported object is the stack's outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { platformStack } from "./stacks/platform";
import { teamStack } from "./stacks/team";

const config = loadConfig(pulumi.runtime.allConfig());

const outputs: Record<string, unknown> =
    config.kind === "team" ? teamStack(config) : platformStack(config);

export = outputs;
