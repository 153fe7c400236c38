import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Peer, PodSelector, ServiceEndpoint, tcpPorts } from "../endpoint";
import { TEAM_LABEL } from "../tenancy/team";

type Rule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

/** Arguments of {@link PlatformNetworkPolicies}. */
export interface PlatformNetworkPoliciesArgs {
    /** The platform's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** The router's endpoint: its entry points, and the pods that `callers.router` admits. */
    readonly router: ServiceEndpoint;
    /**
     * The endpoints of the other services that run in the namespace, in the order of their
     * policies. Calls to an endpoint not in the list (a service that does not run) open nothing.
     * @default none
     */
    readonly services?: readonly ServiceEndpoint[];
    /**
     * The pods that scrape metrics (Prometheus, in its own namespace): each endpoint that
     * declares `metrics` admits them on that port alone. @default none: nothing scrapes
     */
    readonly scrapers?: Peer;
}

/**
 * Ingress isolation of the platform namespace, derived from the endpoints of the services that
 * run there: default deny, then one policy per endpoint that admits any caller, `allow-<name>`,
 * which lets in the router, the service's own pods, the platform services that declare a call
 * to it, and team namespaces (by their `mlops.dev/team` label), as its `callers` say, on its
 * ports; an endpoint open to anyone gets a second rule with its ports alone. Egress stays open.
 *
 * No rule admits the API server: no admission webhook runs in this namespace (cert-manager's
 * is in `cert-manager`, KServe's in `kserve`, Seldon 2.9.1 installs none, Argo's chart has none
 * and Traefik's Hub webhook needs a Hub token the platform never sets).
 *
 * Kubelet probes need no rule: "when a pod is isolated for ingress, the only allowed
 * connections into the pod are those from the pod's node and those allowed by the ingress
 * list" (kubernetes.io, Concepts › Services › Network Policies). With `scrapers`, every
 * endpoint that declares `metrics` admits them on its metrics port, one rule in its policy;
 * an endpoint in a namespace of its own (`namespace`) gets its scrape rule there instead.
 *
 * ```ts
 * new PlatformNetworkPolicies("mlops-network", { namespace: "mlops",
 *     router: traefik.serviceEndpoint,
 *     services: [mlflow.serviceEndpoint, store.serviceEndpoint] }, { parent: platform });
 * ```
 */
export class PlatformNetworkPolicies extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:platform:PlatformNetworkPolicies";
    /** The policies by stable key (`default-deny`, `allow-traefik`, `allow-mlflow`, ...). */
    public readonly policies: Record<string, k8s.networking.v1.NetworkPolicy> = {};

    constructor(
        name: string,
        args: PlatformNetworkPoliciesArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(PlatformNetworkPolicies.__pulumiType, name, {}, opts);
        const endpoints = [args.router, ...(args.services ?? [])];
        const router: Peer = { podSelector: args.router.pods };
        const teams: Peer = {
            namespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] },
        };
        /** The pods of every service that declares a call to the endpoint, in service order. */
        const callersOf = (endpoint: string) =>
            endpoints.flatMap((e) =>
                (e.calls ?? []).filter((c) => c.endpoint === endpoint).flatMap((c) => c.from),
            );

        const policy = (key: string, podSelector: PodSelector, ingress: Rule[]) => {
            this.policies[key] = new k8s.networking.v1.NetworkPolicy(
                `${name}-${key}`,
                {
                    metadata: { name: key, namespace: args.namespace },
                    spec: { podSelector, policyTypes: ["Ingress"], ingress },
                },
                { parent: this },
            );
        };

        policy("default-deny", {}, []);
        for (const endpoint of endpoints) {
            if (endpoint.namespace !== undefined) {
                this.scrapeElsewhere(name, endpoint, args.scrapers);
                continue;
            }
            const callers = endpoint.callers;
            const from: Peer[] = [
                ...(callers.router ? [router] : []),
                ...(callers.own ?? []),
                ...callersOf(endpoint.name),
                ...(callers.teams ? [teams] : []),
            ];
            const ports = tcpPorts(endpoint.ports);
            const rules: Rule[] = [
                ...(from.length > 0 ? [{ from, ports }] : []),
                ...(callers.anyone ? [{ ports }] : []),
                ...(args.scrapers && endpoint.metrics
                    ? [{ from: [args.scrapers], ports: tcpPorts([endpoint.metrics.port]) }]
                    : []),
            ];
            // An endpoint that admits nobody (a private database no service here uses, and
            // nothing scrapes) keeps the default deny.
            if (rules.length > 0) policy(`allow-${endpoint.name}`, endpoint.pods, rules);
        }
        this.registerOutputs({});
    }

    /**
     * The scrape rule of an endpoint in a namespace of its own that no platform policy
     * isolates: `allow-scrape-<name>` there selects its pods, admits Prometheus to the metrics
     * port, and every caller to every other TCP port, as before the policy isolated the pods.
     */
    private scrapeElsewhere(name: string, endpoint: ServiceEndpoint, scrapers?: Peer) {
        if (!scrapers || !endpoint.metrics) return;
        const port = endpoint.metrics.port;
        const key = `allow-scrape-${endpoint.name}`;
        this.policies[key] = new k8s.networking.v1.NetworkPolicy(
            `${name}-${key}`,
            {
                metadata: { name: key, namespace: endpoint.namespace },
                spec: {
                    podSelector: endpoint.pods,
                    policyTypes: ["Ingress"],
                    ingress: [
                        { ports: everyTcpPortBut(port) },
                        { from: [scrapers], ports: tcpPorts([port]) },
                    ],
                },
            },
            { parent: this },
        );
    }
}

/** Every TCP port but one, as NetworkPolicy port ranges. */
export function everyTcpPortBut(port: number) {
    return [
        ...(port > 1 ? [{ protocol: "TCP", port: 1, endPort: port - 1 }] : []),
        ...(port < 65535 ? [{ protocol: "TCP", port: port + 1, endPort: 65535 }] : []),
    ];
}
