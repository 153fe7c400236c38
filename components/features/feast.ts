import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
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
import { FEAST_METRICS_PORT, FEAST_PORT, featureServerDeployment } from "./server";
import {
    OBJECT_STORE_ENDPOINT,
    ObjectStoreConnection,
    credentialEnv,
} from "../storage/object-store";
import { Mirror, mirrorImage } from "../mirror";
import { images } from "../versions";
import { Workload, secretEnv, serviceHost, workload } from "../service-workload";
import { REDIS_EXPORTER_PORT, redisExporter } from "../observability/exporters";

/** Arguments of {@link FeastFeatureStore}. */
export interface FeastFeatureStoreArgs {
    readonly namespace: pulumi.Input<string>;
    /** The object store: the registry lives in its `features` bucket. */
    readonly objectStore: ObjectStoreConnection;
    /** The router that serves the feature server at `features.<domain>`. */
    readonly router: Traefik;
    /** Feast project name. @default "mlops" */
    readonly project?: string;
    /** Who may use its route, besides the router's admin groups. @default the admin groups */
    readonly access?: RouteAccess;
    /** Annotations of the workload's Kubernetes service account (cloud identity binding). @default none */
    readonly serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** @default requests 100m/256Mi, limits 1/2Gi */
    readonly resources?: ContainerResources;
    /** Feature server replicas (the online store stays one). @default 1 */
    readonly replicas?: number;
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

const FEAST_APP = "feast";
const VALKEY_PORT = 6379;
const VALKEY_UID = 999;
/** The Valkey config file that carries the password, from the credentials Secret. */
const VALKEY_AUTH_FILE = "valkey-auth.conf";
const VALKEY_AUTH_DIR = "/etc/valkey";

/**
 * The Feast repo config: Valkey online store, registry in the object store (read with boto3,
 * feast/infra/registry/s3.py, in the image's `aws` extra). The offline store is `file`, for
 * local paths only: `s3://` file sources need `s3fs`, which the feature-server image 0.66.0
 * does not include (its `minimal` extra, sdk/python/pyproject.toml; fsspec raises "Install
 * s3fs to access S3"), so features reach Valkey through the server's `/push` and
 * `/write-to-online-store`.
 */
export function featureStoreYaml(settings: {
    project: string;
    registryPath: string;
    redisHost: string;
}): string {
    return [
        `project: ${settings.project}`,
        "provider: local",
        "registry:",
        "  registry_type: file",
        `  path: ${settings.registryPath}`,
        "  cache_ttl_seconds: 60",
        "online_store:",
        "  type: redis",
        // Feast expands ${VAR} from the environment: the password stays in its Secret.
        `  connection_string: "${settings.redisHost}:${VALKEY_PORT},password=\${REDIS_PASSWORD}"`,
        "offline_store:",
        "  type: file",
        "entity_key_serialization_version: 3",
        "",
    ].join("\n");
}

/**
 * The platform's shared Feast feature store, for the admin groups: a Valkey (Redis-protocol)
 * online store with a generated password, the registry in the object store,
 * `feature_store.yaml` in a ConfigMap, and the Feast feature server from its official image
 * behind Traefik. Teams do not reach it: each has its own `TeamFeatureStore`.
 *
 * ```ts
 * const feast = new FeastFeatureStore("feast", { namespace, objectStore, router });
 * export const featuresUrl = feast.url;
 * ```
 */
export class FeastFeatureStore extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:features:FeastFeatureStore";
    public readonly url: pulumi.Output<string>;
    public readonly route: ExposedService;
    /** The in-cluster feature server URL. */
    public readonly internalUrl: pulumi.Output<string>;
    /** Name of the ConfigMap holding `feature_store.yaml`, for jobs that use the store. */
    public readonly configMapName: pulumi.Output<string>;
    /**
     * The feature server (reached by the router only: teams have their own store, a
     * `TeamFeatureStore` in their namespace; it calls the object store and Valkey), then Valkey
     * (reached by the feature server only).
     */
    public readonly serviceEndpoints: readonly ServiceEndpoint[];

