import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { dataVolume, secretEnv, serviceHost } from "../kube";
import {
    ContainerResources,
    containerSecurityContext,
    withLocalDisk,
    podSecurityContext,
} from "../security";
import { Mirror, mirrorImage } from "../mirror";
import { images } from "../versions";

/** The buckets every platform has, by key. */
export const BUCKET_KEYS = ["tracking", "workflows", "features", "datasets"] as const;
/** A bucket's key: what it is for. */
export type BucketKey = (typeof BUCKET_KEYS)[number];

/**
 * How services reach the platform's object store. The in-cluster store and S3 fill every
 * field; services read buckets with these and nothing else, so clouds swap only this.
 */
export interface ObjectStoreConnection {
    /** URL scheme of bucket URIs. */
    readonly scheme: "s3" | "gs";
    /** S3 endpoint URL for S3-compatible stores (undefined: the cloud's own endpoint). */
    readonly endpoint?: pulumi.Input<string>;
    /** Whether the endpoint is plain HTTP. */
    readonly insecure: boolean;
    readonly region: string;
    /** Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (undefined: workload identity). */
    readonly credentialsSecretName?: pulumi.Input<string>;
    /** The same keys, for consumers that need them in another form (secret). */
    readonly credentials?: {
        readonly accessKeyId: pulumi.Output<string>;
        readonly secretAccessKey: pulumi.Output<string>;
    };
    readonly buckets: Readonly<Record<BucketKey, string>>;
}

/** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the store's Secret, when it has keys. */
export function credentialEnv(store: ObjectStoreConnection): k8s.types.input.core.v1.EnvVar[] {
    const secret = store.credentialsSecretName;
    if (!secret) return [];
    return ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({
        name: key,
        valueFrom: { secretKeyRef: { name: secret, key } },
    }));
}

/** Arguments of {@link ObjectStore}. */
export interface ObjectStoreArgs {
    /** Namespace of the server. */
    readonly namespace: pulumi.Input<string>;
    /** Volume size. @default "20Gi" */
    readonly size?: string;
    /** StorageClass of the volume. @default the cluster's default class */
    readonly storageClass?: pulumi.Input<string>;
    /** Let anonymous callers read and list every bucket (experiments only). @default false */
    readonly publicRead?: boolean;
    /**
     * Further identities, each confined to one prefix (`teams/vision`) of the datasets and
     * workflows buckets. @default []
     */
    readonly users?: readonly { readonly name: string; readonly prefix: string }[];
    /** Protect the data volume from deletion (production stacks). @default true */
    readonly protect?: boolean;
    /** @default requests 100m/256Mi, limits 1/1Gi */
    readonly resources?: ContainerResources;
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The uid of the `seaweed` user in the official image. */
const SEAWEED_UID = 1000;
const S3_PORT = 8333;
const MASTER_PORT = 9333;
/** S3 clients sign for a region; the in-cluster store accepts any and this is the convention. */
export const OBJECT_STORE_REGION = "us-east-1";

/**
 * An S3-compatible object store inside the cluster: SeaweedFS from its official image, one
 * process (master, volume, filer, S3 gateway) on a persistent volume, with generated
 * credentials and the platform's buckets.
 *
 * ```ts
 * const store = new ObjectStore("mlops-objectstore", { namespace: "mlops" }, { provider });
 * export const endpoint = store.endpoint;
 * ```
 */
export class ObjectStore extends pulumi.ComponentResource {
    /** The S3 endpoint inside the cluster, e.g. `http://mlops-objectstore.mlops.svc.cluster.local:8333`. */
    public readonly endpoint: pulumi.Output<string>;
    /** Bucket names by key. */
    public readonly buckets: Readonly<Record<BucketKey, string>>;
    /** Access key id (secret). */
    public readonly accessKeyId: pulumi.Output<string>;
    /** Secret access key (secret). */
    public readonly secretAccessKey: pulumi.Output<string>;
    /** Name of the Secret holding `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. */
    public readonly credentialsSecretName: pulumi.Output<string>;
    /** The region clients sign requests for. */
    public readonly region = OBJECT_STORE_REGION;
    /** What services need to use the store. */
    public readonly connection: ObjectStoreConnection;
    /** Credentials of each of `users`, by name (secret). */
    public readonly userCredentials: Record<
        string,
        {
            readonly accessKeyId: pulumi.Output<string>;
            readonly secretAccessKey: pulumi.Output<string>;
        }
    > = {};

    constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mlops:storage:ObjectStore", name, {}, opts);
        const size = args.size ?? "20Gi";
        const protect = args.protect ?? true;
        const resources = args.resources ?? {
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: "1", memory: "1Gi" },
        };
        const labels = {
            "app.kubernetes.io/name": "seaweedfs",
            "app.kubernetes.io/instance": name,
        };
        const meta = (suffix = "") => ({
            name: `${name}${suffix}`,
            namespace: args.namespace,
            labels,
        });
        const child = { parent: this };

        this.buckets = Object.fromEntries(BUCKET_KEYS.map((k) => [k, `${name}-${k}`])) as Record<
            BucketKey,
            string
        >;

        const accessKey = new random.RandomPassword(
            `${name}-access-key`,
            { length: 20, special: false, lower: false },
            child,
        );
        const secretKey = new random.RandomPassword(
            `${name}-secret-key`,
            { length: 40, special: false },
            child,
        );
        this.accessKeyId = pulumi.secret(accessKey.result);
        this.secretAccessKey = pulumi.secret(secretKey.result);

        const userIdentities = (args.users ?? []).map((u) => {
            const key = new random.RandomPassword(
                `${name}-${u.name}-access-key`,
                { length: 20, special: false, lower: false },
                child,
            );
            const secret = new random.RandomPassword(
                `${name}-${u.name}-secret-key`,
                { length: 40, special: false },
                child,
            );
            const creds = {
                accessKeyId: pulumi.secret(key.result),
                secretAccessKey: pulumi.secret(secret.result),
            };
            this.userCredentials[u.name] = creds;
            const scoped = (["datasets", "workflows"] as const).map((b) => `${name}-${b}`);
            return {
                name: u.name,
                credentials: [{ accessKey: creds.accessKeyId, secretKey: creds.secretAccessKey }],
                actions: [
                    ...scoped.flatMap((bucket) => [
                        `Read:${bucket}/${u.prefix}/*`,
                        `Write:${bucket}/${u.prefix}/*`,
                        `List:${bucket}`,
                    ]),
                    // Registered models are served from MLflow's artifacts, which every
                    // tracking user can already download through MLflow.
                    `Read:${name}-tracking`,
                    `List:${name}-tracking`,
                ],
            };
        });

        const anonymousActions = args.publicRead ? ["Read", "List"] : [];
        const s3Config = new k8s.core.v1.Secret(
            `${name}-s3-config`,
            {
                metadata: {
                    ...meta("-s3-config"),
                    // What anonymous callers may do, known before the keys exist, so that the
                    // object-store-no-anonymous-access guardrail runs in a fresh preview.
                    annotations: { "mlops.dev/anonymous-actions": anonymousActions.join(",") },
                },
                stringData: {
                    "s3.json": pulumi.secret(
                        pulumi.jsonStringify({
                            identities: [
                                {
                                    name: "platform",
                                    credentials: [
                                        {
                                            accessKey: this.accessKeyId,
                                            secretKey: this.secretAccessKey,
                                        },
                                    ],
                                    actions: ["Admin", "Read", "Write", "List", "Tagging"],
                                },
                                ...userIdentities,
                                ...(anonymousActions.length
                                    ? [{ name: "anonymous", actions: anonymousActions }]
                                    : []),
                            ],
                        }),
                    ),
                },
            },
            child,
        );

