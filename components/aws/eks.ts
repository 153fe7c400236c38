import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { Tag } from "@pulumi/aws/autoscaling/tag";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Eip } from "@pulumi/aws/ec2/eip";
import { LaunchTemplate } from "@pulumi/aws/ec2/launchTemplate";
import { InternetGateway } from "@pulumi/aws/ec2/internetGateway";
import { NatGateway } from "@pulumi/aws/ec2/natGateway";
import { Route } from "@pulumi/aws/ec2/route";
import { RouteTable } from "@pulumi/aws/ec2/routeTable";
import { RouteTableAssociation } from "@pulumi/aws/ec2/routeTableAssociation";
import { Subnet } from "@pulumi/aws/ec2/subnet";
import { Vpc } from "@pulumi/aws/ec2/vpc";
import { AccessEntry } from "@pulumi/aws/eks/accessEntry";
import { AccessPolicyAssociation } from "@pulumi/aws/eks/accessPolicyAssociation";
import { Addon } from "@pulumi/aws/eks/addon";
import { Cluster } from "@pulumi/aws/eks/cluster";
import { IdentityProviderConfig } from "@pulumi/aws/eks/identityProviderConfig";
import { NodeGroup } from "@pulumi/aws/eks/nodeGroup";
import { OpenIdConnectProvider } from "@pulumi/aws/iam/openIdConnectProvider";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import { Key } from "@pulumi/aws/kms/key";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nvidiaDevicePlugin } from "../cluster/device-plugin";
import {
    DEFAULT_OIDC_PREFIX,
    GPU_POOL_LABEL,
    GPU_TAINT,
    GPU_TOLERATIONS,
    GpuScheduling,
    KubernetesCluster,
    oidcPrefixProblem,
} from "../cluster/kubernetes-cluster";
import { helmRelease } from "../helm-release";
import { Mirror, imageTag, mirrorImageName } from "../mirror";
import { aws as awsVersions, chartImages, charts } from "../versions";
import { EfsFileSystem } from "./efs";
import { AwsIrsaIdentity } from "./irsa";
import { AWS_NAME_RULES, awsName } from "./names";

/** One autoscaled GPU node group. */
export interface EksGpuGroup {
    /** Stable key: names the node group and its label. */
    readonly name: string;
    /** GPU type, e.g. `nvidia-l4` (config checks it against the instance family). */
    readonly gpuType: string;
    /** GPUs on each node: the autoscaler's node template. @default 1 */
    readonly gpusPerNode?: number;
    /** Instance type, e.g. `g6.xlarge`. */
    readonly machineType: string;
    /** @default 0 */
    readonly minNodes?: number;
    readonly maxNodes: number;
    /** Spot capacity. @default false */
    readonly spot?: boolean;
}

/**
 * The EKS access policies an IAM principal may be given (EKS user guide, "Review access policy
 * permissions"): like the Kubernetes `cluster-admin`, `admin`, `edit` and `view` roles.
 */
export const EKS_ACCESS_POLICIES = [
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
] as const;
export type EksAccessPolicy = (typeof EKS_ACCESS_POLICIES)[number];

/** An IAM role or user that may use the Kubernetes API (an EKS access entry). */
export interface EksAccessEntry {
    /** `arn:aws:iam::<account>:role/<name>` or `...:user/<name>`. */
    readonly principalArn: string;
    /** The access policy it is given. */
    readonly policy: EksAccessPolicy;
    /** Namespaces the policy applies in. @default none: the whole cluster */
    readonly namespaces?: readonly string[];
}

/** The organisation's OpenID Connect issuer, trusted for `kubectl` (an EKS identity provider config). */
export interface EksOidcArgs {
    /** The issuer's URL: https, reachable from the internet, with a publicly trusted certificate. */
    readonly issuer: string;
    /** The client the tokens are issued to: their `aud`. */
    readonly clientId: string;
    /** The claim with the user's groups. @default "groups" */
    readonly groupsClaim?: string;
    /** The claim that names the user. @default "email" */
    readonly usernameClaim?: string;
}

/** The name of the cluster's identity provider config (EKS allows one per cluster). */
export const EKS_OIDC_CONFIG_NAME = "sso";