    constructor(name: string, args: FeastFeatureStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(FeastFeatureStore.__pulumiType, name, {}, opts);
        const w = workload(this, name, {
            app: FEAST_APP,
            namespace: args.namespace,
            resources: args.resources,
            defaultResources: {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { cpu: "1", memory: "2Gi" },
            },
        });
        const online = this.onlineStore(`${name}-online`, args);
        const config = this.repoConfig(name, w, online.service, args);
        this.configMapName = config.metadata.name;
        const account = new k8s.core.v1.ServiceAccount(
            name,
            {
                metadata: { ...w.meta(), annotations: args.serviceAccountAnnotations },
                automountServiceAccountToken: false,
            },
            w.child,
        );
        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: w.meta(),
                spec: {
                    selector: w.labels,
                    ports: [{ name: "http", port: FEAST_PORT, targetPort: "http" }],
                },
            },
            w.child,
        );
        this.internalUrl = pulumi.interpolate`http://${serviceHost(service)}:${FEAST_PORT}`;
        featureServerDeployment(name, w, {
            meta: { name, namespace: args.namespace },
            config,
            account,
            env: this.serverEnv(online.credentials, args.objectStore),
            replicas: args.replicas ?? 1,
            mirror: args.mirror,
        });
        this.route = args.router.expose(
            name,
            {
                namespace: args.namespace,
                subdomain: "features",
                service: { name: service.metadata.name, port: FEAST_PORT },
                access: args.access,
            },
            w.child,
        );
        this.url = this.route.url;
        const server = podsWith(w.labels);
        this.serviceEndpoints = [
            {
                name: FEAST_APP,
                pods: { matchLabels: w.labels },
                ports: [FEAST_PORT],
                callers: { router: true },
                metrics: { port: FEAST_METRICS_PORT },
                calls: [
                    { endpoint: "valkey", from: [server] },
                    { endpoint: OBJECT_STORE_ENDPOINT, from: [server] },
                ],
            },
            {
                name: "valkey",
                pods: { matchLabels: online.labels },
                ports: [VALKEY_PORT],
                callers: {},
                metrics: { port: REDIS_EXPORTER_PORT },
            },
        ];
        this.registerOutputs({ url: this.url, internalUrl: this.internalUrl });
    }

    /** Valkey with a generated password: the online store, a cache without persistence. */
    private onlineStore(name: string, args: FeastFeatureStoreArgs) {
        const w = workload(this, name, {
            app: "valkey",
            namespace: args.namespace,
            defaultResources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "500m", memory: "512Mi" },
            },
        });
        const password = new random.RandomPassword(
            `${name}-password`,
            // Feast splits the connection string on commas and parses values as JSON: letters
            // and digits only, never all digits.
            { length: 32, special: false, minUpper: 2, minLower: 2 },
            w.child,
        );
        const credentials = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: w.meta("-credentials"),
                stringData: {
                    REDIS_PASSWORD: pulumi.secret(password.result),
                    // Read by valkey-server as its config file, so that the password is not
                    // on its command line (and in the process table).
                    [VALKEY_AUTH_FILE]: pulumi.secret(
                        pulumi.interpolate`requirepass "${password.result}"\n`,
                    ),
                },
            },
            w.child,
        );
        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: w.meta(),
                spec: {
                    selector: w.labels,
                    ports: [{ name: "redis", port: VALKEY_PORT, targetPort: "redis" }],
                },
            },
            w.child,
        );
        new k8s.apps.v1.Deployment(
            name,
            {
                metadata: w.meta(),
                spec: {
                    replicas: 1,
                    selector: { matchLabels: w.labels },
                    template: {
                        metadata: { labels: w.labels },
                        spec: {
                            securityContext: podSecurityContext(VALKEY_UID),
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "valkey",
                                    image: mirrorImage(images.valkey, args.mirror),
                                    command: ["valkey-server"],
                                    // The config file first (valkey-server's usage:
                                    // `valkey-server [/path/to/valkey.conf] [options]`,
                                    // src/server.c): it holds only the password. The online
                                    // store is a cache of the offline store: no persistence,
                                    // bounded memory.
                                    args: [
                                        `${VALKEY_AUTH_DIR}/${VALKEY_AUTH_FILE}`,
                                        "--save",
                                        "",
                                        "--appendonly",
                                        "no",
                                        "--maxmemory",
                                        "400mb",
                                        "--dir",
                                        "/data",
                                    ],
                                    ports: [{ name: "redis", containerPort: VALKEY_PORT }],
                                    readinessProbe: {
                                        tcpSocket: { port: "redis" },
                                        periodSeconds: 10,
                                    },
                                    livenessProbe: {
                                        tcpSocket: { port: "redis" },
                                        initialDelaySeconds: 15,
                                        periodSeconds: 20,
                                    },
                                    resources: withLocalDisk(w.resources, "256Mi"),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        {
                                            name: "auth",
                                            mountPath: VALKEY_AUTH_DIR,
                                            readOnly: true,
                                        },
                                    ],
                                },
                                redisExporter(
                                    secretEnv("REDIS_PASSWORD", credentials),
                                    args.mirror,
                                ),
                            ],
                            volumes: [
                                { name: "data", emptyDir: { sizeLimit: "64Mi" } },
                                {
                                    name: "auth",
                                    secret: {
                                        secretName: credentials.metadata.name,
                                        items: [{ key: VALKEY_AUTH_FILE, path: VALKEY_AUTH_FILE }],
                                        // Readable by the fsGroup (Valkey's uid) only.
                                        defaultMode: 0o440,
                                    },
                                },
                            ],
                        },
                    },
                },
            },
            w.child,
        );
        return { credentials, service, labels: w.labels };
    }

    /** `feature_store.yaml` in a ConfigMap. */
    private repoConfig(
        name: string,
        w: Workload,
        online: k8s.core.v1.Service,
        args: FeastFeatureStoreArgs,
    ) {
        const store = args.objectStore;
        return new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: w.meta(),
                data: {
                    "feature_store.yaml": serviceHost(online).apply((redisHost) =>
                        featureStoreYaml({
                            project: args.project ?? "mlops",
                            registryPath: `${store.scheme}://${store.buckets.features}/registry.pb`,
                            redisHost,
                        }),
                    ),
                },
            },
            w.child,
        );
    }

    /** The feature server's environment: the online store's password and the object store. */
    private serverEnv(
        online: k8s.core.v1.Secret,
        store: ObjectStoreConnection,
    ): k8s.types.input.core.v1.EnvVar[] {
        return [
            secretEnv("REDIS_PASSWORD", online),
            { name: "HOME", value: "/tmp" },
            { name: "FEAST_USAGE", value: "False" },
            { name: "AWS_DEFAULT_REGION", value: store.region },
            ...(store.endpoint
                ? [
                      { name: "FEAST_S3_ENDPOINT_URL", value: store.endpoint },
                      { name: "AWS_ENDPOINT_URL", value: store.endpoint },
                  ]
                : []),
            ...credentialEnv(store),
        ];
    }
}
