/**
 * Every policy of the pack: one happy-path object that passes, the same object with one field
 * changed that violates, and the pack's metadata rules.
 */
import { profiles } from "../../policies/profiles";
import { rationale } from "../../policies/rationale";
import { stackPolicy } from "../../policies/policy-builders";
import { PACK_NAME, policies } from "../../policies/rules";
import { UNKNOWN_SENTINEL } from "../../policies/unknown-inputs";
import { DOC, policyDoc } from "../../tools/policy-docs";
import { checkPolicies } from "../../tools/plan/policy-check";
import { RecordedResource } from "../../tools/plan/recorder";
import * as fs from "node:fs";
import * as path from "node:path";

type R = {
    type: string;
    name?: string;
    props: any;
    protect?: boolean;
    dependsOn?: string[];
    /** The name of the parent, another entry of the same list. */
    parent?: string;
};

const urnOf = (type: string, name: string) => `urn:pulumi:test::p::${type}::${name}`;

function resources(list: R[]): RecordedResource[] {
    const byName = new Map(list.map((r, i) => [r.name ?? `r${i}`, r.type]));
    return list.map((r, i) => ({
        urn: urnOf(r.type, r.name ?? `r${i}`),
        ...(r.parent ? { parent: urnOf(byName.get(r.parent)!, r.parent) } : {}),
        type: r.type,
        name: r.name ?? `r${i}`,
        custom: true,
        protect: r.protect ?? false,
        dependsOn: r.dependsOn ?? [],
        inputs: r.props,
    }));
}

async function violations(policy: string, list: R[], config = {}) {
    const p = policies.find((x) => x.name === policy)!;
    return (await checkPolicies(resources(list), [p], config)).map((v) => v.message);
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
/** The object with one field (by path) set to `value` (undefined deletes it). */
function change<T>(obj: T, pathExpr: string, value: unknown): T {
    const out: any = clone(obj);
    const keys = pathExpr.split(".");
    let cur = out;
    for (const k of keys.slice(0, -1)) cur = cur[k];
    if (value === undefined) delete cur[keys[keys.length - 1]];
    else cur[keys[keys.length - 1]] = value;
    return out;
}

const secureContainer = {
    name: "app",
    image: "example/app:1.2.3",
    resources: {
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "1", memory: "512Mi" },
    },
    readinessProbe: { httpGet: { path: "/health", port: 80 } },
    securityContext: {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
    },
};
const deployment = {
    type: "kubernetes:apps/v1:Deployment",
    props: {
        spec: {
            template: {
                spec: { containers: [secureContainer], volumes: [{ name: "tmp", emptyDir: {} }] },
            },
        },
    },
};
const c0 = "props.spec.template.spec.containers.0";
const pod = "props.spec.template.spec";

const gkeCluster = {
    type: "gcp:container/cluster:Cluster",
    props: {
        privateClusterConfig: { enablePrivateNodes: true },
        workloadIdentityConfig: { workloadPool: "p.svc.id.goog" },
        enableShieldedNodes: true,
        releaseChannel: { channel: "REGULAR" },
        databaseEncryption: {
            state: "ENCRYPTED",
            keyName: "projects/p/locations/r/keyRings/k/cryptoKeys/s",
        },
        masterAuthorizedNetworksConfig: {
            cidrBlocks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }],
            gcpPublicCidrsAccessEnabled: false,
        },
    },
};
const gkeGpuPool = {
    type: "gcp:container/nodePool:NodePool",
    props: {
        autoscaling: { minNodeCount: 0, maxNodeCount: 4 },
        nodeConfig: {
            guestAccelerators: [{ type: "nvidia-l4", count: 1 }],
            taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
        },
    },
};
const eksCluster = {
    type: "aws:eks/cluster:Cluster",
    props: {
        vpcConfig: { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] },
        encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn" } },
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
    },
};
const eksGpuGroup = {
    type: "aws:eks/nodeGroup:NodeGroup",
    props: {
        amiType: "AL2023_x86_64_NVIDIA",
        scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 0 },
        taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
    },
};
const launchTemplate = {
    type: "aws:ec2/launchTemplate:LaunchTemplate",
    name: "ml-l4",
    props: {
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
        },
    },
};
const eksNodeGroup = {
    type: "aws:eks/nodeGroup:NodeGroup",
    name: "ml-l4",
    props: { nodeGroupName: "l4", launchTemplate: { id: "lt-1", version: "1" } },
    dependsOn: [urnOf("aws:ec2/launchTemplate:LaunchTemplate", "ml-l4")],
};
const cloudSql = {
    type: "gcp:sql/databaseInstance:DatabaseInstance",
    props: {
        deletionProtection: true,
        settings: {
            ipConfiguration: { ipv4Enabled: false },
            backupConfiguration: { enabled: true },
        },
    },
};
const rds = {
    type: "aws:rds/instance:Instance",
    props: {
        publiclyAccessible: false,
        backupRetentionPeriod: 7,
        deletionProtection: true,
        storageEncrypted: true,
    },
};
const ingressRoute = {
    type: "kubernetes:traefik.io/v1alpha1:IngressRoute",
    props: {
        metadata: { name: "ui", namespace: "mlops" },
        spec: {
            entryPoints: ["websecure"],
            routes: [
                {
                    kind: "Rule",
                    match: "Host(`ui.example.com`)",
                    middlewares: [{ name: "ui-auth" }],
                    services: [],
                },
            ],
            tls: {},
        },
    },
};
const authMiddleware = {
    type: "kubernetes:traefik.io/v1alpha1:Middleware",
    props: {
        metadata: { name: "ui-auth", namespace: "mlops" },
        spec: { basicAuth: { secret: "ui-auth" } },
    },
};
/** A route behind single sign-on: the router's forwardAuth asks oauth2-proxy with a group rule. */
const ssoAddress =
    "http://oauth2-proxy.mlops.svc.cluster.local/?allowed_groups=mlops-admins,ml-vision";
