import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import {
    AlertReceiver,
    alertmanagerConfig,
    HONOR_LABELS_SCRAPES,
    KUBE_STATE_METRICS_NEEDS,
} from "./alerting";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as yaml from "js-yaml";
import { GpuScheduling, GPU_POOL_LABEL } from "../cluster/kubernetes-cluster";
import { Peer, ServiceEndpoint } from "../endpoint";
import { helmRelease } from "../helm-release";
import { Mirror, imageTag, mirrorImage, mirrorImageName, mirrorImageParts } from "../mirror";
import { ExposedService } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { containerSecurityContext, podSecurityContext, podSecurityLabels } from "../security";
import { chartImages, charts, images } from "../versions";
import { MANAGED_LOCAL_RETENTION } from "./retention";

/** The kube-prometheus-stack release name: its monitors and rules selector is `release: <it>`. */
export const MONITORING_RELEASE = "kube-prometheus-stack";
/** The label the Prometheus and the operator select PodMonitors and PrometheusRules by. */
export const MONITOR_LABELS = { release: MONITORING_RELEASE } as const;
/** The label the Grafana sidecar loads dashboard ConfigMaps by (values.yaml `sidecar.dashboards`). */
export const DASHBOARD_LABELS = { grafana_dashboard: "1" } as const;
/** A label of Prometheus's pods (`prometheusSpec.podMetadata`), that scrape rules admit. */
export const SCRAPER_LABELS = { "mlops.dev/scraper": "prometheus" } as const;
/** Grafana's pods (grafana chart 12.11.1, `grafana.selectorLabels`). */
const GRAFANA_LABELS = {
    "app.kubernetes.io/name": "grafana",
    "app.kubernetes.io/instance": MONITORING_RELEASE,
};
/** Grafana's container port and Service (`grafana.fullnameOverride` below, `service.port` 80). */
const GRAFANA_PORT = 3000;
const GRAFANA_SERVICE = "grafana";

/**
 * The `app.kubernetes.io/name` of the monitoring pods that answer their own namespace alone:
 * the operator's Prometheus and Alertmanager pods, kube-state-metrics (chart 8.4.0) and the
 * DCGM exporter (chart 4.8.2).
 */
export const NAMESPACE_ONLY_APPS = [
    "prometheus",
    "alertmanager",
    "kube-state-metrics",
    "dcgm-exporter",
] as const;

/** Prometheus's service account (kube-prometheus-stack's `<fullname>-prometheus`). */
export const PROMETHEUS_SERVICE_ACCOUNT = `${MONITORING_RELEASE}-prometheus`;
/** The query signer's Deployment, Service and service account (a managed backend with SigV4). */
export const QUERY_PROXY = "prometheus-query-proxy";
/** The query signer's port, on the Service and the container. */
const QUERY_PROXY_PORT = 8005;
const QUERY_PROXY_LABELS = {
    "app.kubernetes.io/name": "aws-sigv4-proxy",
    "app.kubernetes.io/instance": QUERY_PROXY,
};
export { MANAGED_LOCAL_RETENTION } from "./retention";

/**
 * A cloud's managed Prometheus as the backend (`mlops:observability.backend: managed`): the
 * in-cluster Prometheus scrapes as before and sends every sample there, and Grafana queries
 * it. Built by the cloud's stack: {@link RemoteWriteBackend} on aws
 * (components/aws/managed-prometheus.ts), {@link GoogleExportBackend} on gcp
 * (components/gcp/managed-prometheus.ts).
 */
export type ManagedPrometheus = RemoteWriteBackend | GoogleExportBackend;

/**
 * Amazon Managed Service for Prometheus: Prometheus remote-writes every sample, signed with
 * SigV4; the workspace evaluates the shipped rules (no Alertmanager, no rule in the cluster);
 * Grafana queries through a SigV4 signer.
 */
