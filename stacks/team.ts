import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuScheduling } from "../components/cluster/kubernetes-cluster";
import { TEAM_SERVICES } from "../components/platform/mlops-platform";
import { Team } from "../components/tenancy/team";
import { ConfigError, PlatformConfig, kubernetesMemberPrefix } from "./config";

/** The platform stack's outputs a team stack reads. */
interface PlatformView {
    namespace: string;
    objectStore: {
        scheme: "s3" | "gs";
        endpoint?: string;
        region: string;
        buckets: Record<string, string>;
    };
    trackingInternalUrl?: string;
    gpuScheduling: GpuScheduling;
    teamIdentities: Record<
        string,
        {
            objectStoreCredentials?: { accessKeyId: string; secretAccessKey: string };
            runnerAnnotations?: Record<string, string>;
        }
    >;
}

/** The error when the platform stack issues no identity for the team. */
export function missingIdentityMessage(team: string, platformStack: string): string {
    return (
        `mlops:teams[0].name: got "${team}"; the platform stack ${platformStack} issues no identity ` +
        `for it: add {name: ${team}, stack: true} to its mlops:teams`
    );
}

/**
 * The error when the platform stack creates the team itself (an inline team): a team stack of
 * that name would create the same namespace a second time. The advice changes nothing there.
 */
export function inlineTeamMessage(team: string, platformStack: string): string {
    return (
        `mlops:teams[0].name: got "${team}"; the platform stack ${platformStack} creates team ${team} ` +
        `itself (an inline team in its mlops:teams), and a team stack of the same name would ` +
        `create its namespace team-${team} a second time: give this stack's team another name, ` +
        `or keep managing ${team} in the platform stack's config`
    );
}

/**
 * Why the platform stack's outputs issue no identity to the team, or undefined when they do:
 * the team is the platform's inline team, or the platform does not know it.
 */
export function teamIdentityProblem(
    team: string,
    platformStack: string,
    outputs: { teamIdentities?: unknown; teams?: unknown },
): string | undefined {
    const ids = outputs.teamIdentities as Record<string, unknown> | undefined;
    if (ids?.[team]) return undefined;
    const inline = outputs.teams as Record<string, unknown> | undefined;
    return inline && typeof inline === "object" && team in inline
        ? inlineTeamMessage(team, platformStack)
        : missingIdentityMessage(team, platformStack);
}

/**
 * A team stack: reads the platform stack through a StackReference and creates the team's
 * `Team` (namespace, quota, RBAC, network isolation, runner, reference pipeline) with the
 * identity the platform issued to it.
 */
export function teamStack(config: PlatformConfig) {
    const team = config.teams[0]; // parseConfig: exactly one in a team stack
    const ref = new pulumi.StackReference(config.platformStack!);
    const out = <K extends keyof PlatformView>(key: K) =>
        ref.requireOutput(key) as pulumi.Output<PlatformView[K]>;
    // Refused as the config is (exit 2 from the plan): the platform's answer is the config.
    const identity = pulumi
        .all([out("teamIdentities"), ref.getOutput("teams")])
        .apply(([ids, teams]) => {
            const problem = teamIdentityProblem(team.name, config.platformStack!, {
                teamIdentities: ids,
                teams,
            });
            if (problem) throw new ConfigError([problem]);
            return ids[team.name];
        });

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
    const scheduling = out("gpuScheduling");
    const t = new Team(
        team.name,
        {
            members: team.members,
            // As the platform stack's cluster names members (team stacks know the cloud).
            memberPrefix: kubernetesMemberPrefix(config),
            quota: team.quota,
            platformNamespace: out("namespace"),
            platformServices: TEAM_SERVICES,
            runnerAnnotations: identity.apply((id) => id.runnerAnnotations ?? {}),
            // The platform's Argo server signs people in when its routes do: the same
            // routing.auth defaults hold here (set mode basic in both stacks for basic auth).
            argoSignOn: config.routing.auth.enabled && config.routing.auth.mode === "oidc",
            objectStoreCredentials:
                config.cloud === "local"
                    ? {
                          accessKeyId: identity.apply(
                              (id) => id.objectStoreCredentials?.accessKeyId ?? "",
                          ),
                          secretAccessKey: identity.apply(
                              (id) => id.objectStoreCredentials?.secretAccessKey ?? "",
                          ),
                      }
                    : undefined,
            artifactRepository: store.apply((s) => ({
                scheme: s.scheme,
                bucket: s.buckets.workflows,
                endpoint: s.endpoint,
                insecure: s.scheme === "s3" && (s.endpoint ?? "").startsWith("http://"),
                region: s.region,
            })),
            pipeline: {
                trackingUri: ref
                    .getOutput("trackingInternalUrl")
                    .apply((u) => (u as string | undefined) ?? ""),
                artifactRoot: store.apply((s) => `${s.scheme}://${s.buckets.tracking}/`),
                gpuScheduling: scheduling,
                ...team.pipeline,
                mirror: config.mirror,
            },
        },
        { providers: { kubernetes: provider } },
    );
    return { team: team.name, namespace: t.namespace, platformStack: config.platformStack };
}
