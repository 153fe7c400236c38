import { EksCluster, eksKubeconfig, zoneCidrs } from "../../components/aws/eks";
import { AwsIrsaIdentity, irsaTrustPolicy } from "../../components/aws/irsa";
import { EfsFileSystem } from "../../components/aws/efs";
import { RdsDatabase } from "../../components/aws/rds";
import { S3ObjectStore } from "../../components/aws/s3";
import { chartImages, charts } from "../../components/versions";
import { parseConfig } from "../../stacks/config";
import { awsFoundation } from "../../stacks/aws";
import { SecretValue, at, childList, isSecret, record, settled, valueOf } from "../support/harness";
import { SSO } from "../support/fixtures";

const ACCOUNT = "123456789012";
/** The mocks' OIDC issuer of every EKS cluster (tools/plan/aws-mocks.ts). */
const ISSUER_HOST = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const OIDC_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}`;

describe("EksCluster", () => {
    async function build(over: Partial<ConstructorParameters<typeof EksCluster>[1]> = {}) {
        const rec = record();
        const eks = new EksCluster("ml", {
            region: "us-east-1",
            publicAccessCidrs: ["203.0.113.0/24"],
            availabilityZoneCount: 2,
            natPerZone: false,
            sharedFilesystem: true,
            gpuPools: [
                {
                    name: "l4",
                    gpuType: "nvidia-l4",
                    machineType: "g6.xlarge",
                    maxNodes: 4,
                    spot: true,
                },
            ],
            ...over,
        });
        await settled();
        return { rec, eks };
    }

    it("creates exactly its network, control plane, identities, node groups, add-ons, charts and classes", async () => {
        const { rec } = await build();
        expect(childList(rec, rec.get("mlops:cluster:EksCluster", "ml"))).toEqual([
            "aws:autoscaling/tag:Tag ml-l4-gpus",
            "aws:autoscaling/tag:Tag ml-l4-label",
            "aws:autoscaling/tag:Tag ml-l4-label-gpus",
            "aws:autoscaling/tag:Tag ml-l4-taint",
            "aws:cloudwatch/logGroup:LogGroup ml-control-plane",
            "aws:ec2/eip:Eip ml-nat-az1",
            "aws:ec2/internetGateway:InternetGateway ml",
            "aws:ec2/launchTemplate:LaunchTemplate ml-l4",
            "aws:ec2/launchTemplate:LaunchTemplate ml-system",
            "aws:ec2/natGateway:NatGateway ml-az1",
            "aws:ec2/route:Route ml-private-az1-nat",
            "aws:ec2/route:Route ml-private-az2-nat",
            "aws:ec2/route:Route ml-public-internet",
            "aws:ec2/routeTable:RouteTable ml-private-az1",
            "aws:ec2/routeTable:RouteTable ml-private-az2",
            "aws:ec2/routeTable:RouteTable ml-public",
            "aws:ec2/routeTableAssociation:RouteTableAssociation ml-private-az1",
            "aws:ec2/routeTableAssociation:RouteTableAssociation ml-private-az2",
            "aws:ec2/routeTableAssociation:RouteTableAssociation ml-public-az1",
            "aws:ec2/routeTableAssociation:RouteTableAssociation ml-public-az2",
            "aws:ec2/subnet:Subnet ml-private-az1",
            "aws:ec2/subnet:Subnet ml-private-az2",
            "aws:ec2/subnet:Subnet ml-public-az1",
            "aws:ec2/subnet:Subnet ml-public-az2",
            "aws:ec2/vpc:Vpc ml",
            "aws:eks/addon:Addon ml-ebs-csi",
            "aws:eks/addon:Addon ml-efs-csi",
            "aws:eks/addon:Addon ml-vpc-cni",
            "aws:eks/cluster:Cluster ml",
            "aws:eks/nodeGroup:NodeGroup ml-l4",
            "aws:eks/nodeGroup:NodeGroup ml-system",
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider ml",
            "aws:iam/role:Role ml-cluster",
            "aws:iam/role:Role ml-nodes",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment ml-cluster-eks",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment ml-nodes-cni",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment ml-nodes-ecr",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment ml-nodes-worker",
            "aws:kms/key:Key ml-secrets",
            "kubernetes:core/v1:Namespace ml-nvidia-device-plugin",
            "kubernetes:helm.sh/v3:Release ml-cluster-autoscaler",
            "kubernetes:helm.sh/v3:Release ml-nvidia-device-plugin",
            "kubernetes:storage.k8s.io/v1:StorageClass ml-efs",
            "kubernetes:storage.k8s.io/v1:StorageClass ml-gp3",
            "mlops:identity:AwsIrsaIdentity ml-autoscaler",
            "mlops:identity:AwsIrsaIdentity ml-ebs-csi",
            "mlops:identity:AwsIrsaIdentity ml-efs-csi",
            "mlops:storage:EfsFileSystem ml-efs",
            "pulumi:providers:kubernetes ml",
        ]);
        // The invokes it makes, each answered by the mocks (an unmocked one throws).
        expect([...new Set(rec.invokes)].sort()).toEqual([
            "aws:index/getAvailabilityZones:getAvailabilityZones",
            "aws:index/getPartition:getPartition",
        ]);
    });

    it("spans the zones with public and private subnets, tagged for load balancers", async () => {
        const { rec } = await build();
        expect(rec.get("aws:ec2/vpc:Vpc", "ml").inputs).toMatchObject({
            cidrBlock: "10.0.0.0/16",
            enableDnsHostnames: true,
            enableDnsSupport: true,
        });
        const subnet = (n: string) => rec.get("aws:ec2/subnet:Subnet", n).inputs;
        expect(subnet("ml-public-az1")).toEqual({
            vpcId: "ml-id",
            cidrBlock: "10.0.128.0/22",
            availabilityZone: "us-east-1a",
            mapPublicIpOnLaunch: false,
            tags: {
                Name: "ml-public-az1",
                "kubernetes.io/role/elb": "1",
                "kubernetes.io/cluster/ml": "shared",
            },
        });
        expect(subnet("ml-private-az2")).toEqual({
            vpcId: "ml-id",
            cidrBlock: "10.0.32.0/19",
            availabilityZone: "us-east-1b",
            tags: {
                Name: "ml-private-az2",
                "kubernetes.io/role/internal-elb": "1",
                "kubernetes.io/cluster/ml": "shared",
            },
        });
        // One NAT gateway in dev: both private route tables go through it.
        for (const az of ["az1", "az2"]) {
            expect(rec.get("aws:ec2/route:Route", `ml-private-${az}-nat`).inputs).toEqual({
                routeTableId: `ml-private-${az}-id`,
                destinationCidrBlock: "0.0.0.0/0",
                natGatewayId: "ml-az1-id",
            });
        }
        expect(rec.get("aws:ec2/natGateway:NatGateway", "ml-az1").inputs).toMatchObject({
            allocationId: "ml-nat-az1-id",
            subnetId: "ml-public-az1-id",
            connectivityType: "public",
        });
        expect(zoneCidrs("10.8.0.0/16", 3)).toEqual({
            private: "10.8.96.0/19",
            public: "10.8.140.0/22",
        });
    });

    it("has a NAT gateway per zone in production, each zone routed through its own", async () => {
        const { rec } = await build({ natPerZone: true, availabilityZoneCount: 3 });
        expect(rec.ofType("aws:ec2/natGateway:NatGateway").map((n) => n.name)).toEqual([
            "ml-az1",
            "ml-az2",
            "ml-az3",
        ]);
        expect(rec.ofType("aws:ec2/eip:Eip")).toHaveLength(3);
        for (const az of ["az1", "az2", "az3"]) {
            expect(at(rec.get("aws:ec2/route:Route", `ml-private-${az}-nat`), "natGatewayId")).toBe(
                `ml-${az}-id`,
            );
        }
    });

    it("runs a private control plane, public only for the listed networks, with encrypted secrets and every log", async () => {
        const { rec } = await build();
        const cluster = rec.get("aws:eks/cluster:Cluster", "ml");
        expect(cluster.inputs).toEqual({
            name: "ml",
            version: "1.35",
            roleArn: `arn:aws:iam::${ACCOUNT}:role/ml-cluster`,
            vpcConfig: {
                subnetIds: ["ml-private-az1-id", "ml-private-az2-id"],
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
                publicAccessCidrs: ["203.0.113.0/24"],
            },
            encryptionConfig: {
                provider: { keyArn: `arn:aws:mock:us-east-1:${ACCOUNT}:ml-secrets` },
                resources: ["secrets"],
            },
            enabledClusterLogTypes: [
                "api",
                "audit",
                "authenticator",
                "controllerManager",
                "scheduler",
            ],
            accessConfig: {
                authenticationMode: "API",
                bootstrapClusterCreatorAdminPermissions: true,
            },
            deletionProtection: true,
        });
        expect(rec.get("aws:kms/key:Key", "ml-secrets").inputs).toMatchObject({
            enableKeyRotation: true,
        });
        expect(rec.get("aws:cloudwatch/logGroup:LogGroup", "ml-control-plane").inputs).toEqual({
            name: "/aws/eks/ml/cluster",
            retentionInDays: 90,
        });
        expect(
            rec.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ml-cluster-eks").inputs,
        ).toEqual({
            role: "ml-cluster",
            policyArn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        });
        expect(rec.get("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "ml").inputs).toEqual(
            { url: `https://${ISSUER_HOST}`, clientIdLists: ["sts.amazonaws.com"] },
        );
    });

    it("has no public endpoint at all when no network is listed, and refuses the whole internet", async () => {
        const { rec } = await build({ publicAccessCidrs: [] });
        const vpc = at(rec.get("aws:eks/cluster:Cluster", "ml"), "vpcConfig") as any;
        expect(vpc.endpointPublicAccess).toBe(false);
        expect("publicAccessCidrs" in vpc).toBe(false);
        record();
        expect(
            () => new EksCluster("x", { region: "us-east-1", publicAccessCidrs: ["0.0.0.0/0"] }),
        ).toThrow(
            new Error(
                'EksCluster x: publicAccessCidrs: got ["0.0.0.0/0"]; the whole internet (/0) may not reach the API: list your networks',
            ),
        );
        expect(
            () => new EksCluster("x", { region: "us-east-1", availabilityZoneCount: 1 }),
        ).toThrow(
            new Error(
                "EksCluster x: availabilityZoneCount: got 1; must be 2, 3 or 4 (EKS needs subnets in two zones at least)",
            ),
        );
    });

    it("gives each GPU group the NVIDIA AMI, scale from zero, spot, the taint and its labels", async () => {
        const { rec } = await build();
        expect(rec.get("aws:eks/nodeGroup:NodeGroup", "ml-l4").inputs).toEqual({
            clusterName: "ml",
            nodeGroupName: "l4",
            nodeRoleArn: `arn:aws:iam::${ACCOUNT}:role/ml-nodes`,
            subnetIds: ["ml-private-az1-id", "ml-private-az2-id"],
            amiType: "AL2023_x86_64_NVIDIA",
            capacityType: "SPOT",
            instanceTypes: ["g6.xlarge"],
            launchTemplate: { id: "ml-l4-id", version: "1" },
            scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 },
            labels: { "mlops.dev/gpu-pool": "l4", "mlops.dev/gpus-per-node": "1" },
            taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
            updateConfig: { maxUnavailable: 1 },
        });
        expect(rec.get("aws:eks/nodeGroup:NodeGroup", "ml-system").inputs).toMatchObject({
            nodeGroupName: "system",
            amiType: "AL2023_x86_64_STANDARD",
            capacityType: "ON_DEMAND",
            instanceTypes: ["m6i.xlarge"],
            scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 1 },
            labels: { "mlops.dev/pool": "system" },
        });
        expect(
            rec
                .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .filter((r) => r.name.startsWith("ml-nodes-"))
                .map((r) => r.inputs.policyArn)
                .sort(),
        ).toEqual([
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        ]);
    });

    it("launches every node through a template with IMDSv2 required and hop limit 1, so pods never reach the node role", async () => {
        const { rec } = await build();
        const templates = rec.ofType("aws:ec2/launchTemplate:LaunchTemplate");
        expect(templates.map((t) => t.name).sort()).toEqual(["ml-l4", "ml-system"]);
        for (const t of templates) {
            expect(t.inputs.metadataOptions).toEqual({
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            });
            expect(t.inputs.updateDefaultVersion).toBe(true);
            // EKS refuses remote access beside a launch template; the AMI stays EKS's choice.
            expect(t.inputs.imageId).toBeUndefined();
        }
        expect(
            rec.get("aws:ec2/launchTemplate:LaunchTemplate", "ml-l4").inputs.blockDeviceMappings,
        ).toEqual([
            {
                deviceName: "/dev/xvda",
                ebs: {
                    volumeSize: 200,
                    volumeType: "gp3",
                    encrypted: "true",
                    deleteOnTermination: "true",
                },
            },
        ]);
        expect(
            rec.get("aws:ec2/launchTemplate:LaunchTemplate", "ml-system").inputs
                .blockDeviceMappings,
        ).toBeUndefined();
        const system = rec.get("aws:eks/nodeGroup:NodeGroup", "ml-system").inputs;
        expect(system.launchTemplate).toEqual({ id: "ml-system-id", version: "1" });
        for (const g of rec.ofType("aws:eks/nodeGroup:NodeGroup")) {
            expect(g.inputs.diskSize).toBeUndefined();
            expect(g.inputs.remoteAccess).toBeUndefined();
        }
    });

    it("tags each GPU group's Auto Scaling group with the autoscaler's node template, so it scales up from zero", async () => {
        const { rec } = await build({
            gpuPools: [
                {
                    name: "a100",
                    gpuType: "nvidia-a100",
                    machineType: "p4d.24xlarge",
                    gpusPerNode: 8,
                    maxNodes: 1,
                },
            ],
        });
        // Tags on an EKS managed node group stay on the node group: EKS does not copy them to
        // the group's Auto Scaling group (aws/containers-roadmap#608, "[EKS] [request]:
        // Nodegroup should support tagging ASGs", open; eksctl-io/eksctl#1571: "Tags ... in
        // managed nodegroups apply to the EKS Nodegroup resource and do not propagate to the
        // provisioned Autoscaling Group"). The cluster-autoscaler reads a zero-node group's
        // labels, taints and resources from ASG tags `k8s.io/cluster-autoscaler/node-template/
        // {label,taint,resources}/<name>` (kubernetes/autoscaler cluster-autoscaler-chart-9.59.0,
        // cluster-autoscaler/cloudprovider/aws/README.md, "Auto-Discovery Setup"). So the tags
        // are autoscaling.Tag resources on the ASG the node group reports, none on the group.
        expect(rec.get("aws:eks/nodeGroup:NodeGroup", "ml-a100").inputs.tags).toBeUndefined();
        const tags = rec
            .ofType("aws:autoscaling/tag:Tag")
            .map((t) => [t.name, t.inputs])
            .sort();
        const asg = "eks-a100-mock"; // the mocks' node group `resources[0].autoscalingGroups[0].name`
        expect(tags).toEqual([
            [
                "ml-a100-gpus",
                {
                    autoscalingGroupName: asg,
                    tag: {
                        key: "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu",
                        value: "8",
                        propagateAtLaunch: false,
                    },
                },
            ],
            [
                "ml-a100-label",
                {
                    autoscalingGroupName: asg,
                    tag: {
                        key: "k8s.io/cluster-autoscaler/node-template/label/mlops.dev/gpu-pool",
                        value: "a100",
                        propagateAtLaunch: false,
                    },
                },
            ],
            [
                "ml-a100-label-gpus",
                {
                    autoscalingGroupName: asg,
                    tag: {
                        key: "k8s.io/cluster-autoscaler/node-template/label/mlops.dev/gpus-per-node",
                        value: "8",
                        propagateAtLaunch: false,
                    },
                },
            ],
            [
                "ml-a100-taint",
                {
                    autoscalingGroupName: asg,
                    tag: {
                        key: "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu",
                        value: "present:NoSchedule",
                        propagateAtLaunch: false,
                    },
                },
            ],
        ]);
        expect(at(rec.get("aws:eks/nodeGroup:NodeGroup", "ml-a100"), "capacityType")).toBe(
            "ON_DEMAND",
        );
    });

    it("makes everything in the cluster wait for the system node group and the CSI add-ons", async () => {
        const { rec } = await build();
        const urn = (type: string, name: string) => rec.get(type, name).urn;
        const system = urn("aws:eks/nodeGroup:NodeGroup", "ml-system");
        const provider = rec.get("pulumi:providers:kubernetes", "ml");
        expect([...provider.dependsOn].sort()).toEqual(
            [
                urn("aws:eks/cluster:Cluster", "ml"),
                system,
                urn("aws:eks/addon:Addon", "ml-ebs-csi"),
                urn("aws:eks/addon:Addon", "ml-efs-csi"),
            ].sort(),
        );
        for (const addon of ["ml-ebs-csi", "ml-efs-csi"]) {
            expect(rec.get("aws:eks/addon:Addon", addon).dependsOn).toContain(system);
        }
        // GPU groups scale from zero: nothing waits for them.
        expect(provider.dependsOn).not.toContain(urn("aws:eks/nodeGroup:NodeGroup", "ml-l4"));
        // Every Kubernetes object of the component goes through the provider (and so waits
        // for it: the SDK awaits a provider's URN and ID before registering what uses it).
        const ref = `${provider.urn}::ml-id`;
        for (const r of rec.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            expect([r.name, r.provider]).toEqual([r.name, ref]);
        }
    });

    it("deletes the cluster before its network: the control plane depends on NAT, routes and the internet gateway", async () => {
        const { rec } = await build();
        const deps = rec.get("aws:eks/cluster:Cluster", "ml").dependsOn;
        const urns = (type: string) => rec.ofType(type).map((r) => r.urn);
        for (const u of [
            ...urns("aws:ec2/natGateway:NatGateway"),
            ...urns("aws:ec2/route:Route"),
            ...urns("aws:ec2/routeTableAssociation:RouteTableAssociation"),
            ...urns("aws:ec2/internetGateway:InternetGateway"),
            ...urns("aws:cloudwatch/logGroup:LogGroup"),
        ]) {
            expect(deps).toContain(u);
        }
    });

    it("installs the addons with IRSA roles trusted by their service accounts only", async () => {
        const { rec } = await build();
        expect(rec.get("aws:eks/addon:Addon", "ml-ebs-csi").inputs).toEqual({
            clusterName: "ml",
            addonName: "aws-ebs-csi-driver",
            serviceAccountRoleArn: `arn:aws:iam::${ACCOUNT}:role/ml-ebs-csi`,
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
        });
        expect(at(rec.get("aws:eks/addon:Addon", "ml-efs-csi"), "addonName")).toBe(
            "aws-efs-csi-driver",
        );
        const trust = JSON.parse(
            rec.get("aws:iam/role:Role", "ml-ebs-csi").inputs.assumeRolePolicy as string,
        );
        expect(trust).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Federated: OIDC_ARN },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
                            [`${ISSUER_HOST}:sub`]: [
                                "system:serviceaccount:kube-system:ebs-csi-controller-sa",
                            ],
                        },
                    },
                },
            ],
        });
        expect(
            rec.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ml-ebs-csi-ebs").inputs,
        ).toEqual({
            role: "ml-ebs-csi",
            policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
        });
        expect(
            rec.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ml-efs-csi-efs").inputs
                .policyArn,
        ).toBe("arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy");
    });

    it("runs the VPC CNI with its network policy agent, in place before any node joins", async () => {
        const { rec } = await build();
        const cni = rec.get("aws:eks/addon:Addon", "ml-vpc-cni");
        // EKS user guide, "Restrict Pod network traffic with Kubernetes policies": the add-on's
        // configuration value `enableNetworkPolicy: "true"` turns the agent on.
        expect(cni.inputs).toEqual({
            clusterName: "ml",
            addonName: "vpc-cni",
            configurationValues: '{"enableNetworkPolicy":"true"}',
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
        });
        for (const g of rec.ofType("aws:eks/nodeGroup:NodeGroup")) {
            expect([g.name, g.dependsOn.includes(cni.urn)]).toEqual([g.name, true]);
        }
    });

    it("runs the pinned cluster-autoscaler on auto-discovery, with its images set and its own role", async () => {
        const { rec } = await build();
        const release = rec.get("kubernetes:helm.sh/v3:Release", "ml-cluster-autoscaler").inputs;
        expect(release).toMatchObject({
            name: "cluster-autoscaler",
            chart: "cluster-autoscaler",
            version: charts.clusterAutoscaler.version,
            repositoryOpts: { repo: "https://kubernetes.github.io/autoscaler" },
            namespace: "kube-system",
        });
        expect(chartImages.clusterAutoscaler.autoscaler).toBe(
            "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0",
        );
        expect(
            at(rec.get("kubernetes:helm.sh/v3:Release", "ml-cluster-autoscaler"), "values"),
        ).toEqual({
            cloudProvider: "aws",
            awsRegion: "us-east-1",
            autoDiscovery: { clusterName: "ml" },
            image: { repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: "v1.35.0" },
            rbac: {
                serviceAccount: {
                    name: "cluster-autoscaler",
                    annotations: {
                        "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/ml-autoscaler`,
                    },
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
        });
        const policy = JSON.parse(
            rec.get("aws:iam/rolePolicy:RolePolicy", "ml-autoscaler").inputs.policy as string,
        );
        // Scaling only the ASGs EKS tags as this cluster's; describing is account-wide.
        expect(policy.Statement[1]).toEqual({
            Sid: "ScaleOwnGroups",
            Effect: "Allow",
            Action: [
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
            ],
            Resource: ["*"],
            Condition: {
                StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/ml": "owned" },
            },
        });
    });

    it("runs the NVIDIA device plugin on GPU nodes only, without feature discovery", async () => {
        const { rec } = await build();
        const values = at(
            rec.get("kubernetes:helm.sh/v3:Release", "ml-nvidia-device-plugin"),
            "values",
        ) as any;
        expect(values).toMatchObject({
            image: { repository: "nvcr.io/nvidia/k8s-device-plugin", tag: "v0.20.0" },
            gfd: { enabled: false },
            nfd: { enabled: false },
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        });
        // The chart's default affinity selects nodes by feature-discovery labels
        // (k8s-device-plugin v0.20.0 values.yaml `affinity`); replaced by the pool label.
        expect(values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual(
            {
                nodeSelectorTerms: [
                    { matchExpressions: [{ key: "mlops.dev/gpu-pool", operator: "Exists" }] },
                ],
            },
        );
        // Without GPU pools there is no device plugin.
        const { rec: none } = await build({ gpuPools: [] });
        expect(none.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.name)).toEqual([
            "ml-cluster-autoscaler",
        ]);
    });

    it("offers an encrypted gp3 default class and an EFS ReadWriteMany class, retained in production", async () => {
        const { rec, eks } = await build();
        expect(rec.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-gp3").inputs).toEqual({
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: {
                name: "gp3",
                annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
            },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true" },
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            reclaimPolicy: "Retain",
        });
        expect(rec.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-efs").inputs).toMatchObject(
            {
                metadata: { name: "ml-efs" },
                provisioner: "efs.csi.aws.com",
                parameters: {
                    provisioningMode: "efs-ap",
                    fileSystemId: "ml-efs-id",
                    directoryPerms: "700",
                },
                reclaimPolicy: "Retain",
            },
        );
        expect(await valueOf(eks.storageClasses.readWriteOnce as any)).toBe("gp3");
        expect(await valueOf(eks.storageClasses.readWriteMany as any)).toBe("ml-efs");
        const { rec: dev, eks: devEks } = await build({
            sharedFilesystem: false,
            protect: false,
        });
        expect(
            at(dev.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-gp3"), "reclaimPolicy"),
        ).toBe("Delete");
        expect(
            dev
                .ofType("aws:eks/addon:Addon")
                .map((a) => a.name)
                .sort(),
        ).toEqual(["ml-ebs-csi", "ml-vpc-cni"]);
        expect(devEks.storageClasses.readWriteMany).toBeUndefined();
        expect(at(dev.get("aws:eks/cluster:Cluster", "ml"), "deletionProtection")).toBe(false);
    });

    it("connects through `aws eks get-token` with a secret kubeconfig from the endpoint and CA", async () => {
        const { rec, eks } = await build();
        expect(await isSecret(eks.kubeconfig)).toBe(true);
        expect(rec.get("pulumi:providers:kubernetes", "ml").inputs.kubeconfig).toBeInstanceOf(
            SecretValue,
        );
        const kubeconfig = JSON.parse(await valueOf(eks.kubeconfig));
        expect(kubeconfig.clusters[0].cluster).toEqual({
            server: "https://ML0EXAMPLE.gr7.us-east-1.eks.amazonaws.com",
            "certificate-authority-data": Buffer.from("mock-ca-ml").toString("base64"),
        });
        expect(kubeconfig.users[0].user.exec).toEqual({
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: [
                "eks",
                "get-token",
                "--cluster-name",
                "ml",
                "--region",
                "us-east-1",
                "--output",
                "json",
            ],
            installHint: "Install the AWS CLI v2: https://aws.amazon.com/cli/",
            interactiveMode: "Never",
        });
        expect(JSON.parse(eksKubeconfig("c", "r", "e", "ca"))["current-context"]).toBe("c");
        expect(eks.gpuScheduling("l4").nodeSelector).toEqual({ "mlops.dev/gpu-pool": "l4" });
        expect(eks.gpuScheduling().tolerations).toEqual([
            { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
        ]);
    });
});

describe("S3ObjectStore", () => {
    it("blocks public access, encrypts, versions artifact buckets, expires what it should, and protects in production", async () => {
        const rec = record();
        const store = new S3ObjectStore("ml", { region: "us-east-1", accountId: ACCOUNT });
        await settled();
        const buckets = rec.ofType("aws:s3/bucket:Bucket");
        expect(
            buckets.map((b) => [b.name, b.inputs.bucket, b.protect, b.inputs.forceDestroy]).sort(),
        ).toEqual([
            ["ml-datasets", "ml-datasets-us-east-1-123456789012", true, false],
            ["ml-features", "ml-features-us-east-1-123456789012", true, false],
            ["ml-tracking", "ml-tracking-us-east-1-123456789012", true, false],
            ["ml-workflows", "ml-workflows-us-east-1-123456789012", true, false],
        ]);
        const tracking = rec.get("aws:s3/bucket:Bucket", "ml-tracking");
        expect(childList(rec, tracking)).toEqual([
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration ml-tracking",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls ml-tracking",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock ml-tracking",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration ml-tracking",
            "aws:s3/bucketVersioning:BucketVersioning ml-tracking",
        ]);
        // The datasets bucket is not versioned.
        expect(
            childList(rec, rec.get("aws:s3/bucket:Bucket", "ml-datasets")).filter((c) =>
                c.includes("Versioning"),
            ),
        ).toEqual([]);
        for (const key of ["tracking", "workflows", "features", "datasets"]) {
            expect(
                rec.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `ml-${key}`)
                    .inputs,
            ).toEqual({
                bucket: `ml-${key}-id`,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            expect(
                rec.get(
                    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    `ml-${key}`,
                ).inputs.rules,
            ).toEqual([
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
                    bucketKeyEnabled: true,
                },
            ]);
            expect(
                rec.get("aws:s3/bucketOwnershipControls:BucketOwnershipControls", `ml-${key}`)
                    .inputs.rule,
            ).toEqual({ objectOwnership: "BucketOwnerEnforced" });
        }
        expect(
            rec.get("aws:s3/bucketVersioning:BucketVersioning", "ml-workflows").inputs
                .versioningConfiguration,
        ).toEqual({ status: "Enabled" });
        const lifecycle = rec.get(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "ml-workflows",
        );
        expect(lifecycle.inputs.rules).toEqual([
            {
                id: "abort-incomplete-uploads",
                status: "Enabled",
                filter: {},
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
            {
                id: "expire-noncurrent-versions",
                status: "Enabled",
                filter: {},
                noncurrentVersionExpiration: { noncurrentDays: 30 },
            },
            {
                id: "expire-workflow-artifacts",
                status: "Enabled",
                filter: {},
                expiration: { days: 90 },
            },
        ]);
        expect(lifecycle.dependsOn).toContain(
            rec.get("aws:s3/bucketVersioning:BucketVersioning", "ml-workflows").urn,
        );
        expect(
            rec.get(
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                "ml-datasets",
            ).inputs.rules,
        ).toHaveLength(1);
        expect(store.connection).toEqual({
            scheme: "s3",
            insecure: false,
            region: "us-east-1",
            buckets: {
                tracking: "ml-tracking-us-east-1-123456789012",
                workflows: "ml-workflows-us-east-1-123456789012",
                features: "ml-features-us-east-1-123456789012",
                datasets: "ml-datasets-us-east-1-123456789012",
            },
        });
    });

    it("lets dev buckets be destroyed with their objects", async () => {
        const rec = record();
        new S3ObjectStore("dev", { region: "eu-west-1", accountId: ACCOUNT, protect: false });
        await settled();
        for (const b of rec.ofType("aws:s3/bucket:Bucket")) {
            expect([b.name, b.protect, b.inputs.forceDestroy]).toEqual([b.name, false, true]);
        }
    });
});

describe("RdsDatabase", () => {
    async function build(over: Partial<ConstructorParameters<typeof RdsDatabase>[1]> = {}) {
        const rec = record();
        const db = new RdsDatabase("db", {
            vpcId: "vpc-1",
            subnetIds: ["subnet-a", "subnet-b"],
            clientSecurityGroupId: "sg-nodes",
            ...over,
        });
        await settled();
        return { rec, db };
    }

    it("is private, encrypted, backed up, Multi-AZ and deletion-protected by default, open to the nodes only", async () => {
        const { rec, db } = await build();
        expect(childList(rec, rec.get("mlops:storage:RdsDatabase", "db"))).toEqual([
            "aws:ec2/securityGroup:SecurityGroup db",
            "aws:rds/instance:Instance db",
            "aws:rds/subnetGroup:SubnetGroup db",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule db-postgres",
            "random:index/randomPassword:RandomPassword db-password",
        ]);
        const instance = rec.get("aws:rds/instance:Instance", "db");
        expect(instance.protect).toBe(true);
        expect(instance.inputs).toEqual({
            identifier: "db",
            engine: "postgres",
            engineVersion: "17",
            autoMinorVersionUpgrade: true,
            instanceClass: "db.t4g.small",
            allocatedStorage: 20,
            maxAllocatedStorage: 100,
            storageType: "gp3",
            storageEncrypted: true,
            dbName: "mlflow",
            username: "mlops",
            password: expect.any(SecretValue),
            dbSubnetGroupName: "db",
            vpcSecurityGroupIds: ["db-id"],
            publiclyAccessible: false,
            multiAz: true,
            backupRetentionPeriod: 7,
            copyTagsToSnapshot: true,
            deletionProtection: true,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: "db-final",
            applyImmediately: false,
        });
        expect(rec.get("aws:rds/subnetGroup:SubnetGroup", "db").inputs.subnetIds).toEqual([
            "subnet-a",
            "subnet-b",
        ]);
        expect(
            rec.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-postgres")
                .inputs,
        ).toEqual({
            securityGroupId: "db-id",
            referencedSecurityGroupId: "sg-nodes",
            ipProtocol: "tcp",
            fromPort: 5432,
            toPort: 5432,
            description: "PostgreSQL from the cluster nodes",
        });
        expect(rec.get("random:index/randomPassword:RandomPassword", "db-password").inputs).toEqual(
            {
                length: 32,
                special: false,
            },
        );
        expect(await isSecret(db.password)).toBe(true);
        expect(await valueOf(db.host)).toBe("db.c9akciq32example.us-east-1.rds.amazonaws.com");
    });

    it("is single-AZ and deletable in dev, still private, encrypted and backed up", async () => {
        const { rec } = await build({
            protect: false,
            highAvailability: false,
            applyImmediately: true,
        });
        const instance = rec.get("aws:rds/instance:Instance", "db");
        expect(instance.protect).toBe(false);
        expect(instance.inputs).toMatchObject({
            publiclyAccessible: false,
            storageEncrypted: true,
            multiAz: false,
            backupRetentionPeriod: 1,
            deletionProtection: false,
            skipFinalSnapshot: true,
            applyImmediately: true,
        });
        expect("finalSnapshotIdentifier" in instance.inputs).toBe(false);
    });

    it("switches data protection and Multi-AZ independently", async () => {
        const { rec } = await build({ highAvailability: false });
        const instance = rec.get("aws:rds/instance:Instance", "db");
        expect(instance.protect).toBe(true);
        expect(instance.inputs).toMatchObject({
            multiAz: false,
            backupRetentionPeriod: 7,
            deletionProtection: true,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: "db-final",
            applyImmediately: false,
        });
        const { rec: unprotected } = await build({ protect: false });
        const dev = unprotected.get("aws:rds/instance:Instance", "db");
        expect(dev.protect).toBe(false);
        expect(dev.inputs).toMatchObject({ multiAz: true, deletionProtection: false });
    });
});

describe("EfsFileSystem", () => {
    it("is encrypted, mounted in each private subnet, and reachable by NFS from the nodes only", async () => {
        const rec = record();
        new EfsFileSystem("fs", {
            vpcId: "vpc-1",
            subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
            nodeSecurityGroupId: "sg-nodes",
        });
        await settled();
        expect(childList(rec, rec.get("mlops:storage:EfsFileSystem", "fs"))).toEqual([
            "aws:ec2/securityGroup:SecurityGroup fs",
            "aws:efs/backupPolicy:BackupPolicy fs",
            "aws:efs/fileSystem:FileSystem fs",
            "aws:efs/fileSystemPolicy:FileSystemPolicy fs",
            "aws:efs/mountTarget:MountTarget fs-az1",
            "aws:efs/mountTarget:MountTarget fs-az2",
            "aws:efs/mountTarget:MountTarget fs-az3",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule fs-nfs",
        ]);
        const fs = rec.get("aws:efs/fileSystem:FileSystem", "fs");
        expect(fs.protect).toBe(true);
        expect(fs.inputs).toEqual({
            encrypted: true,
            performanceMode: "generalPurpose",
            throughputMode: "elastic",
            lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }],
            tags: { Name: "fs" },
        });
        expect(rec.get("aws:efs/mountTarget:MountTarget", "fs-az2").inputs).toEqual({
            fileSystemId: "fs-id",
            subnetId: "subnet-b",
            securityGroups: ["fs-id"],
        });
        expect(
            rec.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "fs-nfs").inputs,
        ).toEqual({
            securityGroupId: "fs-id",
            referencedSecurityGroupId: "sg-nodes",
            ipProtocol: "tcp",
            fromPort: 2049,
            toPort: 2049,
            description: "NFS from the cluster nodes",
        });
        // The security group has no inline rules: nothing else gets in.
        expect(rec.get("aws:ec2/securityGroup:SecurityGroup", "fs").inputs).toEqual({
            name: "fs",
            description: "EFS mount targets: NFS from the cluster nodes only",
            vpcId: "vpc-1",
        });
        expect(at(rec.get("aws:efs/backupPolicy:BackupPolicy", "fs"), "backupPolicy")).toEqual({
            status: "ENABLED",
        });
    });
});

