import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ServiceEndpoint } from "../endpoint";
import {
    ContainerResources,
    containerSecurityContext,
    withLocalDisk,
    podSecurityContext,
} from "../security";
import { Mirror, mirrorImage } from "../mirror";
import { images } from "../versions";
import { POSTGRES_EXPORTER_PORT, postgresExporter } from "../observability/exporters";
import { Workload, dataVolume, secretEnv, serviceHost, workload } from "../service-workload";

/** Arguments of {@link Database}. */
export interface DatabaseArgs {
    /** Namespace of the server. */
    readonly namespace: pulumi.Input<string>;
    /** Name of the database to create. @default "mlflow" */
    readonly databaseName?: string;
    /** Owner role of the database. @default "mlops" */
    readonly username?: string;
    /** Volume size. @default "10Gi" */
    readonly size?: string;
    /** StorageClass of the volume. @default the cluster's default class */
    readonly storageClass?: pulumi.Input<string>;
    /** Expose the database through a LoadBalancer Service (experiments only). @default false */
    readonly publicAccess?: boolean;
    /** Protect production data: the data volume `protect`ed. @default true */
    readonly protect?: boolean;
    /** @default requests 100m/256Mi, limits 1/1Gi */
    readonly resources?: ContainerResources;
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The uid of the `postgres` user in the official Debian-based image. */
const POSTGRES_UID = 999;
const PORT = 5432;
/** The name of the database's endpoint, which its clients call. */
export const DATABASE_ENDPOINT = "postgresql";

/**
 * PostgreSQL inside the cluster from the official image: one instance on a persistent volume,
 * a generated password, and a Secret with the connection URI for its clients.
 *
 * ```ts
 * const db = new Database("mlops-postgres", { namespace: "mlops" }, { provider });
 * // db.credentialsSecretName holds username, password, host, port, database, uri
 * ```
 */
export class Database extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:Database";
    /** Host name inside the cluster. */
    public readonly host: pulumi.Output<string>;
    public readonly port = PORT;
    public readonly databaseName: string;
    public readonly username: string;
    /** The generated password (secret). */
    public readonly password: pulumi.Output<string>;
    /** `postgresql://user:password@host:5432/db` (secret). */
    public readonly uri: pulumi.Output<string>;
    /** Secret with keys username, password, host, port, database, uri. */
    public readonly credentialsSecretName: pulumi.Output<string>;
    /** The server, reached by the services that call it, and by anyone with `publicAccess`. */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Database.__pulumiType, name, {}, opts);
        this.databaseName = args.databaseName ?? "mlflow";
        this.username = args.username ?? "mlops";
        const size = args.size ?? "10Gi";
        const protect = args.protect ?? true;
        const w = workload(this, name, {
            app: "postgresql",
            namespace: args.namespace,
            resources: args.resources,
            defaultResources: {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { cpu: "1", memory: "1Gi" },
            },
        });
        const { labels, meta, child } = w;

        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false },
            child,
        );
        this.password = pulumi.secret(password.result);

        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: meta(),
                spec: {
                    type: args.publicAccess ? "LoadBalancer" : "ClusterIP",
                    selector: labels,
                    ports: [{ name: "postgresql", port: PORT, targetPort: "postgresql" }],
                },
            },
            child,
        );
        this.host = serviceHost(service);
        this.uri = pulumi.secret(
            pulumi.interpolate`postgresql://${this.username}:${this.password}@${this.host}:${PORT}/${this.databaseName}`,
        );

        const credentials = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: meta("-credentials"),
                stringData: {
                    username: this.username,
                    password: this.password,
                    host: this.host,
                    port: String(PORT),
                    database: this.databaseName,
                    uri: this.uri,
                },
            },
            child,
        );
        this.credentialsSecretName = credentials.metadata.name;

        const data = dataVolume(`${name}-data`, meta("-data"), size, args.storageClass, {
            ...child,
            protect,
        });
        this.statefulSet(name, args, w, { service, credentials, data });

        this.serviceEndpoint = {
            name: DATABASE_ENDPOINT,
            pods: { matchLabels: labels },
            ports: [PORT],
            // Public access is a LoadBalancer Service: its callers are anywhere.
            callers: { anyone: args.publicAccess ?? false },
            metrics: { port: POSTGRES_EXPORTER_PORT },
        };
        this.registerOutputs({
            host: this.host,
            credentialsSecretName: this.credentialsSecretName,
        });
    }

    /** The PostgreSQL StatefulSet: one replica on the data volume, probed with pg_isready. */
    private statefulSet(
        name: string,
        args: DatabaseArgs,
        { labels, meta, resources, child }: Workload,
        {
            service,
            credentials,
            data,
        }: {
            service: k8s.core.v1.Service;
            credentials: k8s.core.v1.Secret;
            data: k8s.core.v1.PersistentVolumeClaim;
        },
    ) {
        const isReady = {
            exec: { command: ["pg_isready", "-U", this.username, "-d", this.databaseName] },
        };

        new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: meta(),
                spec: {
                    replicas: 1,
                    serviceName: service.metadata.name,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            securityContext: podSecurityContext(POSTGRES_UID),
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "postgresql",
                                    image: mirrorImage(images.postgres, args.mirror),
                                    env: [
                                        { name: "POSTGRES_USER", value: this.username },
                                        { name: "POSTGRES_DB", value: this.databaseName },
                                        secretEnv("POSTGRES_PASSWORD", credentials, "password"),
                                    ],
                                    ports: [{ name: "postgresql", containerPort: PORT }],
                                    readinessProbe: { ...isReady, periodSeconds: 10 },
                                    livenessProbe: {
                                        ...isReady,
                                        initialDelaySeconds: 30,
                                        periodSeconds: 20,
                                    },
                                    resources: withLocalDisk(resources, "512Mi"),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts: [
                                        // PostgreSQL 18 keeps its data in /var/lib/postgresql/18/docker,
                                        // a subdirectory of the volume.
                                        { name: "data", mountPath: "/var/lib/postgresql" },
                                        { name: "run", mountPath: "/var/run/postgresql" },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                                postgresExporter(
                                    this.databaseName,
                                    this.username,
                                    secretEnv("DATA_SOURCE_PASS", credentials, "password"),
                                    args.mirror,
                                ),
                            ],
                            volumes: [
                                {
                                    name: "data",
                                    persistentVolumeClaim: { claimName: data.metadata.name },
                                },
                                { name: "run", emptyDir: { sizeLimit: "16Mi" } },
                                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ],
                        },
                    },
                },
            },
            child,
        );
    }
}
