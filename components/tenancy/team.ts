import * as k8s from "@pulumi/kubernetes";
import { membersOfKind, parseMember } from "./members";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_OIDC_PREFIX, GpuScheduling } from "../cluster/kubernetes-cluster";
import { TeamEndpoint, tcpPorts } from "../endpoint";
import { ARGO_EXECUTOR_RULE, boundRole, TEAM_MEMBER_ROLE } from "../rbac";
import { ROUTER_APP } from "../routing/traefik";
import { podSecurityLabels } from "../security";
import {
    ARGO_SSO_PRECEDENCE,
    ARGO_SSO_SERVICE_ACCOUNT,
    argoSignOnAccount,
    argoUserRules,
    groupsRule,
    s3Repository,
} from "../workflows/argo";
import { PipelineArgs, referencePipeline } from "./pipeline";

/** What a team may use. */
export interface TeamQuota {
    /** CPU requests and limits, e.g. "8". */
    readonly cpu: string;
    /** Memory requests and limits, e.g. "32Gi". */
    readonly memory: string;
    /** GPUs (`requests.nvidia.com/gpu`): 0 unless granted, never unlimited. */
    readonly gpu: number;
    /** Persistent volume requests, e.g. "100Gi". */
    readonly storage: string;
    readonly pods: number;
    /** Persistent volume claims (`count/persistentvolumeclaims`). @default 10 */
    readonly claims?: number;
    /**
     * Claims of the ReadWriteMany StorageClass, when the cluster has one (a Filestore claim on
     * GKE is at least 1 TiB; an EFS or NFS claim costs what it holds). @default 1
     */
    readonly sharedClaims?: number;
    /** Storage requested from the ReadWriteMany StorageClass. @default `storage` */
    readonly sharedStorage?: string;
    /**
     * Node-local disk (emptyDir, logs, container layers' writes), requests and limits: a team
     * cannot fill a node's disk and get other teams' pods evicted. @default "100Gi"
     */
    readonly ephemeralStorage?: string;
}

/** Arguments of {@link Team}. */
export interface TeamArgs {
    /**
     * Who the team is: `group:<name>` and `user:<email>` (or a bare email) are bound to the
     * platform's `mlops-team-member` role (not `edit`); `sub:<subject>` (a machine's bearer token on the team's routes) is not a Kubernetes
     * user and gets no binding. @default []
     */
    readonly members?: readonly string[];
    /**
     * What the cluster's API server prepends to the names of the users and groups members
     * authenticate as (`KubernetesCluster.memberPrefix`): `"oidc:"` on local clusters and EKS,
     * `""` on GKE. @default "oidc:"
     */
    readonly memberPrefix?: string;
    readonly quota: TeamQuota;
    /**
     * The cluster's ReadWriteMany StorageClass, whose claims the quota counts apart.
     * @default none (no per-class lines)
     */
    readonly readWriteManyStorageClass?: pulumi.Input<string | undefined>;
    /** Namespace of the platform services (tracking, features, object store) and the router. */
    readonly platformNamespace: pulumi.Input<string>;
    /** The platform services the team's pods may call, in the order of their egress rules. */
    readonly platformServices: readonly TeamEndpoint[];
    /**
     * Egress the team's pods need beyond the cluster (a cloud's storage API over HTTPS and the
     * metadata server for Workload Identity). @default none
     */
    readonly cloudEgress?: readonly k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
    /**
     * Where the API server is, for Argo's executor, which reports task results to it.
     * @default the private address ranges ({@link PRIVATE_RANGES}) on ports 443 and 6443 (an
     * existing cluster's address is not known to the program)
     */
    readonly apiServerCidrs?: readonly string[];
    /**
     * Addresses beyond the cluster the team's pods may open (the platform stack's
     * `mlops:teams[].egress`). @default none
     */
    readonly egress?: readonly TeamEgress[];
    /** Annotations of the runner service account (its cloud identity). @default none */
    readonly runnerAnnotations?: pulumi.Input<Record<string, string>>;
    /**
     * The team's default Argo artifact repository: its prefix `teams/<name>/` of the
     * workflows bucket. @default none (the platform's default repository)
     */
    readonly artifactRepository?: pulumi.Input<{
        readonly scheme: "s3" | "gs";
        readonly bucket: string;
        /** S3 endpoint URL (S3-compatible stores). */
        readonly endpoint?: string;
        readonly insecure: boolean;
        readonly region: string;
    }>;
    /**
     * The reference pipeline (train → register → serve) as a WorkflowTemplate; needs Argo's
     * CRDs, so pass their release in `dependsOn`. @default none
     */
    readonly pipeline?: Omit<PipelineArgs, "serviceAccount"> & {
        readonly dependsOn?: pulumi.Resource[];
    };
    /**
     * The Argo server signs people in (its `sso` mode): an `argo-sso` account that it acts as,
     * in this namespace, for members of the team's groups. @default false
     */
    readonly argoSignOn?: boolean;
    /** S3 credentials scoped to the team's prefix, written to the `runner-s3` Secret. @default none */
    readonly objectStoreCredentials?: {
        readonly accessKeyId: pulumi.Input<string>;
        readonly secretAccessKey: pulumi.Input<string>;
    };
    /**
     * What the team's stack needs to know about its team, written with the team's name,
     * namespace, runner account and quota to the `mlops-team` ConfigMap in its namespace
     * ({@link TEAM_FACTS_CONFIGMAP}), which members read and may not change. Nothing secret.
     * @default none (no `mlops-team` ConfigMap: no team stack can run for the team)
     */
    readonly facts?: TeamFactsArgs;
}

