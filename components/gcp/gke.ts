import { Network } from "@pulumi/gcp/compute/network";
import { Router } from "@pulumi/gcp/compute/router";
import { RouterNat } from "@pulumi/gcp/compute/routerNat";
import { Subnetwork } from "@pulumi/gcp/compute/subnetwork";
import { Cluster } from "@pulumi/gcp/container/cluster";
import { NodePool } from "@pulumi/gcp/container/nodePool";
import { CryptoKey } from "@pulumi/gcp/kms/cryptoKey";
import { CryptoKeyIAMMember } from "@pulumi/gcp/kms/cryptoKeyIAMMember";
import { KeyRing } from "@pulumi/gcp/kms/keyRing";
import { ServiceIdentity } from "@pulumi/gcp/projects/serviceIdentity";
import { IAMMember } from "@pulumi/gcp/projects/iammember";
import { Account } from "@pulumi/gcp/serviceaccount/account";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GCP_ID_RULES, gcpId } from "./names";
import {
    GPU_POOL_LABEL,
    GPU_TAINT,
    GPU_TOLERATIONS,
    GpuScheduling,
    KubernetesCluster,
} from "../cluster/kubernetes-cluster";

/** One autoscaled GPU node pool. */
export interface GkeGpuPool {
    /** Stable key: names the node pool and its label. */
    readonly name: string;
    /** GCE accelerator type, e.g. `nvidia-l4`. */
    readonly gpuType: string;
    /** @default 1 */
    readonly gpusPerNode?: number;
    /** Machine type that carries the accelerator, e.g. `g2-standard-8`. */
    readonly machineType: string;
    /** @default 0 */
    readonly minNodes?: number;
    readonly maxNodes: number;
    /** @default false */
    readonly spot?: boolean;
    /** Several pods per GPU. @default none */
    readonly sharing?: {
        readonly strategy: "TIME_SHARING" | "MPS";
        readonly maxSharedClientsPerGpu: number;
    };
}

/** Arguments of {@link GkeCluster}. */
export interface GkeClusterArgs {
    readonly project: string;
    readonly region: string;
    /**
     * A zone of `region` for a zonal cluster: control plane and node pools in that one zone
     * (the GKE free tier covers one zonal cluster per billing account; node pool sizes count
     * nodes in that zone). @default none: a regional cluster
     */
    readonly zone?: string;
    /**
     * Networks allowed to reach the control plane's public endpoint. With none, the cluster has
     * no public endpoint: the API server is reached from inside the VPC only. Google Cloud's
     * own public addresses (any project's VMs) are never admitted. @default []
     */
    readonly authorizedNetworks?: readonly {
        readonly cidrBlock: string;
        readonly displayName: string;
    }[];
    /** @default "REGULAR" */
    readonly releaseChannel?: "RAPID" | "REGULAR" | "STABLE" | "EXTENDED";
    /** @default e2-standard-4, 1..3 nodes */
    readonly systemPool?: {
        /** @default "e2-standard-4" */
        readonly machineType?: string;
        /** @default 1 */
        readonly minNodes?: number;
        /** @default 3 */
        readonly maxNodes?: number;
    };
    /** @default [] */
    readonly gpuPools?: readonly GkeGpuPool[];
    /** Primary, pod and service ranges and the control plane's /28. @default 10.10.0.0/20, 10.20.0.0/14, 10.24.0.0/20, 172.16.0.0/28 */
    readonly cidrs?: {
        readonly nodes: string;
        readonly pods: string;
        readonly services: string;
        readonly controlPlane: string;
    };
    /**
     * Filestore tier of the ReadWriteMany StorageClass the cluster offers (Filestore CSI
     * driver). @default none: no ReadWriteMany class
     */
    readonly filestoreTier?: "BASIC_HDD" | "BASIC_SSD" | "ZONAL" | "ENTERPRISE";
    /**
     * Protect production data: GCP's deletion protection on the cluster, and Filestore volumes
     * kept (`Retain`) when their claim is deleted. @default true
     */
    readonly protect?: boolean;
    /**
     * Google Groups for RBAC: `gke-security-groups@<your domain>`, the Google Group whose
     * member groups RoleBindings may name by email (GKE's name for it is fixed). @default none:
     * RoleBindings match Google accounts only, never a group
     */
    readonly securityGroup?: string;
}

