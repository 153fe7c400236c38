/**
 * The stack config contract: every `mlops:*` key, its schema, its defaults, and the checks
 * that span keys. Config is read once, here; components take typed args.
 *
 * `parseConfig` is pure (raw values in, typed config or a `ConfigError` out) so that tests
 * and the offline plan exercise exactly what `pulumi up` runs.
 */
import { z } from "zod";
import { cidrProblem, parseIpAddress } from "./cidr";
import {
    AMP_MAX_RETENTION_DAYS,
    MANAGED_LOCAL_RETENTION,
    retentionDays,
} from "../components/observability/retention";
import { Cloud, gpuTypesFor } from "../components/cluster/gpus";
import { DEFAULT_OIDC_PREFIX, oidcPrefixProblem } from "../components/cluster/kubernetes-cluster";
import {
    DNS_LABEL_MAX,
    GCP_PROJECT,
    GCP_PROJECT_RULE,
    GCP_ZONE,
    awsRegionProblem,
    cidrListProblems,
    cloudSqlTierProblem,
    gcpRegionProblem,
    gpuCountsOf,
    hostProblem,
    machineTypeProblem,
    systemMachineProblem,
} from "./provider-rules";

/** How the router's Service may be exposed. */
export const SERVICE_TYPES = ["LoadBalancer", "NodePort", "ClusterIP"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** The config namespace of every key. */
export const CONFIG_NAMESPACE = "mlops";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const CPU_QUANTITY = /^([0-9]+(\.[0-9]+)?|\.[0-9]+)m?$/;
const BYTES_QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** A team member: `group:<name>`, `user:<email>`, a bare email, or `sub:<JWT subject>`. */
const MEMBER =
    /^(group:[^,\s]{1,256}|user:[^@,\s]+@[^@,\s]+\.[^@,\s]+|[^@,\s:]+@[^@,\s]+\.[^@,\s]+|sub:[^,\s]{1,512})$/;
const STORAGE_URI = /^(s3|gs|pvc|https?):\/\/\S+$/;
const STACK_NAME = /^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;
/** A Helm repository URL: http(s), a host (name, IPv4 or [IPv6]) and port, an optional path. */
const HELM_REPO_URL = /^https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(\/[^\s?#]*)?$/;
/** An OCI registry prefix for charts: `oci://host[:port][/path]`, path in lowercase. */
const OCI_PREFIX =
    /^oci:\/\/([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?$/;
/**
 * A registry prefix for images: a host (with a `.` or a port, or `localhost`, so that it is
 * not read as a Docker Hub namespace), an optional port and path; no scheme, no tag.
 */
const REGISTRY_PREFIX =
    /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+|[a-z0-9]([a-z0-9-]*[a-z0-9])?(?=:))(:[0-9]{1,5})?(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

/**
 * An object that rejects unknown keys, naming the keys it does allow: a typo such as
 * `maxNode` is an error, not a silently ignored setting.
 */
function obj<T extends z.ZodRawShape>(shape: T) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (iss) =>
            iss.code === "unrecognized_keys" ? `unknown key; allowed keys: ${allowed}` : undefined,
    });
}

const dnsLabel = (what: string, max = 63, why = "") =>
    z
        .string()
        .max(max, { error: `${what} must be at most ${max} characters${why}` })
        .regex(DNS_LABEL, {
            error: `${what} must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit`,
        });

/**
 * Longest user-chosen names, so that every Kubernetes name derived from them is valid
 * (test/names.test.ts builds the platform at these limits).
 */
export const CLUSTER_NAME_MAX = 32;
export const TEAM_NAME_MAX = 56;
export const MODEL_NAME_MAX = 46;

const count = z.int({ error: "must be an integer" }).min(0, { error: "must be an integer ≥ 0" });
const positive = z.int({ error: "must be an integer" }).min(1, { error: "must be an integer ≥ 1" });
/** A pool's maximum: a pool of at most 0 nodes never runs a pod. */
const poolMax = z
    .int({ error: "must be an integer" })
    .min(1, { error: "must be an integer ≥ 1: a pool of at most 0 nodes never runs a pod" });
/**
 * Kubernetes accepts a quantity as a YAML number (`cpu: 8`, `memory: 1073741824`), and so do
 * we: a finite number becomes its decimal string before the quantity check.
 */
const quantity = (what: string, re: RegExp, example: string) =>
    z.preprocess(
        (v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v),
        z
            .string({ error: `must be a ${what} such as ${example}` })
            .regex(re, { error: `must be a ${what} such as ${example}` }),
    );
const cpu = quantity("CPU quantity", CPU_QUANTITY, '8 or "500m"');
const bytes = quantity("Kubernetes size", BYTES_QUANTITY, '"512Mi" or "10Gi"');
const enabled = z.boolean({ error: "must be true or false" });
/** A string that may not be empty (or only whitespace): the providers refuse an empty name. */
const text = (what = "a string") =>
    z
        .string({ error: `must be ${what}` })
        .refine((v) => v.trim() !== "", { error: `must be ${what}, not empty` });

/** A string the provider checks: `problem` says why a value is not one, or undefined. */
const providerString = (what: string, problem: (v: string) => string | undefined) =>
    z.string({ error: `must be ${what}` }).superRefine((v, ctx) => {
        const why = problem(v);
        if (why) ctx.addIssue({ code: "custom", message: why, input: v });
    });

/**
 * A list of CIDR blocks as a provider takes them: each block valid and written as its network
 * address, the list not the whole internet and within the provider's count.
 */
function cidrList<T>(
    item: z.ZodType<T>,
    cidrOf: (x: T) => string,
    opts: Parameters<typeof cidrListProblems>[1] & { readonly field?: string },
) {
    return z.array(item, { error: "must be a list of CIDR blocks" }).superRefine((list, ctx) => {
        const cidrs = list.map(cidrOf);
        for (const p of cidrListProblems(cidrs, opts)) {
            ctx.addIssue({
                code: "custom",
                path: p.index === undefined ? [] : [p.index, ...(opts.field ? [opts.field] : [])],
                message: p.message,
                input: p.index === undefined ? list : cidrs[p.index],
            });
        }
    });
}

/**
 * A lower and an upper bound: reported on the upper bound, and only when both are valid
 * counts (an invalid one has its own message already).
 */
function ordered<K extends string>(
    o: Record<K, unknown>,
    min: K,
    max: K,
    ctx: z.RefinementCtx,
): void {
    const lo = o[min];
    const hi = o[max];
    const valid = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
    if (valid(lo) && valid(hi) && lo > hi) {
        ctx.addIssue({
            code: "custom",
            path: [max],
            message: `must be ≥ ${min} (${lo})`,
            input: hi,
        });
    }
}

/** One autoscaled node pool of GPU machines. */
const gpuPoolSchema = obj({
    /** Stable key of the pool; names its node pool and label. */
    name: dnsLabel("a GPU pool name"),
    /** Accelerator type, e.g. `nvidia-l4` on GCP, `nvidia-a10g` on AWS. */
    gpuType: text("a GPU type string"),
    /** GPUs on each node. @default 1 */
    gpusPerNode: positive.default(1),
    /** Machine or instance type; required on gcp and aws. */
    machineType: text("a machine type").optional(),
    /** @default 0 (scale to zero) */
    minNodes: count.default(0),
    /**
     * Upper bound of the autoscaler; required so that GPU spend is bounded. At least 1: a pool
     * of at most 0 nodes never runs a pod.
     */
    maxNodes: poolMax,
    /** Spot / preemptible capacity. @default false */
    spot: z.boolean({ error: "must be true or false" }).default(false),
    /** GKE GPU sharing: several pods per GPU. @default none (one pod per GPU) */
    sharing: obj({
        strategy: z.enum(["TIME_SHARING", "MPS"]),
        maxSharedClientsPerGpu: z
            .int({ error: "must be an integer" })
            .min(2, { error: "must be between 2 and 48" })
            .max(48, { error: "must be between 2 and 48" }),
    }).optional(),
}).superRefine((p, ctx) => ordered(p, "minNodes", "maxNodes", ctx));

const systemPoolSchema = obj({
    /** Machine type of the system pool; each cloud has a default. */
    machineType: text("a machine type").optional(),
    /** @default 1 */
    minNodes: count.default(1),
    /** At least 1: the platform's own pods run on the system pool. @default 3 */
    maxNodes: poolMax.default(3),
}).superRefine((p, ctx) => ordered(p, "minNodes", "maxNodes", ctx));

// ---------------------------------------------------------------------------------------------
// kubectl for team members (docs/identity/kubectl.md): how the cluster's API server names the
// people and groups that team RoleBindings bind, on each cloud.
// ---------------------------------------------------------------------------------------------

/**
 * `cluster.oidcPrefix` (local): the prefix the API server gives OIDC user and group names. No
 * default in the schema: {@link kubernetesMemberPrefix} resolves it per cloud.
 */
const oidcPrefixSchema = z.string({ error: "must be a string" }).superRefine((v, ctx) => {
    const problem = oidcPrefixProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: v });
});

/** `cluster.gcp.securityGroup`: GKE's fixed group name, in the organisation's domain. */
const gkeSecurityGroupSchema = z
    .string({ error: "must be an email address" })
    .regex(
        /^gke-security-groups@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
        {
            error: "must be gke-security-groups@<your domain>: GKE reads Google Groups for RBAC under a group of that name only",
        },
    );