/** The facts of {@link TeamArgs.facts} that the platform knows beyond the team itself. */
export interface TeamFactsArgs {
    /** The team's own tracking server, in the cluster. @default none (tracking is off) */
    readonly trackingUrl?: string;
    /** The object store the team's workloads use, under their prefix. */
    readonly objectStore: {
        readonly scheme: "s3" | "gs";
        /** S3 endpoint URL (S3-compatible stores). @default the cloud's own */
        readonly endpoint?: pulumi.Input<string | undefined>;
        readonly region: string;
        readonly buckets: { readonly tracking: string; readonly workflows: string };
    };
    /** How GPU runs are scheduled on the cluster. */
    readonly gpuScheduling: GpuScheduling;
    /** Whether the team has a stack of its own (`stack: true`). @default false */
    readonly stack?: boolean;
}

/**
 * A team's facts as its `mlops-team` ConfigMap holds them: everything its team stack needs,
 * nothing secret (no password, key or token: the team's store keys stay in the `runner-s3`
 * Secret; its cloud identity is on the runner account).
 */
export interface TeamFacts {
    readonly team: string;
    readonly namespace: string;
    readonly runnerServiceAccount: string;
    /** The team's own tracking server; absent when tracking is off. */
    readonly trackingUrl?: string;
    readonly quota: TeamQuota;
    /** Whether the platform expects a team stack for it (`stack: true`). */
    readonly stack: boolean;
    readonly objectStore: {
        readonly scheme: "s3" | "gs";
        /** S3 endpoint URL (S3-compatible stores); absent on the cloud's own store. */
        readonly endpoint?: string;
        readonly region: string;
        readonly buckets: { readonly tracking: string; readonly workflows: string };
        /** The team's prefix in every bucket, `teams/<team>/`. */
        readonly prefix: string;
    };
    readonly gpuScheduling: GpuScheduling;
}

/** The ConfigMap in each team namespace that holds the team's facts ({@link TeamFacts}). */
export const TEAM_FACTS_CONFIGMAP = "mlops-team";

/** The keys of {@link TEAM_FACTS_CONFIGMAP} whose values are JSON. */
const JSON_FACTS = ["quota", "objectStore", "gpuScheduling"] as const;

/**
 * The data of the `mlops-team` ConfigMap: strings as they are, `stack` as `"true"` or
 * `"false"`, the quota, the object store and the GPU scheduling as JSON.
 */
export function teamFactsData(facts: TeamFacts): Record<string, string> {
    const data: Record<string, string> = {
        team: facts.team,
        namespace: facts.namespace,
        runnerServiceAccount: facts.runnerServiceAccount,
        stack: String(facts.stack),
    };
    if (facts.trackingUrl !== undefined) data.trackingUrl = facts.trackingUrl;
    for (const key of JSON_FACTS) data[key] = JSON.stringify(facts[key]);
    return data;
}

