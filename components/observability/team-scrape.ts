import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Peer, ServiceEndpoint, tcpPorts } from "../endpoint";
import { TEAM_LABEL } from "../tenancy/team";
import { MONITOR_LABELS } from "./monitoring";

/** Arguments of {@link TeamScrapes}. */
export interface TeamScrapesArgs {
    /** The team's name; its services run in `team-<name>`. */
    readonly team: string;
    /**
     * The endpoints of the platform's services in the team's namespace (the team's MLflow and
     * Feast servers): each that declares `metrics` is scraped, on that port alone.
     */
    readonly endpoints: readonly ServiceEndpoint[];
    /** Prometheus's namespace, where the PodMonitors live beside the platform's. */
    readonly monitoringNamespace: pulumi.Input<string>;
    /** Prometheus's pods (`Monitoring.scrapers`): the one peer the scrape rules admit. */
    readonly scrapers: Peer;
}

/** The name of the PodMonitor of a team's endpoint: `team-<team>-<endpoint>`. */
export function teamPodMonitorName(team: string, endpoint: string): string {
    return `team-${team}-${endpoint}`;
}

/** The name of the scrape rule of a team's endpoint, in the team's namespace. */
export function teamScrapePolicyName(endpoint: string): string {
    return `allow-scrape-${endpoint}`;
}

/**
 * Prometheus scraping the platform's services that run in a team's namespace, derived from
 * their endpoints as the platform namespace's scrapes are: for each endpoint that declares
 * `metrics`, a PodMonitor in the monitoring namespace (labelled as the chart's Prometheus
 * selects them, and selecting the team's namespace by name), and a NetworkPolicy in the
 * team's namespace, `allow-scrape-<endpoint>`, whose one ingress rule admits Prometheus's pods
 * to the endpoint's pods on its metrics port alone. Nothing else of the team's namespace
 * opens, and the team's default deny keeps every other pod and port closed to Prometheus.
 *
 * The PodMonitors are the platform's: team members have no right on `monitoring.coreos.com`
 * objects (`TEAM_MEMBER_RULES`). Their targets keep Prometheus's own `namespace` and `pod`
 * labels (`honorLabels: false`), so a team's server cannot write series that claim another
 * namespace.
 *
 * ```ts
 * new TeamScrapes("mlops-scrape-vision", { team: "vision",
 *     endpoints: [tracking.serviceEndpoint, features.serviceEndpoint],
 *     monitoringNamespace: monitoring.namespace, scrapers: monitoring.scrapers },
 *     { parent: platform, dependsOn: [monitoring.release] });
 * ```
 */
export class TeamScrapes extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:observability:TeamScrapes";
    /** PodMonitors by endpoint name. */
    public readonly podMonitors: Record<string, k8s.apiextensions.CustomResource> = {};
    /** The scrape rules in the team's namespace, by endpoint name. */
    public readonly policies: Record<string, k8s.networking.v1.NetworkPolicy> = {};

    constructor(name: string, args: TeamScrapesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TeamScrapes.__pulumiType, name, {}, opts);
        const namespace = `team-${args.team}`;
        const names = args.endpoints.map((e) => e.name);
        const twice = names.find((n, i) => names.indexOf(n) !== i);
        if (twice) {
            throw new Error(
                `TeamScrapes ${name}: two endpoints of team ${args.team} are named ${twice}; each needs its own PodMonitor and policy name`,
            );
        }
        for (const e of args.endpoints) {
            if (!e.metrics) continue;
            this.podMonitors[e.name] = new k8s.apiextensions.CustomResource(
                `${name}-${e.name}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PodMonitor",
                    metadata: {
                        name: teamPodMonitorName(args.team, e.name),
                        namespace: args.monitoringNamespace,
                        labels: { ...MONITOR_LABELS },
                    },
                    spec: {
                        namespaceSelector: { matchNames: [namespace] },
                        selector: e.pods,
                        podMetricsEndpoints: [
                            {
                                portNumber: e.metrics.port,
                                path: e.metrics.path ?? "/metrics",
                                // A tenant's server: its own labels never override the target's.
                                honorLabels: false,
                            },
                        ],
                    },
                },
                { parent: this },
            );
            this.policies[e.name] = new k8s.networking.v1.NetworkPolicy(
                `${name}-${e.name}`,
                {
                    metadata: {
                        name: teamScrapePolicyName(e.name),
                        namespace,
                        labels: { [TEAM_LABEL]: args.team },
                    },
                    spec: {
                        podSelector: e.pods,
                        policyTypes: ["Ingress"],
                        ingress: [{ from: [args.scrapers], ports: tcpPorts([e.metrics.port]) }],
                    },
                },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
