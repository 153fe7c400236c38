import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceEndpoint, podsWith } from "../endpoint";
import { ExposedService } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { RouteAccess } from "../routing/exposed-service";
import {
    ContainerResources,
    containerSecurityContext,
    withLocalDisk,
    podSecurityContext,
} from "../security";
import { DATABASE_ENDPOINT } from "../storage/database";
import {
    OBJECT_STORE_ENDPOINT,
    ObjectStoreConnection,
    credentialEnv,
} from "../storage/object-store";
import { Mirror, mirrorImage } from "../mirror";
import { images } from "../versions";
import { Workload, serviceHost, spreadReplicas, workload } from "../service-workload";

/** Where MLflow keeps runs and models: a PostgreSQL database. */
export interface TrackingDatabase {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly databaseName: string;
    readonly username: string;
    /** Secret holding the password under the key `password`. */
    readonly credentialsSecretName: pulumi.Input<string>;
}

/** Arguments of {@link MlflowServer}. */
export interface MlflowServerArgs {
    readonly namespace: pulumi.Input<string>;
    readonly database: TrackingDatabase;
    /** The object store; artifacts go to its `tracking` bucket, proxied by the server. */
    readonly objectStore: ObjectStoreConnection;
    /**
     * Where artifacts go in the `tracking` bucket, e.g. `teams/vision/mlflow`: the server
     * proxies that prefix and no other. @default the whole bucket
     */
    readonly artifactsPrefix?: string;
    /** The router that serves the UI at `<subdomain>.<domain>`. */
    readonly router: Traefik;
    /** Host label of the route. @default "mlflow" */
    readonly subdomain?: string;
    /**
     * The name of its Kubernetes objects (Service, Deployment, Job), so that its in-cluster
     * URL is known from the namespace alone. @default the component's name
     */
    readonly kubernetesName?: string;
    /**
     * Run as this existing service account (a team's runner, which holds the team's cloud
     * identity) instead of one of its own; `serviceAccountAnnotations` is then not used.
     * @default an account of its own, named after the server
     */
    readonly serviceAccountName?: pulumi.Input<string>;
    /** Who may use its route, besides the router's admin groups. @default the admin groups */
    readonly access?: RouteAccess;
    /**
     * A team's own server: its route removes the caller's credentials before the request
     * reaches it (`ExposeArgs.tenantBackend`). @default false
     */
    readonly tenantBackend?: boolean;
    /**
     * What the schema Job waits for before it starts (the in-cluster database, whose
     * StatefulSet must be ready). @default none
     */
    readonly databaseReady?: pulumi.Resource[];
    /** Annotations of the workload's Kubernetes service account (cloud identity binding). @default none */
    readonly serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** @default 1 */
    readonly replicas?: number;
    /** Server worker processes (`--workers`). @default 2 */
    readonly workers?: number;
    /** @default requests 100m/384Mi, limits 1/2Gi */
    readonly resources?: ContainerResources;
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

const APP = "mlflow";
const PORT = 5000;
/** The schema Job's pods. */
const DB_UPGRADE_LABELS = { "app.kubernetes.io/name": "mlflow-db-upgrade" };

/**
 * MLflow's Prometheus exporter keeps its multiprocess files here (`--expose-prometheus`), in
 * the pod's /tmp volume.
 */
export const METRICS_DIR = "/tmp/prometheus-metrics";
/** An IPv4 pod address, as an fnmatch pattern of `--allowed-hosts`: Prometheus's Host header. */
export const METRICS_SCRAPE_HOST = "[0-9]*.[0-9]*.[0-9]*.[0-9]*";
/**
 * The Host headers MLflow accepts (`--allowed-hosts`). MLflow 3 compares a pattern without
 * `*` with the whole header, port included, and a pattern with `*` by fnmatch
 * (mlflow/server/security_utils.py, `is_allowed_host_header`, MLflow 3.18.0): the public host
 * arrives with a port through a port-forward or a node port, so it is allowed bare and on any
 * port. In-cluster names come on the Service's port; `localhost` on any port keeps
 * `kubectl port-forward svc/<mlflow>` working, as MLflow's own default list does.
 */
export function mlflowAllowedHosts(publicHost: string, serviceNames: readonly string[]): string {
    return [
        publicHost,
        `${publicHost}:*`,
        ...serviceNames.map((n) => `${n}:${PORT}`),
        "localhost:*",
        "127.0.0.1:*",
    ].join(",");
}
/**
 * The browser origins MLflow accepts state-changing API calls from (`--cors-allowed-origins`):
 * the route's own origin, the only page that calls the API from a browser, bare and on any
 * port, as {@link mlflowAllowedHosts} allows its host. The UI sends `Origin` with its POSTs
 * (searching runs, creating experiments, registering models); MLflow 3.18.0 answers 403
 * "Cross-origin request blocked" to a POST, PUT, PATCH or DELETE under `/api/` or `/ajax-api/`
 * whose `Origin` is neither a loopback origin nor on this list, compared exactly, or by
 * fnmatch for a pattern with `*` (mlflow/server/security_utils.py,
 * `should_block_cors_request`). A browser writes the port of an origin as digits, so
 * `<origin>:*` admits the route through a port-forward or a node port and no other site.
 *
 * ```ts
 * mlflowCorsAllowedOrigins("https://mlflow.mlops.example.com");
 * // "https://mlflow.mlops.example.com,https://mlflow.mlops.example.com:*"
 * ```
 */
export function mlflowCorsAllowedOrigins(publicUrl: string): string {
    return [publicUrl, `${publicUrl}:*`].join(",");
}
/** Any non-root uid works: the image has no user of its own. */
const MLFLOW_UID = 1000;

/** What the migration Job's pod and the server's pods share. */
interface MlflowPod extends Workload {
    readonly podSpec: Omit<k8s.types.input.core.v1.PodSpec, "containers">;
    readonly env: k8s.types.input.core.v1.EnvVar[];
    readonly volumeMounts: k8s.types.input.core.v1.VolumeMount[];
    readonly backendStoreUri: pulumi.Output<string>;
}

/** The artifacts destination of a server: the tracking bucket, or a prefix of it. */
export function mlflowArtifactsDestination(
    store: { readonly scheme: string; readonly buckets: { readonly tracking: string } },
    prefix?: string,
): string {
    return `${store.scheme}://${store.buckets.tracking}/${prefix ? `${prefix}/` : ""}`;
}

/**
 * The MLflow tracking server from the official image: runs and the model registry in
 * PostgreSQL, artifacts proxied by the server into the object store, the schema migrated by a
 * Job before a new version serves, and the UI and API behind Traefik with auth. The
 * platform runs one for its admins and one per team in the team's namespace
 * (`TeamTrackingServer`).
 *
 * ```ts
 * const mlflow = new MlflowServer("mlflow", { namespace, database, objectStore, router });
 * export const trackingUrl = mlflow.url;
 * ```
 */
export class MlflowServer extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:tracking:MlflowServer";
    /** The public URL. */
    public readonly url: pulumi.Output<string>;
    /** The in-cluster URL, for training jobs (`MLFLOW_TRACKING_URI`). */
    public readonly internalUrl: pulumi.Output<string>;
    public readonly route: ExposedService;
    public readonly serviceAccountName: pulumi.Output<string>;
    /**
     * The server, reached by the router; it calls the object store and database. Teams do not
     * reach it: each has a server of its own.
     */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: MlflowServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MlflowServer.__pulumiType, name, {}, opts);
        const w = workload(this, args.kubernetesName ?? name, {
            app: APP,
            namespace: args.namespace,
            resources: args.resources,
            defaultResources: {
                requests: { cpu: "100m", memory: "384Mi" },
                limits: { cpu: "1", memory: "2Gi" },
            },
        });
        const { labels, meta, child } = w;
        const db = args.database;
        const store = args.objectStore;

        // The password reaches libpq through PGPASSWORD, so the URI (and the args) hold none.
        const backendStoreUri = pulumi.interpolate`postgresql+psycopg2://${db.username}@${db.host}:${db.port}/${db.databaseName}`;
        const artifactsDestination = mlflowArtifactsDestination(store, args.artifactsPrefix);
        const env: k8s.types.input.core.v1.EnvVar[] = [
            {
                name: "PGPASSWORD",
                valueFrom: { secretKeyRef: { name: db.credentialsSecretName, key: "password" } },
            },
            { name: "HOME", value: "/tmp" },
            { name: "AWS_DEFAULT_REGION", value: store.region },
            ...(store.endpoint ? [{ name: "MLFLOW_S3_ENDPOINT_URL", value: store.endpoint }] : []),
            ...credentialEnv(store),
        ];
        const volumes = [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }];
        const volumeMounts = [{ name: "tmp", mountPath: "/tmp" }];
        const sa = args.serviceAccountName
            ? undefined
            : new k8s.core.v1.ServiceAccount(
                  name,
                  {
                      metadata: { ...meta(), annotations: args.serviceAccountAnnotations },
                      automountServiceAccountToken: false,
                  },
                  child,
              );
        this.serviceAccountName = sa ? sa.metadata.name : pulumi.output(args.serviceAccountName!);
        const podSpec = {
            serviceAccountName: sa ? meta().name : args.serviceAccountName,
            // Another account's setting is not ours to rely on: no API token in the pod.
            ...(sa ? {} : { automountServiceAccountToken: false }),
            securityContext: podSecurityContext(MLFLOW_UID),
            volumes,
        };

        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: meta(),
                spec: {
                    selector: labels,
                    ports: [{ name: "http", port: PORT, targetPort: "http" }],
                },
            },
            child,
        );
        this.internalUrl = pulumi.interpolate`http://${serviceHost(service)}:${PORT}`;

        this.route = args.router.expose(
            name,
            {
                namespace: args.namespace,
                subdomain: args.subdomain ?? "mlflow",
                service: { name: service.metadata.name, port: PORT },
                access: args.access,
                tenantBackend: args.tenantBackend,
            },
            child,
        );
        this.url = this.route.url;

        const pod: MlflowPod = { ...w, podSpec, env, volumeMounts, backendStoreUri };
        const migrate = this.migration(name, args, pod, sa);
        this.server(name, args, pod, { service, migrate, artifactsDestination });

        this.serviceEndpoint = {
            name: APP,
            pods: { matchLabels: labels },
            ports: [PORT],
            callers: { router: true },
            // `--expose-prometheus`: /metrics on the server's own port.
            metrics: { port: PORT },
            calls: [
                { endpoint: OBJECT_STORE_ENDPOINT, from: [podsWith(labels)] },
                // The schema Job migrates the database before the server starts.
                {
                    endpoint: DATABASE_ENDPOINT,
                    from: [podsWith(labels), podsWith(DB_UPGRADE_LABELS)],
                },
            ],
        };
        this.registerOutputs({ url: this.url, internalUrl: this.internalUrl });
    }

    /**
     * The schema migration: one Job per image version, named after it, finished before the new
     * server starts (the Deployment waits for it).
     */
    private migration(
        name: string,
        args: MlflowServerArgs,
        { meta, resources, child, podSpec, env, volumeMounts, backendStoreUri }: MlflowPod,
        sa: k8s.core.v1.ServiceAccount | undefined,
    ): k8s.batch.v1.Job {
        const db = args.database;
        const version = images.mlflow
            .split(":")[1]
            .replace(/[^a-z0-9-]/gi, "-")
            .toLowerCase();
        return new k8s.batch.v1.Job(
            `${name}-db-upgrade`,
            {
                metadata: meta(`-db-upgrade-${version}`),
                spec: {
                    backoffLimit: 4,
                    template: {
                        metadata: { labels: DB_UPGRADE_LABELS },
                        spec: {
                            ...podSpec,
                            restartPolicy: "OnFailure",
                            // The Job's retries are few; the database's volume and image may take
                            // longer: wait until it accepts connections, without a retry spent.
                            initContainers: [
                                {
                                    name: "wait-for-database",
                                    image: mirrorImage(images.postgres, args.mirror),
                                    command: [
                                        "sh",
                                        "-c",
                                        'until pg_isready -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" -t 5; do sleep 2; done',
                                    ],
                                    env: [
                                        { name: "PGHOST", value: db.host },
                                        { name: "PGPORT", value: String(db.port) },
                                        { name: "PGUSER", value: db.username },
                                        { name: "PGDATABASE", value: db.databaseName },
                                    ],
                                    resources: withLocalDisk(
                                        {
                                            requests: { cpu: "10m", memory: "16Mi" },
                                            limits: { cpu: "100m", memory: "64Mi" },
                                        },
                                        "64Mi",
                                    ),
                                    securityContext: containerSecurityContext(),
                                },
                            ],
                            containers: [
                                {
                                    name: "db-upgrade",
                                    image: mirrorImage(images.mlflow, args.mirror),
                                    command: ["mlflow", "db", "upgrade", backendStoreUri],
                                    env,
                                    resources: withLocalDisk(resources, "1536Mi"),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts,
                                },
                            ],
                        },
                    },
                },
            },
            {
                ...child,
                dependsOn: [...(sa ? [sa] : []), ...(args.databaseReady ?? [])],
                deleteBeforeReplace: true,
            },
        );
    }

    /** The tracking server's Deployment, serving artifacts, after the migration. */
    private server(
        name: string,
        args: MlflowServerArgs,
        { labels, meta, resources, child, podSpec, env, volumeMounts, backendStoreUri }: MlflowPod,
        {
            service,
            migrate,
            artifactsDestination,
        }: {
            service: k8s.core.v1.Service;
            migrate: k8s.batch.v1.Job;
            artifactsDestination: string;
        },
    ) {
        const allowedHosts = pulumi
            .all([this.route.host, serviceHost(service), service.metadata])
            .apply(([host, fqdn, m]) =>
                mlflowAllowedHosts(host, [
                    fqdn,
                    m.name,
                    `${m.name}.${m.namespace}`,
                    // Prometheus scrapes each pod at its address (Host: <pod IP>:<port>).
                    METRICS_SCRAPE_HOST,
                ]),
            );
        const corsAllowedOrigins = this.url.apply(mlflowCorsAllowedOrigins);
        const replicas = args.replicas ?? 1;
        const affinity = spreadReplicas(name, meta(), labels, replicas, child);
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta(),
                spec: {
                    replicas,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            ...podSpec,
                            ...(affinity ? { affinity } : {}),
                            containers: [
                                {
                                    name: "mlflow",
                                    image: mirrorImage(images.mlflow, args.mirror),
                                    command: ["mlflow"],
                                    args: [
                                        "server",
                                        "--host=0.0.0.0",
                                        `--port=${PORT}`,
                                        pulumi.interpolate`--backend-store-uri=${backendStoreUri}`,
                                        "--serve-artifacts",
                                        `--artifacts-destination=${artifactsDestination}`,
                                        pulumi.interpolate`--allowed-hosts=${allowedHosts}`,
                                        pulumi.interpolate`--cors-allowed-origins=${corsAllowedOrigins}`,
                                        `--workers=${args.workers ?? 2}`,
                                        `--expose-prometheus=${METRICS_DIR}`,
                                    ],
                                    env,
                                    ports: [{ name: "http", containerPort: PORT }],
                                    readinessProbe: {
                                        httpGet: { path: "/health", port: "http" },
                                        periodSeconds: 10,
                                    },
                                    // Liveness asks only whether the process answers on its
                                    // port, not the same question as readiness.
                                    livenessProbe: {
                                        tcpSocket: { port: "http" },
                                        initialDelaySeconds: 30,
                                        periodSeconds: 20,
                                    },
                                    resources: withLocalDisk(resources, "1536Mi"),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts,
                                },
                            ],
                        },
                    },
                },
            },
            { ...child, dependsOn: [migrate] },
        );
    }
}