/** The facts in a `mlops-team` ConfigMap's data ({@link teamFactsData} read back). */
export function parseTeamFacts(data: Readonly<Record<string, string>>): TeamFacts {
    const json = (key: (typeof JSON_FACTS)[number]) => {
        const value = data[key];
        if (value === undefined) throw new Error(`${TEAM_FACTS_CONFIGMAP}: no ${key}`);
        return JSON.parse(value);
    };
    return {
        team: data.team,
        namespace: data.namespace,
        runnerServiceAccount: data.runnerServiceAccount,
        ...(data.trackingUrl !== undefined ? { trackingUrl: data.trackingUrl } : {}),
        quota: json("quota") as TeamQuota,
        stack: data.stack === "true",
        objectStore: json("objectStore") as TeamFacts["objectStore"],
        gpuScheduling: json("gpuScheduling") as GpuScheduling,
    };
}

/** An entry of a team's egress allow-list. */
export interface TeamEgress {
    /** A CIDR (not the whole internet: the config refuses anything wider than a /8). */
    readonly cidr: string;
    readonly ports: readonly number[];
    /** @default "TCP" */
    readonly protocol?: "TCP" | "UDP";
}

/**
 * The private address ranges (RFC 1918): where an existing cluster's API server is when the
 * program does not know its address (kind, k3d, minikube and on-prem nodes all have one).
 */
export const PRIVATE_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** The ports the API server listens on: 443 behind the `kubernetes` Service, 6443 on nodes. */
export const API_SERVER_PORTS: readonly number[] = [443, 6443];

/** A RoleBinding subject naming a person or a group. */
export interface RbacSubject {
    readonly kind: "User" | "Group";
    readonly name: string;
    readonly apiGroup: "rbac.authorization.k8s.io";
}

/**
 * The RoleBinding subjects of a team's members, as the API server names them once they
 * authenticated: `group:<g>` is the Group `<prefix><g>`, `user:<email>` and a bare email the
 * User `<prefix><email>`; `sub:` members are bearer-token identities of the team's routes, not
 * Kubernetes users, and have none. Each subject once, in the members' order.
 *
 * ```ts
 * memberSubjects(["group:ml-vision", "alice@example.com", "sub:repo:org/app"], "oidc:");
 * // [{kind: "Group", name: "oidc:ml-vision", ...}, {kind: "User", name: "oidc:alice@example.com", ...}]
 * ```
 */
export function memberSubjects(members: readonly string[], prefix: string): RbacSubject[] {
    const subjects: RbacSubject[] = [];
    for (const m of members.map(parseMember)) {
        if (m.kind === "sub") continue;
        const subject: RbacSubject = {
            kind: m.kind === "group" ? "Group" : "User",
            name: `${prefix}${m.value}`,
            apiGroup: "rbac.authorization.k8s.io",
        };
        if (!subjects.some((s) => s.kind === subject.kind && s.name === subject.name))
            subjects.push(subject);
    }
    return subjects;
}

/** Label of team namespaces (read by the guardrails and the admission policies). */
export const TEAM_LABEL = "mlops.dev/team";
/**
 * Label of the team namespaces with a GPU quota (`"true"`): only their pods may tolerate the GPU
 * taint (the `mlops-team-gpu` admission policy). Members cannot change a namespace's labels.
 */
export const GPU_NAMESPACE_LABEL = "mlops.dev/gpu";
/** Defaults of the optional {@link TeamQuota} keys. */
export const QUOTA_DEFAULTS = {
    claims: 10,
    sharedClaims: 1,
    ephemeralStorage: "100Gi",
    /** Objects the API server keeps in etcd for every team: bounded, not configurable. */
    configMaps: 100,
    secrets: 100,
} as const;

/**
 * The priority classes Kubernetes creates for the node's own agents. A pod of either preempts
 * any other pod on its node, so a team may run none: a second ResourceQuota scoped to them
 * allows 0 pods (the API server accepts them in any namespace unless told otherwise).
 */
export const SYSTEM_PRIORITY_CLASSES = ["system-node-critical", "system-cluster-critical"] as const;
/** The service account pipelines run as. */
export const RUNNER = "runner";
/** The runner's S3 keys (in-cluster store), which its artifacts are read with. */
export const RUNNER_S3_SECRET = "runner-s3";

/** Default requests and limits for containers that set none. */
const CONTAINER_DEFAULTS = {
    defaultRequest: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "64Mi" },
    default: { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" },
};

/**
 * The quota lines of one StorageClass (the cluster's ReadWriteMany class): its claims and the
 * storage they request.
 */