/**
 * The EKS access policies (EKS user guide, "Review access policy permissions"); test/ checks
 * the list against components/aws/eks.ts EKS_ACCESS_POLICIES.
 */
export const EKS_ACCESS_POLICY_NAMES = [
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
] as const;

/** `cluster.aws.accessEntries`: IAM principals that may use kubectl, each with a policy. */
const eksAccessEntriesSchema = z
    .array(
        obj({
            /** An IAM role or user (not an assumed-role session). */
            principalArn: z
                .string({ error: "must be an IAM role or user ARN" })
                .regex(
                    /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/([\x21-\x7e]*\/)?[\w+=,.@-]{1,128}$/,
                    {
                        error: "must be the ARN of an IAM role or user, e.g. arn:aws:iam::123456789012:role/platform-admins (not an assumed-role session)",
                    },
                ),
            /** The access policy. */
            policy: z.enum(EKS_ACCESS_POLICY_NAMES),
            /** Namespaces the policy applies in (`*` wildcards allowed). @default the whole cluster */
            namespaces: z
                .array(
                    z.string().regex(/^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$/, {
                        error: "must be a namespace name, '*' allowed as a wildcard",
                    }),
                    { error: "must be a list of namespaces" },
                )
                .min(1, {
                    error: "must list at least one namespace; leave it out for the whole cluster",
                })
                .optional(),
        }),
        { error: "must be a list of {principalArn, policy, namespaces}" },
    )
    .superRefine((entries, ctx) => {
        entries.forEach((e, i) => {
            const first = entries.findIndex((x) => x.principalArn === e.principalArn);
            if (first < i) {
                ctx.addIssue({
                    code: "custom",
                    path: [i, "principalArn"],
                    message: `already listed at accessEntries[${first}]; an IAM principal has one access entry`,
                    input: e.principalArn,
                });
            }
        });
    });

/**
 * What the cluster's API server prepends to team members' user and group names, so that team
 * RoleBindings name them as it authenticates them: none on gcp (GKE names Google accounts and
 * Google Groups by email), else `cluster.oidcPrefix` (local) or `"oidc:"` (the prefix the
 * platform gives EKS). Platform and team stacks resolve it alike.
 */
export function kubernetesMemberPrefix(config: Pick<PlatformConfig, "cloud" | "cluster">): string {
    if (config.cloud === "gcp") return "";
    return config.cluster.oidcPrefix ?? DEFAULT_OIDC_PREFIX;
}

// ---------------------------------------------------------------------------------------------

const clusterSchema = obj({
    /** Name of the cluster and prefix of platform resources. @default "mlops" */
    name: dnsLabel(
        "the cluster name",
        CLUSTER_NAME_MAX,
        " (the longest Kubernetes name derived from it, the MLflow schema Job's, is a 63-character label)",
    ).default("mlops"),
    /**
     * local, and team stacks (which leave mlops:cloud unset on every cloud): path to, or
     * contents of, a kubeconfig, a member's own in a team stack. @default the ambient KUBECONFIG
     */
    kubeconfig: text("a kubeconfig path or contents").optional(),
    /** local, and team stacks: kubeconfig context. @default the current context */
    context: text("a kubeconfig context name").optional(),
    /** local: ReadWriteOnce StorageClass for data volumes. @default the cluster's default class */
    storageClass: dnsLabel("a StorageClass name", 253).optional(),
    /**
     * How far team GPU quotas may add up beyond the GPU pools' maximum capacity before the
     * plan and the guardrails report it (1.5: half again). @default 1
     */
    gpuOversubscription: z
        .number({ error: "must be a number" })
        .min(1, { error: "must be at least 1" })
        .default(1),
    /** local: install the NVIDIA device plugin chart on GPU nodes. @default false */
    nvidiaDevicePlugin: enabled.default(false),
    /**
     * local: the prefix the API server gives the user and group names of the organisation's
     * OpenID Connect issuer (`--oidc-username-prefix` and `--oidc-groups-prefix`; `""` for
     * none). @default "oidc:"
     */
    oidcPrefix: oidcPrefixSchema.optional(),
    gcp: obj({
        /** The project ID (not its name or number). */
        project: z
            .string({ error: GCP_PROJECT_RULE })
            .regex(GCP_PROJECT, { error: GCP_PROJECT_RULE }),
        /** The region of the cluster and of every regional resource. */
        region: providerString("a GCP region such as us-central1", gcpRegionProblem),
        /**
         * A zonal cluster in this zone of `region` (control plane and nodes in one zone, which
         * the GKE free tier covers for one cluster per billing account). @default none: a
         * regional cluster
         */
        zone: z
            .string({ error: "must be a GCP zone such as us-central1-a" })
            .regex(GCP_ZONE, { error: "must be a GCP zone such as us-central1-a" })
            .optional(),
        /**
         * Networks allowed to reach the control plane's public endpoint (at most 50, never the
         * whole internet). @default [] (no public endpoint: from inside the VPC only)
         */
        authorizedNetworks: cidrList(
            obj({
                cidrBlock: z.string({ error: "must be an IPv4 CIDR" }),
                displayName: text("a display name").default("authorized"),
            }),
            (n) => n.cidrBlock,
            { max: 50, ipv6: false, limit: "GKE", field: "cidrBlock" },
        ).default([]),
        /** @default "REGULAR" */
        releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE", "EXTENDED"]).default("REGULAR"),
        /**
         * Google Groups for RBAC: `gke-security-groups@<your domain>`, under which the groups
         * that `group:<email>` members name are nested. @default none: group members get no
         * Kubernetes access on GKE
         */
        securityGroup: gkeSecurityGroupSchema.optional(),
    }).optional(),
    aws: obj({
        region: providerString("an AWS region such as us-east-1", awsRegionProblem),
        /**
         * The AWS account the stack deploys into (12 digits): the provider refuses any other,
         * and bucket names, which are global, end in it.
         */
        accountId: z
            .string({ error: "must be a 12-digit AWS account ID in quotes" })
            .regex(/^[0-9]{12}$/, { error: "must be a 12-digit AWS account ID in quotes" }),
        /**
         * Networks allowed to reach the EKS API's public endpoint. @default [] (no public
         * endpoint: the API is reachable from inside the VPC only)
         */
        endpointPublicAccessCidrs: cidrList(z.string({ error: "must be an IPv4 CIDR" }), (c) => c, {
            max: 40,
            ipv6: false,
            limit: "EKS (public access CIDRs per cluster)",
        }).default([]),
        /** Availability zones the VPC spans. @default 3 */
        availabilityZoneCount: z
            .int({ error: "must be an integer" })
            .min(2, { error: "must be 2, 3 or 4 (EKS needs two zones at least)" })
            .max(4, { error: "must be 2, 3 or 4 (EKS needs two zones at least)" })
            .default(3),
        /**
         * IAM principals that may use kubectl (EKS access entries), each with an access policy.
         * The principal that runs `pulumi up` is the cluster's admin already: do not list it.
         * @default []
         */
        accessEntries: eksAccessEntriesSchema.default([]),
    }).optional(),
    systemPool: systemPoolSchema.prefault({}),
    gpuPools: z.array(gpuPoolSchema, { error: "must be a list of GPU pools" }).default([]),
});

const storageSchema = obj({
    objectStore: obj({
        /** Volume size of the in-cluster object store. @default "20Gi" */
        size: bytes.default("20Gi"),
        /** Let anonymous callers read and list every bucket (experiments only). @default false */
        publicRead: z.boolean({ error: "must be true or false" }).default(false),
    }).prefault({}),
    sharedFilesystem: obj({
        /** @default true */
        enabled: enabled.default(true),
        /** Capacity of the shared ReadWriteMany filesystem. @default "50Gi" */
        size: bytes.default("50Gi"),
        /** gcp: Filestore tier. @default "BASIC_HDD" */
        tier: z.enum(["BASIC_HDD", "BASIC_SSD", "ZONAL", "ENTERPRISE"]).default("BASIC_HDD"),
        /**
         * gcp: run the NFS server in the cluster on a persistent disk of `size` instead of
         * Filestore, whose smallest instance is 1 TiB (a development profile). @default false
         */
        inCluster: enabled.default(false),
        /**
         * local (and gcp with `inCluster: true`): address ranges the nodes mount NFS from (their
         * addresses; on overlay networks also their tunnel addresses). The NFS server's namespace
         * admits only these and its own node. @default []: a single-node cluster
         */
        nodeCidrs: cidrList(z.string({ error: "must be an IPv4 CIDR" }), (c) => c, {
            max: 100,
            ipv6: false,
            limit: "the NFS server's NetworkPolicy",
        }).default([]),
    }).prefault({}),
});