/** Arguments of {@link EksCluster}. */
export interface EksClusterArgs {
    readonly region: string;
    /** Availability zones the VPC spans (the region's first ones). @default 3 */
    readonly availabilityZoneCount?: number;
    /**
     * Networks allowed to reach the public API endpoint. @default [] (no public endpoint: the
     * API is reachable from inside the VPC only)
     */
    readonly publicAccessCidrs?: readonly string[];
    /** @default components/versions.ts `aws.kubernetes` */
    readonly kubernetesVersion?: string;
    /** @default m6i.xlarge, 1..3 nodes */
    readonly systemPool?: {
        /** @default "m6i.xlarge" */
        readonly machineType?: string;
        /** @default 1 */
        readonly minNodes?: number;
        /** @default 3 */
        readonly maxNodes?: number;
    };
    /** @default [] */
    readonly gpuPools?: readonly EksGpuGroup[];
    /** The VPC's range; split into private /19s and public /22s per zone. @default 10.0.0.0/16 */
    readonly vpcCidr?: string;
    /** One NAT gateway per zone (else one for the VPC). @default true */
    readonly natPerZone?: boolean;
    /** An EFS file system and its ReadWriteMany StorageClass. @default false */
    readonly sharedFilesystem?: boolean;
    /**
     * Protect production data: EKS deletion protection on the cluster, the EFS file system
     * `protect`ed, and volumes kept (`Retain`) when their claim is deleted. @default true
     */
    readonly protect?: boolean;
    /** Charts and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
    /**
     * Trust this OpenID Connect issuer for `kubectl`: its users and groups, with
     * `oidcPrefix`, are what team RoleBindings name. @default none: IAM principals only
     */
    readonly oidc?: EksOidcArgs;
    /**
     * The prefix EKS gives the issuer's user and group names (`oidc:alice@example.com`,
     * `oidc:ml-vision`), so that none can pass for a `system:` name. @default "oidc:"
     */
    readonly oidcPrefix?: string;
    /**
     * IAM principals that may use the Kubernetes API, each with an access policy. The principal
     * that creates the cluster is its admin already and must not be listed. @default []
     */
    readonly accessEntries?: readonly EksAccessEntry[];
}

/** IAM principal ARNs that can hold an access entry: a role or a user (no STS session). */
const IAM_PRINCIPAL_ARN =
    /^arn:aws[a-z-]*:iam::([0-9]{12}):(role|user)\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,128})$/;

/**
 * The stable key of an access entry's children: `<account>-<role|user>-<name>` (IAM names are
 * unique within an account, whatever their path).
 */