export interface RemoteWriteBackend {
    readonly kind: "remoteWrite";
    /** Prometheus's remote write endpoint. */
    readonly remoteWriteUrl: pulumi.Input<string>;
    /**
     * The query endpoint's host and path (the Prometheus HTTP API lives under the path), which
     * Grafana reaches through the query signer.
     */
    readonly query: { readonly host: string; readonly path: pulumi.Input<string> };
    /** AWS Signature Version 4 on both: the service name and the region signed for. */
    readonly sigv4: { readonly service: string; readonly region: string };
    /** Annotations binding Prometheus's service account to the identity that may write. */
    readonly writerAnnotations: pulumi.Input<Record<string, string>>;
    /** Annotations binding the query signer's service account to the identity that may read. */
    readonly readerAnnotations: pulumi.Input<Record<string, string>>;
}

/**
 * Google Cloud Managed Service for Prometheus, self-deployed collection: Prometheus runs
 * Google's build (`images.gmpPrometheus` (components/versions.ts)), which exports every sample to Cloud
 * Monitoring with its service account's identity (Workload Identity). The shipped rules and
 * Alertmanager stay in the cluster (over the day Prometheus keeps, longer than any rule's
 * window), so alert receivers work; Grafana queries Cloud Monitoring through Google's query
 * frontend (`images.gmpFrontend`), which reads with its own identity.
 */
export interface GoogleExportBackend {
    readonly kind: "googleExport";
    /** The Google Cloud project whose Cloud Monitoring stores the samples and answers queries. */
    readonly project: string;
    /** Annotations binding Prometheus's service account to the identity that may write. */
    readonly writerAnnotations: pulumi.Input<Record<string, string>>;
    /** Annotations binding the query frontend's service account to the identity that may read. */
    readonly readerAnnotations: pulumi.Input<Record<string, string>>;
}

/** The Prometheus version of `images.gmpPrometheus` (components/versions.ts), for the operator's configuration. */
export const GMP_PROMETHEUS_VERSION = "v2.53.5";
/** The query frontend's port (prometheus-engine's `examples/frontend.yaml`). */
const QUERY_FRONTEND_PORT = 9090;
const QUERY_FRONTEND_LABELS = {
    "app.kubernetes.io/name": "gmp-frontend",
    "app.kubernetes.io/instance": QUERY_PROXY,
};
/** kube-prometheus-stack's Prometheus Service (`<fullname>-prometheus`, port 9090). */
const PROMETHEUS_SERVICE = `${MONITORING_RELEASE}-prometheus`;

/** Whether the managed service, not the cluster, evaluates the rules (and so no Alertmanager). */
export function rulesRunManaged(managed?: ManagedPrometheus): boolean {
    return managed?.kind === "remoteWrite";
}

/** The rule groups and dashboards shipped with the platform, one file each. */
export const RULES_DIR = path.join(__dirname, "rules");
export const DASHBOARDS_DIR = path.join(__dirname, "dashboards");

/** A file of a folder, by its name without extension, sorted. */
function filesOf(dir: string, ext: string): { key: string; text: string }[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(ext))
        .sort()
        .map((f) => ({
            key: f.slice(0, -ext.length),
            text: fs.readFileSync(path.join(dir, f), "utf8"),
        }));
}

/** Each rules file: a PrometheusRule `spec` (`groups: [...]`), by file name. */
export function loadRules(dir = RULES_DIR): { key: string; spec: { groups: unknown[] } }[] {
    return filesOf(dir, ".yaml").map(({ key, text }) => {
        const spec = yaml.load(text) as { groups?: unknown };
        if (!spec || !Array.isArray(spec.groups)) {
            throw new Error(
                `${path.join(dir, key)}.yaml: a PrometheusRule spec needs groups: [...]`,
            );
        }
        return { key, spec: { groups: spec.groups } };
    });
}

/**
 * Each rules file as shipped, by file name: the text a managed Prometheus loads (the same
 * `groups: [...]` YAML a PrometheusRule's spec holds), checked as {@link loadRules} checks it.
 */