const databaseSchema = obj({
    /** Volume size of the in-cluster PostgreSQL. @default "10Gi" */
    size: bytes.default("10Gi"),
    /**
     * gcp: Cloud SQL machine tier of the Enterprise edition: `db-custom-<vCPUs>-<MiB>`, or a
     * shared-core `db-f1-micro` / `db-g1-small` (development). @default "db-custom-1-3840" (1
     * vCPU, 3.75 GB)
     */
    tier: z
        .string()
        .regex(/^(db-custom-[0-9]+-[0-9]+|db-f1-micro|db-g1-small)$/, {
            error: "must be a Cloud SQL Enterprise tier: db-custom-<vCPUs>-<MiB> (e.g. db-custom-1-3840), db-f1-micro or db-g1-small",
        })
        .superRefine((tier, ctx) => {
            const problem = cloudSqlTierProblem(tier);
            if (problem) ctx.addIssue({ code: "custom", message: problem, input: tier });
        })
        .default("db-custom-1-3840"),
    /**
     * aws: RDS instance class. @default "db.t4g.small" (2 vCPU burstable, 2 GiB); in prod
     * "db.m7g.large" (2 vCPU, 8 GiB; prod refuses burstable db.t* classes)
     */
    instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {
            error: "must be an RDS instance class such as db.t4g.small",
        })
        .default("db.t4g.small"),
    /** Expose the database outside the cluster (experiments only). @default false */
    publicAccess: z.boolean({ error: "must be true or false" }).default(false),
});

const tlsSchema = obj({
    /**
     * `selfSigned` (a generated wildcard certificate), `acme` (Let's Encrypt), or `none` (plain
     * HTTP, for experiments only: guardrails warn in dev and stop prod). @default "selfSigned"
     */
    mode: z.enum(["selfSigned", "acme", "none"]).default("selfSigned"),
    acme: obj({
        email: z.string().regex(EMAIL, { error: "must be an email address" }),
        /** @default Let's Encrypt production */
        server: z
            .url({ protocol: /^https$/, error: "must be an https URL of an ACME directory" })
            .default("https://acme-v02.api.letsencrypt.org/directory"),
    }).optional(),
}).superRefine((t, ctx) => {
    if (t.mode === "acme" && !t.acme) {
        ctx.addIssue({
            code: "custom",
            path: ["acme"],
            message: "is required when mode is acme (set acme.email)",
        });
    }
});

/** A group name as the IdP's groups claim carries it; no ',' (groups are joined by commas in the route's check) and no whitespace. */
const GROUP = /^[^,\s]{1,256}$/;
/** A JWT claim name. */
const CLAIM = /^[A-Za-z0-9_:./-]{1,128}$/;
/** A Go duration as oauth2-proxy reads it: `12h`, `30m`, `1h30m`. */
const DURATION = /^([0-9]+(h|m|s))+$/;
const httpsUrl = (what: string) =>
    z
        .string({ error: `must be an https URL of ${what}` })
        .regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
            error: `must be an https URL of ${what}, e.g. https://login.example.com`,
        });
const groupName = z.string({ error: "must be a group name" }).regex(GROUP, {
    error: "must be a group name of 1-256 characters without ',' or whitespace",
});
/** The connector types Dex 2.45 builds in (dexidp/dex server/server.go ConnectorsConfig). */
const DEX_CONNECTOR_TYPES = [
    "oidc",
    "github",
    "gitlab",
    "google",
    "ldap",
    "saml",
    "microsoft",
    "keystone",
    "bitbucket-cloud",
    "openshift",
    "oauth",
    "authproxy",
    "linkedin",
    "gitea",
    "atlassian-crowd",
] as const;

/** Single sign-on through an OpenID Connect issuer (docs/identity/). */
const oidcSchema = obj({
    /**
     * The issuer's URL. @default on local, the bundled Dex at `https://dex.<domain>`;
     * required on gcp and aws
     */
    issuer: httpsUrl("an OpenID Connect issuer").optional(),
    /** The client registered at the issuer for the platform. @default "mlops-platform" */
    clientId: z
        .string({ error: "must be a string" })
        .regex(/^[\x21-\x7e]{1,256}$/, { error: "must be 1-256 printable characters" })
        .default("mlops-platform"),
    /**
     * The client's secret, set with `pulumi config set --secret --path
     * mlops:routing.auth.oidc.clientSecret`. Required with `issuer`; generated for the bundled Dex.
     */
    clientSecret: z
        .string({ error: "must be a string" })
        .min(1, { error: "must not be empty" })
        .optional(),
    /** The ID token claim that lists the user's groups. @default "groups" */
    groupsClaim: z.string().regex(CLAIM, { error: "must be a claim name" }).default("groups"),
    /** The ID token claim that holds the user's email. @default "email" */
    emailClaim: z.string().regex(CLAIM, { error: "must be a claim name" }).default("email"),
    /**
     * Scopes asked for at sign-in. @default ["openid", "email", "profile", "groups"], and
     * `offline_access` with the bundled Dex
     */
    scopes: z
        .array(z.string().regex(/^[\x21-\x7e]{1,128}$/, { error: "must be a scope name" }), {
            error: "must be a list of scopes",
        })
        .min(1, { error: "must list at least openid" })
        .refine((s) => s.includes("openid"), { error: "must include openid" })
        .optional(),
    /** Groups that reach the platform's own routes (the router dashboard) and every other. @default ["mlops-admins"] */
    adminGroups: z
        .array(groupName, { error: "must be a list of group names" })
        .min(1, { error: "must list at least one group" })
        .default(["mlops-admins"]),
    cookie: obj({
        /** How long a session lasts. @default "12h" */
        expire: z
            .string()
            .regex(DURATION, { error: "must be a duration such as 12h or 90m" })
            .default("12h"),
        /** How often the session is refreshed at the issuer. @default "1h" */
        refresh: z
            .string()
            .regex(DURATION, { error: "must be a duration such as 1h or 30m" })
            .default("1h"),
        /**
         * `lax` sends the cookie on top-level navigation from other sites, which the sign-in
         * callback needs; `strict` would break it. @default "lax"
         */
        sameSite: z.enum(["lax", "none"]).default("lax"),
        /** Sent over HTTPS only. Turn off only with `tls.mode: none` (dev). @default true */
        secure: enabled.default(true),
    }).prefault({}),
    /**
     * Keyless machine identity: bearer JWTs accepted from these issuers, each with the audience
     * it must carry (GitHub Actions, a cluster's service-account issuer). @default []
     */
    jwtIssuers: z
        .array(
            obj({
                issuer: httpsUrl("a JWT issuer"),
                audience: z.string().regex(/^[^,=\s]{1,256}$/, {
                    error: "must be 1-256 characters without ',', '=' or whitespace",
                }),
            }),
            { error: "must be a list of {issuer, audience}" },
        )
        .default([]),
});

/** The bundled Dex (local only): connectors to upstream identity providers. */
const dexSchema = obj({
    /** Dex connectors, passed to Dex as written (https://dexidp.io/docs/connectors/). @default [] */
    connectors: z
        .array(
            obj({
                type: z.enum(DEX_CONNECTOR_TYPES),
                id: dnsLabel("a connector id"),
                name: text("a connector name"),
                config: z.record(z.string(), z.unknown(), { error: "must be a mapping" }),
            }),
            { error: "must be a list of connectors" },
        )
        .default([]),
    /**
     * Static users for a laptop: an admin, one user per team and one per `user:` member, with
     * generated passwords in the secret stack output `logins`. @default true
     */
    staticUsers: enabled.default(true),
});

const routingSchema = obj({
    tls: tlsSchema.prefault({}),
    /**
     * How Traefik's Service is exposed. @default "NodePort" on local (kind, k3d and minikube
     * have no load-balancer controller as they come, and Helm would wait for an address that
     * never comes), "LoadBalancer" on gcp and aws
     */
    serviceType: z.enum(SERVICE_TYPES).optional(),
    auth: obj({
        /** Authentication in front of every route. @default true */
        enabled: enabled.default(true),
        /**
         * `oidc`: single sign-on through oauth2-proxy on every route, groups decide who reaches
         * what; `basic`: a generated password per route (dev only). @default "oidc"
         */
        mode: z.enum(["oidc", "basic"]).default("oidc"),
        /** Basic auth's user name (mode basic). @default "admin" */
        username: z
            .string()
            .regex(/^[A-Za-z0-9._-]{1,64}$/, {
                error: "must be 1-64 letters, digits, '.', '_' or '-'",
            })
            .default("admin"),
        oidc: oidcSchema.prefault({}),
        /** The bundled Dex, on local when no `oidc.issuer` is set. @default no connectors, static users */
        dex: dexSchema.optional(),
    }).prefault({}),
});

const serviceToggle = obj({ enabled: enabled.default(true) });

/** A Prometheus duration of days or hours, such as `7d` or `36h`. */
const RETENTION = /^[1-9][0-9]{0,3}[dhw]$/;

/** Alert receivers' common keys (components/observability/alerting.ts, docs/alerts.md). */
const receiverBase = {
    /** Unique among the receivers. */
    name: z
        .string({ error: "must be a receiver name" })
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
            error: "must be a lowercase name of letters, digits and '-' (1-63 characters)",
        })
        .refine((n) => n !== "null", { error: "is reserved (the receiver that drops alerts)" }),
    /** Only alerts of these severities. @default every severity */
    severities: z
        .array(z.enum(["critical", "warning"]))
        .min(1, { error: "must list at least one severity, or be left out" })
        .optional(),
    /** Only alerts about these teams. @default every alert */
    teams: z
        .array(
            z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { error: "must be a team name" }),
        )
        .min(1, { error: "must list at least one team, or be left out" })
        .optional(),
};