const ssoMiddleware = {
    type: "kubernetes:traefik.io/v1alpha1:Middleware",
    props: {
        metadata: { name: "ui-auth", namespace: "mlops" },
        spec: { forwardAuth: { address: ssoAddress, trustForwardHeader: false } },
    },
};
const oauth2ProxyRelease = {
    type: "kubernetes:helm.sh/v3:Release",
    props: {
        chart: "oauth2-proxy",
        version: "10.7.0",
        values: { extraArgs: { "cookie-secure": "true" } },
    },
};
const signInRoute = {
    type: "kubernetes:traefik.io/v1alpha1:IngressRoute",
    name: "sign-in",
    props: {
        metadata: {
            name: "sign-in",
            namespace: "mlops",
            annotations: { "mlops.dev/public": "oauth2-proxy: the sign-in pages" },
        },
        spec: { routes: [{ match: "Host(`auth.example.com`)", middlewares: [] }] },
    },
};
const teamBinding = (group: string) => ({
    type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    props: {
        roleRef: { kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "Group", name: group, apiGroup: "rbac.authorization.k8s.io" }],
    },
});
const traefikRelease = {
    type: "kubernetes:helm.sh/v3:Release",
    props: {
        chart: "traefik",
        version: "41.3.0",
        values: {
            ports: {
                web: {
                    http: { redirections: { entryPoint: { to: "websecure", scheme: "https" } } },
                },
                websecure: { http: { tls: { enabled: true } } },
            },
        },
    },
};
/** The identities Secret of the in-cluster store; a team identity's `policy` is attached to it. */
const s3Config = (identities: any[]) => {
    const teams = identities.filter((i) => !["platform", "anonymous"].includes(i.name));
    return {
        type: "kubernetes:core/v1:Secret",
        props: {
            metadata: {
                labels: { "app.kubernetes.io/name": "seaweedfs" },
                annotations: {
                    "mlops.dev/anonymous-actions":
                        identities.find((i) => i.name === "anonymous")?.actions.join(",") ?? "",
                    "mlops.dev/identity-policies": JSON.stringify(
                        Object.fromEntries(teams.map((i) => [i.name, i.policy ?? null])),
                    ),
                },
            },
            stringData: {
                "s3.json": JSON.stringify({
                    identities: identities.map(({ policy, ...i }) =>
                        policy ? { ...i, policyNames: [i.name] } : i,
                    ),
                    policies: teams
                        .filter((i) => i.policy)
                        .map((i) => ({ name: i.name, content: JSON.stringify(i.policy) })),
                }),
            },
        },
    };
};
/** A team's policy in the in-cluster store, as the ObjectStore renders it, for bucket `b`. */
const teamStorePolicy = (team: string) => ({
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "ObjectsUnderPrefix",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            Resource: [`arn:aws:s3:::b/teams/${team}/*`],
            Condition: { Null: { "s3:prefix": "true" } },
        },
        {
            Sid: "ListPrefix",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: ["arn:aws:s3:::b"],
            Condition: { StringLike: { "s3:prefix": `teams/${team}/*` } },
        },
    ],
});
const pgService = {
    type: "kubernetes:core/v1:Service",
    props: {
        metadata: { labels: { "app.kubernetes.io/name": "postgresql" } },
        spec: { type: "ClusterIP" },
    },
};
const s3Bucket = { type: "aws:s3/bucketV2:BucketV2", name: "artifacts", props: {} };
const s3BucketUrn = "urn:pulumi:test::p::aws:s3/bucketV2:BucketV2::artifacts";
const pab = {
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    props: {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
    },
    dependsOn: [s3BucketUrn],
};
const sse = {
    type: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    props: { rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] },
    dependsOn: [s3BucketUrn],
};
const teamNs = {
    type: "kubernetes:core/v1:Namespace",
    props: { metadata: { name: "vision", labels: { "mlops.dev/team": "vision" } } },
};
const gpuQuota = {
    type: "kubernetes:core/v1:ResourceQuota",
    props: {
        metadata: { namespace: "vision" },
        spec: { hard: { "requests.nvidia.com/gpu": "2" } },
    },
};
const denyAll = {
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    props: {
        metadata: { namespace: "vision" },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
};
const pgVolume = {
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    props: { metadata: { labels: { "app.kubernetes.io/name": "postgresql" } } },
    protect: true,
};

/** [policy, passing resources, violating resources, expected message, policy config]. */
/** A team's Google identity: the component, its account, one prefix-confined write grant. */
const teamIdentity: R[] = [
    { type: "mlops:identity:GcpWorkloadIdentity", name: "id", props: {} },
    {
        type: "gcp:serviceaccount/account:Account",
        name: "id-account",
        parent: "id",
        props: { accountId: "mlops-team-vision", description: "mlops team vision runner" },
    },
    {
        type: "gcp:storage/bucketIAMMember:BucketIAMMember",
        name: "id-workflows",
        parent: "id",
        props: {
            bucket: "b",
            role: "roles/storage.objectAdmin",
            member: "serviceAccount:mlops-team-vision@p.iam.gserviceaccount.com",
            condition: {
                title: "objects under the prefix",
                expression:
                    'resource.name.startsWith("projects/_/buckets/b/objects/teams/vision/")',
            },
        },
    },
];

/** A team's AWS identity: the component, its tagged role, an inline policy confined to its prefix. */
const awsTeamPolicy = {
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "WorkflowsObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            Resource: ["arn:aws:s3:::b/teams/vision/*"],
        },
        {
            Sid: "WorkflowsList",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: ["arn:aws:s3:::b"],
            Condition: { StringLike: { "s3:prefix": ["teams/vision/", "teams/vision/*"] } },
        },
        {
            Sid: "TrackingObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:GetObjectVersion"],
            Resource: ["arn:aws:s3:::t/teams/vision/*"],
        },
        {
            Sid: "TrackingLocation",
            Effect: "Allow",
            Action: ["s3:GetBucketLocation"],
            Resource: ["arn:aws:s3:::t"],
        },
    ],
};
const awsTeamIdentity: R[] = [
    { type: "mlops:identity:AwsIrsaIdentity", name: "aid", props: {} },
    {
        type: "aws:iam/role:Role",
        name: "aid-role",
        parent: "aid",
        props: { name: "mlops-team-vision", tags: { "mlops.dev/team": "vision" } },
    },
    {
        type: "aws:iam/rolePolicy:RolePolicy",
        name: "aid-policy",
        parent: "aid",
        props: { role: "mlops-team-vision", policy: JSON.stringify(awsTeamPolicy) },
    },
];
const awsTeamPolicyWith = (resource: string) => {
    const doc = clone(awsTeamPolicy);
    doc.Statement[0].Resource = [resource];
    return change(awsTeamIdentity[2], "props.policy", JSON.stringify(doc));
};

const cases: [string, R[], R[], string, object?][] = [
    [
        "aws-team-bucket-access-confined",
        awsTeamIdentity,
        [...awsTeamIdentity.slice(0, 2), awsTeamPolicyWith("arn:aws:s3:::b/*")],
        "team 'vision' may s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::b/*, outside its own prefix (.../vision/*)",
    ],
    [
        "gcp-team-bucket-access-confined",
        teamIdentity,
        [...teamIdentity.slice(0, 2), change(teamIdentity[2], "props.condition", undefined)],
        "team 'vision' holds roles/storage.objectAdmin on bucket 'b' without a condition: it can read and write every team's objects",
    ],
    [
        "k8s-container-resources",
        [deployment],
        [change(deployment, `${c0}.resources.limits`, undefined)],
        "container 'app': missing resources limits.cpu, limits.memory",
    ],
    [
        "k8s-image-pinned",
        [deployment],
        [change(deployment, `${c0}.image`, "example/app:latest")],
        "container 'app': image 'example/app:latest' uses a moving 'latest' tag",
    ],
    [
        "k8s-no-privileged",
        [deployment],
        [change(deployment, `${c0}.securityContext.privileged`, true)],
        "container 'app': runs privileged",
    ],
    [
        "k8s-run-as-non-root",
        [deployment],
        [change(deployment, `${c0}.securityContext.runAsNonRoot`, false)],
        "container 'app': runAsNonRoot is not true",
    ],
    [
        "k8s-no-privilege-escalation",
        [deployment],
        [change(deployment, `${c0}.securityContext.allowPrivilegeEscalation`, true)],
        "container 'app': allowPrivilegeEscalation is not false",
    ],
    [
        "k8s-drop-all-capabilities",
        [deployment],
        [change(deployment, `${c0}.securityContext.capabilities.drop`, [])],
        "container 'app': does not drop ALL capabilities",
    ],
    [
        "k8s-read-only-root-filesystem",
        [deployment],
        [change(deployment, `${c0}.securityContext.readOnlyRootFilesystem`, false)],
        "container 'app': root filesystem is writable",
    ],
    [
        "k8s-no-host-path",
        [deployment],
        [change(deployment, `${pod}.volumes.0`, { name: "host", hostPath: { path: "/var" } })],
        "volume 'host' mounts host path /var",
    ],
    [
        "k8s-no-host-namespaces",
        [deployment],
        [change(deployment, `${pod}.hostNetwork`, true)],
        "hostNetwork is true",
    ],
    [
        "k8s-readiness-probe",
        [deployment],
        [change(deployment, `${c0}.readinessProbe`, undefined)],
        "container 'app' has no readiness probe",
    ],
    [
        "traefik-route-https-only",
        [ingressRoute],
        [change(ingressRoute, "props.spec.entryPoints", ["web"])],
        "entry points [web] are not only 'websecure'",
    ],
    [
        "traefik-redirects-http-to-https",
        [traefikRelease],
        [change(traefikRelease, "props.values.ports.web", {})],
        "ports.web.http.redirections.entryPoint does not send HTTP to websecure over https",
    ],
    [
        "traefik-route-authenticated",
        [ingressRoute, authMiddleware],
        [ingressRoute, change(authMiddleware, "props.spec", { headers: {} })],
        "route 'Host(`ui.example.com`)' has no authentication middleware",
    ],
    [
        "sso-route-group-rule",
        [ssoMiddleware],
        [
            change(
                ssoMiddleware,
                "props.spec.forwardAuth.address",
                "http://oauth2-proxy.mlops.svc.cluster.local/?allowed_groups=",
            ),
        ],
        "forwardAuth address 'http://oauth2-proxy.mlops.svc.cluster.local/?allowed_groups=' names no allowed_groups or allowed_emails: it admits anyone who can sign in",
    ],
    [
        "sso-on-every-route",
        [oauth2ProxyRelease, ingressRoute, ssoMiddleware, signInRoute],
        [
            oauth2ProxyRelease,
            change(ingressRoute, "props.spec.routes.0.middlewares", []),
            ssoMiddleware,
            signInRoute,
        ],
        "route 'Host(`ui.example.com`)' is not behind single sign-on",
    ],
    [
        "no-everyone-bindings",
        [teamBinding("oidc:ml-vision")],
        [teamBinding("system:authenticated")],
        "binds role 'edit' to group 'system:authenticated': every caller",
    ],
    [
        "k8s-ingress-tls",
        [
            {
                type: "kubernetes:networking.k8s.io/v1:Ingress",
                props: { spec: { tls: [{ hosts: ["a"] }] } },
            },
        ],
        [{ type: "kubernetes:networking.k8s.io/v1:Ingress", props: { spec: {} } }],
        "Ingress has no tls section",
    ],
    [
        "object-store-no-anonymous-access",
        [s3Config([{ name: "platform", actions: ["Admin"] }])],
        [
            s3Config([
                { name: "platform", actions: ["Admin"] },
                { name: "anonymous", actions: ["Read"] },
            ]),
        ],
        "anonymous callers may Read",
    ],
    [
        "object-store-team-identities-confined",
        [
            s3Config([
                { name: "platform", actions: ["Admin"] },
                { name: "team-vision", policy: teamStorePolicy("vision") },
            ]),
        ],
        [
            s3Config([
                { name: "platform", actions: ["Admin"] },
                {
                    name: "team-vision",
                    actions: ["Write:b/teams/vision/*"],
                    policy: teamStorePolicy("vision"),
                },
            ]),
        ],
        `identity 'team-vision' holds legacy actions ["Write:b/teams/vision/*"]: the gateway matches them against a request's ?prefix=, so they allow bucket-level configuration`,
    ],
    [
        "gcs-bucket-private",
        [
            {
                type: "gcp:storage/bucket:Bucket",
                props: { uniformBucketLevelAccess: true, publicAccessPrevention: "enforced" },
            },
        ],
        [
            {
                type: "gcp:storage/bucket:Bucket",
                props: { uniformBucketLevelAccess: true, publicAccessPrevention: "inherited" },
            },
        ],
        "publicAccessPrevention is not 'enforced'",
    ],
    [
        "gcs-artifact-bucket-versioned",
        [
            {
                type: "gcp:storage/bucket:Bucket",
                props: { labels: { "mlops-artifacts": "true" }, versioning: { enabled: true } },
            },
        ],
        [
            {
                type: "gcp:storage/bucket:Bucket",
                props: { labels: { "mlops-artifacts": "true" }, versioning: { enabled: false } },
            },
        ],
        "artifact bucket without versioning",
    ],
    [
        "s3-public-access-block",
        [pab],
        [change(pab, "props.restrictPublicBuckets", false)],
        "not set: restrictPublicBuckets",
    ],
    [
        "s3-bucket-blocked-and-encrypted",
        [s3Bucket, pab, sse],
        [s3Bucket, pab],
        "bucket 'artifacts' has no server-side encryption configuration",
    ],
    [
        "efs-encrypted",
        [{ type: "aws:efs/fileSystem:FileSystem", props: { encrypted: true } }],
        [{ type: "aws:efs/fileSystem:FileSystem", props: { encrypted: false } }],
        "encrypted is not true",
    ],
    [
        "data-stores-protected",
        [pgVolume],
        [{ ...pgVolume, name: "pg", protect: false }],
        "pg is not protected",
        { "data-stores-protected": { requireProtect: true } },
    ],
    [
        "database-not-public",
        [pgService, cloudSql, rds],
        [change(pgService, "props.spec.type", "LoadBalancer")],
        "PostgreSQL Service is of type LoadBalancer",
    ],
    [
        "database-backups",
        [cloudSql, rds],
        [change(rds, "props.backupRetentionPeriod", 0)],
        "backupRetentionPeriod is not above 0",
    ],
    [
        "database-deletion-protection",
        [cloudSql, rds],
        [change(cloudSql, "props.deletionProtection", false)],
        "deletionProtection is not true",
    ],
    [
        "rds-storage-encrypted",
        [rds],
        [change(rds, "props.storageEncrypted", false)],
        "storageEncrypted is not true",
    ],
    [
        "database-production-tier",
        [rds, cloudSql],
        [change(rds, "props.instanceClass", "db.t4g.small"), cloudSql],
        "RDS instance class db.t4g.small is burstable",
    ],
    [
        "routes-trusted-certificate",
        [traefikRelease],
        [
            change(traefikRelease, "props.values.certificatesResolvers", {
                le: {
                    acme: { caServer: "https://acme-staging-v02.api.letsencrypt.org/directory" },
                },
            }),
        ],
        "certificate resolver 'le' uses the staging ACME directory https://acme-staging-v02.api.letsencrypt.org/directory",
    ],
    [
        "helm-repository-https",
        [traefikRelease],
        [change(traefikRelease, "props.repositoryOpts", { repo: "http://charts.example.com" })],
        "chart 'traefik' is fetched over plain HTTP from http://charts.example.com",
    ],
    [
        "gke-private-nodes",
        [gkeCluster],
        [change(gkeCluster, "props.privateClusterConfig.enablePrivateNodes", false)],
        "privateClusterConfig.enablePrivateNodes is not true",
    ],
    [
        "gke-secrets-encryption",
        [gkeCluster],
        [change(gkeCluster, "props.databaseEncryption.state", "DECRYPTED")],
        "databaseEncryption is not ENCRYPTED with a Cloud KMS key",
    ],
    [
        "gke-control-plane-restricted",
        [gkeCluster],
        [change(gkeCluster, "props.masterAuthorizedNetworksConfig.cidrBlocks", [])],
        "public endpoint with no authorized network listed: make the endpoint private",
    ],
    [
        "gke-workload-identity",
        [gkeCluster],
        [change(gkeCluster, "props.workloadIdentityConfig", undefined)],
        "workloadIdentityConfig.workloadPool is not set",
    ],
    [
        "gke-shielded-nodes",
        [gkeCluster],
        [change(gkeCluster, "props.enableShieldedNodes", false)],
        "enableShieldedNodes is false",
    ],
    [
        "gke-release-channel",
        [gkeCluster],
        [change(gkeCluster, "props.releaseChannel.channel", "UNSPECIFIED")],
        "release channel is 'UNSPECIFIED'",
    ],
    [
        "gke-gpu-pool-scales-to-zero",
        [gkeGpuPool],
        [change(gkeGpuPool, "props.autoscaling.minNodeCount", 1)],
        "GPU pool keeps 1 nodes at idle",
    ],
    [
        "gke-gpu-pool-bounded",
        [gkeGpuPool],
        [change(gkeGpuPool, "props.autoscaling.maxNodeCount", 40)],
        "GPU pool may grow to 40 nodes, above the bound of 16",
    ],
    [
        "gke-gpu-pool-tainted",
        [gkeGpuPool],
        [change(gkeGpuPool, "props.nodeConfig.taints", [])],
        "GPU pool lacks the nvidia.com/gpu NO_SCHEDULE taint",
    ],
    [
        "eks-endpoint-restricted",
        [eksCluster],
        [change(eksCluster, "props.vpcConfig.publicAccessCidrs", ["0.0.0.0/1", "128.0.0.0/1"])],
        "public endpoint open to the whole internet (0.0.0.0/1, 128.0.0.0/1)",
    ],
    [
        "eks-node-metadata-protected",
        [launchTemplate, eksNodeGroup],
        [change(launchTemplate, "props.metadataOptions.httpPutResponseHopLimit", 2), eksNodeGroup],
        "node group 'l4': launch template: httpPutResponseHopLimit is 2, not 1",
    ],
    [
        "eks-secrets-encryption",
        [eksCluster],
        [change(eksCluster, "props.encryptionConfig", undefined)],
        "encryptionConfig does not cover secrets",
    ],
    [
        "eks-control-plane-logs",
        [eksCluster],
        [change(eksCluster, "props.enabledClusterLogTypes", ["api"])],
        "control-plane logs off: audit, authenticator",
    ],
    [
        "eks-gpu-group-scales-to-zero",
        [eksGpuGroup],
        [change(eksGpuGroup, "props.scalingConfig.minSize", 2)],
        "GPU group keeps 2 nodes at idle",
    ],
    [
        "eks-gpu-group-tainted",
        [eksGpuGroup],
        [change(eksGpuGroup, "props.taints", [])],
        "GPU group lacks the nvidia.com/gpu NO_SCHEDULE taint",
    ],
    [
        "team-namespace-gpu-quota",
        [teamNs, gpuQuota],
        [teamNs, change(gpuQuota, "props.spec.hard", { pods: "10" })],
        "team namespace 'vision' has no ResourceQuota on nvidia.com/gpu",
    ],
    [
        "team-namespace-default-deny",
        [teamNs, denyAll],
        [teamNs, change(denyAll, "props.spec.egress", [{ to: [] }])],
        "team namespace 'vision' has no default-deny NetworkPolicy",
    ],
    [
        "team-gpu-quota-within-capacity",
        [gkeGpuPool, teamNs, gpuQuota],
        [
            gkeGpuPool,
            teamNs,
            change(gpuQuota, "props.spec.hard", { "requests.nvidia.com/gpu": "6" }),
        ],
        "team GPU quotas total 6, above 4 GPUs at maximum scale × 1",
    ],
    [
        "helm-chart-pinned",
        [traefikRelease],
        [change(traefikRelease, "props.version", "^41.0.0")],
        "chart 'traefik' version '^41.0.0' is not an exact version",
    ],
];

describe("every policy passes its happy path and catches one changed field", () => {
    it("covers every policy of the pack", () => {
        expect(cases.map((c) => c[0]).sort()).toEqual(policies.map((p) => p.name).sort());
    });

    // Every row gets its config, so that jest does not read a fifth parameter as `done`.
    const rows = cases.map(([p, ok, bad, msg, config]) => [p, ok, bad, msg, config ?? {}] as const);
    it.each(rows)("%s", async (policy, passing, violating, message, config) => {
        expect(await violations(policy, passing, config)).toEqual([]);
        expect(await violations(policy, violating, config)).toEqual([message]);
    });
});

describe("single sign-on policies", () => {
    it("sso-on-every-route: basic auth, no proxy, an insecure cookie", async () => {
        expect(
            await violations("sso-on-every-route", [
                oauth2ProxyRelease,
                ingressRoute,
                authMiddleware,
            ]),
        ).toEqual([
            "Middleware 'ui-auth' is basic auth: one shared password, no user",
            "route 'Host(`ui.example.com`)' is not behind single sign-on",
        ]);
        expect(await violations("sso-on-every-route", [ingressRoute, ssoMiddleware])).toEqual([
            "no oauth2-proxy release: routes are not behind single sign-on (routing.auth.mode oidc)",
        ]);
        const insecure = change(oauth2ProxyRelease, "props.values.extraArgs", {
            "cookie-secure": "false",
        });
        expect(
            await violations("sso-on-every-route", [insecure, ingressRoute, ssoMiddleware]),
        ).toEqual(["oauth2-proxy's session cookie is not secure (cookie-secure is not true)"]);
    });

    it("sso-route-group-rule: bearer subjects are a rule too; an unknown address is skipped", async () => {
        const jwt = change(
            ssoMiddleware,
            "props.spec.forwardAuth.address",
            "http://oauth2-proxy.mlops.svc.cluster.local/oauth2/auth?allowed_emails=repo%3Aacme%2Fml%3Aref%3Arefs%2Fheads%2Fmain",
        );
        expect(await violations("sso-route-group-rule", [jwt])).toEqual([]);
        const none = change(
            ssoMiddleware,
            "props.spec.forwardAuth.address",
            "http://oauth2-proxy/",
        );
        expect(await violations("sso-route-group-rule", [none])).toEqual([
            "forwardAuth address 'http://oauth2-proxy/' names no allowed_groups or allowed_emails: it admits anyone who can sign in",
        ]);
        const unknown = change(ssoMiddleware, "props.spec.forwardAuth.address", UNKNOWN_SENTINEL);
        expect(await violations("sso-route-group-rule", [unknown])).toEqual([]);
    });

    it("no-everyone-bindings: system:unauthenticated too, on a ClusterRoleBinding", async () => {
        const crb = {
            ...teamBinding("system:unauthenticated"),
            type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        };
        expect(await violations("no-everyone-bindings", [crb])).toEqual([
            "binds role 'edit' to group 'system:unauthenticated': every caller",
        ]);
    });
});

describe("aws-team-bucket-access-confined", () => {
    const check = (list: R[]) => violations("aws-team-bucket-access-confined", list);
    it("keeps team `vision` out of team `vision-2`'s prefix and out of another team's", async () => {
        for (const r of [
            "arn:aws:s3:::b/teams/vision-2/*",
            "arn:aws:s3:::b/teams/nlp/*",
            "arn:aws:s3:::b/teams/vision*",
        ]) {
            expect(await check([...awsTeamIdentity.slice(0, 2), awsTeamPolicyWith(r)])).toEqual([
                `team 'vision' may s3:GetObject, s3:PutObject, s3:DeleteObject on ${r}, outside its own prefix (.../vision/*)`,
            ]);
        }
    });

    it("treats wildcards and unknown actions as writes, and refuses managed policies", async () => {
        const doc = clone(awsTeamPolicy);
        doc.Statement[2].Action = ["s3:*"];
        doc.Statement[2].Resource = ["arn:aws:s3:::t/*"];
        expect(
            await check([
                ...awsTeamIdentity.slice(0, 2),
                change(awsTeamIdentity[2], "props.policy", JSON.stringify(doc)),
            ]),
        ).toEqual([
            "team 'vision' may s3:* on arn:aws:s3:::t/*, outside its own prefix (.../vision/*)",
        ]);
        expect(
            await check([
                ...awsTeamIdentity,
                {
                    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    name: "aid-admin",
                    parent: "aid",
                    props: {
                        role: "mlops-team-vision",
                        policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                    },
                },
            ]),
        ).toEqual([
            "team 'vision' has a managed policy attached, which cannot be checked: grant S3 access through its inline policy",
        ]);
    });

    it("leaves platform roles alone: they have no team tag", async () => {
        const platform = change(awsTeamIdentity[1], "props.tags", {});
        expect(
            await check([awsTeamIdentity[0], platform, awsTeamPolicyWith("arn:aws:s3:::b/*")]),
        ).toEqual([]);
    });
});

describe("object-store-team-identities-confined", () => {
    const check = (list: R[]) => violations("object-store-team-identities-confined", list);
    const own = teamStorePolicy("vision");
    const who = "team 'vision' (identity 'team-vision')";
    const withStatement = (i: number, edit: (st: any) => void) => {
        const doc = clone(own);
        edit(doc.Statement[i]);
        return doc;
    };

    it("passes a team's own policy: its objects without ?prefix=, its listing by prefix", async () => {
        expect(
            await check([
                s3Config([
                    { name: "platform", actions: ["Admin"] },
                    { name: "team-vision", policy: own },
                    { name: "team-nlp", policy: teamStorePolicy("nlp") },
                ]),
            ]),
        ).toEqual([]);
    });

    it("fails object actions that also hold for bucket-level requests carrying ?prefix=", async () => {
        // PUT /b?lifecycle&prefix=teams/vision/ resolves to s3:PutObject on b/teams/vision/.
        for (const condition of [undefined, { Null: { "s3:prefix": "false" } }]) {
            const doc = withStatement(0, (st) => (st.Condition = condition));
            expect(await check([s3Config([{ name: "team-vision", policy: doc }])])).toEqual([
                `${who}, statement 0: object actions without the condition {"Null":{"s3:prefix":"true"}} also allow bucket-level requests that carry ?prefix= (lifecycle, versioning, CORS, object lock); got ${JSON.stringify(condition ?? {})}`,
            ]);
        }
    });

    it("fails legacy actions on a team identity, even beside its own policy", async () => {
        // Write:b/teams/vision/* matches Write:b/teams/vision/ of PUT /b?lifecycle&prefix=...
        const secret = s3Config([
            { name: "team-vision", actions: ["Write:b/teams/vision/*"], policy: own },
        ]);
        expect(await check([secret])).toEqual([
            `identity 'team-vision' holds legacy actions ["Write:b/teams/vision/*"]: the gateway matches them against a request's ?prefix=, so they allow bucket-level configuration`,
        ]);
    });

    it("fails bucket-configuration actions, other teams' objects, unconfined listing", async () => {
        const cases: [any, string][] = [
            [
                withStatement(0, (st) => st.Action.push("s3:PutLifecycleConfiguration")),
                `${who}, statement 0: s3:GetObject, s3:PutObject, s3:DeleteObject, s3:PutLifecycleConfiguration: only object actions (s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts) or listing actions (s3:ListBucket, s3:ListBucketVersions), each in its own statement`,
            ],
            [
                withStatement(0, (st) => (st.Action = "s3:*")),
                `${who}, statement 0: s3:*: only object actions (s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts) or listing actions (s3:ListBucket, s3:ListBucketVersions), each in its own statement`,
            ],
            [
                withStatement(0, (st) => st.Resource.push("arn:aws:s3:::b/teams/nlp/*")),
                `${who}, statement 0: s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::b/teams/nlp/*, beyond its own prefix`,
            ],
            [
                withStatement(0, (st) => (st.Resource = ["arn:aws:s3:::b/*"])),
                `${who}, statement 0: s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::b/*, beyond its own prefix`,
            ],
            [
                withStatement(1, (st) => delete st.Condition),
                `${who}, statement 1: listing must be limited by StringLike s3:prefix to its own prefix (<...>/vision/*); got {}`,
            ],
            [
                withStatement(1, (st) => (st.Condition.StringLike["s3:prefix"] = "teams/*")),
                `${who}, statement 1: listing must be limited by StringLike s3:prefix to its own prefix (<...>/vision/*); got {"StringLike":{"s3:prefix":"teams/*"}}`,
            ],
            [
                withStatement(1, (st) => (st.Resource = ["arn:aws:s3:::b/teams/vision/*"])),
                `${who}, statement 1: s3:ListBucket on arn:aws:s3:::b/teams/vision/*, not a bucket`,
            ],
        ];
        for (const [doc, message] of cases)
            expect(await check([s3Config([{ name: "team-vision", policy: doc }])])).toEqual([
                message,
            ]);
    });

    it("fails identities attached to other than the annotation declares, or no annotation", async () => {
        const secret = s3Config([{ name: "team-vision", policy: own }]);
        const wide = withStatement(0, (st) => (st.Resource = ["arn:aws:s3:::b/*"]));
        const lying = change(secret, "props.stringData", {
            "s3.json": JSON.stringify({
                identities: [{ name: "team-vision", policyNames: ["wide"] }],
                policies: [{ name: "wide", content: JSON.stringify(wide) }],
            }),
        });
        expect(await check([lying])).toEqual([
            `identity 'team-vision' is attached ${JSON.stringify([wide])}, but mlops.dev/identity-policies declares ${JSON.stringify(own)}`,
        ]);
        const undeclared = change(secret, "props.metadata.annotations", {
            "mlops.dev/anonymous-actions": "",
        });
        expect(await check([undeclared])).toEqual([
            "the identities Secret does not declare mlops.dev/identity-policies",
        ]);
    });

    it("reads the annotation while the keys are unknown, and skips an unknown annotation", async () => {
        const wide = withStatement(1, (st) => delete st.Condition);
        const secret = s3Config([{ name: "team-vision", policy: wide }]);
        const keysUnknown = change(secret, "props.stringData", UNKNOWN_SENTINEL);
        expect(await check([keysUnknown])).toEqual([
            `${who}, statement 1: listing must be limited by StringLike s3:prefix to its own prefix (<...>/vision/*); got {}`,
        ]);
        const unknown = change(keysUnknown, "props.metadata.annotations", {
            "mlops.dev/anonymous-actions": "",
            "mlops.dev/identity-policies": UNKNOWN_SENTINEL,
        });
        expect(await check([unknown])).toEqual([]);
    });
});

describe("aws-team-bucket-access-confined: reads and lists", () => {
    const check = (list: R[]) => violations("aws-team-bucket-access-confined", list);
    const withStatement = (i: number, edit: (st: any) => void) => {
        const doc = clone(awsTeamPolicy);
        edit(doc.Statement[i]);
        return [
            ...awsTeamIdentity.slice(0, 2),
            change(awsTeamIdentity[2], "props.policy", JSON.stringify(doc)),
        ];
    };

    it("fails a read of another prefix or of the whole bucket", async () => {
        for (const r of [
            "arn:aws:s3:::t/*",
            "arn:aws:s3:::t/tracking/*",
            "arn:aws:s3:::t/teams/nlp/*",
        ]) {
            expect(await check(withStatement(2, (st) => (st.Resource = [r])))).toEqual([
                `team 'vision' may s3:GetObject, s3:GetObjectVersion on ${r}, outside its own prefix (.../vision/*)`,
            ]);
        }
    });

    it("fails listing without the s3:prefix condition, or with one wider than the team's prefix", async () => {
        const unconditioned = withStatement(1, (st) => delete st.Condition);
        const wider = withStatement(
            1,
            (st) => (st.Condition = { StringLike: { "s3:prefix": ["teams/vision/", "teams/*"] } }),
        );
        const negated = withStatement(
            1,
            (st) => (st.Condition = { StringNotLike: { "s3:prefix": ["teams/nlp/*"] } }),
        );
        const other = withStatement(
            1,
            (st) => (st.Condition = { StringLike: { "s3:prefix": ["teams/nlp/", "teams/nlp/*"] } }),
        );
        for (const doc of [unconditioned, wider, negated, other]) {
            expect(await check(doc)).toEqual([
                "team 'vision' may s3:ListBucket on arn:aws:s3:::b without an s3:prefix condition confining it to its own prefix (.../vision/)",
            ]);
        }
    });

    it("passes listing confined by StringEquals and extra narrowing keys; fails NotAction", async () => {
        const narrowed = withStatement(
            1,
            (st) =>
                (st.Condition = {
                    StringEquals: { "s3:prefix": "teams/vision/", "s3:delimiter": "/" },
                }),
        );
        expect(await check(narrowed)).toEqual([]);
        const notAction = withStatement(0, (st) => {
            delete st.Action;
            st.NotAction = ["iam:*"];
        });
        expect(await check(notAction)).toEqual([
            "team 'vision' is allowed everything but some actions (NotAction)",
        ]);
    });

    it("skips a role policy not known yet", async () => {
        const unknown = change(awsTeamIdentity[2], "props.policy", UNKNOWN_SENTINEL);
        expect(await check([...awsTeamIdentity.slice(0, 2), unknown])).toEqual([]);
    });
});

describe("pack metadata", () => {
    it("has at least 25 policies with unique kebab-case names", () => {
        expect(policies.length).toBeGreaterThanOrEqual(25);
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
    });

    it.each(policies.map((p) => [p.name, p] as const))("%s: one sentence, a level", (_n, p) => {
        expect(p.description).toMatch(/^[A-Z`][^]*\.$/);
        expect(p.description.replace(/e\.g\./g, "").split(/\.\s/).length).toBe(1);
        expect(["advisory", "mandatory"]).toContain(p.enforcementLevel);
    });

    it("is laid out for the CLI: PulumiPolicy.yaml, package.json, index.ts", () => {
        const dir = path.resolve(__dirname, "..", "..", "policies");
        expect(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).toMatch(
            /^runtime: nodejs$/m,
        );
        expect(
            JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies[
                "@pulumi/policy"
            ],
        ).toBe("1.21.0");
        expect(
            JSON.parse(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).include,
        ).toEqual(["*.ts"]);
        expect(fs.readFileSync(path.join(dir, "index.ts"), "utf8")).toContain(
            "new PolicyPack(PACK_NAME, { policies })",
        );
        expect(PACK_NAME).toBe("mlops-guardrails");
    });

    it("ships each enforcement profile as the CLI's --policy-pack-config file", () => {
        for (const env of ["dev", "prod"] as const) {
            const file = path.resolve(__dirname, "..", "..", "policies", `config.${env}.json`);
            expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(profiles[env]);
        }
        const names = new Set(policies.map((p) => p.name));
        for (const name of Object.keys(profiles.prod)) expect(names).toContain(name);
    });
});

describe("offline evaluation follows the policy library's rules", () => {
    const violating = [change(deployment, `${c0}.securityContext.readOnlyRootFilesystem`, false)];

    it("takes the level from pack config over the policy's own", async () => {
        const p = policies.filter((x) => x.name === "k8s-read-only-root-filesystem");
        expect((await checkPolicies(resources(violating), p))[0].level).toBe("advisory");
        expect(
            (
                await checkPolicies(resources(violating), p, {
                    "k8s-read-only-root-filesystem": "mandatory",
                })
            )[0].level,
        ).toBe("mandatory");
        expect(
            await checkPolicies(resources(violating), p, {
                "k8s-read-only-root-filesystem": "disabled",
            }),
        ).toEqual([]);
    });

    it("applies config defaults from the policy's schema", async () => {
        const p = policies.filter((x) => x.name === "gke-gpu-pool-bounded");
        const pool = [change(gkeGpuPool, "props.autoscaling.maxNodeCount", 20)];
        expect((await checkPolicies(resources(pool), p)).map((v) => v.message)).toEqual([
            "GPU pool may grow to 20 nodes, above the bound of 16",
        ]);
        expect(
            await checkPolicies(resources(pool), p, { "gke-gpu-pool-bounded": { maxNodes: 32 } }),
        ).toEqual([]);
    });
});

describe("policy documentation", () => {
    it("gives every policy a reason", () => {
        expect(Object.keys(rationale).sort()).toEqual(policies.map((p) => p.name).sort());
    });

    it("docs/policies.md is generated from the pack and current", () => {
        expect(fs.readFileSync(DOC, "utf8")).toBe(policyDoc());
    });
});

describe("a stack policy sees each resource as the engine gives it (policies/policy-builders.ts stackPolicy)", () => {
    // The shape @pulumi/policy 1.21.0's server builds for validateStack (server.js): own,
    // enumerable fields, parent and dependencies as the other resources' objects.
    const props = { spec: { replicas: 1 } };
    const parent: Record<string, unknown> = { type: "mlops:x:Parent", urn: "urn:p", name: "p" };
    const resource: Record<string, unknown> = {
        type: "kubernetes:apps/v1:Deployment",
        props,
        urn: "urn:d",
        name: "d",
        opts: { protect: false },
        dependencies: [parent],
        propertyDependencies: { spec: [parent] },
        isType: () => true,
        asType: () => props,
        provider: { urn: "urn:provider", name: "k8s", props: {} },
        parent,
    };

    it("every field, the same values and objects, and props as given", async () => {
        const seen: any[] = [];
        const policy = stackPolicy({
            name: "sees",
            description: "Records what it sees.",
            enforcementLevel: "mandatory",
            validate: (args) => {
                for (const r of args.resources) seen.push(r);
            },
        });
        await policy.validateStack!(
            { resources: [resource], getConfig: () => ({}), stackTags: new Map() } as any,
            () => undefined,
        );
        expect(seen).toHaveLength(1);
        const [r] = seen;
        for (const key of Object.keys(resource).filter((k) => !/^(is|as)Type$/.test(k)))
            expect([key, r[key]]).toEqual([key, resource[key]]);
        for (const key of ["props", "parent", "provider", "dependencies", "opts"])
            expect(r[key]).toBe(resource[key]);
        class Deployment {}
        expect(r.isType(Deployment)).toBe(true);
        expect(r.asType(Deployment)).toBe(props);
    });
});