export function loadRuleFiles(dir = RULES_DIR): { key: string; text: string }[] {
    loadRules(dir);
    return filesOf(dir, ".yaml");
}

/** Each dashboard file: Grafana dashboard JSON, by file name. */
export function loadDashboards(dir = DASHBOARDS_DIR): { key: string; json: string }[] {
    return filesOf(dir, ".json").map(({ key, text }) => {
        JSON.parse(text); // a broken file fails here, not in Grafana
        return { key, json: text };
    });
}

/** Arguments of {@link Monitoring}. */
export interface MonitoringArgs {
    /** Namespace of Prometheus, Alertmanager, Grafana and the exporters. @default "monitoring" */
    readonly namespace?: string;
    /** The platform's namespace, where the services' endpoints run. */
    readonly platformNamespace: pulumi.Input<string>;
    /** The endpoints to scrape: those that declare `metrics`. */
    readonly endpoints: readonly ServiceEndpoint[];
    /** The router that serves Grafana at `grafana.<domain>`, for the admin groups. */
    readonly router: Traefik;
    /**
     * Single sign-on in front of the router: Grafana trusts oauth2-proxy's
     * `X-Auth-Request-Email` (auth proxy mode). Otherwise Grafana's own login with the
     * generated admin password. @default false
     */
    readonly signOn?: boolean;
    /** How long Prometheus keeps samples. @default "7d" */
    readonly retention?: string;
    /** Prometheus's volume. @default "10Gi" */
    readonly storage?: string;
    /** StorageClass of Prometheus's volume. @default the cluster's default class */
    readonly storageClass?: pulumi.Input<string>;
    /**
     * Where GPU nodes are: the DCGM exporter runs there alone, tolerating the GPU taint. A node
     * selector with no labels (GKE, EKS: a pod needs to ask for a GPU) becomes a node affinity
     * on the GPU pool label every GPU node carries. @default no DCGM exporter
     */
    readonly gpuNodes?: GpuScheduling;
    /**
     * Where alerts are sent (`mlops:observability.alerting.receivers`); with a remote-write
     * backend, none (the managed service evaluates the rules). @default none
     */
    readonly alertReceivers?: readonly AlertReceiver[];
    /**
     * A managed Prometheus as the backend: Prometheus sends every sample to it and keeps
     * {@link MANAGED_LOCAL_RETENTION} itself, and Grafana queries it. With a remote-write
     * backend no Alertmanager and no PrometheusRule runs in the cluster (the managed service
     * evaluates the rules); with Google's, both stay. @default the in-cluster Prometheus alone
     */
    readonly managed?: ManagedPrometheus;
    /** Charts and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/**
 * Metrics, alerts and dashboards: kube-prometheus-stack (the Prometheus Operator, Prometheus,
 * Alertmanager, Grafana, kube-state-metrics, node-exporter) in a namespace of its own, a
 * PodMonitor for every platform endpoint that declares `metrics`, a PrometheusRule for each
 * file of `rules/`, a dashboard ConfigMap for each file of `dashboards/`, NVIDIA's DCGM exporter
 * on GPU nodes, and Grafana at `grafana.<domain>` for the admin groups.
 *
 * ```ts
 * new Monitoring("mlops-monitoring", { platformNamespace: "mlops", endpoints: platform.serviceEndpoints,
 *     router: platform.router, signOn: true }, { parent: platform });
 * ```
 */
export class Monitoring extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:observability:Monitoring";
    public readonly namespace: pulumi.Output<string>;
    public readonly release: k8s.helm.v3.Release;
    /** Prometheus's pods, as a NetworkPolicy peer of the platform namespace's scrape rules. */
    public readonly scrapers: Peer;
    /** PodMonitors by endpoint name. */
    public readonly podMonitors: Record<string, k8s.apiextensions.CustomResource> = {};
    /** Grafana's route. */
    public readonly grafana: ExposedService;
    /** Grafana's admin password (secret). */
    public readonly grafanaAdminPassword: pulumi.Output<string>;
    public readonly dcgmExporter?: k8s.helm.v3.Release;
    /** The query signer Grafana reaches a managed backend through. */
    public readonly queryProxy?: k8s.apps.v1.Deployment;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Monitoring.__pulumiType, name, {}, opts);
        if (rulesRunManaged(args.managed) && (args.alertReceivers ?? []).length > 0) {
            throw new Error(
                `Monitoring ${name}: alertReceivers: a managed backend evaluates the rules itself; no Alertmanager runs in the cluster to send to them`,
            );
        }
        const child = { parent: this };
        const nsName = args.namespace ?? "monitoring";
        // node-exporter reads the host (hostNetwork, hostPID, hostPath) and DCGM the kubelet's
        // pod-resources socket as root: the `privileged` level, in this namespace alone.
        const namespace = new k8s.core.v1.Namespace(
            name,
            { metadata: { name: nsName, labels: podSecurityLabels("privileged") } },
            child,
        );
        this.namespace = namespace.metadata.name;
        this.scrapers = {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": nsName } },
            podSelector: { matchLabels: { ...SCRAPER_LABELS } },
        };

        const password = new random.RandomPassword(
            `${name}-grafana-admin`,
            { length: 24, special: false },
            child,
        );
        this.grafanaAdminPassword = pulumi.secret(password.result);
        const adminSecret = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: "grafana-admin", namespace: this.namespace },
                stringData: { "admin-user": "admin", "admin-password": this.grafanaAdminPassword },
            },
            child,
        );

        this.release = helmRelease(
            name,
            {
                pin: charts.kubePrometheusStack,
                mirror: args.mirror,
                releaseName: MONITORING_RELEASE,
                namespace: this.namespace,
                values: monitoringValues(args, adminSecret.metadata.name),
            },
            { ...child, dependsOn: [adminSecret] },
        );
        this.monitorsAndRules(name, args);
        if (args.managed?.kind === "remoteWrite")
            this.queryProxy = this.querySigner(name, args.managed, args.mirror);
        if (args.managed?.kind === "googleExport")
            this.queryProxy = this.queryFrontend(name, args.managed, args.mirror);
        this.grafana = this.grafanaRoute(name, args);
        this.namespaceOnly(name);
        if (args.gpuNodes) this.dcgmExporter = this.dcgm(name, args, args.gpuNodes);
        this.registerOutputs({ namespace: this.namespace });
    }

    /** A PodMonitor per endpoint with metrics, a PrometheusRule per rules file, the dashboards. */
    private monitorsAndRules(name: string, args: MonitoringArgs) {
        const child = { parent: this };
        const crds = { ...child, dependsOn: [this.release] };

        for (const e of args.endpoints) {
            if (!e.metrics) continue;
            this.podMonitors[e.name] = new k8s.apiextensions.CustomResource(
                `${name}-${e.name}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PodMonitor",
                    metadata: {
                        name: e.name,
                        namespace: this.namespace,
                        labels: { ...MONITOR_LABELS },
                    },
                    spec: {
                        // An engine's own namespace (Seldon's servers), else the platform's.
                        namespaceSelector: {
                            matchNames: [e.namespace ?? args.platformNamespace],
                        },
                        selector: e.pods,
                        podMetricsEndpoints: [
                            {
                                portNumber: e.metrics.port,
                                path: e.metrics.path ?? "/metrics",
                                // The rules read the exporter's own namespace/service labels.
                                ...((HONOR_LABELS_SCRAPES as readonly string[]).includes(e.name)
                                    ? { honorLabels: true }
                                    : {}),
                            },
                        ],
                    },
                },
                crds,
            );
        }
        // A remote-write backend evaluates the same files itself.
        for (const r of rulesRunManaged(args.managed) ? [] : loadRules()) {
            new k8s.apiextensions.CustomResource(
                `${name}-rules-${r.key}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PrometheusRule",
                    metadata: {
                        name: `mlops-${r.key}`,
                        namespace: this.namespace,
                        labels: { ...MONITOR_LABELS },
                    },
                    spec: r.spec,
                },
                crds,
            );
        }
        for (const d of loadDashboards()) {
            new k8s.core.v1.ConfigMap(
                `${name}-dashboard-${d.key}`,
                {
                    metadata: {
                        name: `mlops-dashboard-${d.key}`,
                        namespace: this.namespace,
                        labels: { ...DASHBOARD_LABELS },
                    },
                    data: { [`${d.key}.json`]: d.json },
                },
                child,
            );
        }
    }

    /**
     * Prometheus, Alertmanager, kube-state-metrics and the DCGM exporter answer this namespace's
     * pods alone (Grafana, the query pod, OpenCost, Prometheus itself): their HTTP APIs have no
     * authentication, and Prometheus's holds every team's metrics. No pod of another namespace
     * (the platform's, where models run, nor a team's) reads them.
     */
    private namespaceOnly(name: string) {
        new k8s.networking.v1.NetworkPolicy(
            `${name}-namespace-only`,
            {
                metadata: { name: "allow-monitoring-namespace", namespace: this.namespace },
                spec: {
                    podSelector: {
                        matchExpressions: [
                            {
                                key: "app.kubernetes.io/name",
                                operator: "In",
                                values: [...NAMESPACE_ONLY_APPS],
                            },
                        ],
                    },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: {} }] }],
                },
            },
            { parent: this },
        );
    }

    /** Grafana at `grafana.<domain>`, reachable from the router alone. */
    private grafanaRoute(name: string, args: MonitoringArgs): ExposedService {
        const child = { parent: this };
        // Grafana answers the router alone: under single sign-on it trusts the identity
        // headers oauth2-proxy's answer puts on each request.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-grafana`,
            {
                metadata: { name: "allow-grafana", namespace: this.namespace },
                spec: {
                    podSelector: { matchLabels: GRAFANA_LABELS },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                {
                                    namespaceSelector: {
                                        matchLabels: {
                                            "kubernetes.io/metadata.name": args.platformNamespace,
                                        },
                                    },
                                    podSelector: args.router.serviceEndpoint.pods,
                                },
                                { podSelector: { matchLabels: { ...SCRAPER_LABELS } } },
                            ],
                            ports: [{ protocol: "TCP", port: GRAFANA_PORT }],
                        },
                    ],
                },
            },
            child,
        );
        return args.router.expose(
            `${name}-grafana`,
            {
                namespace: this.namespace,
                subdomain: "grafana",
                service: { name: GRAFANA_SERVICE, port: 80 },
            },
            { ...child, dependsOn: [this.release] },
        );
    }

    /**
     * The query signer: awslabs' aws-sigv4-proxy signs Grafana's queries with its own service
     * account's identity (read-only on the workspace) and forwards them to the managed service.
     * Grafana's core Prometheus data source talks to it unsigned, so the dashboards' data source
     * type stays `prometheus`. It answers Grafana's pods alone: any other caller would read every
     * team's metrics with the platform's identity.
     */
    private querySigner(name: string, managed: RemoteWriteBackend, mirror?: Mirror) {
        return this.queryPod(name, {
            annotations: managed.readerAnnotations,
            labels: QUERY_PROXY_LABELS,
            // The image is FROM scratch with no user: any non-root uid runs it.
            uid: 65534,
            port: QUERY_PROXY_PORT,
            container: {
                name: "aws-sigv4-proxy",
                image: mirrorImage(images.awsSigv4Proxy, mirror),
                args: [
                    `--name=${managed.sigv4.service}`,
                    `--region=${managed.sigv4.region}`,
                    `--host=${managed.query.host}`,
                    `--port=:${QUERY_PROXY_PORT}`,
                ],
            },
        });
    }

    /**
     * The query frontend: Google's frontend answers the Prometheus HTTP API from Cloud
     * Monitoring, authenticated with its own service account's identity (read-only on the
     * project's metrics), and the rules and alerts API from the in-cluster Prometheus, which
     * evaluates them. Grafana's data source keeps its type `prometheus`. It answers Grafana's
     * pods alone, for the same reason as the signer.
     */
    private queryFrontend(name: string, managed: GoogleExportBackend, mirror?: Mirror) {
        const ns = this.namespace;
        return this.queryPod(name, {
            annotations: managed.readerAnnotations,
            labels: QUERY_FRONTEND_LABELS,
            // prometheus-engine's examples/frontend.yaml runs it as 1000:1000.
            uid: 1000,
            port: QUERY_FRONTEND_PORT,
            container: {
                name: "frontend",
                image: mirrorImage(images.gmpFrontend, mirror),
                args: [
                    `--web.listen-address=:${QUERY_FRONTEND_PORT}`,
                    `--query.project-id=${managed.project}`,
                    pulumi.interpolate`--rules.target-urls=http://${PROMETHEUS_SERVICE}.${ns}.svc:9090`,
                ],
                readinessProbe: { httpGet: { path: "/-/ready", port: "http" } },
                livenessProbe: { httpGet: { path: "/-/healthy", port: "http" } },
            },
        });
    }

    /**
     * One query pod for Grafana (signer or frontend): its service account bound to the reader
     * identity, a Deployment, a Service `prometheus-query-proxy`, and a NetworkPolicy that
     * admits Grafana's pods alone.
     */
    private queryPod(
        name: string,
        pod: {
            annotations: pulumi.Input<Record<string, string>>;
            labels: Record<string, string>;
            uid: number;
            port: number;
            container: k8s.types.input.core.v1.Container;
        },
    ) {
        const child = { parent: this };
        const account = new k8s.core.v1.ServiceAccount(
            `${name}-query-proxy`,
            {
                metadata: {
                    name: QUERY_PROXY,
                    namespace: this.namespace,
                    annotations: pod.annotations,
                },
                automountServiceAccountToken: false,
            },
            child,
        );
        const deployment = new k8s.apps.v1.Deployment(
            `${name}-query-proxy`,
            {
                metadata: { name: QUERY_PROXY, namespace: this.namespace, labels: pod.labels },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: pod.labels },
                    template: {
                        metadata: { labels: pod.labels },
                        spec: {
                            serviceAccountName: account.metadata.name,
                            securityContext: podSecurityContext(pod.uid),
                            containers: [
                                {
                                    ...pod.container,
                                    ports: [{ name: "http", containerPort: pod.port }],
                                    securityContext: containerSecurityContext(),
                                    resources: small("10m", "32Mi", "200m", "128Mi"),
                                },
                            ],
                        },
                    },
                },
            },
            child,
        );
        new k8s.core.v1.Service(
            `${name}-query-proxy`,
            {
                metadata: { name: QUERY_PROXY, namespace: this.namespace, labels: pod.labels },
                spec: {
                    selector: pod.labels,
                    ports: [{ name: "http", port: pod.port, targetPort: "http" }],
                },
            },
            child,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-query-proxy`,
            {
                metadata: { name: "allow-prometheus-query-proxy", namespace: this.namespace },
                spec: {
                    podSelector: { matchLabels: pod.labels },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [{ podSelector: { matchLabels: GRAFANA_LABELS } }],
                            ports: [{ protocol: "TCP", port: pod.port }],
                        },
                    ],
                },
            },
            child,
        );
        return deployment;
    }

    /** NVIDIA's DCGM exporter on GPU nodes only, scraped through the chart's ServiceMonitor. */
    private dcgm(name: string, args: MonitoringArgs, gpu: GpuScheduling) {
        const ref = chartImages.dcgmExporter.exporter;
        const selector = Object.keys(gpu.nodeSelector).length > 0;
        return helmRelease(
            `${name}-dcgm`,
            {
                pin: charts.dcgmExporter,
                mirror: args.mirror,
                releaseName: "dcgm-exporter",
                namespace: this.namespace,
                values: {
                    image: { repository: mirrorImageName(ref, args.mirror), tag: imageTag(ref) },
                    ...(selector
                        ? { nodeSelector: { ...gpu.nodeSelector } }
                        : {
                              affinity: {
                                  nodeAffinity: {
                                      requiredDuringSchedulingIgnoredDuringExecution: {
                                          nodeSelectorTerms: [
                                              {
                                                  matchExpressions: [
                                                      { key: GPU_POOL_LABEL, operator: "Exists" },
                                                  ],
                                              },
                                          ],
                                      },
                                  },
                              },
                          }),
                    tolerations: [...gpu.tolerations],
                    // Its pod mapping's namespace and pod labels are the GPU user's (the rules
                    // read them): honoured, not renamed.
                    serviceMonitor: {
                        enabled: true,
                        honorLabels: true,
                        additionalLabels: { ...MONITOR_LABELS },
                    },
                    resources: {
                        requests: { cpu: "50m", memory: "128Mi" },
                        limits: { cpu: "200m", memory: "512Mi" },
                    },
                },
            },
            { parent: this, dependsOn: [this.release] },
        );
    }
}

/** An image in the `registry`, `repository`, `tag` parts the charts take. */
function image(ref: string, mirror?: Mirror) {
    const p = mirrorImageParts(ref, mirror);
    return { registry: p.registry, repository: p.repository, tag: p.tag };
}

const small = (cpu: string, memory: string, limitCpu: string, limitMemory: string) => ({
    requests: { cpu, memory },
    limits: { cpu: limitCpu, memory: limitMemory },
});

/**
 * kube-prometheus-stack's values (88.5.3, values.yaml): every image pinned, small requests (the
 * dev footprint), the retention and volume, the Grafana admin from a Secret, and no scrape of
 * the control plane's own components, which managed clusters do not expose. With a managed
 * backend: Prometheus's own identity to send with, a short local retention, and Grafana's data
 * source on the query pod; with a remote-write backend, remote write signed with that identity
 * and no Alertmanager and no rules in the cluster; with Google's, Google's Prometheus build.
 */
export function monitoringValues(args: MonitoringArgs, adminSecret: pulumi.Input<string>) {
    const img = chartImages.kubePrometheusStack;
    const m = args.mirror;
    const managed = args.managed;
    const remote = managed?.kind === "remoteWrite" ? managed : undefined;
    const ns = args.namespace ?? "monitoring";
    return {
        // GKE and EKS run etcd, the scheduler, the controller manager and (EKS) kube-proxy out
        // of reach; kind and k3s bind them to loopback.
        kubeEtcd: { enabled: false },
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        // The chart's own rules would alert into no Alertmanager under a remote-write backend.
        defaultRules: remote
            ? { create: false }
            : {
                  rules: {
                      etcd: false,
                      kubeControllerManager: false,
                      kubeSchedulerAlerting: false,
                      kubeSchedulerRecording: false,
                      kubeProxy: false,
                  },
              },
        prometheusOperator: {
            image: image(img.operator, m),
            prometheusConfigReloader: {
                image: image(img.configReloader, m),
                resources: small("10m", "16Mi", "100m", "64Mi"),
            },
            admissionWebhooks: { patch: { image: image(img.webhookCertgen, m) } },
            resources: small("20m", "48Mi", "200m", "256Mi"),
        },
        prometheus: {
            ...(managed ? { serviceAccount: { annotations: managed.writerAnnotations } } : {}),
            prometheusSpec: {
                // Google's build exports to Cloud Monitoring with the service account's
                // identity (Workload Identity); the operator configures it as the Prometheus
                // version underneath.
                ...(managed?.kind === "googleExport"
                    ? {
                          image: image(images.gmpPrometheus, m),
                          version: GMP_PROMETHEUS_VERSION,
                      }
                    : { image: image(img.prometheus, m) }),
                retention: managed ? MANAGED_LOCAL_RETENTION : (args.retention ?? "7d"),
                // Signed with the service account's web identity (IRSA): no key anywhere.
                ...(remote
                    ? {
                          remoteWrite: [
                              {
                                  url: remote.remoteWriteUrl,
                                  sigv4: { region: remote.sigv4.region },
                              },
                          ],
                      }
                    : {}),
                podMetadata: { labels: { ...SCRAPER_LABELS } },
                resources: small("100m", "256Mi", "1", "1536Mi"),
                storageSpec: {
                    volumeClaimTemplate: {
                        spec: {
                            ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: args.storage ?? "10Gi" } },
                        },
                    },
                },
            },
        },
        alertmanager: remote
            ? { enabled: false }
            : {
                  // Where alerts go: none unless the config names receivers.
                  config: alertmanagerConfig(args.alertReceivers ?? []),
                  alertmanagerSpec: {
                      image: image(img.alertmanager, m),
                      resources: small("10m", "32Mi", "100m", "128Mi"),
                  },
              },
        "kube-state-metrics": {
            image: image(img.kubeStateMetrics, m),
            // The GPU pool label of nodes, and pods' node selectors, which the GPU rules read.
            metricLabelsAllowlist: [...KUBE_STATE_METRICS_NEEDS.metricLabelsAllowlist],
            extraArgs: [`--metric-opt-in-list=${KUBE_STATE_METRICS_NEEDS.metricOptIn.join(",")}`],
            resources: small("10m", "32Mi", "100m", "128Mi"),
        },
        "prometheus-node-exporter": {
            // The tag carries `-distroless` already.
            image: { ...image(img.nodeExporter, m), distroless: false },
            resources: small("10m", "24Mi", "100m", "64Mi"),
        },
        grafana: {
            fullnameOverride: GRAFANA_SERVICE,
            image: image(img.grafana, m),
            sidecar: {
                image: image(img.grafanaSidecar, m),
                resources: small("10m", "32Mi", "100m", "128Mi"),
                // The chart's default data source (`Prometheus`, type prometheus), on the
                // managed backend through the query pod.
                ...(remote
                    ? {
                          datasources: {
                              url: pulumi.interpolate`http://${QUERY_PROXY}.${ns}.svc:${QUERY_PROXY_PORT}${remote.query.path}`,
                          },
                      }
                    : {}),
                ...(managed?.kind === "googleExport"
                    ? {
                          datasources: {
                              url: `http://${QUERY_PROXY}.${ns}.svc:${QUERY_FRONTEND_PORT}`,
                          },
                      }
                    : {}),
            },
            initChownData: { enabled: false },
            testFramework: { enabled: false },
            admin: {
                existingSecret: adminSecret,
                userKey: "admin-user",
                passwordKey: "admin-password",
            },
            resources: small("50m", "128Mi", "500m", "512Mi"),
            "grafana.ini": args.signOn
                ? {
                      // oauth2-proxy signed the caller in; the route admits the admin groups.
                      "auth.proxy": {
                          enabled: true,
                          header_name: "X-Auth-Request-Email",
                          header_property: "email",
                          auto_sign_up: true,
                          headers: "Groups:X-Auth-Request-Groups",
                      },
                      auth: { disable_login_form: true },
                      users: { auto_assign_org_role: "Admin", allow_sign_up: false },
                  }
                : // Behind the router's basic auth, then Grafana's own login: Grafana must not
                  // read the router's Authorization header as its own credentials.
                  { "auth.basic": { enabled: false } },
        },
    };
}