export function storageClassQuota(storageClass: string, quota: TeamQuota): Record<string, string> {
    const key = `${storageClass}.storageclass.storage.k8s.io`;
    return {
        [`${key}/persistentvolumeclaims`]: String(
            quota.sharedClaims ?? QUOTA_DEFAULTS.sharedClaims,
        ),
        [`${key}/requests.storage`]: quota.sharedStorage ?? quota.storage,
    };
}

/** The metadata of a team's object named `n`: in its namespace, with the team label. */
type TeamMeta = (n: string) => {
    name: string;
    namespace: pulumi.Output<string>;
    labels: Record<string, string>;
};

/**
 * One ML team's slice of the platform: a namespace at the `restricted` Pod Security level, a
 * quota on CPU, memory, GPUs, pods, claims and storage (none for LoadBalancer or NodePort
 * Services), default container limits, the platform's `mlops-team-member` role for its members
 * (fenced by the `TeamFences` admission policies), network isolation (default deny; in from the router and itself; out to DNS,
 * the platform services it is given (object store), the API server (its addresses when the
 * cloud knows them, else the private ranges, on ports 443 and 6443), the cloud's endpoints it
 * is given and its own allow-list, never the whole internet), and a `runner` service account
 * with Argo's executor rights and the team's own store identity.
 *
 * ```ts
 * new Team("vision", { members: ["group:ml-vision"], quota: { cpu: "16", memory: "64Gi", gpu: 4,
 *     storage: "500Gi", pods: 50 }, platformNamespace: "mlops", platformServices: TEAM_SERVICES },
 *     { providers: { kubernetes } });
 * ```
 */