/** The Google Group GKE reads group memberships under, in any domain. */
const SECURITY_GROUP =
    /^gke-security-groups@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** Roles the node service account needs, and nothing more. */
const NODE_ROLES = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
];

/** How often the Secrets key gets a new primary version (90 days, in seconds). */
export const SECRETS_KEY_ROTATION = "7776000s";

const NODE_MANAGEMENT = { autoRepair: true, autoUpgrade: true };

/** What every node pool's nodes share: the node account, Workload Identity, shielded boot. */
function nodeConfig(nodeAccount: Account, machineType: string, labels: Record<string, string>) {
    return {
        machineType,
        serviceAccount: nodeAccount.email,
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        labels,
    };
}

/**
 * A private GKE cluster for ML: its own VPC with pod and service ranges, Cloud NAT for the
 * private nodes, Workload Identity, shielded nodes, a release channel, Dataplane V2 (network
 * policies), the Filestore CSI driver, an autoscaled system pool, and one GPU pool per entry
 * (GKE-installed NVIDIA driver, scale from zero, spot, the `nvidia.com/gpu` taint, optional
 * time-sharing).
 *
 * ```ts
 * const gke = new GkeCluster("mlops", { project: "my-project", region: "us-central1",
 *     gpuPools: [{ name: "l4", gpuType: "nvidia-l4", machineType: "g2-standard-8", maxNodes: 4, spot: true }] });
 * ```
 */
export class GkeCluster extends pulumi.ComponentResource implements KubernetesCluster {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:cluster:GkeCluster";
    public readonly cloud = "gcp" as const;
    public readonly clusterName: string;
    public readonly provider: k8s.Provider;
    public readonly storageClasses: KubernetesCluster["storageClasses"] = {
        readWriteOnce: "standard-rwo",
    };
    public readonly cluster: Cluster;
    public readonly network: Network;
    /** The kubeconfig (secret), authenticating through gke-gcloud-auth-plugin. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The control plane's private range (where the API server is, for network policies). */
    public readonly controlPlaneCidr: string;
    /** The Workload Identity pool, `<project>.svc.id.goog`. */
    public readonly workloadPool: string;
    /** GKE names Google accounts and Google Groups by their email, with no prefix. */
    public readonly memberPrefix = "";
    /** The Cloud KMS key that encrypts the cluster's Secrets in etcd (its resource ID). */
    public readonly secretsKeyId: pulumi.Output<string>;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(GkeCluster.__pulumiType, name, {}, opts);
        if (args.securityGroup !== undefined && !SECURITY_GROUP.test(args.securityGroup)) {
            throw new Error(
                `GkeCluster ${name}: securityGroup: got ${JSON.stringify(args.securityGroup)}; must be gke-security-groups@<your domain> (GKE requires that name)`,
            );
        }
        const cidrs = args.cidrs ?? {
            nodes: "10.10.0.0/20",
            pods: "10.20.0.0/14",
            services: "10.24.0.0/20",
            controlPlane: "172.16.0.0/28",
        };
        this.clusterName = name;
        this.controlPlaneCidr = cidrs.controlPlane;
        this.workloadPool = `${args.project}.svc.id.goog`;