describe("AwsIrsaIdentity", () => {
    const irsa = { oidcProviderArn: OIDC_ARN, oidcIssuer: `https://${ISSUER_HOST}` };

    it("is a role its service accounts assume through the cluster's OIDC provider, with access to its buckets only", async () => {
        const rec = record();
        const id = new AwsIrsaIdentity("ml-workflows", {
            ...irsa,
            kubernetesServiceAccounts: ["mlops/argo-workflow", "mlops/argo-workflows-server"],
            buckets: [
                { key: "workflows", bucketArn: "arn:aws:s3:::w", access: "write" },
                { key: "datasets", bucketArn: "arn:aws:s3:::d", access: "read" },
            ],
        });
        await settled();
        expect(childList(rec, rec.get("mlops:identity:AwsIrsaIdentity", "ml-workflows"))).toEqual([
            "aws:iam/role:Role ml-workflows",
            "aws:iam/rolePolicy:RolePolicy ml-workflows",
        ]);
        const role = rec.get("aws:iam/role:Role", "ml-workflows").inputs;
        expect(role.name).toBe("ml-workflows");
        expect(role.tags).toEqual({});
        expect(JSON.parse(role.assumeRolePolicy as string).Statement[0].Condition).toEqual({
            StringEquals: {
                [`${ISSUER_HOST}:aud`]: "sts.amazonaws.com",
                [`${ISSUER_HOST}:sub`]: [
                    "system:serviceaccount:mlops:argo-workflow",
                    "system:serviceaccount:mlops:argo-workflows-server",
                ],
            },
        });
        expect(
            JSON.parse(
                rec.get("aws:iam/rolePolicy:RolePolicy", "ml-workflows").inputs.policy as string,
            ),
        ).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "WorkflowsObjects",
                    Effect: "Allow",
                    Action: [
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    Resource: ["arn:aws:s3:::w/*"],
                },
                {
                    Sid: "WorkflowsList",
                    Effect: "Allow",
                    Action: ["s3:ListBucket"],
                    Resource: ["arn:aws:s3:::w"],
                },
                {
                    Sid: "WorkflowsLocation",
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation"],
                    Resource: ["arn:aws:s3:::w"],
                },
                {
                    Sid: "DatasetsObjects",
                    Effect: "Allow",
                    Action: ["s3:GetObject", "s3:GetObjectVersion"],
                    Resource: ["arn:aws:s3:::d/*"],
                },
                {
                    Sid: "DatasetsList",
                    Effect: "Allow",
                    Action: ["s3:ListBucket"],
                    Resource: ["arn:aws:s3:::d"],
                },
                {
                    Sid: "DatasetsLocation",
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation"],
                    Resource: ["arn:aws:s3:::d"],
                },
            ],
        });
        expect(await valueOf(id.annotations)).toEqual({
            "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/ml-workflows`,
        });
        // No access keys anywhere.
        expect(rec.resources.filter((r) => r.type === "aws:iam/accessKey:AccessKey")).toEqual([]);
    });

    it("confines a team to objects under its prefix and to listing that prefix", async () => {
        const rec = record();
        new AwsIrsaIdentity("ml-team-vision", {
            ...irsa,
            kubernetesServiceAccounts: ["team-vision/runner"],
            team: "vision",
            buckets: [
                {
                    key: "datasets",
                    bucketArn: "arn:aws:s3:::d",
                    access: "write",
                    prefix: "teams/vision",
                },
            ],
        });
        await settled();
        expect(rec.get("aws:iam/role:Role", "ml-team-vision").inputs.tags).toEqual({
            "mlops.dev/team": "vision",
        });
        const statements = JSON.parse(
            rec.get("aws:iam/rolePolicy:RolePolicy", "ml-team-vision").inputs.policy as string,
        ).Statement;
        // Object ARNs under `teams/vision/` (the '/' keeps team `vision` out of `vision-2`'s
        // objects); ListBucket is a bucket action, confined with the `s3:prefix` condition key
        // (IAM User Guide, "Amazon S3: Allows IAM users access to their S3 home directory").
        expect(statements[0].Resource).toEqual(["arn:aws:s3:::d/teams/vision/*"]);
        expect(statements[1]).toEqual({
            Sid: "DatasetsList",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: ["arn:aws:s3:::d"],
            Condition: { StringLike: { "s3:prefix": ["teams/vision/", "teams/vision/*"] } },
        });
        expect(await valueOf(irsaTrustPolicy("arn", "https://issuer", ["a/b"]))).toBe(
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Federated: "arn" },
                        Action: "sts:AssumeRoleWithWebIdentity",
                        Condition: {
                            StringEquals: {
                                "issuer:aud": "sts.amazonaws.com",
                                "issuer:sub": ["system:serviceaccount:a:b"],
                            },
                        },
                    },
                ],
            }),
        );
    });

    const base = { ...irsa, kubernetesServiceAccounts: [] as string[] };
    it.each([
        [
            "a duplicate key",
            {
                ...base,
                buckets: [
                    { key: "data", bucketArn: "a", access: "read" as const },
                    { key: "data", bucketArn: "b", access: "read" as const },
                ],
            },
            'AwsIrsaIdentity id: buckets[1].key: got "data"; already used by buckets[0]: keys must be unique',
        ],
        [
            "a key with a hyphen",
            { ...base, buckets: [{ key: "my-data", bucketArn: "a", access: "read" as const }] },
            'AwsIrsaIdentity id: buckets[0].key: got "my-data"; must be lowercase letters and digits (it names policy statements)',
        ],
        [
            "a prefix with a trailing slash",
            {
                ...base,
                buckets: [
                    { key: "w", bucketArn: "a", access: "write" as const, prefix: "teams/a/" },
                ],
            },
            "AwsIrsaIdentity id: buckets[0].prefix: got \"teams/a/\"; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'",
        ],
        [
            "a wildcard prefix",
            {
                ...base,
                buckets: [
                    { key: "w", bucketArn: "a", access: "write" as const, prefix: "teams/*" },
                ],
            },
            "AwsIrsaIdentity id: buckets[0].prefix: got \"teams/*\"; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'",
        ],
        [
            "a service account without a namespace",
            { ...base, kubernetesServiceAccounts: ["runner"] },
            'AwsIrsaIdentity id: kubernetesServiceAccounts[0]: got "runner"; must be <namespace>/<name>',
        ],
        [
            "a team that is no DNS label",
            { ...base, team: "Vision" },
            "AwsIrsaIdentity id: team: got \"Vision\"; must be a DNS label (lowercase letters, digits and '-', at most 63 characters)",
        ],
    ])("rejects %s", (_what, args, message) => {
        record();
        expect(() => new AwsIrsaIdentity("id", args)).toThrow(new Error(message));
    });
});

