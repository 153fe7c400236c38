import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A NetworkPolicy peer: pods by their labels, optionally in another namespace. */
export type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
/** A label selector of pods. */
export type PodSelector = k8s.types.input.meta.v1.LabelSelector;

/**
 * Who may open connections to a `ServiceEndpoint`, besides the platform services that
 * declare a call to it in their own endpoint (`calls`).
 */
export interface EndpointCallers {
    /** Any address: a load balancer's clients, node ports, ACME's TLS challenge. @default false */
    readonly anyone?: boolean;
    /** The router (Traefik), which serves the service's routes. @default false */
    readonly router?: boolean;
    /** The service's own pods that call it (a setup Job). @default none */
    readonly own?: readonly Peer[];
    /**
     * Pods of every team namespace (their pipelines). Teams reach it by its
     * `app.kubernetes.io/name`, so a service that admits them also publishes a
     * `TeamEndpoint`. @default false
     */
    readonly teams?: boolean;
}

/** Pods of one service that call another platform service. */
export interface EndpointCall {
    /**
     * The `name` of the endpoint called. A call to an endpoint that does not run here (a
     * cloud store instead of the in-cluster one) opens nothing.
     */
    readonly endpoint: string;
    /** The calling pods. */
    readonly from: readonly Peer[];
}

/**
 * How an in-cluster service is reached: its pods, the ports they listen on, who may call it,
 * and which other platform services its own pods call. Every service component publishes it
 * (`serviceEndpoint`, or `serviceEndpoints` when it runs more than one service); the platform
 * namespace's NetworkPolicies are derived from these (`PlatformNetworkPolicies`), so a new
 * service needs no edit there.
 *
 * A call is declared by the caller (MLflow says it calls the object store and the database),
 * because a service knows what it uses, while a store cannot know who will use it.
 *
 * ```ts
 * const endpoint: ServiceEndpoint = {
 *     name: "mlflow",
 *     pods: { matchLabels: labels },
 *     ports: [5000],
 *     callers: { router: true, teams: true },
 *     calls: [{ endpoint: OBJECT_STORE_ENDPOINT, from: [podsWith(labels)] }],
 * };
 * ```
 */
export interface ServiceEndpoint {
    /** Names its policy, `allow-<name>`; callers' `calls` name it too. */
    readonly name: string;
    /**
     * The serving pods, by the labels of their template. For a chart's workload, the labels
     * its templates give at the pinned version.
     */
    readonly pods: PodSelector;
    /** The ports its callers open: the pods' (container) ports, not the Service's. */
    readonly ports: readonly number[];
    readonly callers: EndpointCallers;
    /** The platform services its pods call. @default none */
    readonly calls?: readonly EndpointCall[];
    /**
     * Where its pods serve Prometheus metrics: a container port they declare, and the path.
     * The platform's monitoring scrapes it (a PodMonitor) and the platform's NetworkPolicies
     * admit Prometheus on this port alone. @default not scraped
     */
    readonly metrics?: EndpointMetrics;
    /**
     * The namespace its pods run in, when it is not the platform's: an engine's own namespace
     * that no platform policy isolates (Seldon's servers in `seldon-mesh`). Such an endpoint
     * gets no `allow-<name>` policy in the platform namespace (its `calls` still open the
     * services it uses there); its metrics are scraped in its namespace, where its one
     * policy, `allow-scrape-<name>`, admits Prometheus alone to the metrics port and keeps
     * every other port as open as the namespace left it. @default the platform namespace
     */
    readonly namespace?: pulumi.Input<string>;
}

/** A Prometheus endpoint of a service's pods. */
export interface EndpointMetrics {
    /** The container port (declared in the pod spec: the operator drops undeclared ports). */
    readonly port: number;
    /** @default "/metrics" */
    readonly path?: string;
}

/**
 * A platform service as a team's pods see it: pods labelled `app.kubernetes.io/name: <app>`
 * in the platform namespace, on these ports. A team stack knows neither the platform's
 * instance names nor which services it runs, so teams select by the application alone.
 */
export interface TeamEndpoint {
    /** `app.kubernetes.io/name` of the serving pods. */
    readonly app: string;
    /** Container ports. */
    readonly ports: readonly number[];
}

/** The peer of pods carrying these labels, in the policy's own namespace. */
export function podsWith(matchLabels: Record<string, pulumi.Input<string>>): Peer {
    return { podSelector: { matchLabels } };
}

/** NetworkPolicy ports, TCP. */
export function tcpPorts(ports: readonly number[]) {
    return ports.map((port) => ({ protocol: "TCP", port }));
}