/** A URL alerts are sent to; set it with `pulumi config set --secret --path`. */
const receiverUrl = z
    .string({ error: "must be an http(s) URL" })
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/, { error: "must be an http(s) URL" });
const alertReceiverSchema = z.discriminatedUnion(
    "type",
    [
        obj({
            ...receiverBase,
            type: z.literal("slack"),
            url: receiverUrl,
            channel: z
                .string()
                .regex(/^[#@]?[\w.-]{1,80}$/, {
                    error: "must be a channel name such as #ml-alerts",
                })
                .optional(),
        }),
        obj({
            ...receiverBase,
            type: z.literal("email"),
            to: z.string().regex(EMAIL, { error: "must be an email address" }),
            from: z.string().regex(EMAIL, { error: "must be an email address" }),
            smarthost: z.string().regex(/^[a-zA-Z0-9.-]+:[0-9]{1,5}$/, {
                error: "must be host:port of an SMTP relay",
            }),
            username: text("an SMTP user name").optional(),
            password: text("an SMTP password").optional(),
        }),
        obj({ ...receiverBase, type: z.literal("webhook"), url: receiverUrl }),
    ],
    { error: "must have type slack, email or webhook" },
);
/** Where alerts go: none by default (docs/alerts.md). */
const alertingSchema = obj({
    /** @default [] (alerts are evaluated and shown, and sent nowhere) */
    receivers: z.array(alertReceiverSchema, { error: "must be a list of receivers" }).default([]),
});

/** Metrics, dashboards and alerts (components/observability, docs/observability.md). */
const observabilitySchema = obj({
    /** Prometheus, Alertmanager, Grafana and the exporters. @default true */
    enabled: enabled.default(true),
    /** How long Prometheus keeps samples. @default "7d" */
    retention: z
        .string({ error: "must be a duration such as 7d" })
        .regex(RETENTION, {
            error: "must be a whole number of hours, days or weeks (1 to 9999), such as 36h, 7d or 2w",
        })
        .default("7d"),
    /** Prometheus's volume. @default "10Gi" */
    storage: bytes.default("10Gi"),
    /**
     * `inCluster`: Prometheus in the cluster; `managed`: the cloud's managed Prometheus (gcp,
     * aws). @default "inCluster"
     */
    backend: z
        .enum(["inCluster", "managed"], { error: "must be inCluster or managed" })
        .default("inCluster"),
    /** Where alerts are sent: Slack, e-mail or webhook receivers. @default none */
    alerting: alertingSchema.prefault({}),
});

/** Where charts and images come from instead of upstream (components/mirror.ts, docs/mirror.md). */
const mirrorSchema = obj({
    /** Helm repository URL or `oci://` prefix holding every chart by name and version. */
    charts: z
        .string({ error: "must be a string" })
        .refine((v) => HELM_REPO_URL.test(v) || OCI_PREFIX.test(v), {
            error: "must be a Helm repository URL (http:// or https://, e.g. https://charts.example.com/mlops) or an OCI prefix (e.g. oci://registry.example.com/charts)",
        })
        .optional(),
    /** Registry prefix holding every image at `<prefix>/<source registry>/<path>:<tag>`. */
    images: z
        .string({ error: "must be a string" })
        .regex(REGISTRY_PREFIX, {
            error: "must be a registry prefix: a host with a '.' or a port (or localhost), an optional lowercase path, no scheme and no tag, e.g. registry.example.com/mirror",
        })
        .optional(),
});

const modelSchema = obj({
    name: dnsLabel(
        "a model name",
        MODEL_NAME_MAX,
        " (KServe names the canary's Service <name>-canary-predictor, a 63-character label)",
    ),
    format: z.enum([
        "sklearn",
        "xgboost",
        "lightgbm",
        "pytorch",
        "tensorflow",
        "onnx",
        "huggingface",
        "mlflow",
        "triton",
    ]),
    storageUri: z
        .string()
        .regex(STORAGE_URI, { error: "must be an s3://, gs://, pvc:// or http(s):// URI" }),
    /** @default 1 */
    minReplicas: count.default(1),
    /** @default 1 */
    maxReplicas: positive.default(1),
    /** GPUs per replica. @default 0 */
    gpu: count.default(0),
    /**
     * The team that owns the model: its route admits that team's groups and the admin
     * groups. @default none: every team and the admins
     */
    team: z.string({ error: "must be a team name" }).optional(),
    canary: obj({
        storageUri: z
            .string()
            .regex(STORAGE_URI, { error: "must be an s3://, gs://, pvc:// or http(s):// URI" }),
        trafficPercent: z
            .int({ error: "must be an integer" })
            .min(1, { error: "must be between 1 and 99" })
            .max(99, { error: "must be between 1 and 99" }),
    }).optional(),
}).superRefine((m, ctx) => ordered(m, "minReplicas", "maxReplicas", ctx));

const servingSchema = obj({
    enabled: enabled.default(true),
    /** @default "kserve" */
    engine: z.enum(["kserve", "seldon"]).default("kserve"),
    models: z.array(modelSchema, { error: "must be a list of models" }).default([]),
});

/** The widest allow-list entry a team may have: a /8 (IPv4) or a /16 (IPv6). */
const EGRESS_WIDEST = { 32: 8, 128: 16 } as const;