        const credentials = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: meta("-credentials"),
                stringData: {
                    AWS_ACCESS_KEY_ID: this.accessKeyId,
                    AWS_SECRET_ACCESS_KEY: this.secretAccessKey,
                },
            },
            child,
        );
        this.credentialsSecretName = credentials.metadata.name;

        const data = dataVolume(`${name}-data`, meta("-data"), size, args.storageClass, {
            ...child,
            protect,
        });

        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: meta(),
                spec: {
                    selector: labels,
                    ports: [
                        { name: "s3", port: S3_PORT, targetPort: "s3" },
                        { name: "master", port: MASTER_PORT, targetPort: "master" },
                        {
                            name: "master-grpc",
                            port: MASTER_PORT + 10000,
                            targetPort: "master-grpc",
                        },
                    ],
                },
            },
            child,
        );

        const server = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: meta(),
                spec: {
                    replicas: 1,
                    serviceName: service.metadata.name,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: {
                            labels,
                            // Restart on new credentials: the gateway reads its config at start.
                            annotations: {
                                "mlops.dev/s3-config": s3Config.metadata.resourceVersion,
                            },
                        },
                        spec: {
                            securityContext: podSecurityContext(SEAWEED_UID),
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "seaweedfs",
                                    image: mirrorImage(images.seaweedfs, args.mirror),
                                    // The image's entrypoint chowns /data as root; run weed directly.
                                    command: ["weed"],
                                    args: [
                                        "server",
                                        "-dir=/data",
                                        "-ip.bind=0.0.0.0",
                                        "-master.volumeSizeLimitMB=1024",
                                        "-volume.max=0",
                                        "-s3",
                                        `-s3.port=${S3_PORT}`,
                                        "-s3.config=/etc/seaweedfs/s3.json",
                                    ],
                                    ports: [
                                        { name: "s3", containerPort: S3_PORT },
                                        { name: "master", containerPort: MASTER_PORT },
                                        { name: "master-grpc", containerPort: MASTER_PORT + 10000 },
                                    ],
                                    readinessProbe: {
                                        httpGet: { path: "/status", port: "s3" },
                                        periodSeconds: 10,
                                    },
                                    livenessProbe: {
                                        tcpSocket: { port: "master" },
                                        initialDelaySeconds: 30,
                                        periodSeconds: 20,
                                    },
                                    resources: withLocalDisk(resources, "512Mi"),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        {
                                            name: "s3-config",
                                            mountPath: "/etc/seaweedfs",
                                            readOnly: true,
                                        },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            volumes: [
                                {
                                    name: "data",
                                    persistentVolumeClaim: { claimName: data.metadata.name },
                                },
                                {
                                    name: "s3-config",
                                    secret: { secretName: s3Config.metadata.name },
                                },
                                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ],
                        },
                    },
                },
            },
            child,
        );

        this.endpoint = pulumi.interpolate`http://${serviceHost(service)}:${S3_PORT}`;

        // Buckets are created through the S3 API itself (CreateBucket, SigV4-signed by curl),
        // so the Job is idempotent: 200 created, 409 already there.
        const bucketNames = BUCKET_KEYS.map((k) => this.buckets[k]).join(" ");
        new k8s.batch.v1.Job(
            `${name}-buckets`,
            {
                metadata: meta("-buckets"),
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: { labels: { "app.kubernetes.io/name": "seaweedfs-buckets" } },
                        spec: {
                            restartPolicy: "OnFailure",
                            automountServiceAccountToken: false,
                            securityContext: podSecurityContext(100),
                            containers: [
                                {
                                    name: "create-buckets",
                                    image: mirrorImage(images.curl, args.mirror),
                                    command: ["/bin/sh", "-ec"],
                                    args: [CREATE_BUCKETS_SCRIPT],
                                    env: [
                                        { name: "S3_ENDPOINT", value: this.endpoint },
                                        { name: "S3_REGION", value: OBJECT_STORE_REGION },
                                        { name: "BUCKETS", value: bucketNames },
                                        secretEnv("AWS_ACCESS_KEY_ID", credentials),
                                        secretEnv("AWS_SECRET_ACCESS_KEY", credentials),
                                    ],
                                    resources: withLocalDisk(
                                        {
                                            requests: { cpu: "10m", memory: "16Mi" },
                                            limits: { cpu: "100m", memory: "64Mi" },
                                        },
                                        "128Mi",
                                    ),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
                        },
                    },
                },
            },
            { ...child, dependsOn: [server] },
        );

        this.connection = {
            scheme: "s3",
            endpoint: this.endpoint,
            insecure: true,
            region: OBJECT_STORE_REGION,
            credentialsSecretName: this.credentialsSecretName,
            credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
            buckets: this.buckets,
        };
        this.registerOutputs({
            endpoint: this.endpoint,
            buckets: this.buckets,
            credentialsSecretName: this.credentialsSecretName,
        });
    }
}

/** Creates each bucket in $BUCKETS; a bucket that already exists (409) is fine. */
export const CREATE_BUCKETS_SCRIPT = `for bucket in $BUCKETS; do
  code=$(curl -sS -o /tmp/response -w '%{http_code}' -X PUT \\
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\
    "$S3_ENDPOINT/$bucket")
  case "$code" in
    200|409) echo "bucket $bucket: ok ($code)" ;;
    *) echo "bucket $bucket: HTTP $code" >&2; cat /tmp/response >&2; exit 1 ;;
  esac
done`;
