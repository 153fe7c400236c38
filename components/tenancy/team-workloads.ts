import * as pulumi from "@pulumi/pulumi";
import { PipelineArgs, referencePipeline } from "./pipeline";

/** Arguments of {@link TeamWorkloads}. */
export interface TeamWorkloadsArgs {
    /** The team's namespace, which the platform stack created (`team-<name>`). */
    readonly namespace: pulumi.Input<string>;
    /** The reference pipeline; `serviceAccount` is the platform's runner account. */
    readonly pipeline: PipelineArgs;
}

/**
 * What a team stack creates: the team's own workloads (the reference pipeline's
 * WorkflowTemplate and its scripts) in the namespace the platform stack created. The team's
 * fences (namespace, quota, members, network policies, runner identity and store keys) are
 * the platform's (`Team`); a team stack creates none of them, so that a team stack,
 * run with a member's own kubeconfig, needs no rights beyond the team's role.
 *
 * ```ts
 * new TeamWorkloads("vision", { namespace: "team-vision", pipeline: { trackingUri, artifactRoot,
 *     gpuScheduling, serviceAccount: "runner" } }, { providers: { kubernetes } });
 * ```
 */
export class TeamWorkloads extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:tenancy:TeamWorkloads";
    /** The namespace the workloads are in. */
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: TeamWorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TeamWorkloads.__pulumiType, name, {}, opts);
        this.namespace = pulumi.output(args.namespace);
        referencePipeline(name, args.namespace, args.pipeline, { parent: this });
        this.registerOutputs({ namespace: this.namespace });
    }
}
