import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ServiceEndpoint, TeamEndpoint, podsWith } from "../endpoint";
import {
    ContainerResources,
    containerSecurityContext,
    withLocalDisk,
    podSecurityContext,
} from "../security";
import { Mirror, mirrorImage } from "../mirror";
import { images } from "../versions";
import { Workload, dataVolume, secretEnv, serviceHost, workload } from "../service-workload";

/** The buckets every platform has, by key. */
export const BUCKET_KEYS = ["tracking", "workflows", "features", "datasets"] as const;
/** A bucket's key: what it is for. */
export type BucketKey = (typeof BUCKET_KEYS)[number];

/**
 * The buckets a team uses, each under its own prefix {@link teamPrefix} only: its tracking
 * artifacts and registered models, its workflow artifacts, its datasets. The same on every
 * cloud and in the in-cluster store; `features` is the feature store's and never a team's.
 */
export const TEAM_BUCKETS: readonly BucketKey[] = ["tracking", "workflows", "datasets"];

/** A team's prefix in each of {@link TEAM_BUCKETS}, without the trailing '/': `teams/<team>`. */
export function teamPrefix(team: string): string {
    return `teams/${team}`;
}

/**
 * The annotation on the in-cluster store's identities Secret that declares, per identity other
 * than the platform's, the IAM policy document attached to it (JSON `{ "<identity>": <policy> }`):
 * known during preview, while the identities themselves hold generated keys.
 */
export const IDENTITY_POLICIES_ANNOTATION = "mlops.dev/identity-policies";

/** An IAM policy document as the gateway's policy engine reads it. */
export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly {
        readonly Sid: string;
        readonly Effect: "Allow";
        readonly Action: readonly string[];
        readonly Resource: readonly string[];
        readonly Condition: Readonly<Record<string, Readonly<Record<string, string | string[]>>>>;
    }[];
}

/** The object actions of a confined identity: read, write (multipart included) and delete. */
export const PREFIX_OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
] as const;
/** The listing actions of a confined identity, on the bucket, for its prefix only. */
export const PREFIX_LIST_ACTIONS = ["s3:ListBucket", "s3:ListBucketVersions"] as const;

/**
 * The policy of an identity confined to `<prefix>/` of `buckets`: read, write, delete and list
 * there and nothing else, no bucket-level request (lifecycle, versioning, CORS, object lock,
 * policy, ACL) at all.
 *
 * Why a policy and not the gateway's legacy `Read/Write/List:<bucket>/<prefix>/*` actions: for
 * any request without an object key SeaweedFS takes the request's `prefix` query parameter as
 * the key, not only for a listing, so `PUT /<bucket>?lifecycle&prefix=<prefix>/` is authorised
 * as `Write:<bucket>/<prefix>/` and a team could set the lifecycle rules, versioning, CORS or
 * object lock of the whole shared bucket. Through an attached policy the same request resolves
 * to an object action on `<bucket>/<prefix>/` too; what tells it apart is the `prefix` parameter
 * itself (the `s3:prefix` condition key), which no object request carries: the object actions
 * hold only where `s3:prefix` is absent, the listing only where it is under `<prefix>/`. The
 * trailing '/' keeps team `a` out of team `a-b`'s objects.
 */
export function prefixPolicy(buckets: readonly string[], prefix: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ObjectsUnderPrefix",
                Effect: "Allow",
                Action: [...PREFIX_OBJECT_ACTIONS],
                Resource: buckets.map((b) => `arn:aws:s3:::${b}/${prefix}/*`),
                Condition: { Null: { "s3:prefix": "true" } },
            },
            {
                Sid: "ListPrefix",
                Effect: "Allow",
                Action: [...PREFIX_LIST_ACTIONS],
                Resource: buckets.map((b) => `arn:aws:s3:::${b}`),
                Condition: { StringLike: { "s3:prefix": `${prefix}/*` } },
            },
        ],
    };
}

/**
 * How services reach the platform's object store. The in-cluster store and S3 fill every
 * field; services read buckets with these and nothing else, so clouds swap only this.
 */
export interface ObjectStoreConnection {
    /** URL scheme of bucket URIs. */
    readonly scheme: "s3" | "gs";
    /** S3 endpoint URL for S3-compatible stores. @default the cloud's own endpoint */
    readonly endpoint?: pulumi.Input<string>;
    /** Whether the endpoint is plain HTTP. */
    readonly insecure: boolean;
    readonly region: string;
    /** Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. @default none: workload identity */
    readonly credentialsSecretName?: pulumi.Input<string>;
    /** The same keys, for consumers that need them in another form (secret). @default none */
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
     * Further identities, each confined to one prefix (`teams/vision`) of the team buckets
     * (tracking, workflows, datasets): read, write and list under `<prefix>/` only. @default []
     */
    readonly users?: readonly { readonly name: string; readonly prefix: string }[];
    /** Protect production data: the data volume `protect`ed. @default true */
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
/** `weed server -metricsPort`: Prometheus metrics of the master, volume, filer and S3 servers. */
const METRICS_PORT = 9327;
const APP = "seaweedfs";
/** The name of the S3 gateway's endpoint, which services that use the store call. */
export const OBJECT_STORE_ENDPOINT = "seaweedfs";
/** The bucket Job's pods. */
const BUCKETS_JOB_LABELS = { "app.kubernetes.io/name": "seaweedfs-buckets" };
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
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:ObjectStore";
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
    /**
     * The S3 gateway, reached by teams, by the bucket Job and by the services that call it;
     * the master's ports stay closed.
     */
    public readonly serviceEndpoint: ServiceEndpoint;
    /** The S3 gateway as team pods reach it: datasets and workflow artifacts. */
    public static readonly forTeams: TeamEndpoint = { app: APP, ports: [S3_PORT] };

    constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ObjectStore.__pulumiType, name, {}, opts);
        const w = workload(this, name, {
            app: APP,
            namespace: args.namespace,
            resources: args.resources,
            defaultResources: {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { cpu: "1", memory: "1Gi" },
            },
        });
        this.buckets = Object.fromEntries(BUCKET_KEYS.map((k) => [k, `${name}-${k}`])) as Record<
            BucketKey,
            string
        >;

        const platformKeys = this.keyPair(name, w);
        this.accessKeyId = platformKeys.accessKeyId;
        this.secretAccessKey = platformKeys.secretAccessKey;
        const users = this.userIdentities(name, args.users ?? [], w);
        const s3Config = this.s3ConfigSecret(name, w, users, args.publicRead ?? false);
        const credentials = this.credentialsSecret(name, w);
        this.credentialsSecretName = credentials.metadata.name;
        const data = dataVolume(
            `${name}-data`,
            w.meta("-data"),
            args.size ?? "20Gi",
            args.storageClass,
            {
                ...w.child,
                protect: args.protect ?? true,
            },
        );
        const service = this.service(name, w);
        const server = this.server(name, w, { service, s3Config, data, mirror: args.mirror });
        this.endpoint = pulumi.interpolate`http://${serviceHost(service)}:${S3_PORT}`;
        this.bucketsJob(name, w, { credentials, server, mirror: args.mirror });

        this.connection = {
            scheme: "s3",
            endpoint: this.endpoint,
            insecure: true,
            region: OBJECT_STORE_REGION,
            credentialsSecretName: this.credentialsSecretName,
            credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
            buckets: this.buckets,
        };
        this.serviceEndpoint = {
            name: OBJECT_STORE_ENDPOINT,
            pods: { matchLabels: w.labels },
            ports: [S3_PORT],
            callers: { own: [podsWith(BUCKETS_JOB_LABELS)], teams: true },
            metrics: { port: METRICS_PORT },
        };
        this.registerOutputs({
            endpoint: this.endpoint,
            buckets: this.buckets,
            credentialsSecretName: this.credentialsSecretName,
        });
    }

    /** A generated access key and secret key, `<prefix>-access-key` and `<prefix>-secret-key`. */
    private keyPair(prefix: string, w: Workload) {
        const key = new random.RandomPassword(
            `${prefix}-access-key`,
            { length: 20, special: false, lower: false },
            w.child,
        );
        const secret = new random.RandomPassword(
            `${prefix}-secret-key`,
            { length: 40, special: false },
            w.child,
        );
        return {
            accessKeyId: pulumi.secret(key.result),
            secretAccessKey: pulumi.secret(secret.result),
        };
    }

    /**
     * One S3 identity per user, confined to its prefix of the team buckets ({@link TEAM_BUCKETS}):
     * it reads, writes and lists there, and nothing else, not even the names of other objects.
     */
    private userIdentities(
        name: string,
        users: NonNullable<ObjectStoreArgs["users"]>,
        w: Workload,
    ) {
        return users.map((u, i) => {
            // A wildcard in the prefix would widen the gateway's `*` matching to other teams.
            if (!/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(u.prefix)) {
                throw new Error(
                    `ObjectStore ${name}: users[${i}].prefix: got ${JSON.stringify(u.prefix)}; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'`,
                );
            }
            const creds = this.keyPair(`${name}-${u.name}`, w);
            this.userCredentials[u.name] = creds;
            return {
                name: u.name,
                credentials: [{ accessKey: creds.accessKeyId, secretKey: creds.secretAccessKey }],
                // Attached policies are authoritative: the identity holds no legacy actions.
                policyNames: [u.name],
                policy: prefixPolicy(
                    TEAM_BUCKETS.map((b) => this.buckets[b]),
                    u.prefix,
                ),
            };
        });
    }

    /** The gateway's identities file (`s3.json`): the platform, the users, anonymous if public. */
    private s3ConfigSecret(
        name: string,
        w: Workload,
        users: {
            readonly name: string;
            readonly credentials: unknown;
            readonly policyNames: string[];
            readonly policy: PolicyDocument;
        }[],
        publicRead: boolean,
    ) {
        const anonymousActions = publicRead ? ["Read", "List"] : [];
        return new k8s.core.v1.Secret(
            `${name}-s3-config`,
            {
                metadata: {
                    ...w.meta("-s3-config"),
                    // What anonymous callers may do, known before the keys exist, so that the
                    // object-store-no-anonymous-access guardrail runs in a fresh preview.
                    annotations: {
                        "mlops.dev/anonymous-actions": anonymousActions.join(","),
                        [IDENTITY_POLICIES_ANNOTATION]: JSON.stringify(
                            Object.fromEntries(users.map((u) => [u.name, u.policy])),
                        ),
                    },
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
                                ...users.map(({ policy: _policy, ...identity }) => identity),
                                ...(anonymousActions.length
                                    ? [{ name: "anonymous", actions: anonymousActions }]
                                    : []),
                            ],
                            // The S3 config form of a policy: its document as a JSON string.
                            policies: users.map((u) => ({
                                name: u.name,
                                content: JSON.stringify(u.policy),
                            })),
                        }),
                    ),
                },
            },
            w.child,
        );
    }

    /** The platform's keys as `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, for its clients. */
    private credentialsSecret(name: string, w: Workload) {
        return new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: w.meta("-credentials"),
                stringData: {
                    AWS_ACCESS_KEY_ID: this.accessKeyId,
                    AWS_SECRET_ACCESS_KEY: this.secretAccessKey,
                },
            },
            w.child,
        );
    }

    private service(name: string, w: Workload) {
        return new k8s.core.v1.Service(
            name,
            {
                metadata: w.meta(),
                spec: {
                    selector: w.labels,
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
            w.child,
        );
    }

    /** SeaweedFS in one process (master, volume, filer, S3 gateway) on the data volume. */
    private server(
        name: string,
        w: Workload,
        a: {
            service: k8s.core.v1.Service;
            s3Config: k8s.core.v1.Secret;
            data: k8s.core.v1.PersistentVolumeClaim;
            mirror?: Mirror;
        },
    ) {
        return new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: w.meta(),
                spec: {
                    replicas: 1,
                    serviceName: a.service.metadata.name,
                    selector: { matchLabels: w.labels },
                    template: {
                        metadata: {
                            labels: w.labels,
                            // Restart on new credentials: the gateway reads its config at start.
                            annotations: {
                                "mlops.dev/s3-config": a.s3Config.metadata.resourceVersion,
                            },
                        },
                        spec: {
                            securityContext: podSecurityContext(SEAWEED_UID),
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "seaweedfs",
                                    image: mirrorImage(images.seaweedfs, a.mirror),
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
                                        // No embedded IAM API and no advanced IAM integration:
                                        // the identities' attached policies in s3.json are then
                                        // evaluated by the gateway's own policy engine, and no
                                        // caller can change identities or policies at run time.
                                        "-s3.iam=false",
                                        `-metricsPort=${METRICS_PORT}`,
                                    ],
                                    ports: [
                                        { name: "s3", containerPort: S3_PORT },
                                        { name: "master", containerPort: MASTER_PORT },
                                        { name: "master-grpc", containerPort: MASTER_PORT + 10000 },
                                        { name: "metrics", containerPort: METRICS_PORT },
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
                                    resources: withLocalDisk(w.resources, "512Mi"),
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
                                    persistentVolumeClaim: { claimName: a.data.metadata.name },
                                },
                                {
                                    name: "s3-config",
                                    secret: { secretName: a.s3Config.metadata.name },
                                },
                                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ],
                        },
                    },
                },
            },
            w.child,
        );
    }

    /**
     * Buckets are created through the S3 API itself (CreateBucket, SigV4-signed by curl), so
     * the Job is idempotent: 200 created, 409 already there.
     */
    private bucketsJob(
        name: string,
        w: Workload,
        a: { credentials: k8s.core.v1.Secret; server: k8s.apps.v1.StatefulSet; mirror?: Mirror },
    ) {
        const bucketNames = BUCKET_KEYS.map((k) => this.buckets[k]).join(" ");
        return new k8s.batch.v1.Job(
            `${name}-buckets`,
            {
                metadata: w.meta("-buckets"),
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: { labels: BUCKETS_JOB_LABELS },
                        spec: {
                            restartPolicy: "OnFailure",
                            automountServiceAccountToken: false,
                            securityContext: podSecurityContext(100),
                            containers: [
                                {
                                    name: "create-buckets",
                                    image: mirrorImage(images.curl, a.mirror),
                                    command: ["/bin/sh", "-ec"],
                                    args: [CREATE_BUCKETS_SCRIPT],
                                    env: [
                                        { name: "S3_ENDPOINT", value: this.endpoint },
                                        { name: "S3_REGION", value: OBJECT_STORE_REGION },
                                        { name: "BUCKETS", value: bucketNames },
                                        secretEnv("AWS_ACCESS_KEY_ID", a.credentials),
                                        secretEnv("AWS_SECRET_ACCESS_KEY", a.credentials),
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
            { ...w.child, dependsOn: [a.server] },
        );
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