        const vpc = this.vpc(name, args, cidrs);
        this.network = vpc.network;
        const nodeAccount = this.nodeServiceAccount(name, args);
        const secretsKey = this.secretsKey(name, args);
        this.secretsKeyId = secretsKey.key.id;
        this.cluster = this.gkeCluster(name, args, cidrs, vpc.subnet, secretsKey);
        const systemPool = this.systemPool(name, args, nodeAccount);
        for (const pool of args.gpuPools ?? []) this.gpuPool(name, args, nodeAccount, pool);
        this.kubeconfig = pulumi.secret(
            pulumi
                .all([this.cluster.endpoint, this.cluster.masterAuth.clusterCaCertificate])
                .apply(([endpoint, ca]) => gkeKubeconfig(name, endpoint, ca)),
        );
        // The default pool is removed, so the cluster has no node until the system pool exists.
        // Everything created through this provider waits for the provider, and the provider
        // waits for the system pool: chart hook Jobs and the first pods have a node to run on.
        this.provider = new k8s.Provider(
            name,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [this.cluster, systemPool] },
        );
        this.storageClasses = {
            readWriteOnce: "standard-rwo",
            readWriteMany: this.filestoreClass(name, args, cidrs.nodes),
        };
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }

    /**
     * The cluster's network: a VPC, a subnetwork with pod and service ranges, and Cloud NAT for
     * the private nodes.
     */
    private vpc(name: string, args: GkeClusterArgs, cidrs: NonNullable<GkeClusterArgs["cidrs"]>) {
        const child = { parent: this };
        const gcp = { project: args.project };
        // Cloud identifiers are explicit and valid for any accepted name (names.ts). The
        // provider's autonaming appends '-' and 7 random characters to the resource name, within
        // 63 characters for networks, subnetworks, routers and NATs and 255 for clusters and
        // node pools (pulumi-gcp provider/resources.go, lowercaseAutoName and SetAutonaming),
        // and keeps a leading digit: a 63-character or digit-first name would be rejected.
        const computeName = gcpId(GCP_ID_RULES.compute, [name]);
        const network = new Network(
            name,
            { ...gcp, name: computeName, autoCreateSubnetworks: false },
            child,
        );
        const subnet = new Subnetwork(
            name,
            {
                ...gcp,
                name: computeName,
                region: args.region,
                network: network.id,
                ipCidrRange: cidrs.nodes,
                privateIpGoogleAccess: true,
                secondaryIpRanges: [
                    { rangeName: "pods", ipCidrRange: cidrs.pods },
                    { rangeName: "services", ipCidrRange: cidrs.services },
                ],
            },
            child,
        );
        const router = new Router(
            name,
            { ...gcp, name: computeName, region: args.region, network: network.id },
            child,
        );
        new RouterNat(
            name,
            {
                ...gcp,
                name: computeName,
                region: args.region,
                router: router.name,
                natIpAllocateOption: "AUTO_ONLY",
                sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
                logConfig: { enable: true, filter: "ERRORS_ONLY" },
            },
            child,
        );
        return { network, subnet };
    }

    /** The nodes' service account, with {@link NODE_ROLES} and nothing more. */
    private nodeServiceAccount(name: string, args: GkeClusterArgs) {
        const child = { parent: this };
        const gcp = { project: args.project };
        const nodeAccount = new Account(
            `${name}-nodes`,
            {
                ...gcp,
                accountId: gcpId(GCP_ID_RULES.serviceAccount, [name, "nodes"]),
                displayName: `${name} GKE nodes`,
            },
            child,
        );
        for (const role of NODE_ROLES) {
            new IAMMember(
                `${name}-nodes-${role.split("/")[1].replace(/\./g, "-")}`,
                { ...gcp, role, member: pulumi.interpolate`serviceAccount:${nodeAccount.email}` },
                child,
            );
        }
        return nodeAccount;
    }

    /**
     * The Cloud KMS key that encrypts Kubernetes Secrets at the application layer (as EKS's
     * KMS key does): a key ring in the cluster's region, a key rotated every 90 days, and the
     * GKE service agent allowed to encrypt and decrypt with it (GKE "Encrypt secrets at the
     * application layer"; the key must be in the cluster's location). The key ring is named by
     * the provider with a random suffix: key rings cannot be deleted, so a re-created stack
     * needs a new one.
     */
    private secretsKey(name: string, args: GkeClusterArgs) {
        const child = { parent: this };
        const ring = new KeyRing(
            `${name}-secrets`,
            { project: args.project, location: args.region },
            { ...child, protect: args.protect ?? true },
        );
        const key = new CryptoKey(
            `${name}-secrets`,
            {
                name: "kubernetes-secrets",
                keyRing: ring.id,
                purpose: "ENCRYPT_DECRYPT",
                rotationPeriod: SECRETS_KEY_ROTATION,
            },
            { ...child, protect: args.protect ?? true },
        );
        const agent = new ServiceIdentity(
            `${name}-gke-agent`,
            { project: args.project, service: "container.googleapis.com" },
            child,
        );
        const grant = new CryptoKeyIAMMember(
            `${name}-secrets-gke`,
            {
                cryptoKeyId: key.id,
                role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member: agent.member,
            },
            child,
        );
        return { key, grant };
    }

    /** The private, VPC-native cluster itself, its default pool removed. */
    private gkeCluster(
        name: string,
        args: GkeClusterArgs,
        cidrs: NonNullable<GkeClusterArgs["cidrs"]>,
        subnet: Subnetwork,
        secretsKey: { key: CryptoKey; grant: CryptoKeyIAMMember },
    ) {
        const networks = args.authorizedNetworks ?? [];
        return new Cluster(
            name,
            {
                project: args.project,
                name: gcpId(GCP_ID_RULES.gkeCluster, [name]),
                location: args.zone ?? args.region,
                network: this.network.id,
                subnetwork: subnet.id,
                networkingMode: "VPC_NATIVE",
                ipAllocationPolicy: {
                    clusterSecondaryRangeName: "pods",
                    servicesSecondaryRangeName: "services",
                },
                // The default pool cannot be configured; node pools below replace it.
                removeDefaultNodePool: true,
                initialNodeCount: 1,
                privateClusterConfig: {
                    enablePrivateNodes: true,
                    // No network listed: no public endpoint at all.
                    enablePrivateEndpoint: networks.length === 0,
                    masterIpv4CidrBlock: cidrs.controlPlane,
                },
                // Authorized networks on, always: the listed networks, and never Google
                // Cloud's public ranges (on by default, they admit any project's VMs).
                masterAuthorizedNetworksConfig: {
                    cidrBlocks: networks.map((n) => ({ ...n })),
                    gcpPublicCidrsAccessEnabled: false,
                },
                databaseEncryption: { state: "ENCRYPTED", keyName: secretsKey.key.id },
                releaseChannel: { channel: args.releaseChannel ?? "REGULAR" },
                workloadIdentityConfig: { workloadPool: this.workloadPool },
                enableShieldedNodes: true,
                datapathProvider: "ADVANCED_DATAPATH",
                addonsConfig: { gcpFilestoreCsiDriverConfig: { enabled: true } },
                deletionProtection: args.protect ?? true,
                ...(args.securityGroup
                    ? { authenticatorGroupsConfig: { securityGroup: args.securityGroup } }
                    : {}),
            },
            // GKE checks the key's permissions when it creates the cluster.
            { parent: this, dependsOn: [secretsKey.grant] },
        );
    }

    /** The autoscaled pool the platform's own pods run on. */
    private systemPool(name: string, args: GkeClusterArgs, nodeAccount: Account) {
        const sys = args.systemPool ?? {};
        // Node pool names are scoped to their cluster: the pool's own key names it.
        return new NodePool(
            `${name}-system`,
            {
                project: args.project,
                name: gcpId(GCP_ID_RULES.nodePool, ["system"]),
                location: args.zone ?? args.region,
                cluster: this.cluster.name,
                initialNodeCount: sys.minNodes ?? 1,
                autoscaling: { minNodeCount: sys.minNodes ?? 1, maxNodeCount: sys.maxNodes ?? 3 },
                nodeConfig: nodeConfig(nodeAccount, sys.machineType ?? "e2-standard-4", {
                    "mlops.dev/pool": "system",
                }),
                management: NODE_MANAGEMENT,
            },
            { parent: this },
        );
    }

    /**
     * One GPU pool: GKE-installed driver, scale from zero, spot, the `nvidia.com/gpu` taint,
     * optional sharing.
     */
    private gpuPool(name: string, args: GkeClusterArgs, nodeAccount: Account, pool: GkeGpuPool) {
        return new NodePool(
            `${name}-${pool.name}`,
            {
                project: args.project,
                name: gcpId(GCP_ID_RULES.nodePool, [pool.name]),
                location: args.zone ?? args.region,
                cluster: this.cluster.name,
                initialNodeCount: pool.minNodes ?? 0,
                autoscaling: { minNodeCount: pool.minNodes ?? 0, maxNodeCount: pool.maxNodes },
                nodeConfig: {
                    ...nodeConfig(nodeAccount, pool.machineType, { [GPU_POOL_LABEL]: pool.name }),
                    spot: pool.spot ?? false,
                    guestAccelerators: [
                        {
                            type: pool.gpuType,
                            count: pool.gpusPerNode ?? 1,
                            // GKE installs and upgrades the NVIDIA driver itself.
                            gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" },
                            ...(pool.sharing
                                ? {
                                      gpuSharingConfig: {
                                          gpuSharingStrategy: pool.sharing.strategy,
                                          maxSharedClientsPerGpu:
                                              pool.sharing.maxSharedClientsPerGpu,
                                      },
                                  }
                                : {}),
                        },
                    ],
                    taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }],
                },
                management: NODE_MANAGEMENT,
            },
            { parent: this },
        );
    }

    /**
     * The ReadWriteMany StorageClass on Filestore, when a tier is given. Each claim is its own
     * instance, whose export admits the nodes' range only (the CSI driver's
     * `nfs-export-options-on-create`, GKE 1.29.5 and later): the kubelet mounts a claim for the
     * pod it belongs to, and no pod mounts an instance by its address, whatever its team.
     */
    private filestoreClass(
        name: string,
        args: GkeClusterArgs,
        nodesCidr: string,
    ): pulumi.Output<string> | undefined {
        if (!args.filestoreTier) return undefined;
        const rwx = new k8s.storage.v1.StorageClass(
            `${name}-filestore`,
            {
                metadata: { name: `${name}-filestore` },
                provisioner: "filestore.csi.storage.gke.io",
                parameters: {
                    tier: args.filestoreTier,
                    network: this.network.name,
                    // Pods' addresses are not in the nodes' range (VPC-native: a secondary range).
                    "nfs-export-options-on-create": JSON.stringify([
                        {
                            accessMode: "READ_WRITE",
                            ipRanges: [nodesCidr],
                            squashMode: "NO_ROOT_SQUASH",
                        },
                    ]),
                },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy: args.protect === false ? "Delete" : "Retain",
            },
            { parent: this, provider: this.provider },
        );
        return rwx.metadata.name;
    }

    public gpuScheduling(pool?: string): GpuScheduling {
        // Only GPU nodes have nvidia.com/gpu capacity, so requesting GPUs is enough to land on
        // one; a pool name pins the pool.
        return {
            nodeSelector: pool ? { [GPU_POOL_LABEL]: pool } : {},
            tolerations: GPU_TOLERATIONS,
        };
    }
}

/** A kubeconfig that authenticates with gke-gcloud-auth-plugin (no static credentials). */
export function gkeKubeconfig(name: string, endpoint: string, caCertificate: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name,
                cluster: {
                    server: `https://${endpoint}`,
                    "certificate-authority-data": caCertificate,
                },
            },
        ],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        users: [
            {
                name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "gke-gcloud-auth-plugin",
                        installHint:
                            "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                        provideClusterInfo: true,
                    },
                },
            },
        ],
    });
}
