import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuScheduling } from "../components/cluster/kubernetes-cluster";
import { TeamQuota } from "../components/tenancy/team";
import { TeamWorkloads } from "../components/tenancy/team-workloads";
import { teamArtifactRoot } from "../components/tracking/team-tracking";
import { PlatformConfig } from "./config";

/**
 * What the platform stack tells a team stack about its team (its `teams.<name>` output):
 * nothing secret. The team's store keys stay in the `runner-s3` Secret the platform wrote into
 * the team's namespace; its cloud identity is on the runner account there.
 */
export interface TeamView {
    readonly namespace: string;
    readonly runnerServiceAccount: string;
    /** The in-cluster URL of the team's tracking server. */
    readonly trackingUrl?: string;
    readonly quota: TeamQuota;
    /** Whether the platform expects a team stack for it (`stack: true`). */
    readonly stack?: boolean;
}

/**
 * The error when the platform stack runs the team's workloads itself (an inline team): a team
 * stack of that name would create its pipeline a second time. The advice changes nothing there.
 */
export function inlineTeamMessage(team: string, platformStack: string): string {
    return (
        `mlops:teams[0].name: got "${team}"; the platform stack ${platformStack} runs team ${team}'s ` +
        `workloads itself (an inline team in its mlops:teams), and a team stack of the same name ` +
        `would create its pipeline in team-${team} a second time: give this stack's team another ` +
        `name, or set stack: true on ${team} in the platform stack's mlops:teams`
    );
}

/** The platform stack's outputs a team stack reads. */
interface PlatformView {
    objectStore: {
        scheme: "s3" | "gs";
        buckets: Record<string, string>;
    };
    gpuScheduling: GpuScheduling;
    teams: Record<string, TeamView>;
}

/** The error when the platform stack has no such team (it issues every team's fences). */
export function missingIdentityMessage(team: string, platformStack: string): string {
    return (
        `mlops:teams[0].name: got "${team}"; the platform stack ${platformStack} has no such team ` +
        `and issues it no namespace, quota or identity: add {name: ${team}, stack: true, members, quota} ` +
        `to its mlops:teams`
    );
}

/** The error when the pipeline asks more GPUs per run than the platform granted the team. */
export function pipelineGpuMessage(gpu: number, quota: number, platformStack: string): string {
    return (
        `mlops:teams[0].pipeline.gpu: got ${gpu}; must be ≤ the team's GPU quota (${quota}), ` +
        `which the platform stack ${platformStack} sets`
    );
}

/**
 * The team's view in the platform stack's `teams` output, checked: the team exists there and
 * its pipeline fits the quota the platform granted.
 */
export function teamView(
    teams: Readonly<Record<string, TeamView>> | undefined,
    team: PlatformConfig["teams"][number],
    platformStack: string,
): TeamView {
    const view = teams?.[team.name];
    if (!view) throw new Error(missingIdentityMessage(team.name, platformStack));
    if (view.stack === false) throw new Error(inlineTeamMessage(team.name, platformStack));
    if (team.pipeline.gpu > view.quota.gpu)
        throw new Error(pipelineGpuMessage(team.pipeline.gpu, view.quota.gpu, platformStack));
    return view;
}

/**
 * A team stack: reads its team's entry of the platform stack's `teams` output through a
 * StackReference and creates the team's own workloads (the reference pipeline) in the
 * namespace the platform created. Quotas, members, network policies and identities are the
 * platform stack's: run this stack with a member's own kubeconfig, whose role cannot change
 * them.
 */
export function teamStack(config: PlatformConfig) {
    const team = config.teams[0]; // parseConfig: exactly one in a team stack
    const platformStack = config.platformStack!;
    const ref = new pulumi.StackReference(platformStack);
    const out = <K extends keyof PlatformView>(key: K) =>
        ref.requireOutput(key) as pulumi.Output<PlatformView[K]>;
    const view = out("teams").apply((teams) => teamView(teams, team, platformStack));

    // On an existing cluster the kubeconfig is this stack's own; GKE's comes from the platform.
    const provider = new k8s.Provider("platform", {
        kubeconfig:
            config.cloud === "local"
                ? config.cluster.kubeconfig === undefined
                    ? undefined
                    : pulumi.secret(config.cluster.kubeconfig)
                : ref.requireOutput("kubeconfig").apply((k) => k as string),
        context: config.cluster.context,
        enableServerSideApply: true,
    });

    const store = out("objectStore");
    const workloads = new TeamWorkloads(
        team.name,
        {
            namespace: view.namespace,
            pipeline: {
                trackingUri: view.apply((v) => v.trackingUrl ?? ""),
                // The team's own server keeps artifacts under its prefix; runs log there.
                artifactRoot: store.apply((s) =>
                    teamArtifactRoot(
                        { scheme: s.scheme, buckets: { tracking: s.buckets.tracking } },
                        team.name,
                    ),
                ),
                gpuScheduling: out("gpuScheduling"),
                serviceAccount: view.runnerServiceAccount,
                ...team.pipeline,
                mirror: config.mirror,
            },
        },
        { providers: { kubernetes: provider } },
    );
    return { team: team.name, namespace: workloads.namespace, platformStack };
}