export function accessEntryKey(principalArn: string): string {
    const m = IAM_PRINCIPAL_ARN.exec(principalArn);
    if (!m) {
        throw new Error(
            `accessEntries: principalArn: got ${JSON.stringify(principalArn)}; must be the ARN of an IAM role or user, arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name>`,
        );
    }
    return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Control-plane log types sent to CloudWatch: all of them. */
export const EKS_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/**
 * The AMI type of GPU node groups: Amazon Linux 2023 with the NVIDIA driver and container
 * toolkit (EKS API reference, `Nodegroup.amiType`: `AL2023_x86_64_NVIDIA`).
 */
export const GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA";
/** The AMI type of the system node group. */
export const SYSTEM_AMI_TYPE = "AL2023_x86_64_STANDARD";

/**
 * Instance metadata on every node: IMDSv2 only (a session token fetched with a PUT), and a
 * response hop limit of 1, so that the token's reply dies at the node and a pod (one hop
 * further, behind its own network namespace) never gets the node role's credentials: pods use
 * their IRSA roles. Host-network pods (the VPC CNI, kube-proxy) still reach it, as they must.
 * EKS's own launch template sets a hop limit of 2 (EKS best practices, "Restrict access to
 * the instance profile assigned to the worker node").
 */
export const NODE_METADATA_OPTIONS = {
    httpEndpoint: "enabled",
    httpTokens: "required",
    httpPutResponseHopLimit: 1,
} as const;

/** The root volume of GPU nodes, GiB: model weights and CUDA images do not fit EKS's 20 GiB. */
export const GPU_NODE_DISK_GIB = 200;

/** The cluster-autoscaler's ASG tag prefix for a node group's template (scale from zero). */
export const NODE_TEMPLATE_TAG = "k8s.io/cluster-autoscaler/node-template";

/**
 * The label with a GPU node's GPU count; the `team-gpu-quota-within-capacity` policy reads it
 * from each node group to sum the GPUs at maximum scale.
 */
export const GPUS_PER_NODE_LABEL = "mlops.dev/gpus-per-node";

/** Namespace of the cluster add-ons the platform installs (autoscaler, CSI controllers). */
const KUBE_SYSTEM = "kube-system";
const AUTOSCALER_SA = "cluster-autoscaler";

/**
 * The private subnet (a /19) and public subnet (a /22) of zone `zoneIndex` (from 0) in a /16:
 * privates at 0, 32, 64, 96 in the third octet; publics from 128 in steps of 4.
 */
export function zoneCidrs(vpcCidr: string, zoneIndex: number): { private: string; public: string } {
    const m = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(vpcCidr);
    if (!m)
        throw new Error(
            `EksCluster: vpcCidr: got ${JSON.stringify(vpcCidr)}; must be a /16 such as 10.0.0.0/16`,
        );
    if (zoneIndex < 0 || zoneIndex > 3)
        throw new Error(`EksCluster: zone ${zoneIndex + 1}: at most 4 zones fit the /16 layout`);
    return {
        private: `${m[1]}.${m[2]}.${zoneIndex * 32}.0/19`,
        public: `${m[1]}.${m[2]}.${128 + zoneIndex * 4}.0/22`,
    };
}

/** What the cluster-autoscaler reads from the permissions it needs on AWS. */
export const AUTOSCALER_STATEMENTS: readonly Record<string, unknown>[] = [
    {
        Sid: "Describe",
        Effect: "Allow",
        Action: [
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags",
            "ec2:DescribeImages",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:GetInstanceTypesFromInstanceRequirements",
            "eks:DescribeNodegroup",
        ],
        Resource: ["*"],
    },
];

/**
 * A private EKS cluster for ML: its own VPC across the region's zones (public subnets for
 * load balancers, private subnets for nodes, NAT gateways), the control plane with a private
 * endpoint (public only for listed networks), Secrets encrypted with a KMS key and every
 * control-plane log type on, an OIDC provider for IRSA, a system managed node group and one
 * managed node group per GPU pool (NVIDIA AMI, scale from zero, spot, the `nvidia.com/gpu`
 * taint and the autoscaler's node-template tags), the cluster-autoscaler and NVIDIA device
 * plugin charts, the EBS and EFS CSI add-ons with IRSA roles, a gp3 default StorageClass and
 * an EFS ReadWriteMany one.
 *
 * Everything in the cluster waits for the system node group, and the control plane waits
 * for the network (NAT, routes, internet gateway): `pulumi destroy` removes the Kubernetes
 * objects (the router's load balancer Service first among them) while the cluster and its
 * network still exist, so that AWS deletes the load balancer and its security group before
 * the subnets go.
 *
 * ```ts
 * const eks = new EksCluster("mlops", { region: "us-east-1", publicAccessCidrs: ["203.0.113.0/24"],
 *     gpuPools: [{ name: "l4", gpuType: "nvidia-l4", machineType: "g6.xlarge", maxNodes: 4, spot: true }] },
 *     { providers: { aws: awsProvider } });
 * ```
 */
export class EksCluster extends pulumi.ComponentResource implements KubernetesCluster {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:cluster:EksCluster";
    public readonly cloud = "aws" as const;
    public readonly clusterName: string;
    public readonly provider: k8s.Provider;
    public readonly storageClasses: KubernetesCluster["storageClasses"];
    public readonly cluster: Cluster;
    public readonly vpc: Vpc;
    public readonly privateSubnets: Subnet[];
    public readonly publicSubnets: Subnet[];
    public readonly systemNodeGroup: NodeGroup;
    public readonly gpuNodeGroups: Record<string, NodeGroup>;
    public readonly oidcProvider: OpenIdConnectProvider;
    /** The OIDC issuer URL of the cluster (IRSA trust policies). */
    public readonly oidcIssuer: pulumi.Output<string>;
    /** The security group EKS gives the control plane and managed nodes. */
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    /** The kubeconfig (secret), authenticating with `aws eks get-token`. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The private subnets' ranges (where the API server's endpoints are). */
    public readonly privateCidrs: string[];
    public readonly efs?: EfsFileSystem;
    public readonly memberPrefix: string;
    /** The trust in the organisation's issuer for `kubectl`, when `oidc` is given. */
    public readonly identityProviderConfig?: IdentityProviderConfig;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(EksCluster.__pulumiType, name, {}, opts);
        const zones = args.availabilityZoneCount ?? 3;
        if (!Number.isInteger(zones) || zones < 2 || zones > 4) {
            throw new Error(
                `EksCluster ${name}: availabilityZoneCount: got ${zones}; must be 2, 3 or 4 (EKS needs subnets in two zones at least)`,
            );
        }
        const publicCidrs = [...(args.publicAccessCidrs ?? [])];
        if (publicCidrs.some((c) => c.endsWith("/0"))) {
            throw new Error(
                `EksCluster ${name}: publicAccessCidrs: got ${JSON.stringify(publicCidrs)}; the whole internet (/0) may not reach the API: list your networks`,
            );
        }
        this.memberPrefix = args.oidcPrefix ?? DEFAULT_OIDC_PREFIX;
        const prefixProblem =
            this.memberPrefix === "" ? "must not be empty" : oidcPrefixProblem(this.memberPrefix);
        if (prefixProblem) {
            throw new Error(
                `EksCluster ${name}: oidcPrefix: got ${JSON.stringify(this.memberPrefix)}; ${prefixProblem}`,
            );
        }
        if (args.oidc && !/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(args.oidc.issuer)) {
            throw new Error(
                `EksCluster ${name}: oidc.issuer: got ${JSON.stringify(args.oidc.issuer)}; must be an https URL without a query (EKS fetches its keys from <issuer>/.well-known/openid-configuration)`,
            );
        }
        const entryKeys = (args.accessEntries ?? []).map((e) => accessEntryKey(e.principalArn));
        const repeated = entryKeys.find((k, i) => entryKeys.indexOf(k) !== i);
        if (repeated) {
            throw new Error(
                `EksCluster ${name}: accessEntries: ${repeated} is listed twice; an IAM principal has one access entry`,
            );
        }
        const protect = args.protect ?? true;
        const clusterName = awsName(AWS_NAME_RULES.eksCluster, [name]);
        this.clusterName = name;
        const partition = getPartitionOutput({}, { parent: this }).partition;

        const network = this.network(name, args, zones, clusterName);
        this.vpc = network.vpc;
        this.publicSubnets = network.publicSubnets;
        this.privateSubnets = network.privateSubnets;
        this.privateCidrs = network.privateCidrs;
        const controlPlane = this.controlPlane(name, args, {
            clusterName,
            partition,
            publicCidrs,
            protect,
            network: network.resources,
        });
        this.cluster = controlPlane.cluster;
        this.oidcIssuer = controlPlane.oidcIssuer;
        this.nodeSecurityGroupId = this.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId!);
        this.oidcProvider = controlPlane.oidcProvider;
        const nodes = this.nodeGroups(name, args, partition);
        this.systemNodeGroup = nodes.system;
        this.gpuNodeGroups = nodes.gpu;
        const csi = this.csiAddons(name, args, partition, protect);
        this.efs = csi.efs;
        this.identityProviderConfig = this.kubectlAccess(name, args, partition, [
            this.systemNodeGroup,
            ...Object.values(this.gpuNodeGroups),
            ...csi.addons,
        ]);

        this.kubeconfig = pulumi.secret(
            pulumi
                .all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority])
                .apply(([cn, endpoint, ca]) => eksKubeconfig(cn, args.region, endpoint, ca.data!)),
        );
        // Nothing in the cluster is created before the system node group and the CSI add-ons
        // are up: chart hook Jobs and the first pods have a node, volumes a driver. On destroy
        // the same edges delete every Kubernetes object first.
        this.provider = new k8s.Provider(
            name,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            { parent: this, dependsOn: [this.cluster, this.systemNodeGroup, ...csi.addons] },
        );
        this.clusterAddons(name, args, clusterName);
        this.storageClasses = this.storage(name, protect);
        this.registerOutputs({ kubeconfig: this.kubeconfig });
    }

    /**
     * The network: a VPC, an internet gateway and public route table, and each zone's subnets
     * (see {@link zone}). Returns with the subnets the resources the control plane waits for.
     */
    private network(name: string, args: EksClusterArgs, zones: number, clusterName: string) {
        const child = { parent: this };
        const vpcCidr = args.vpcCidr ?? "10.0.0.0/16";
        const azs = getAvailabilityZonesOutput({ state: "available", region: args.region }, child);
        const zoneName = (i: number) =>
            azs.names.apply((names) => {
                if (names.length < zones) {
                    throw new Error(
                        `EksCluster ${name}: availabilityZoneCount: got ${zones}; ${args.region} has ${names.length} available zones`,
                    );
                }
                return names[i];
            });

        // Subnet role tags let Kubernetes place internet-facing load balancers in the public
        // subnets and internal ones in the private subnets.
        const vpc = new Vpc(
            name,
            {
                cidrBlock: vpcCidr,
                enableDnsHostnames: true,
                enableDnsSupport: true,
                tags: { Name: name },
            },
            child,
        );
        const igw = new InternetGateway(name, { vpcId: vpc.id, tags: { Name: name } }, child);
        const publicRoutes = new RouteTable(
            `${name}-public`,
            { vpcId: vpc.id, tags: { Name: `${name}-public` } },
            child,
        );
        const internet = new Route(
            `${name}-public-internet`,
            {
                routeTableId: publicRoutes.id,
                destinationCidrBlock: "0.0.0.0/0",
                gatewayId: igw.id,
            },
            child,
        );
        const resources: pulumi.Resource[] = [igw, internet];
        const publicSubnets: Subnet[] = [];
        const privateSubnets: Subnet[] = [];
        const privateCidrs: string[] = [];
        const nats: NatGateway[] = [];
        const natPerZone = args.natPerZone ?? true;
        for (let i = 0; i < zones; i++) {
            const cidrs = zoneCidrs(vpcCidr, i);
            privateCidrs.push(cidrs.private);
            const z = this.zone(name, i, {
                vpc,
                igw,
                publicRoutes,
                cidrs,
                availabilityZone: zoneName(i),
                clusterTag: `kubernetes.io/cluster/${clusterName}`,
                // One NAT gateway per zone, or zone 1's for all.
                nat: i === 0 || natPerZone ? undefined : nats[0],
            });
            publicSubnets.push(z.publicSubnet);
            privateSubnets.push(z.privateSubnet);
            if (z.nat) nats.push(z.nat);
            resources.push(...z.resources);
        }
        resources.push(...nats);
        return { vpc, publicSubnets, privateSubnets, privateCidrs, resources };
    }

    /**
     * One zone's public subnet (load balancers), its NAT gateway unless `nat` is given, and its
     * private subnet (nodes) routed to the internet through the NAT gateway.
     */
    private zone(
        name: string,
        i: number,
        z: {
            vpc: Vpc;
            igw: InternetGateway;
            publicRoutes: RouteTable;
            cidrs: { private: string; public: string };
            availabilityZone: pulumi.Input<string>;
            clusterTag: string;
            nat?: NatGateway;
        },
    ) {
        const child = { parent: this };
        const az = `az${i + 1}`;
        const resources: pulumi.Resource[] = [];
        const publicSubnet = new Subnet(
            `${name}-public-${az}`,
            {
                vpcId: z.vpc.id,
                cidrBlock: z.cidrs.public,
                availabilityZone: z.availabilityZone,
                mapPublicIpOnLaunch: false,
                tags: {
                    Name: `${name}-public-${az}`,
                    "kubernetes.io/role/elb": "1",
                    [z.clusterTag]: "shared",
                },
            },
            child,
        );
        resources.push(
            new RouteTableAssociation(
                `${name}-public-${az}`,
                { subnetId: publicSubnet.id, routeTableId: z.publicRoutes.id },
                child,
            ),
        );
        let nat: NatGateway | undefined;
        if (!z.nat) {
            const eip = new Eip(
                `${name}-nat-${az}`,
                { domain: "vpc", tags: { Name: `${name}-nat-${az}` } },
                { ...child, dependsOn: [z.igw] },
            );
            nat = new NatGateway(
                `${name}-${az}`,
                {
                    allocationId: eip.id,
                    subnetId: publicSubnet.id,
                    connectivityType: "public",
                    tags: { Name: `${name}-${az}` },
                },
                { ...child, dependsOn: [z.igw] },
            );
        }
        const privateSubnet = new Subnet(
            `${name}-private-${az}`,
            {
                vpcId: z.vpc.id,
                cidrBlock: z.cidrs.private,
                availabilityZone: z.availabilityZone,
                tags: {
                    Name: `${name}-private-${az}`,
                    "kubernetes.io/role/internal-elb": "1",
                    [z.clusterTag]: "shared",
                },
            },
            child,
        );
        const routes = new RouteTable(
            `${name}-private-${az}`,
            { vpcId: z.vpc.id, tags: { Name: `${name}-private-${az}` } },
            child,
        );
        resources.push(
            new Route(
                `${name}-private-${az}-nat`,
                {
                    routeTableId: routes.id,
                    destinationCidrBlock: "0.0.0.0/0",
                    natGatewayId: (z.nat ?? nat)!.id,
                },
                child,
            ),
            new RouteTableAssociation(
                `${name}-private-${az}`,
                { subnetId: privateSubnet.id, routeTableId: routes.id },
                child,
            ),
        );
        return { publicSubnet, privateSubnet, nat, resources };
    }

    /**
     * The control plane: Secrets encrypted with a KMS key, every log type in a CloudWatch group
     * with a retention, a private endpoint (public only for listed networks), and the OIDC
     * provider IRSA trusts.
     */
    private controlPlane(
        name: string,
        args: EksClusterArgs,
        c: {
            clusterName: string;
            partition: pulumi.Output<string>;
            publicCidrs: string[];
            protect: boolean;
            network: pulumi.Resource[];
        },
    ) {
        const child = { parent: this };
        const secretsKey = new Key(
            `${name}-secrets`,
            {
                description: `${name}: envelope encryption of Kubernetes Secrets`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            },
            child,
        );
        const logs = new LogGroup(
            `${name}-control-plane`,
            // The group EKS writes to; created here so that it has a retention and is deleted
            // with the stack.
            { name: `/aws/eks/${c.clusterName}/cluster`, retentionInDays: 90 },
            child,
        );
        const clusterRole = new Role(
            `${name}-cluster`,
            {
                name: awsName(AWS_NAME_RULES.iamRole, [name, "cluster"]),
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "eks.amazonaws.com" },
                            Action: ["sts:AssumeRole", "sts:TagSession"],
                        },
                    ],
                }),
            },
            child,
        );
        const clusterPolicy = new RolePolicyAttachment(
            `${name}-cluster-eks`,
            {
                role: clusterRole.name,
                policyArn: pulumi.interpolate`arn:${c.partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
            },
            child,
        );
        const cluster = new Cluster(
            name,
            {
                name: c.clusterName,
                version: args.kubernetesVersion ?? awsVersions.kubernetes,
                roleArn: clusterRole.arn,
                vpcConfig: {
                    subnetIds: this.privateSubnets.map((s) => s.id),
                    endpointPrivateAccess: true,
                    endpointPublicAccess: c.publicCidrs.length > 0,
                    ...(c.publicCidrs.length > 0 ? { publicAccessCidrs: c.publicCidrs } : {}),
                },
                encryptionConfig: {
                    provider: { keyArn: secretsKey.arn },
                    resources: ["secrets"],
                },
                enabledClusterLogTypes: EKS_LOG_TYPES,
                accessConfig: {
                    authenticationMode: "API",
                    bootstrapClusterCreatorAdminPermissions: true,
                },
                deletionProtection: c.protect,
            },
            // The network goes after the cluster on destroy, and with it after every object
            // in the cluster: the load balancers Kubernetes made are gone by then.
            { ...child, dependsOn: [clusterPolicy, logs, ...c.network] },
        );
        const oidcIssuer = cluster.identities.apply((ids) => ids[0].oidcs![0].issuer!);
        const oidcProvider = new OpenIdConnectProvider(
            name,
            { url: oidcIssuer, clientIdLists: ["sts.amazonaws.com"] },
            child,
        );
        return { cluster, oidcIssuer, oidcProvider };
    }

    /**
     * Who may use `kubectl`: an access entry with its access policy for each listed IAM
     * principal and, with `oidc`, the identity provider config that makes the API server trust
     * the organisation's issuer. Associating the issuer updates the cluster for several
     * minutes, and EKS refuses it while another update runs, so it waits for the node groups
     * and add-ons (`after`); EKS allows one such config per cluster, so a changed one is
     * deleted before its replacement is created.
     */
    private kubectlAccess(
        name: string,
        args: EksClusterArgs,
        partition: pulumi.Output<string>,
        after: pulumi.Resource[],
    ): IdentityProviderConfig | undefined {
        const child = { parent: this };
        for (const entry of args.accessEntries ?? []) {
            const key = `${name}-access-${accessEntryKey(entry.principalArn)}`;
            const access = new AccessEntry(
                key,
                {
                    clusterName: this.cluster.name,
                    principalArn: entry.principalArn,
                    type: "STANDARD",
                },
                child,
            );
            new AccessPolicyAssociation(
                key,
                {
                    clusterName: this.cluster.name,
                    principalArn: access.principalArn,
                    policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${entry.policy}`,
                    accessScope: entry.namespaces?.length
                        ? { type: "namespace", namespaces: [...entry.namespaces] }
                        : { type: "cluster" },
                },
                child,
            );
        }
        if (!args.oidc) return undefined;
        return new IdentityProviderConfig(
            `${name}-${EKS_OIDC_CONFIG_NAME}`,
            {
                clusterName: this.cluster.name,
                oidc: {
                    identityProviderConfigName: EKS_OIDC_CONFIG_NAME,
                    issuerUrl: args.oidc.issuer,
                    clientId: args.oidc.clientId,
                    usernameClaim: args.oidc.usernameClaim ?? "email",
                    usernamePrefix: this.memberPrefix,
                    groupsClaim: args.oidc.groupsClaim ?? "groups",
                    groupsPrefix: this.memberPrefix,
                },
            },
            { ...child, dependsOn: after, deleteBeforeReplace: true },
        );
    }

    /**
     * The nodes' role, the VPC CNI add-on they join with, the system node group and one node
     * group per GPU pool (see {@link gpuNodeGroup}).
     */
    private nodeGroups(name: string, args: EksClusterArgs, partition: pulumi.Output<string>) {
        const child = { parent: this };
        const nodeRole = new Role(
            `${name}-nodes`,
            {
                name: awsName(AWS_NAME_RULES.iamRole, [name, "nodes"]),
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "ec2.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            },
            child,
        );
        const nodePolicies = (
            [
                ["worker", "AmazonEKSWorkerNodePolicy"],
                ["cni", "AmazonEKS_CNI_Policy"],
                ["ecr", "AmazonEC2ContainerRegistryReadOnly"],
            ] as const
        ).map(
            ([key, policy]) =>
                new RolePolicyAttachment(
                    `${name}-nodes-${key}`,
                    {
                        role: nodeRole.name,
                        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`,
                    },
                    child,
                ),
        );
        // The VPC CNI as a managed add-on with its network policy agent on: the platform's and
        // the teams' NetworkPolicies are enforced (the CNI EKS installs on its own leaves them
        // unenforced). Nodes join with it in place.
        const vpcCni = new Addon(
            `${name}-vpc-cni`,
            {
                clusterName: this.cluster.name,
                addonName: "vpc-cni",
                configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
            },
            child,
        );
        const sys = args.systemPool ?? {};
        const sysMin = sys.minNodes ?? 1;
        // The autoscaler owns the desired size once the group exists.
        const scaled = {
            ...child,
            dependsOn: [...nodePolicies, vpcCni],
            ignoreChanges: ["scalingConfig.desiredSize"],
        };
        const system = new NodeGroup(
            `${name}-system`,
            {
                clusterName: this.cluster.name,
                nodeGroupName: awsName(AWS_NAME_RULES.eksNodeGroup, ["system"]),
                nodeRoleArn: nodeRole.arn,
                subnetIds: this.privateSubnets.map((s) => s.id),
                amiType: SYSTEM_AMI_TYPE,
                capacityType: "ON_DEMAND",
                instanceTypes: [sys.machineType ?? "m6i.xlarge"],
                launchTemplate: this.launchTemplate(`${name}-system`),
                scalingConfig: {
                    minSize: sysMin,
                    maxSize: sys.maxNodes ?? 3,
                    desiredSize: Math.max(sysMin, 1),
                },
                labels: { "mlops.dev/pool": "system" },
                updateConfig: { maxUnavailable: 1 },
            },
            scaled,
        );
        const gpu: Record<string, NodeGroup> = {};
        for (const pool of args.gpuPools ?? []) {
            gpu[pool.name] = this.gpuNodeGroup(name, pool, nodeRole, scaled);
        }
        return { system, gpu };
    }

    /**
     * A node group's launch template: instance metadata as {@link NODE_METADATA_OPTIONS} says
     * and, given a size, an encrypted gp3 root volume (`/dev/xvda` on the AL2023 AMIs). The AMI
     * and instance types stay on the node group, so EKS keeps choosing the AMI for `amiType`
     * and merges its bootstrap into the template; no remote (SSH) access, which a template
     * excludes.
     */
    private launchTemplate(
        groupName: string,
        diskGiB?: number,
    ): { id: pulumi.Output<string>; version: pulumi.Output<string> } {
        const template = new LaunchTemplate(
            groupName,
            {
                description: `EKS node group ${groupName}: IMDSv2 only, hop limit 1`,
                metadataOptions: { ...NODE_METADATA_OPTIONS },
                blockDeviceMappings:
                    diskGiB === undefined
                        ? undefined
                        : [
                              {
                                  deviceName: "/dev/xvda",
                                  ebs: {
                                      volumeSize: diskGiB,
                                      volumeType: "gp3",
                                      encrypted: "true",
                                      deleteOnTermination: "true",
                                  },
                              },
                          ],
                updateDefaultVersion: true,
            },
            { parent: this },
        );
        return { id: template.id, version: template.latestVersion.apply(String) };
    }

    /**
     * One GPU pool's node group (NVIDIA AMI, scale from zero, spot, the GPU taint) and the
     * autoscaler's node-template tags on its Auto Scaling group.
     */
    private gpuNodeGroup(
        name: string,
        pool: EksGpuGroup,
        nodeRole: Role,
        scaled: pulumi.CustomResourceOptions,
    ): NodeGroup {
        const groupName = `${name}-${pool.name}`;
        const min = pool.minNodes ?? 0;
        const group = new NodeGroup(
            groupName,
            {
                clusterName: this.cluster.name,
                nodeGroupName: awsName(AWS_NAME_RULES.eksNodeGroup, [pool.name]),
                nodeRoleArn: nodeRole.arn,
                subnetIds: this.privateSubnets.map((s) => s.id),
                amiType: GPU_AMI_TYPE,
                capacityType: pool.spot ? "SPOT" : "ON_DEMAND",
                instanceTypes: [pool.machineType],
                // The disk size lives in the template (EKS refuses diskSize beside one).
                launchTemplate: this.launchTemplate(groupName, GPU_NODE_DISK_GIB),
                scalingConfig: { minSize: min, maxSize: pool.maxNodes, desiredSize: min },
                labels: {
                    [GPU_POOL_LABEL]: pool.name,
                    [GPUS_PER_NODE_LABEL]: String(pool.gpusPerNode ?? 1),
                },
                taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }],
                updateConfig: { maxUnavailable: 1 },
            },
            scaled,
        );
        // Scaling a group up from zero nodes, the cluster-autoscaler learns the labels, taints
        // and GPUs a node would have from tags on the group's Auto Scaling group
        // (cluster-autoscaler cloudprovider/aws/README.md, "Auto-Discovery Setup"). Tags on a
        // managed node group do not reach its Auto Scaling group, so each is set on the
        // group's ASG itself.
        const asgName = group.resources.apply((r) => r[0].autoscalingGroups![0].name!);
        const templateTags: [string, string, string][] = [
            ["label", `${NODE_TEMPLATE_TAG}/label/${GPU_POOL_LABEL}`, pool.name],
            [
                "label-gpus",
                `${NODE_TEMPLATE_TAG}/label/${GPUS_PER_NODE_LABEL}`,
                String(pool.gpusPerNode ?? 1),
            ],
            [
                "taint",
                `${NODE_TEMPLATE_TAG}/taint/${GPU_TAINT.key}`,
                `${GPU_TAINT.value}:${GPU_TAINT.effect}`,
            ],
            [
                "gpus",
                `${NODE_TEMPLATE_TAG}/resources/nvidia.com/gpu`,
                String(pool.gpusPerNode ?? 1),
            ],
        ];
        for (const [key, tag, value] of templateTags) {
            new Tag(
                `${groupName}-${key}`,
                {
                    autoscalingGroupName: asgName,
                    tag: { key: tag, value, propagateAtLaunch: false },
                },
                { parent: this },
            );
        }
        return group;
    }

    /**
     * The EBS CSI add-on and, with a shared filesystem, the EFS CSI add-on and the file system,
     * each driver with its IRSA role, once there is a node to run them on.
     */
    private csiAddons(
        name: string,
        args: EksClusterArgs,
        partition: pulumi.Output<string>,
        protect: boolean,
    ) {
        const child = { parent: this };
        const irsa = { oidcProviderArn: this.oidcProvider.arn, oidcIssuer: this.oidcIssuer };
        const managed = (policy: string) =>
            pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/${policy}`;
        const ebsRole = new AwsIrsaIdentity(
            `${name}-ebs-csi`,
            {
                ...irsa,
                kubernetesServiceAccounts: [`${KUBE_SYSTEM}/ebs-csi-controller-sa`],
                managedPolicies: [{ key: "ebs", policyArn: managed("AmazonEBSCSIDriverPolicy") }],
            },
            child,
        );
        const addons: Addon[] = [
            new Addon(
                `${name}-ebs-csi`,
                {
                    clusterName: this.cluster.name,
                    addonName: "aws-ebs-csi-driver",
                    serviceAccountRoleArn: ebsRole.roleArn,
                    resolveConflictsOnCreate: "OVERWRITE",
                    resolveConflictsOnUpdate: "OVERWRITE",
                },
                { ...child, dependsOn: [this.systemNodeGroup] },
            ),
        ];
        if (!args.sharedFilesystem) return { addons, efs: undefined };
        const efsRole = new AwsIrsaIdentity(
            `${name}-efs-csi`,
            {
                ...irsa,
                kubernetesServiceAccounts: [`${KUBE_SYSTEM}/efs-csi-controller-sa`],
                managedPolicies: [{ key: "efs", policyArn: managed("AmazonEFSCSIDriverPolicy") }],
            },
            child,
        );
        addons.push(
            new Addon(
                `${name}-efs-csi`,
                {
                    clusterName: this.cluster.name,
                    addonName: "aws-efs-csi-driver",
                    serviceAccountRoleArn: efsRole.roleArn,
                    resolveConflictsOnCreate: "OVERWRITE",
                    resolveConflictsOnUpdate: "OVERWRITE",
                },
                { ...child, dependsOn: [this.systemNodeGroup] },
            ),
        );
        const efs = new EfsFileSystem(
            `${name}-efs`,
            {
                vpcId: this.vpc.id,
                subnetIds: this.privateSubnets.map((s) => s.id),
                nodeSecurityGroupId: this.nodeSecurityGroupId,
                protect,
            },
            child,
        );
        return { addons, efs };
    }

    /**
     * The add-ons that run in the cluster: the cluster-autoscaler with its IRSA role, and with
     * GPU pools the NVIDIA device plugin.
     */
    private clusterAddons(name: string, args: EksClusterArgs, clusterName: string) {
        const inCluster = { parent: this, provider: this.provider };
        const autoscalerRole = new AwsIrsaIdentity(
            `${name}-autoscaler`,
            {
                oidcProviderArn: this.oidcProvider.arn,
                oidcIssuer: this.oidcIssuer,
                kubernetesServiceAccounts: [`${KUBE_SYSTEM}/${AUTOSCALER_SA}`],
                statements: [
                    ...AUTOSCALER_STATEMENTS,
                    {
                        Sid: "ScaleOwnGroups",
                        Effect: "Allow",
                        Action: [
                            "autoscaling:SetDesiredCapacity",
                            "autoscaling:TerminateInstanceInAutoScalingGroup",
                        ],
                        Resource: ["*"],
                        // EKS tags each managed node group's ASG with the cluster's name.
                        Condition: {
                            StringEquals: {
                                [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]:
                                    "owned",
                            },
                        },
                    },
                ],
            },
            { parent: this },
        );
        const image = (ref: string) => ({
            repository: mirrorImageName(ref, args.mirror),
            tag: imageTag(ref),
        });
        helmRelease(
            `${name}-cluster-autoscaler`,
            {
                pin: charts.clusterAutoscaler,
                mirror: args.mirror,
                releaseName: "cluster-autoscaler",
                namespace: KUBE_SYSTEM,
                values: {
                    cloudProvider: "aws",
                    awsRegion: args.region,
                    autoDiscovery: { clusterName },
                    image: image(chartImages.clusterAutoscaler.autoscaler),
                    rbac: {
                        serviceAccount: {
                            name: AUTOSCALER_SA,
                            annotations: autoscalerRole.annotations,
                        },
                    },
                    extraArgs: {
                        "balance-similar-node-groups": true,
                        expander: "least-waste",
                        "skip-nodes-with-system-pods": false,
                    },
                    nodeSelector: { "mlops.dev/pool": "system" },
                    resources: {
                        requests: { cpu: "100m", memory: "300Mi" },
                        limits: { cpu: "500m", memory: "600Mi" },
                    },
                },
            },
            inCluster,
        );

        if ((args.gpuPools ?? []).length > 0) {
            // The NVIDIA AMI has the driver; the pool label marks GPU nodes, so no feature
            // discovery is needed.
            nvidiaDevicePlugin(
                `${name}-nvidia-device-plugin`,
                {
                    mirror: args.mirror,
                    featureDiscovery: false,
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
                },
                inCluster,
            );
        }
    }

    /** The StorageClasses: gp3 on EBS (the default) and, with the file system, EFS. */
    private storage(name: string, protect: boolean): KubernetesCluster["storageClasses"] {
        const inCluster = { parent: this, provider: this.provider };
        const reclaimPolicy = protect ? "Retain" : "Delete";
        const gp3 = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: {
                    name: "gp3",
                    annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
                },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy,
            },
            inCluster,
        );
        if (!this.efs) return { readWriteOnce: gp3.metadata.name, readWriteMany: undefined };
        const rwx = new k8s.storage.v1.StorageClass(
            `${name}-efs`,
            {
                metadata: { name: `${name}-efs` },
                provisioner: "efs.csi.aws.com",
                // One access point per volume, its own directory on the file system.
                parameters: {
                    provisioningMode: "efs-ap",
                    fileSystemId: this.efs.fileSystem.id,
                    directoryPerms: "700",
                },
                reclaimPolicy,
            },
            inCluster,
        );
        return { readWriteOnce: gp3.metadata.name, readWriteMany: rwx.metadata.name };
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

/** A kubeconfig that authenticates with `aws eks get-token` (no static credentials). */
export function eksKubeconfig(
    clusterName: string,
    region: string,
    endpoint: string,
    caCertificate: string,
): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
            {
                name: clusterName,
                cluster: { server: endpoint, "certificate-authority-data": caCertificate },
            },
        ],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            clusterName,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        installHint: "Install the AWS CLI v2: https://aws.amazon.com/cli/",
                        interactiveMode: "Never",
                    },
                },
            },
        ],
    });
}