describe("awsFoundation", () => {
    async function build(raw: Record<string, unknown> = {}) {
        const rec = record();
        const f = awsFoundation(
            parseConfig({
                cloud: "aws",
                cluster: { name: "ml", aws: { region: "eu-west-1", accountId: ACCOUNT } },
                routing: SSO,
                teams: [{ name: "vision" }],
                ...raw,
            }),
        );
        await settled();
        return { rec, f };
    }

    it("creates every AWS resource through one provider pinned to the configured region and account", async () => {
        const { rec } = await build();
        const provider = rec.get("pulumi:providers:aws", "ml");
        expect(provider.inputs).toMatchObject({
            region: "eu-west-1",
            allowedAccountIds: JSON.stringify([ACCOUNT]),
        });
        const ref = `${provider.urn}::ml-id`;
        const custom = rec.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
        expect(custom.length).toBeGreaterThan(50);
        for (const r of custom) expect([r.type, r.name, r.provider]).toEqual([r.type, r.name, ref]);
        // The cluster's components are on the VPC; no RDS outside private subnets.
        expect(rec.get("aws:rds/subnetGroup:SubnetGroup", "ml-db").inputs.subnetIds).toEqual([
            "ml-private-az1-id",
            "ml-private-az2-id",
            "ml-private-az3-id",
        ]);
        expect(
            at(
                rec.get(
                    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                    "ml-db-postgres",
                ),
                "referencedSecurityGroupId",
            ),
        ).toBe("sg-ml-cluster");
    });

    it("gives each service and each inline team its own role; a team's is confined to teams/<name>/", async () => {
        const { rec, f } = await build();
        expect(
            rec
                .ofType("mlops:identity:AwsIrsaIdentity")
                .map((r) => r.name)
                .sort(),
        ).toEqual([
            "ml-autoscaler",
            "ml-ebs-csi",
            "ml-efs-csi",
            "ml-features",
            "ml-serving",
            "ml-team-vision",
            "ml-tracking",
            "ml-workflows",
        ]);
        const policy = (n: string) =>
            JSON.parse(rec.get("aws:iam/rolePolicy:RolePolicy", n).inputs.policy as string)
                .Statement as any[];
        const bucket = (k: string) => `arn:aws:s3:::ml-${k}-eu-west-1-${ACCOUNT}`;
        expect(
            policy("ml-team-vision")
                .filter((s) => s.Sid.endsWith("Objects"))
                .map((s) => [s.Sid, s.Resource, s.Action.includes("s3:PutObject")]),
        ).toEqual([
            ["TrackingObjects", [`${bucket("tracking")}/teams/vision/*`], true],
            ["WorkflowsObjects", [`${bucket("workflows")}/teams/vision/*`], true],
            ["DatasetsObjects", [`${bucket("datasets")}/teams/vision/*`], true],
        ]);
        // Listing: each bucket under an s3:prefix condition naming the team's prefix only.
        expect(
            policy("ml-team-vision")
                .filter((s) => s.Sid.endsWith("List"))
                .map((s) => [s.Resource, s.Condition]),
        ).toEqual(
            ["tracking", "workflows", "datasets"].map((k) => [
                [bucket(k)],
                { StringLike: { "s3:prefix": ["teams/vision/", "teams/vision/*"] } },
            ]),
        );
        expect(policy("ml-serving").map((s) => [s.Sid, s.Resource])).toEqual([
            ["TrackingObjects", [`${bucket("tracking")}/*`]],
            ["TrackingList", [bucket("tracking")]],
            ["TrackingLocation", [bucket("tracking")]],
        ]);
        expect(await valueOf(f.teamIdentities!.vision as any)).toEqual({
            "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/ml-team-vision`,
        });
        expect(await valueOf(f.identities!.tracking as any)).toEqual({
            "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/ml-tracking`,
        });
        // HTTPS to the private subnets only (S3 and STS endpoints), never any address.
        expect(f.teamCloudEgress).toEqual([
            {
                ports: [{ protocol: "TCP", port: 443 }],
                to: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"].map((cidr) => ({
                    ipBlock: { cidr },
                })),
            },
        ]);
        expect(f.apiServerCidrs).toEqual(["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]);
    });

    it("protects data in production and lets dev be destroyed", async () => {
        const { rec: prod } = await build({
            environment: "prod",
            routing: { ...SSO, tls: { mode: "acme", acme: { email: "ops@example.com" } } },
        });
        expect(prod.get("aws:rds/instance:Instance", "ml-db").protect).toBe(true);
        expect(prod.ofType("aws:s3/bucket:Bucket").every((b) => b.protect)).toBe(true);
        expect(prod.get("aws:efs/fileSystem:FileSystem", "ml-efs").protect).toBe(true);
        expect(prod.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(3);
        const { rec: dev } = await build({ environment: "dev" });
        expect(dev.get("aws:rds/instance:Instance", "ml-db").protect).toBe(false);
        expect(dev.ofType("aws:s3/bucket:Bucket").some((b) => b.protect)).toBe(false);
        expect(dev.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(1);
        expect(at(dev.get("aws:rds/instance:Instance", "ml-db"), "instanceClass")).toBe(
            "db.t4g.small",
        );
    });

    it("passes the RDS instance class from config", async () => {
        const { rec } = await build({ database: { instanceClass: "db.m7g.large" } });
        expect(at(rec.get("aws:rds/instance:Instance", "ml-db"), "instanceClass")).toBe(
            "db.m7g.large",
        );
    });
});