/** One entry of a team's egress allow-list: addresses and the ports opened on them. */
const egressSchema = obj({
    /** A CIDR, IPv4 or IPv6, at most a /8 (IPv4) or /16 (IPv6) wide. */
    cidr: z.string({ error: "must be a CIDR" }).superRefine((s, ctx) => {
        const problem = cidrProblem(s);
        if (problem) {
            ctx.addIssue({ code: "custom", message: problem, input: s });
            return;
        }
        const width = parseIpAddress(s.split("/")[0])!.length as 32 | 128;
        const widest = EGRESS_WIDEST[width];
        if (Number(s.split("/")[1]) < widest) {
            ctx.addIssue({
                code: "custom",
                message: `must be at most a /${widest} wide: a team's egress is the addresses it needs, not the internet`,
                input: s,
            });
        }
    }),
    /** The ports opened, 1 to 65535. */
    ports: z
        .array(
            z
                .int({ error: "must be a port number" })
                .min(1, { error: "must be a port from 1 to 65535" })
                .max(65535, { error: "must be a port from 1 to 65535" }),
            { error: "must be a list of ports" },
        )
        .min(1, { error: "must list at least one port" }),
    /** @default "TCP" */
    protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

const teamSchema = obj({
    name: dnsLabel(
        "a team name",
        TEAM_NAME_MAX,
        " (its tracking server's host is mlflow-<name>, a 63-character label)",
    ),
    /**
     * The team's workloads (its reference pipeline) live in its own team stack; the platform
     * still creates its fences (namespace, quota, members, network policies, identity).
     * @default false (the platform stack creates the pipeline too)
     */
    stack: enabled.default(false),
    /**
     * Who the team is: `group:<name>` (a group in the IdP's groups claim: reaches the team's
     * routes and gets its Kubernetes role), `user:<email>` (or a bare email: the Kubernetes
     * role, and bearer-token access), `sub:<subject>` (a machine's JWT subject, e.g. a GitHub
     * Actions workflow: bearer-token access). @default []
     */
    members: z
        .array(
            z.string().regex(MEMBER, {
                error: "must be group:<name>, user:<email> (or a bare email) or sub:<JWT subject>, with no ',' or whitespace",
            }),
            { error: "must be a list of members" },
        )
        .default([]),
    quota: obj({
        /** @default "8" */
        cpu: cpu.default("8"),
        /** @default "32Gi" */
        memory: bytes.default("32Gi"),
        /** GPUs the team may request; 0 unless granted, never unlimited. @default 0 */
        gpu: count.default(0),
        /** @default "100Gi" */
        storage: bytes.default("100Gi"),
        /** @default 50 */
        pods: positive.default(50),
        /** Persistent volume claims (`count/persistentvolumeclaims`). @default 10 */
        claims: count.default(10),
        /**
         * Claims of the cluster's ReadWriteMany StorageClass (Filestore, EFS, the in-cluster
         * NFS); a Filestore claim is at least 1 TiB. @default 1
         */
        sharedClaims: count.default(1),
        /** Storage requested from the ReadWriteMany StorageClass. @default quota.storage */
        sharedStorage: bytes.optional(),
        /** Node-local disk, requests and limits (`*.ephemeral-storage`). @default "100Gi" */
        ephemeralStorage: bytes.default("100Gi"),
    }).prefault({}),
    /**
     * Addresses beyond the cluster the team's pods may open, besides the platform's services,
     * DNS, the API server and the cloud's storage endpoints. Set in the platform stack.
     * @default []
     */
    egress: z.array(egressSchema, { error: "must be a list of {cidr, ports}" }).default([]),
    /** The reference pipeline's hyperparameter search. */
    pipeline: obj({
        /** Training runs at once. @default 2 */
        parallelism: positive.default(2),
        /** GPUs per training run (within the GPU quota). @default 0 */
        gpu: count.default(0),
        /** Regularisation values tried, one run each. @default [0.01, 0.1, 1, 10] */
        trials: z
            .array(z.number({ error: "must be a number" }).positive({ error: "must be > 0" }))
            .min(1, { error: "must list at least one value" })
            .default([0.01, 0.1, 1, 10]),
    }).prefault({}),
});

const teamsSchema = z.array(teamSchema, { error: "must be a list of teams" }).default([]);

/** Lists whose entries are keyed by `name`; names must be unique within each. */
const NAMED_LISTS: readonly (readonly string[])[] = [
    ["cluster", "gpuPools"],
    ["serving", "models"],
    ["teams"],
    ["observability", "alerting", "receivers"],
];

/** Duplicate names, checked on the raw values so they are reported even beside other errors. */
function duplicateNames(raw: Readonly<Record<string, unknown>>, problems: string[]) {
    for (const path of NAMED_LISTS) {
        const list = valueAt(raw, path);
        if (!Array.isArray(list)) continue;
        const seen = new Map<string, number>();
        list.forEach((item, i) => {
            const name = (item as { name?: unknown } | null)?.name;
            if (typeof name !== "string") return;
            const first = seen.get(name);
            if (first === undefined) seen.set(name, i);
            else {
                problems.push(
                    `${keyPath([...path, i, "name"])}: got ${show(name)}; names must be unique, ` +
                        `already used by ${keyPath([...path, first])}`,
                );
            }
        });
    }
}

/** The schema of each `mlops:<key>`. Keys are extended by later features, never renamed. */
export const keySchemas = {
    /** `platform` (cluster, storage, routing, services) or `team` (one team's slice). */
    kind: z.enum(["platform", "team"]).default("platform"),
    /** Target: an existing cluster from a kubeconfig, Google Cloud, or AWS. */
    cloud: z.enum(["local", "gcp", "aws"]).default("local"),
    /** `prod` protects data stores and makes guardrails mandatory. */
    environment: z.enum(["dev", "prod"]).default("dev"),
    /** Base domain; services are served at `<service>.<domain>`. */
    domain: z
        .string({ error: "must be a DNS name" })
        .regex(DNS_NAME, {
            error: "must be a lowercase DNS name with at least two labels, e.g. mlops.example.com",
        })
        .refine((d) => d.split(".").every((l) => l.length <= DNS_LABEL_MAX), {
            error: `must be a DNS name whose labels are at most ${DNS_LABEL_MAX} characters each`,
        })
        .default("mlops.localtest.me"),
    cluster: clusterSchema.prefault({}),
    storage: storageSchema.prefault({}),
    database: databaseSchema.prefault({}),
    routing: routingSchema.prefault({}),
    tracking: serviceToggle.prefault({}),
    workflows: serviceToggle.prefault({}),
    featureStore: serviceToggle.prefault({}),
    serving: servingSchema.prefault({}),
    /** Metrics, dashboards and alerts. */
    observability: observabilitySchema.prefault({}),
    teams: teamsSchema,
    /**
     * Deprecated, no longer read: team stacks read their team's facts from the cluster (the
     * `mlops-team` ConfigMap), not from the platform stack. Accepted with a warning.
     */
    platformStack: z
        .string()
        .regex(STACK_NAME, {
            error: "must be a stack reference such as organization/mlops-platform/dev",
        })
        .optional(),
    /** Install every chart and pull every image from a mirror instead of upstream. @default none */
    mirror: mirrorSchema.optional(),
};

/** Keys whose value is a plain string; every other key holds YAML structure (JSON in Pulumi). */
const STRING_KEYS = new Set(["kind", "cloud", "environment", "domain", "platformStack"]);

type ParsedConfig = {
    -readonly [K in keyof typeof keySchemas]: z.output<(typeof keySchemas)[K]>;
};

/** The validated stack config, defaults applied (the router's Service type per cloud). */
export type PlatformConfig = Omit<ParsedConfig, "routing"> & {
    routing: ParsedConfig["routing"] & { serviceType: ServiceType };
};

/** The router's Service type when `mlops:routing.serviceType` is not set. */
export function defaultServiceType(cloud: Cloud): ServiceType {
    return cloud === "local" ? "NodePort" : "LoadBalancer";
}
export type ClusterConfig = PlatformConfig["cluster"];
export type GpuPoolConfig = ClusterConfig["gpuPools"][number];
export type TeamConfig = PlatformConfig["teams"][number];
export type ModelConfig = PlatformConfig["serving"]["models"][number];

/** An invalid stack config: one line per problem, each naming the key, the value and what is allowed. */
export class ConfigError extends Error {
    constructor(public readonly problems: readonly string[]) {
        super(
            `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

type PathSegment = PropertyKey;

/** `["cluster", "gpuPools", 1, "maxNodes"]` → `mlops:cluster.gpuPools[1].maxNodes`. */
export function keyPath(path: readonly PathSegment[]): string {
    let out = `${CONFIG_NAMESPACE}:`;
    path.forEach((seg, i) => {
        if (typeof seg === "number") out += `[${seg}]`;
        else out += i === 0 ? String(seg) : `.${String(seg)}`;
    });
    return out;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
    let cur: unknown = root;
    for (const seg of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}

function show(value: unknown): string {
    if (value === undefined) return "nothing";
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function describe(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case "invalid_value":
            return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_type":
            if (issue.message && !issue.message.startsWith("Invalid input")) return issue.message;
            return `must be ${issue.expected === "object" ? "a mapping" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
        default:
            return issue.message;
    }
}

/**
 * Edits (insert, delete, substitute, or swap two neighbours) that turn `source` into `target`,
 * ignoring case: the optimal-string-alignment distance.
 */
export function editDistance(source: string, target: string): number {
    const x = source.toLowerCase();
    const y = target.toLowerCase();
    const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
        Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= x.length; i++) {
        for (let j = 1; j <= y.length; j++) {
            const cost = x[i - 1] === y[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[x.length][y.length];
}

/** The known key closest to a misspelt one, if any is close (a third of its letters at most). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
    const limit = Math.max(1, Math.floor(key.length / 3));
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = editDistance(key, k);
        if (d <= limit && d < bestDistance) [best, bestDistance] = [k, d];
    }
    return best;
}

/** `unknown key; allowed keys: …`, with the closest known key when one is close. */
function unknownKey(path: readonly PathSegment[], allowed: readonly string[]): string {
    const name = String(path[path.length - 1]);
    const near = closestKey(name, allowed);
    const hint = near ? ` (did you mean ${keyPath([...path.slice(0, -1), near])}?)` : "";
    return `${keyPath(path)}: unknown key${hint}; allowed keys: ${allowed.join(", ")}`;
}

/** Keys whose values are secrets, never echoed in a message: alert receivers' URLs and passwords. */
function isSecretKey(path: readonly PathSegment[]): boolean {
    return (
        path[0] === "observability" &&
        path[1] === "alerting" &&
        (path[path.length - 1] === "url" || path[path.length - 1] === "password")
    );
}

function problemsOf(key: string, raw: unknown, error: z.ZodError): string[] {
    const out: string[] = [];
    for (const issue of error.issues) {
        const path = [key, ...issue.path];
        if (issue.code === "unrecognized_keys") {
            const allowed = /allowed keys: (.+)$/.exec(issue.message)?.[1].split(", ");
            for (const k of issue.keys) {
                out.push(
                    allowed
                        ? unknownKey([...path, k], allowed)
                        : `${keyPath([...path, k])}: ${issue.message}`,
                );
            }
            continue;
        }
        const value = valueAt(raw, issue.path);
        const got =
            isSecretKey(path) && typeof value === "string"
                ? "a value (secret, not shown)"
                : show(value);
        out.push(`${keyPath(path)}: got ${got}; ${describe(issue)}`);
    }
    return out;
}

/**
 * Keys that only some clouds use. Everywhere else they are refused, never silently ignored:
 * `[]` stands for every entry of a list. The reason says what the other clouds do instead.
 */
export const CLOUD_SCOPED_KEYS: readonly {
    readonly path: readonly (string | "[]")[];
    readonly clouds: readonly Cloud[];
    readonly why: string;
    /** Also honoured on this cloud when the key at `path` holds `value`. */
    readonly alsoOn?: {
        readonly cloud: Cloud;
        readonly path: readonly string[];
        readonly value: unknown;
    };
}[] = [
    ...(["kubeconfig", "context", "storageClass", "nvidiaDevicePlugin"] as const).map((k) => ({
        path: ["cluster", k],
        clouds: ["local"] as Cloud[],
        why: "the platform creates the cluster, its provider and its storage classes",
    })),
    {
        path: ["cluster", "oidcPrefix"],
        clouds: ["local"],
        why: 'GKE names Google accounts and groups with no prefix; on aws the platform gives EKS the prefix "oidc:"',
    },
    { path: ["cluster", "gcp"], clouds: ["gcp"], why: "it configures a GKE cluster" },
    { path: ["cluster", "aws"], clouds: ["aws"], why: "it configures an EKS cluster" },
    {
        path: ["cluster", "systemPool"],
        clouds: ["gcp", "aws"],
        why: "an existing cluster's nodes are not provisioned by the platform",
    },
    ...(["machineType", "minNodes", "spot"] as const).map((k) => ({
        path: ["cluster", "gpuPools", "[]", k],
        clouds: ["gcp", "aws"] as Cloud[],
        why: "an existing cluster's nodes are not provisioned by the platform",
    })),
    {
        path: ["cluster", "gpuPools", "[]", "sharing"],
        clouds: ["gcp"],
        why: "GPU sharing is a GKE node pool setting; elsewhere configure it in the device plugin",
    },
    {
        path: ["storage", "objectStore", "size"],
        clouds: ["local"],
        why: "objects live in the cloud's buckets, which have no size",
    },
    {
        path: ["storage", "objectStore", "publicRead"],
        clouds: ["local"],
        why: "cloud buckets enforce public access prevention",
    },
    {
        path: ["storage", "sharedFilesystem", "size"],
        clouds: ["local"],
        why: "cloud file systems size themselves: on gcp each ReadWriteMany claim provisions its own Filestore instance of at least the tier's minimum (with sharedFilesystem.inCluster: true it sizes the in-cluster NFS server), on aws EFS grows with its files",
        alsoOn: { cloud: "gcp", path: ["storage", "sharedFilesystem", "inCluster"], value: true },
    },
    {
        path: ["storage", "sharedFilesystem", "tier"],
        clouds: ["gcp"],
        why: "it is a Filestore tier",
    },
    {
        path: ["storage", "sharedFilesystem", "inCluster"],
        clouds: ["gcp"],
        why: "it replaces Filestore; the local target always runs its NFS server in the cluster",
    },
    {
        path: ["routing", "auth", "dex"],
        clouds: ["local"],
        why: "the bundled Dex runs on local clusters only; on gcp and aws set routing.auth.oidc.issuer to your identity provider",
    },
    {
        path: ["database", "size"],
        clouds: ["local"],
        why: "the managed database's disk grows automatically",
    },
    { path: ["database", "tier"], clouds: ["gcp"], why: "it is a Cloud SQL machine tier" },
    {
        path: ["database", "instanceClass"],
        clouds: ["aws"],
        why: "it is an RDS instance class",
    },
    {
        path: ["database", "publicAccess"],
        clouds: ["local"],
        why: "the managed database has a private IP only",
    },
];

/** Every concrete path in `raw` that matches a pattern with `[]` wildcards, with its value. */
function expand(
    raw: unknown,
    pattern: readonly (string | "[]")[],
    prefix: PathSegment[] = [],
): [PathSegment[], unknown][] {
    if (pattern.length === 0) return raw === undefined ? [] : [[prefix, raw]];
    const [head, ...rest] = pattern;
    if (raw === null || typeof raw !== "object") return [];
    if (head === "[]") {
        if (!Array.isArray(raw)) return [];
        return raw.flatMap((item, i) => expand(item, rest, [...prefix, i]));
    }
    return expand((raw as Record<string, unknown>)[head], rest, [...prefix, head]);
}

/** Keys set in the raw config that the selected cloud would not use. */
function cloudScopeCheck(raw: Readonly<Record<string, unknown>>, cloud: Cloud, problems: string[]) {
    for (const scoped of CLOUD_SCOPED_KEYS) {
        if (scoped.clouds.includes(cloud)) continue;
        const also = scoped.alsoOn;
        if (also && also.cloud === cloud && valueAt(raw, also.path) === also.value) continue;
        for (const [path, value] of expand(raw, scoped.path)) {
            problems.push(
                `${keyPath(path)}: got ${show(value)}; not used when mlops:cloud is ${cloud} ` +
                    `(${scoped.why}); it applies to mlops:cloud ${scoped.clouds.join(" or ")}: remove it`,
            );
        }
    }
    const fs = ["storage", "sharedFilesystem"];
    const tier = valueAt(raw, [...fs, "tier"]);
    if (cloud === "gcp" && valueAt(raw, [...fs, "inCluster"]) === true && tier !== undefined) {
        problems.push(
            `${keyPath([...fs, "tier"])}: got ${show(tier)}; not used with sharedFilesystem.inCluster: true ` +
                `(it is a Filestore tier; the in-cluster NFS server runs on a persistent disk): remove it`,
        );
    }
}

/**
 * `mlops:observability.backend: managed`: Amazon Managed Service for Prometheus on aws
 * (components/aws/managed-prometheus.ts), Google Cloud Managed Service for Prometheus on gcp
 * (components/gcp/managed-prometheus.ts); not on local.
 */
function observabilityCheck(c: PlatformConfig, problems: string[]) {
    const o = c.observability;
    if (!o.enabled || o.backend !== "managed") return;
    const key = keyPath(["observability", "backend"]);
    if (c.cloud === "local") {
        problems.push(
            `${key}: got "managed"; a managed Prometheus exists on gcp and aws only; on local use inCluster`,
        );
        return;
    }
    // On gcp the rules and Alertmanager stay in the cluster: receivers work.
    if (c.cloud === "gcp") return;
    const receivers = o.alerting.receivers;
    if (receivers.length > 0) {
        problems.push(
            `${keyPath(["observability", "alerting", "receivers"])}: got ${receivers.length} ` +
                `receiver(s); with backend managed on aws the rules run in Amazon Managed Service ` +
                `for Prometheus, whose Alertmanager sends to Amazon SNS only (not Slack, e-mail ` +
                `or webhooks): remove the receivers, or use backend inCluster`,
        );
    }
    const days = retentionDays(o.retention);
    if (days > AMP_MAX_RETENTION_DAYS) {
        problems.push(
            `${keyPath(["observability", "retention"])}: got ${show(o.retention)} (${days} days); ` +
                `with backend managed on aws the workspace keeps at most ${AMP_MAX_RETENTION_DAYS} days`,
        );
    }
}

/**
 * `mlops:observability.retention` with backend managed on gcp: Cloud Monitoring keeps
 * Prometheus samples 24 months, which no setting changes, and the cluster keeps a day.
 */
function gcpManagedRetention(
    raw: Readonly<Record<string, unknown>>,
    c: PlatformConfig,
    problems: string[],
) {
    const o = c.observability;
    if (c.cloud !== "gcp" || !o.enabled || o.backend !== "managed") return;
    const set = valueAt(raw, ["observability", "retention"]);
    if (set === undefined) return;
    problems.push(
        `${keyPath(["observability", "retention"])}: got ${show(set)}; not used with backend ` +
            `managed on gcp (Cloud Monitoring keeps Prometheus samples for 24 months, which no ` +
            `setting changes, and Prometheus in the cluster keeps ${MANAGED_LOCAL_RETENTION}): remove it`,
    );
}

/**
 * Alert receivers in prod send over TLS only: an `http://` URL would carry every alert (and,
 * for Slack, the webhook's token) in the clear.
 */
function alertingCheck(c: PlatformConfig, problems: string[]) {
    if (c.environment !== "prod") return;
    c.observability.alerting.receivers.forEach((r, i) => {
        if (r.type === "email" || !r.url.startsWith("http://")) return;
        problems.push(
            `${keyPath(["observability", "alerting", "receivers", i, "url"])}: got an http:// URL; ` +
                `prod stacks send alerts over https only (the URL is a secret and is not shown)`,
        );
    });
}

/** Checks that span keys: what one key allows depends on another. */
function crossCheck(c: PlatformConfig, problems: string[]) {
    const cloud: Cloud = c.cloud;
    alertingCheck(c, problems);
    if (cloud === "gcp" && !c.cluster.gcp) {
        problems.push(
            `${keyPath(["cluster", "gcp"])}: got nothing; required when mlops:cloud is gcp ({project, region})`,
        );
    }
    if (cloud === "aws" && !c.cluster.aws) {
        problems.push(
            `${keyPath(["cluster", "aws"])}: got nothing; required when mlops:cloud is aws ({region, accountId})`,
        );
    }
    const zone = c.cluster.gcp?.zone;
    if (zone && !zone.startsWith(`${c.cluster.gcp!.region}-`)) {
        problems.push(
            `${keyPath(["cluster", "gcp", "zone"])}: got ${show(zone)}; must be a zone of region ${c.cluster.gcp!.region} (${c.cluster.gcp!.region}-a, -b, ...)`,
        );
    }
    observabilityCheck(c, problems);
    const fs = c.storage.sharedFilesystem;
    if (cloud === "gcp" && fs.inCluster && !fs.enabled) {
        problems.push(
            `${keyPath(["storage", "sharedFilesystem", "inCluster"])}: got true; the shared filesystem is off (enabled: false): remove it or turn the filesystem on`,
        );
    }
    const known = gpuTypesFor(cloud);
    c.cluster.gpuPools.forEach((pool, i) => {
        if (pool.name === "system") {
            problems.push(
                `${keyPath(["cluster", "gpuPools", i, "name"])}: got "system"; reserved for the system node pool, choose another name`,
            );
        }
        const info = known[pool.gpuType];
        if (!info) {
            problems.push(
                `${keyPath(["cluster", "gpuPools", i, "gpuType"])}: got ${show(pool.gpuType)}; ` +
                    `GPU types known for ${cloud}: ${Object.keys(known).join(", ")}`,
            );
            return;
        }
        if (cloud === "local") return;
        if (!pool.machineType) {
            problems.push(
                `${keyPath(["cluster", "gpuPools", i, "machineType"])}: got nothing; required on ${cloud} ` +
                    `(${pool.gpuType} runs on ${info.machinePrefixes.map((p) => `${p}*`).join(", ")})`,
            );
        } else if (!info.machinePrefixes.some((p) => pool.machineType!.startsWith(p))) {
            problems.push(
                `${keyPath(["cluster", "gpuPools", i, "machineType"])}: got ${show(pool.machineType)}; ` +
                    `${pool.gpuType} needs a machine type of ${info.machinePrefixes.map((p) => `${p}*`).join(", ")}`,
            );
        }
    });
    c.teams.forEach((t, i) => {
        t.members.forEach((m, j) => {
            if (/^(group|user):system:/.test(m)) {
                problems.push(
                    `${keyPath(["teams", i, "members", j])}: got ${show(m)}; system: names are Kubernetes' own (system:authenticated is every account the cluster trusts): name a group or user of your identity provider`,
                );
            }
        });
        // A team stack's quota is the platform stack's: the team stack compares when it reads it.
        if (c.kind === "platform" && t.pipeline.gpu > t.quota.gpu) {
            problems.push(
                `${keyPath(["teams", i, "pipeline", "gpu"])}: got ${t.pipeline.gpu}; must be ≤ quota.gpu (${t.quota.gpu})`,
            );
        }
    });
    authCheck(c, problems);
    providerCheck(c, problems);
    clusterWideMembers(c, problems);
    if (c.environment === "prod") prodCheck(c, problems);
    const teamNames = new Set(c.teams.map((t) => t.name));
    c.serving.models.forEach((m, i) => {
        if (m.team !== undefined && !teamNames.has(m.team)) {
            problems.push(
                `${keyPath(["serving", "models", i, "team"])}: got ${show(m.team)}; must name a team in mlops:teams (${[...teamNames].join(", ") || "none declared"})`,
            );
        }
    });
    if (c.kind === "team" && c.teams.length !== 1) {
        problems.push(
            `${keyPath(["teams"])}: got ${c.teams.length} teams; a team stack (mlops:kind: team) declares exactly one`,
        );
    }
    if (c.kind === "platform" && c.platformStack) {
        problems.push(
            `${keyPath(["platformStack"])}: got ${show(c.platformStack)}; not used by a platform stack (team stacks no longer read it either): remove it`,
        );
    }
}

/** What a team stack may not set for its team: the platform stack owns the team's fences. */
const PLATFORM_OWNED_TEAM_KEYS = {
    quota: "its quota",
    members: "its members",
    egress: "its egress",
    stack: "stack",
} as const;

/**
 * A team stack (`mlops:kind: team`) sets only its own workloads: its quota, members and egress
 * are the platform stack's, so that a team cannot raise its own fences.
 */
function teamStackScope(raw: Readonly<Record<string, unknown>>, problems: string[]) {
    if (raw.kind !== "team") return;
    const teams = raw.teams;
    if (!Array.isArray(teams)) return;
    teams.forEach((t, i) => {
        for (const [key, what] of Object.entries(PLATFORM_OWNED_TEAM_KEYS)) {
            const value = valueAt(t, [key]);
            if (value === undefined) continue;
            problems.push(
                key === "stack"
                    ? `${keyPath(["teams", i, key])}: got ${show(value)}; a team stack is its team's stack: remove it (stack: true belongs in the platform stack's mlops:teams)`
                    : `${keyPath(["teams", i, key])}: a team stack cannot set ${what}; the platform team sets it in the platform stack's mlops:teams`,
            );
        }
    });
}

/**
 * The subdomains of the platform's fixed routes (components: mlflow, argo, features, dex,
 * auth, traefik), and of the routes derived from user-chosen names.
 */
const FIXED_ROUTES = ["mlflow", "argo", "features", "dex", "auth", "traefik"];
/** A model's route: `<model>-model.<domain>` (components/serving/model-serving.ts). */
export const modelRoute = (model: string) => `${model}-model`;
/** A team's own tracking server's route: `mlflow-<team>.<domain>`. */
export const teamTrackingRoute = (team: string) => `mlflow-${team}`;

/** What the cloud's own rules refuse: machine and instance types, GPU counts, route names. */
function providerCheck(c: PlatformConfig, problems: string[]) {
    const cloud = c.cloud;
    const sys = c.cluster.systemPool;
    if (sys.machineType !== undefined) {
        const problem =
            machineTypeProblem(cloud, sys.machineType) ??
            systemMachineProblem(cloud, sys.machineType);
        if (problem)
            problems.push(
                `${keyPath(["cluster", "systemPool", "machineType"])}: got ${show(sys.machineType)}; ${problem}`,
            );
    }
    if (cloud === "aws" && sys.minNodes === 0) {
        problems.push(
            `${keyPath(["cluster", "systemPool", "minNodes"])}: got 0; on aws the cluster-autoscaler runs on the system nodes, so with none nothing scales any pool up again: at least 1`,
        );
    }
    c.cluster.gpuPools.forEach((pool, i) => {
        const family = gpuTypesFor(cloud)[pool.gpuType]?.machinePrefixes ?? [];
        // An unknown GPU type or a machine of the wrong family is reported in crossCheck.
        if (!pool.machineType || !family.some((p) => pool.machineType!.startsWith(p))) return;
        const at = (k: string) => keyPath(["cluster", "gpuPools", i, k]);
        const format = machineTypeProblem(cloud, pool.machineType);
        if (format) {
            problems.push(`${at("machineType")}: got ${show(pool.machineType)}; ${format}`);
            return;
        }
        const carries = gpuCountsOf(cloud, pool.machineType, pool.gpuType);
        const counts = carries?.counts ?? [];
        if (carries && !counts.includes(pool.gpusPerNode)) {
            problems.push(
                `${at("gpusPerNode")}: got ${pool.gpusPerNode}; a ${pool.machineType} node carries ` +
                    (counts.length === 1 && !carries.vcpuRule
                        ? `${counts[0]} GPU${counts[0] === 1 ? "" : "s"}: set ${counts[0]}`
                        : carries.vcpuRule
                          ? `${counts.join(", ")} × ${pool.gpuType}: ${carries.vcpuRule}: choose one of those, or a machine with fewer vCPUs`
                          : `${counts.join(", ")} × ${pool.gpuType}: choose one of those`),
            );
        }
    });
    // Every route's host name must be one DNS accepts (and a certificate can name).
    const longest = [...FIXED_ROUTES].sort((a, b) => b.length - a.length)[0];
    const domainProblem = hostProblem(longest, c.domain);
    if (domainProblem) {
        problems.push(
            `${keyPath(["domain"])}: got ${show(c.domain)}; ${domainProblem}: choose a shorter domain`,
        );
        return;
    }
    c.serving.models.forEach((m, i) => {
        const problem = hostProblem(modelRoute(m.name), c.domain);
        if (problem)
            problems.push(
                `${keyPath(["serving", "models", i, "name"])}: got ${show(m.name)}; ${problem}: choose a shorter name or domain`,
            );
    });
    c.teams.forEach((t, i) => {
        const problem = hostProblem(teamTrackingRoute(t.name), c.domain);
        if (problem)
            problems.push(
                `${keyPath(["teams", i, "name"])}: got ${show(t.name)}; ${problem}: choose a shorter name or domain`,
            );
    });
}

/**
 * Members that name a group holding the whole cluster: on gcp, the Google Groups for RBAC
 * group itself (every group nested in it). Kubernetes' own `system:` groups are refused for
 * every cloud in crossCheck.
 */
function clusterWideMembers(c: PlatformConfig, problems: string[]) {
    const securityGroup = c.cloud === "gcp" ? c.cluster.gcp?.securityGroup : undefined;
    if (!securityGroup) return;
    c.teams.forEach((t, i) =>
        t.members.forEach((m, j) => {
            if (m.toLowerCase() === `group:${securityGroup.toLowerCase()}`)
                problems.push(
                    `${keyPath(["teams", i, "members", j])}: got ${show(m)}; it is cluster.gcp.securityGroup, which holds every group GKE knows: name the team's own group`,
                );
        }),
    );
}

/** Cloud SQL's shared-core tiers: no SLA, for development only ("Cloud SQL pricing"). */
const SHARED_CORE_TIERS = ["db-f1-micro", "db-g1-small"];
/** The RDS instance class prod stacks get when they name none (not burstable). */
export const PROD_INSTANCE_CLASS = "db.m7g.large";

/**
 * What prod refuses though the provider would take it: development database tiers, routes
 * without a certificate browsers trust, a plain-HTTP chart mirror, cluster-wide groups as team
 * members. (Database backups have no key: the components always keep them, and the guardrail
 * database-backups is mandatory in prod.)
 */
function prodCheck(c: PlatformConfig, problems: string[]) {
    const why = "mlops:environment is prod";
    if (c.cloud === "gcp" && SHARED_CORE_TIERS.includes(c.database.tier)) {
        problems.push(
            `${keyPath(["database", "tier"])}: got ${show(c.database.tier)}; ${why}, and shared-core tiers have no SLA (development only): use db-custom-<vCPUs>-<MiB>, e.g. db-custom-1-3840`,
        );
    }
    if (c.cloud === "aws" && c.database.instanceClass.startsWith("db.t")) {
        problems.push(
            `${keyPath(["database", "instanceClass"])}: got ${show(c.database.instanceClass)}; ${why}, and burstable classes (db.t*) throttle once their CPU credits run out: use a db.m* or db.r* class, e.g. ${PROD_INSTANCE_CLASS}`,
        );
    }
    const tls = c.routing.tls;
    const publicRoutes = c.routing.serviceType !== "ClusterIP";
    if (publicRoutes && tls.mode === "selfSigned") {
        problems.push(
            `${keyPath(["routing", "tls", "mode"])}: got "selfSigned"; ${why}, and browsers and clients do not trust a self-signed certificate on public routes: use acme (with acme.email)`,
        );
    }
    if (publicRoutes && tls.mode === "acme" && tls.acme && /staging/i.test(tls.acme.server)) {
        problems.push(
            `${keyPath(["routing", "tls", "acme", "server"])}: got ${show(tls.acme.server)}; ${why}, and a staging ACME directory issues certificates no browser trusts: remove it (Let's Encrypt production is the default)`,
        );
    }
    const charts = c.mirror?.charts;
    if (charts?.startsWith("http://")) {
        problems.push(
            `${keyPath(["mirror", "charts"])}: got ${show(charts)}; ${why}, and charts fetched over plain HTTP can be swapped on the way: use an https:// or oci:// mirror`,
        );
    }
}

/** What routing.auth allows, given the cloud, the environment and TLS. */
function authCheck(c: PlatformConfig, problems: string[]) {
    const auth = c.routing.auth;
    const at = (...p: string[]) => keyPath(["routing", "auth", ...p]);
    if (c.environment === "prod" && !auth.enabled) {
        problems.push(
            `${at("enabled")}: got false; prod stacks put single sign-on in front of every route: remove it`,
        );
    }
    if (!auth.enabled) return;
    if (auth.mode === "basic") {
        if (c.environment === "prod") {
            problems.push(
                `${at("mode")}: got "basic"; prod stacks require "oidc" (basic auth shares one password per route and knows no users)`,
            );
        }
        return;
    }
    const oidc = auth.oidc;
    if (!oidc.issuer && c.cloud !== "local") {
        problems.push(
            `${at("oidc", "issuer")}: got nothing; required on ${c.cloud} when mode is oidc (the bundled Dex runs on local only): your identity provider's issuer URL, see docs/identity/`,
        );
    }
    if (oidc.issuer && !oidc.clientSecret) {
        problems.push(
            `${at("oidc", "clientSecret")}: got nothing; required with oidc.issuer: the secret of client ${show(oidc.clientId)} at ${oidc.issuer} (pulumi config set --secret --path mlops:routing.auth.oidc.clientSecret)`,
        );
    }
    if (!oidc.issuer && oidc.clientSecret) {
        problems.push(
            `${at("oidc", "clientSecret")}: got a value; the bundled Dex's client secret is generated: remove it, or set oidc.issuer to use your own identity provider`,
        );
    }
    // Elsewhere the cloud scope has refused the key already.
    if (oidc.issuer && auth.dex && c.cloud === "local") {
        problems.push(
            `${at("dex")}: got a value; the bundled Dex runs only when oidc.issuer is not set: remove it, or remove oidc.issuer`,
        );
    }
    if (oidc.cookie.secure && c.routing.tls.mode === "none") {
        problems.push(
            `${at("oidc", "cookie", "secure")}: got true; tls.mode is none (plain HTTP), where browsers never send a secure cookie and sign-in loops: set it false (dev only) or turn TLS on`,
        );
    }
    if (!oidc.cookie.secure && c.environment === "prod") {
        problems.push(
            `${at("oidc", "cookie", "secure")}: got false; prod stacks send the session cookie over HTTPS only: remove it`,
        );
    }
    if (oidc.cookie.sameSite === "none" && !oidc.cookie.secure) {
        problems.push(
            `${at("oidc", "cookie", "sameSite")}: got "none"; browsers refuse SameSite=None without secure: set cookie.secure true or sameSite lax`,
        );
    }
}

/** Keys under routing.auth that the chosen mode does not use. */
function authModeScope(raw: Readonly<Record<string, unknown>>, problems: string[]) {
    const mode = valueAt(raw, ["routing", "auth", "mode"]) ?? "oidc";
    const unused = mode === "basic" ? ["oidc", "dex"] : ["username"];
    for (const key of unused) {
        const path = ["routing", "auth", key];
        const value = valueAt(raw, path);
        if (value !== undefined) {
            problems.push(
                `${keyPath(path)}: got ${show(value)}; not used when routing.auth.mode is ${show(mode)}: remove it`,
            );
        }
    }
}

/**
 * Validates raw config values (keys without the `mlops:` prefix; structured values already
 * parsed from YAML/JSON) and applies defaults. Every key is checked independently so that one
 * message lists every problem; checks spanning keys run on what parsed.
 *
 * @throws ConfigError listing every problem.
 */
export function parseConfig(raw: Readonly<Record<string, unknown>>): PlatformConfig {
    const problems: string[] = [];
    const out: Record<string, unknown> = {};
    const known = Object.keys(keySchemas);
    for (const key of Object.keys(raw)) {
        if (key in keySchemas) continue;
        const [head, ...rest] = key.split(".");
        if (rest.length > 0 && head in keySchemas) {
            // `mlops:cluster.gpuPools: …` written as one key: Pulumi passes it as a key of
            // that name, and the program reads `mlops:cluster` only.
            problems.push(
                `${keyPath([key])}: unknown key; a stack file nests structured values: write ` +
                    `${rest.join(".")} under ${keyPath([head])} (pulumi config set --path does)`,
            );
        } else problems.push(unknownKey([key], known));
    }
    for (const key of known) {
        const schema = keySchemas[key as keyof typeof keySchemas];
        const result = schema.safeParse(raw[key]);
        if (result.success) out[key] = result.data;
        else problems.push(...problemsOf(key, raw[key], result.error));
    }
    duplicateNames(raw, problems);
    teamStackScope(raw, problems);
    // Cross-key checks need every key they read to have parsed.
    if (problems.length === 0) {
        const parsed = out as ParsedConfig;
        cloudScopeCheck(raw, parsed.cloud, problems);
        authModeScope(raw, problems);
        parsed.routing.serviceType ??= defaultServiceType(parsed.cloud);
        // Prod's RDS default is not burstable (prodCheck refuses db.t* there).
        if (
            parsed.environment === "prod" &&
            valueAt(raw, ["database", "instanceClass"]) === undefined
        )
            parsed.database.instanceClass = PROD_INSTANCE_CLASS;
        crossCheck(parsed as PlatformConfig, problems);
        gcpManagedRetention(raw, parsed as PlatformConfig, problems);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return out as PlatformConfig;
}

/**
 * Turns Pulumi's flat config map (`{"mlops:cluster": "<json>"}`) into raw values for
 * `parseConfig`. Structured keys hold JSON; a value that is not JSON stays a string, which
 * the schema then reports as "must be a mapping".
 */
export function rawConfigFrom(all: Readonly<Record<string, string>>): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [fullKey, value] of Object.entries(all)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        if (STRING_KEYS.has(key) || !(key in keySchemas)) {
            raw[key] = value;
            continue;
        }
        try {
            raw[key] = JSON.parse(value);
        } catch {
            raw[key] = value;
        }
    }
    return raw;
}

/**
 * Reads and validates the stack's `mlops:*` config from Pulumi's config map. Called once, by
 * `index.ts`, before any resource is registered.
 */
export function loadConfig(all: Readonly<Record<string, string>>): PlatformConfig {
    const typos = namespaceProblems(all);
    try {
        const config = parseConfig(rawConfigFrom(all));
        if (typos.length > 0) throw new ConfigError(typos);
        return config;
    } catch (e) {
        if (e instanceof ConfigError && typos.length > 0 && e.problems !== typos)
            throw new ConfigError([...typos, ...e.problems]);
        throw e;
    }
}

/** The project's own namespace: a key written without one lands there, unread. */
export const PROJECT_NAMESPACE = "mlops-platform";

/**
 * Keys in a namespace one edit away from `mlops` (`mlop:domain`, `mlopss:cloud`, `MLOPS:x`), or
 * in the project's namespace (a key written without `mlops:`): the program reads neither, so
 * each would be silently ignored.
 */
export function namespaceProblems(all: Readonly<Record<string, string>>): string[] {
    const problems: string[] = [];
    const known = Object.keys(keySchemas);
    for (const fullKey of Object.keys(all)) {
        const colon = fullKey.indexOf(":");
        if (colon < 0) continue;
        const ns = fullKey.slice(0, colon);
        const key = fullKey.slice(colon + 1);
        if (ns === CONFIG_NAMESPACE) continue;
        const head = key.split(".")[0];
        const near = head in keySchemas ? head : closestKey(head, known);
        const meant = near ? ` (did you mean ${keyPath([near, ...key.split(".").slice(1)])}?)` : "";
        if (ns === PROJECT_NAMESPACE) {
            problems.push(
                `${fullKey}: a key in the project's namespace, which the program does not read${meant}; ` +
                    `every key of this program is in the ${CONFIG_NAMESPACE} namespace`,
            );
        } else if (editDistance(ns, CONFIG_NAMESPACE) <= 1) {
            problems.push(
                `${fullKey}: unknown config namespace "${ns}"${meant}; ` +
                    `every key of this program is in the ${CONFIG_NAMESPACE} namespace`,
            );
        }
    }
    return problems;
}