export class Team extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:tenancy:Team";
    /** The team's namespace, `team-<name>`. */
    public readonly namespace: pulumi.Output<string>;
    public readonly runnerServiceAccount: pulumi.Output<string>;

    constructor(name: string, args: TeamArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Team.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const team = name;

        const ns = new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: `team-${team}`,
                    labels: {
                        ...podSecurityLabels("restricted"),
                        [TEAM_LABEL]: team,
                        ...(args.quota.gpu > 0 ? { [GPU_NAMESPACE_LABEL]: "true" } : {}),
                    },
                },
            },
            child,
        );
        this.namespace = ns.metadata.name;
        const meta: TeamMeta = (n) => ({
            name: n,
            namespace: this.namespace,
            labels: { [TEAM_LABEL]: team },
        });

        this.quota(name, args.quota, meta, args.readWriteManyStorageClass);
        this.members(
            name,
            memberSubjects(args.members ?? [], args.memberPrefix ?? DEFAULT_OIDC_PREFIX),
            meta,
        );
        if (args.argoSignOn) this.argoSignOnAccount(name, args, meta);

        this.networkPolicies(name, args, meta);

        const runner = new k8s.core.v1.ServiceAccount(
            `${name}-runner`,
            {
                metadata: { ...meta(RUNNER), annotations: args.runnerAnnotations },
                // KServe's storage initializer takes S3 keys from the account's secrets.
                secrets: args.objectStoreCredentials ? [{ name: RUNNER_S3_SECRET }] : [],
            },
            child,
        );
        this.runnerServiceAccount = runner.metadata.name;
        boundRole(
            `${name}-runner`,
            meta(RUNNER),
            [
                ARGO_EXECUTOR_RULE,
                // The pipeline deploys and updates the team's models.
                {
                    apiGroups: ["serving.kserve.io"],
                    resources: ["inferenceservices"],
                    verbs: ["get", "list", "watch", "create", "update", "patch"],
                },
            ],
            runner.metadata.name,
            child,
        );
        if (args.objectStoreCredentials) {
            new k8s.core.v1.Secret(
                `${name}-runner-s3`,
                {
                    metadata: meta(RUNNER_S3_SECRET),
                    stringData: {
                        AWS_ACCESS_KEY_ID: pulumi.secret(args.objectStoreCredentials.accessKeyId),
                        AWS_SECRET_ACCESS_KEY: pulumi.secret(
                            args.objectStoreCredentials.secretAccessKey,
                        ),
                    },
                },
                child,
            );
        }
        if (args.artifactRepository) {
            const keyFormat = `teams/${team}/{{workflow.name}}/{{pod.name}}`;
            const withKeys = args.objectStoreCredentials !== undefined;
            const repository = pulumi.output(args.artifactRepository).apply((repo) =>
                repo.scheme === "gs"
                    ? { archiveLogs: true, gcs: { bucket: repo.bucket, keyFormat } }
                    : {
                          archiveLogs: true,
                          s3: s3Repository({
                              ...repo,
                              keyFormat,
                              keysSecret: withKeys ? RUNNER_S3_SECRET : undefined,
                          }),
                      },
            );
            new k8s.core.v1.ConfigMap(
                `${name}-artifact-repositories`,
                {
                    metadata: {
                        ...meta("artifact-repositories"),
                        annotations: {
                            "workflows.argoproj.io/default-artifact-repository": "default",
                        },
                    },
                    data: { default: pulumi.jsonStringify(repository) },
                },
                child,
            );
        }
        if (args.facts) this.factsConfigMap(name, args.quota, args.facts, meta);
        if (args.pipeline) {
            const { dependsOn, ...pipeline } = args.pipeline;
            referencePipeline(
                name,
                this.namespace,
                { ...pipeline, serviceAccount: runner.metadata.name },
                { parent: this, dependsOn: [ns, ...(dependsOn ?? [])] },
            );
        }
        this.registerOutputs({ namespace: this.namespace });
    }

    /**
     * The team's facts for its team stack, in its namespace: members may read them (the team
     * role reads ConfigMaps), the `mlops-team-facts` admission policy keeps them from changing
     * them, and no other team can read them.
     */
    private factsConfigMap(name: string, quota: TeamQuota, facts: TeamFactsArgs, meta: TeamMeta) {
        const data = pulumi
            .all([this.namespace, this.runnerServiceAccount, facts.objectStore.endpoint])
            .apply(([namespace, runner, endpoint]) =>
                teamFactsData({
                    team: name,
                    namespace,
                    runnerServiceAccount: runner,
                    trackingUrl: facts.trackingUrl,
                    quota,
                    stack: facts.stack ?? false,
                    objectStore: {
                        scheme: facts.objectStore.scheme,
                        ...(endpoint ? { endpoint } : {}),
                        region: facts.objectStore.region,
                        buckets: {
                            tracking: facts.objectStore.buckets.tracking,
                            workflows: facts.objectStore.buckets.workflows,
                        },
                        prefix: `teams/${name}/`,
                    },
                    gpuScheduling: facts.gpuScheduling,
                }),
            );
        new k8s.core.v1.ConfigMap(
            `${name}-facts`,
            { metadata: meta(TEAM_FACTS_CONFIGMAP), data },
            { parent: this },
        );
    }

    /**
     * The team's ResourceQuota (GPUs, claims and the ReadWriteMany class's claims and storage
     * included; no LoadBalancer or NodePort Service) and its containers' default resources.
     */
    private quota(
        name: string,
        q: TeamQuota,
        meta: TeamMeta,
        readWriteMany: pulumi.Input<string | undefined> | undefined,
    ) {
        const child = { parent: this };
        const hard: Record<string, string> = {
            "requests.cpu": q.cpu,
            "limits.cpu": q.cpu,
            "requests.memory": q.memory,
            "limits.memory": q.memory,
            "requests.nvidia.com/gpu": String(q.gpu),
            "requests.storage": q.storage,
            pods: String(q.pods),
            "count/persistentvolumeclaims": String(q.claims ?? QUOTA_DEFAULTS.claims),
            "requests.ephemeral-storage": q.ephemeralStorage ?? QUOTA_DEFAULTS.ephemeralStorage,
            "limits.ephemeral-storage": q.ephemeralStorage ?? QUOTA_DEFAULTS.ephemeralStorage,
            "count/configmaps": String(QUOTA_DEFAULTS.configMaps),
            "count/secrets": String(QUOTA_DEFAULTS.secrets),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        };
        new k8s.core.v1.ResourceQuota(
            name,
            {
                metadata: meta("team-quota"),
                spec: {
                    hard:
                        readWriteMany === undefined
                            ? hard
                            : // A team stack reads the class from the platform stack: maybe none.
                              pulumi
                                  .output(readWriteMany)
                                  .apply((c) =>
                                      c ? { ...hard, ...storageClassQuota(c, q) } : hard,
                                  ),
                },
            },
            child,
        );
        new k8s.core.v1.ResourceQuota(
            `${name}-system-priority`,
            {
                metadata: meta("team-system-priority"),
                spec: {
                    hard: { pods: "0" },
                    scopeSelector: {
                        matchExpressions: [
                            {
                                scopeName: "PriorityClass",
                                operator: "In",
                                values: [...SYSTEM_PRIORITY_CLASSES],
                            },
                        ],
                    },
                },
            },
            child,
        );
        new k8s.core.v1.LimitRange(
            name,
            {
                metadata: meta("team-defaults"),
                spec: { limits: [{ type: "Container", ...CONTAINER_DEFAULTS }] },
            },
            child,
        );
    }

    /**
     * The members' binding to the platform's `mlops-team-member` role in the namespace, when any
     * member is a Kubernetes user.
     */
    private members(name: string, subjects: RbacSubject[], meta: TeamMeta) {
        if (subjects.length === 0) return;
        new k8s.rbac.v1.RoleBinding(
            `${name}-members`,
            {
                metadata: meta("team-members"),
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: TEAM_MEMBER_ROLE,
                },
                subjects,
            },
            { parent: this },
        );
    }

    /**
     * The account the Argo server acts as, under single sign-on, for a request in this
     * namespace from a member of one of the team's groups (`group:` members; the UI's route
     * admits no one else), with the team's rights on workflows, templates and cron workflows
     * and nothing outside the namespace. A member of another team matches no rule here and
     * falls back to the server namespace's login account, which has no rights.
     */
    private argoSignOnAccount(name: string, args: TeamArgs, meta: TeamMeta) {
        const groups = membersOfKind(args.members ?? [], "group");
        if (groups.length === 0) return;
        const child = { parent: this };
        const { namespace, labels } = meta(ARGO_SSO_SERVICE_ACCOUNT);
        const sa = argoSignOnAccount(
            `${name}-argo-sso`,
            {
                namespace,
                labels,
                account: ARGO_SSO_SERVICE_ACCOUNT,
                rule: groupsRule(groups),
                precedence: ARGO_SSO_PRECEDENCE.team,
            },
            child,
        );
        boundRole(
            `${name}-argo-sso`,
            meta(ARGO_SSO_SERVICE_ACCOUNT),
            argoUserRules({
                clusterWorkflowTemplates: false,
                artifactSecrets: args.objectStoreCredentials ? [RUNNER_S3_SECRET] : [],
            }),
            sa.metadata.name,
            child,
        );
    }

    private networkPolicies(
        name: string,
        args: TeamArgs,
        meta: (n: string) => k8s.types.input.meta.v1.ObjectMeta,
    ) {
        const child = { parent: this };
        const platform = {
            namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": args.platformNamespace },
            },
        };
        const policy = (key: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${key}`,
                { metadata: meta(key), spec },
                child,
            );

        policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        policy("allow-same-namespace", {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ podSelector: {} }] }],
            egress: [{ to: [{ podSelector: {} }] }],
        });
        policy("allow-from-router", {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            ...platform,
                            podSelector: { matchLabels: { "app.kubernetes.io/name": ROUTER_APP } },
                        },
                    ],
                },
            ],
        });
        policy("allow-dns", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        {
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": "kube-system" },
                            },
                            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                        },
                    ],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        });
        if (args.platformServices.length > 0) {
            policy("allow-platform-services", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: args.platformServices.map((s) => ({
                    to: [
                        {
                            ...platform,
                            podSelector: { matchLabels: { "app.kubernetes.io/name": s.app } },
                        },
                    ],
                    ports: tcpPorts(s.ports),
                })),
            });
        }
        // Argo's executor reports task results to the API server: its addresses when the cloud
        // knows them, else the private ranges (never the internet).
        const apiServer = args.apiServerCidrs?.length ? args.apiServerCidrs : PRIVATE_RANGES;
        policy("allow-api-server", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: apiServer.map((cidr) => ({ ipBlock: { cidr } })),
                    ports: API_SERVER_PORTS.map((port) => ({ protocol: "TCP", port })),
                },
            ],
        });
        if (args.cloudEgress?.length) {
            policy("allow-cloud-apis", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [...args.cloudEgress],
            });
        }
        if (args.egress?.length) {
            policy("allow-egress-list", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: args.egress.map((e) => ({
                    to: [{ ipBlock: { cidr: e.cidr } }],
                    ports: e.ports.map((port) => ({ protocol: e.protocol ?? "TCP", port })),
                })),
            });
        }
    }
}
