import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseTeamFacts, TEAM_FACTS_CONFIGMAP, TeamFacts } from "../components/tenancy/team";
import { TeamWorkloads } from "../components/tenancy/team-workloads";
import { teamArtifactRoot } from "../components/tracking/team-tracking";
import { PlatformConfig } from "./config";

/**
 * The error when the platform stack runs the team's workloads itself (an inline team): a team
 * stack of that name would create its pipeline a second time. The advice changes nothing there.
 */
export function inlineTeamMessage(team: string): string {
    return (
        `mlops:teams[0].name: got "${team}"; the platform stack runs team ${team}'s ` +
        `workloads itself (an inline team in its mlops:teams), and a team stack of the same name ` +
        `would create its pipeline in team-${team} a second time: give this stack's team another ` +
        `name, or set stack: true on ${team} in the platform stack's mlops:teams`
    );
}

/**
 * The error when the cluster holds no facts for the team: the platform stack has no such team
 * (it issues every team's fences and writes its `mlops-team` ConfigMap).
 */
export function missingIdentityMessage(team: string): string {
    return (
        `mlops:teams[0].name: got "${team}"; the platform stack has no such team and issues it no ` +
        `namespace, quota or identity (no ConfigMap ${TEAM_FACTS_CONFIGMAP} in team-${team}): ` +
        `ask the platform team to add {name: ${team}, stack: true, members, quota} to its mlops:teams`
    );
}

/** The error when the pipeline asks more GPUs per run than the platform granted the team. */
export function pipelineGpuMessage(gpu: number, quota: number): string {
    return (
        `mlops:teams[0].pipeline.gpu: got ${gpu}; must be ≤ the team's GPU quota (${quota}), ` +
        `which the platform stack sets`
    );
}

/** The deprecation of `mlops:platformStack`: a team stack reads nothing from it any more. */
export function platformStackDeprecation(platformStack: string): string {
    return (
        `mlops:platformStack: got "${platformStack}"; no longer read and no longer needed: a team ` +
        `stack reads its team's facts from the ConfigMap ${TEAM_FACTS_CONFIGMAP} in its namespace, ` +
        `with its members' own kubeconfig, and needs no access to the platform stack: remove it`
    );
}

/**
 * The team's facts from its `mlops-team` ConfigMap, checked: they are this team's, the
 * platform expects a stack for it, and its pipeline fits the quota the platform granted.
 */
export function teamView(
    data: Readonly<Record<string, string>> | undefined,
    team: PlatformConfig["teams"][number],
): TeamFacts {
    if (!data || data.team !== team.name) throw new Error(missingIdentityMessage(team.name));
    const facts = parseTeamFacts(data);
    if (!facts.stack) throw new Error(inlineTeamMessage(team.name));
    if (team.pipeline.gpu > facts.quota.gpu)
        throw new Error(pipelineGpuMessage(team.pipeline.gpu, facts.quota.gpu));
    return facts;
}

/**
 * A team stack: reads its team's facts from the `mlops-team` ConfigMap the platform stack
 * wrote in the team's namespace, with the member's own kubeconfig (`mlops:cluster.kubeconfig`
 * and `context`), and creates the team's own workloads (the reference pipeline) there. It
 * needs no access to the platform stack, whose outputs hold the platform's admin secrets.
 * Quotas, members, network policies and identities are the platform stack's: the member's
 * role cannot change them, nor the facts.
 */
export function teamStack(config: PlatformConfig) {
    const team = config.teams[0]; // parseConfig: exactly one in a team stack
    if (config.platformStack) pulumi.log.warn(platformStackDeprecation(config.platformStack));
    const namespace = `team-${team.name}`;

    const provider = new k8s.Provider("platform", {
        kubeconfig:
            config.cluster.kubeconfig === undefined
                ? undefined
                : pulumi.secret(config.cluster.kubeconfig),
        context: config.cluster.context,
        enableServerSideApply: true,
    });
    // A read, not a create: the platform owns the ConfigMap; a member may only get it.
    const factsMap = k8s.core.v1.ConfigMap.get(
        `${team.name}-facts`,
        `${namespace}/${TEAM_FACTS_CONFIGMAP}`,
        { provider },
    );
    const view = factsMap.data.apply((data) => teamView(data, team));

    const workloads = new TeamWorkloads(
        team.name,
        {
            namespace: view.namespace,
            pipeline: {
                trackingUri: view.apply((v) => v.trackingUrl ?? ""),
                // The team's own server keeps artifacts under its prefix; runs log there.
                artifactRoot: view.apply((v) => teamArtifactRoot(v.objectStore, team.name)),
                gpuScheduling: view.gpuScheduling,
                serviceAccount: view.runnerServiceAccount,
                ...team.pipeline,
                mirror: config.mirror,
            },
        },
        { providers: { kubernetes: provider } },
    );
    return { team: team.name, namespace: workloads.namespace };
}
