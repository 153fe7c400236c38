/**
 * The shipped AWS stack, planned once in this process: what the plan of Pulumi.aws.yaml must
 * show (a restricted, encrypted control plane; GPU node groups that scale from zero with the
 * taint, the autoscaler's tags and the NVIDIA AMI; a private RDS; buckets behind public
 * access blocks), the EKS and RDS guardrails evaluated on the resources the program really
 * registers, teardown order, the idle monthly cost, and which cloud SDK the stack loads.
 */
import * as path from "node:path";
import { profiles } from "../policies/profiles";
import { policies } from "../policies/rules";
import { loadConfig } from "../stacks/config";
import { HOURS_PER_MONTH, fixedPrices, machinePrices, rdsPrices } from "../components/prices";
import { estimateCost } from "../tools/plan/cost";
import { PlanResult, runPlan } from "../tools/plan/run";
import { checkPolicies } from "../tools/plan/policy-check";
import { RecordedResource, reveal } from "../tools/plan/recorder";
import { checkSchemas } from "../tools/plan/schema-check";
import { readStackConfig } from "../tools/plan/stack-config";
import { ROOT, shippedStackPlan } from "./support/plan";

const FILE = path.join(ROOT, "Pulumi.aws.yaml");
const stack = readStackConfig(FILE);
let plan: PlanResult;
const of = (type: string) => plan.resources.filter((r) => r.type === type);
const one = (type: string, name: string) => {
    const found = plan.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} ${name}`);
    return found;
};
const inputs = (r: RecordedResource) => reveal(r.inputs) as any;

beforeAll(async () => {
    plan = await runPlan(stack);
});

describe("the plan of Pulumi.aws.yaml", () => {
    it("opens the EKS API endpoint to the listed network only, and encrypts Secrets with KMS", () => {
        const [cluster] = of("aws:eks/cluster:Cluster");
        expect(of("aws:eks/cluster:Cluster")).toHaveLength(1);
        const vpc = inputs(cluster).vpcConfig;
        expect(vpc.endpointPrivateAccess).toBe(true);
        expect(vpc.publicAccessCidrs).toEqual(["203.0.113.0/24"]);
        expect(vpc.publicAccessCidrs).not.toContain("0.0.0.0/0");
        expect(inputs(cluster).encryptionConfig).toEqual({
            provider: { keyArn: "arn:aws:mock:us-east-1:123456789012:mlops-secrets" },
            resources: ["secrets"],
        });
        expect(inputs(cluster).deletionProtection).toBe(true);
    });

    it("has GPU node groups with min 0, the taint, the NVIDIA AMI and the autoscaler's node-template tags", () => {
        const gpu = of("aws:eks/nodeGroup:NodeGroup").filter(
            (g) => inputs(g).labels["mlops.dev/gpu-pool"],
        );
        expect(gpu.map((g) => g.name).sort()).toEqual(["mlops-a100", "mlops-l4"]);
        const expected: Record<string, [string, string, number, string]> = {
            "mlops-l4": ["g6.xlarge", "SPOT", 4, "1"],
            "mlops-a100": ["p4d.24xlarge", "ON_DEMAND", 1, "8"],
        };
        for (const g of gpu) {
            const p = inputs(g);
            const [instance, capacity, max, gpus] = expected[g.name];
            expect([g.name, p.amiType, p.instanceTypes, p.capacityType]).toEqual([
                g.name,
                "AL2023_x86_64_NVIDIA",
                [instance],
                capacity,
            ]);
            expect([g.name, p.scalingConfig]).toEqual([
                g.name,
                { minSize: 0, maxSize: max, desiredSize: 0 },
            ]);
            expect([g.name, p.taints]).toEqual([
                g.name,
                [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
            ]);
            const pool = p.labels["mlops.dev/gpu-pool"];
            const tags = of("aws:autoscaling/tag:Tag")
                .filter((t) => t.name.startsWith(`${g.name}-`))
                .map((t) => inputs(t))
                .map((t) => [
                    t.autoscalingGroupName,
                    t.tag.key,
                    t.tag.value,
                    t.tag.propagateAtLaunch,
                ])
                .sort();
            const asg = `eks-${pool}-mock`;
            const tpl = "k8s.io/cluster-autoscaler/node-template";
            expect(tags).toEqual([
                [asg, `${tpl}/label/mlops.dev/gpu-pool`, pool, false],
                [asg, `${tpl}/label/mlops.dev/gpus-per-node`, gpus, false],
                [asg, `${tpl}/resources/nvidia.com/gpu`, gpus, false],
                [asg, `${tpl}/taint/nvidia.com/gpu`, "present:NoSchedule", false],
            ]);
        }
    });

    it("keeps RDS private, encrypted, backed up and deletion-protected", () => {
        const [db] = of("aws:rds/instance:Instance");
        expect(of("aws:rds/instance:Instance")).toHaveLength(1);
        expect(inputs(db)).toMatchObject({
            publiclyAccessible: false,
            storageEncrypted: true,
            backupRetentionPeriod: 7,
            deletionProtection: true,
            multiAz: true,
            instanceClass: "db.m7g.large",
        });
        expect(db.protect).toBe(true);
    });

    it("puts every bucket behind a public access block with all four settings on", () => {
        const buckets = of("aws:s3/bucket:Bucket");
        expect(buckets).toHaveLength(4);
        const blocks = of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        for (const b of buckets) {
            const block = blocks.find((x) => inputs(x).bucket === `${b.name}-id`);
            expect([b.name, block && inputs(block)]).toEqual([
                b.name,
                {
                    bucket: `${b.name}-id`,
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                },
            ]);
            expect([b.name, b.protect, inputs(b).forceDestroy]).toEqual([b.name, true, false]);
        }
    });

    it("has no access keys anywhere: services and teams assume IAM roles through IRSA", () => {
        expect(plan.resources.filter((r) => r.type === "aws:iam/accessKey:AccessKey")).toEqual([]);
        expect(plan.resources.filter((r) => r.type === "aws:iam/user:User")).toEqual([]);
        const accounts = of("kubernetes:core/v1:ServiceAccount").filter(
            (s) => inputs(s).metadata?.annotations?.["eks.amazonaws.com/role-arn"],
        );
        expect(
            accounts
                .map((s) => inputs(s).metadata.annotations["eks.amazonaws.com/role-arn"])
                .sort(),
        ).toEqual(
            expect.arrayContaining([
                "arn:aws:iam::123456789012:role/mlops-team-nlp",
                "arn:aws:iam::123456789012:role/mlops-team-vision",
            ]),
        );
    });

    it("plans clean: 0 policy violations in the prod profile and 0 invalid Kubernetes objects", async () => {
        expect(await checkPolicies(plan.resources, policies, profiles.prod)).toEqual([]);
        const schema = await checkSchemas(plan.resources);
        expect(schema.problems).toEqual([]);
        expect(schema.checked).toBeGreaterThan(50);
    });

    it("makes everything in the cluster wait for the system node group", () => {
        const provider = one("pulumi:providers:kubernetes", "mlops");
        const system = one("aws:eks/nodeGroup:NodeGroup", "mlops-system");
        expect(provider.dependsOn).toContain(system.urn);
        const ref = `${provider.urn}::mlops-id`;
        const objects = plan.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        expect(objects.length).toBeGreaterThan(50);
        for (const r of objects)
            expect([r.type, r.name, r.provider]).toEqual([r.type, r.name, ref]);
    });

    it("deletes the router's load balancer Service before the cluster, and the cluster before its network", () => {
        // What a resource depends on, through its dependencies and its provider: Pulumi
        // deletes a resource only after everything that depends on it.
        const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
        const closure = (start: RecordedResource) => {
            const seen = new Set<string>();
            const todo = [start];
            while (todo.length) {
                const r = todo.pop()!;
                const next = [
                    ...r.dependsOn,
                    ...(r.provider ? [r.provider.split("::").slice(0, -1).join("::")] : []),
                ];
                for (const u of next) {
                    if (seen.has(u) || !byUrn.has(u)) continue;
                    seen.add(u);
                    todo.push(byUrn.get(u)!);
                }
            }
            return seen;
        };
        const traefik = plan.resources.find(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && inputs(r).chart === "traefik",
        )!;
        expect(inputs(traefik).values.service.spec.type).toBe("LoadBalancer");
        // Deleting a Release without skipAwait blocks until Helm's uninstall has waited for its
        // objects to go (pulumi-kubernetes provider/pkg/provider/helm_release.go, Delete:
        // `if release.Atomic || !release.SkipAwait { uninstall.Wait = true }`, read at v4.32.0):
        // the Service's load-balancer finalizer is gone, so AWS has deleted the load balancer,
        // before anything the Release depends on is deleted.
        expect(inputs(traefik).skipAwait).toBeUndefined();
        const after = closure(traefik);
        const must = [
            one("aws:eks/cluster:Cluster", "mlops"),
            one("aws:eks/nodeGroup:NodeGroup", "mlops-system"),
            ...of("aws:ec2/vpc:Vpc"),
            ...of("aws:ec2/subnet:Subnet"),
            ...of("aws:ec2/natGateway:NatGateway"),
            ...of("aws:ec2/eip:Eip"),
            ...of("aws:ec2/internetGateway:InternetGateway"),
            ...of("aws:ec2/route:Route"),
            ...of("aws:ec2/routeTable:RouteTable"),
            ...of("aws:ec2/routeTableAssociation:RouteTableAssociation"),
        ];
        expect(must.length).toBe(2 + 1 + 6 + 3 + 3 + 1 + 4 + 4 + 6);
        for (const r of must)
            expect([r.type, r.name, after.has(r.urn)]).toEqual([r.type, r.name, true]);
    });

    it("shows the idle monthly cost with the GPU groups at zero", () => {
        const cost = estimateCost(loadConfig(stack.config));
        const line = (item: string) => cost.lines.find((l) => l.item === item)!;
        const month = (hourly: number) => Math.round(hourly * HOURS_PER_MONTH * 100) / 100;
        expect(line("GPU pool l4 (g6.xlarge, nvidia-l4, spot)").idleOnDemand).toBe(0);
        expect(line("GPU pool a100 (p4d.24xlarge, nvidia-a100)").idleOnDemand).toBe(0);
        expect(line("GPU pool a100 (p4d.24xlarge, nvidia-a100)").maxOnDemand).toBe(
            month(machinePrices.aws["p4d.24xlarge"].onDemand),
        );
        expect(line("control plane").idleOnDemand).toBe(month(0.1));
        expect(line("system pool (m6i.xlarge)").idleOnDemand).toBe(
            month(machinePrices.aws["m6i.xlarge"].onDemand),
        );
        expect(line("database (db.m7g.large, Multi-AZ)").idleOnDemand).toBe(
            month(rdsPrices["db.m7g.large"] * 2),
        );
        expect(line("NAT gateways (3)").idleOnDemand).toBe(month(fixedPrices.aws.natGateway * 3));
        expect(cost.unpriced).toEqual([]);
        expect(cost.total.idleOnDemand).toBe(
            Math.round(cost.lines.reduce((a, l) => a + l.idleOnDemand, 0) * 100) / 100,
        );
        expect(cost.total.idleOnDemand).toBe(573.42);
    });
});

describe("the EKS and RDS guardrails on the resources the program registers", () => {
    const named = (n: string) => policies.filter((p) => p.name === n);
    const changed = (r: RecordedResource, change: (p: any) => void): RecordedResource => {
        const props = structuredClone(inputs(r));
        change(props);
        return { ...r, inputs: props };
    };
    const cluster = () => one("aws:eks/cluster:Cluster", "mlops");
    const l4 = () => one("aws:eks/nodeGroup:NodeGroup", "mlops-l4");
    const rds = () => one("aws:rds/instance:Instance", "mlops-db");

    it.each([
        [
            "eks-endpoint-restricted",
            cluster,
            (p: any) => (p.vpcConfig.publicAccessCidrs = ["0.0.0.0/0"]),
        ],
        ["eks-secrets-encryption", cluster, (p: any) => delete p.encryptionConfig],
        ["eks-control-plane-logs", cluster, (p: any) => (p.enabledClusterLogTypes = ["api"])],
        ["eks-gpu-group-scales-to-zero", l4, (p: any) => (p.scalingConfig.minSize = 1)],
        ["eks-gpu-group-tainted", l4, (p: any) => (p.taints = [])],
        ["rds-storage-encrypted", rds, (p: any) => (p.storageEncrypted = false)],
        ["database-not-public", rds, (p: any) => (p.publiclyAccessible = true)],
        ["database-backups", rds, (p: any) => (p.backupRetentionPeriod = 0)],
        ["database-deletion-protection", rds, (p: any) => (p.deletionProtection = false)],
    ])(
        "%s passes the planned resource and catches it with one field changed",
        async (name, get, change) => {
            const policy = named(name);
            expect(policy).toHaveLength(1);
            expect(await checkPolicies([get()], policy, profiles.prod)).toEqual([]);
            const violations = await checkPolicies([changed(get(), change)], policy, profiles.prod);
            expect(violations.map((v) => [v.policy, v.urn])).toEqual([[name, get().urn]]);
        },
    );

    it("s3-bucket-blocked-and-encrypted and s3-public-access-block see each planned bucket's block and encryption", async () => {
        const bucket = one("aws:s3/bucket:Bucket", "mlops-tracking");
        const companions = plan.resources.filter((r) => r.parent === bucket.urn);
        expect(companions.map((r) => r.type).sort()).toEqual([
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketVersioning:BucketVersioning",
        ]);
        const guarded = [
            ...named("s3-bucket-blocked-and-encrypted"),
            ...named("s3-public-access-block"),
        ];
        expect(guarded).toHaveLength(2);
        expect(await checkPolicies([bucket, ...companions], guarded, profiles.prod)).toEqual([]);
        const block = companions.find((r) => r.type.endsWith(":BucketPublicAccessBlock"))!;
        const without = [bucket, ...companions.filter((r) => r !== block)];
        expect(
            (await checkPolicies(without, guarded, profiles.prod)).map((v) => [v.policy, v.urn]),
        ).toEqual([["s3-bucket-blocked-and-encrypted", bucket.urn]]);
        const weakened = companions.map((r) =>
            r === block ? changed(r, (p) => (p.restrictPublicBuckets = false)) : r,
        );
        expect(
            (await checkPolicies([bucket, ...weakened], guarded, profiles.prod)).map((v) => [
                v.policy,
                v.urn,
            ]),
        ).toEqual([["s3-public-access-block", block.urn]]);
    });

    it("efs-encrypted passes the planned file system and catches it unencrypted", async () => {
        const fs = one("aws:efs/fileSystem:FileSystem", "mlops-efs");
        const policy = named("efs-encrypted");
        expect(await checkPolicies([fs], policy, profiles.prod)).toEqual([]);
        expect(
            (
                await checkPolicies(
                    [changed(fs, (p) => (p.encrypted = false))],
                    policy,
                    profiles.prod,
                )
            ).map((v) => v.policy),
        ).toEqual(["efs-encrypted"]);
    });

    it("aws-team-bucket-access-confined passes each planned team role and catches whole-bucket reads and writes", async () => {
        const policy = named("aws-team-bucket-access-confined");
        expect(await checkPolicies(plan.resources, policy, profiles.prod)).toEqual([]);
        const role = one("aws:iam/role:Role", "mlops-team-vision");
        expect(inputs(role).tags).toEqual({ "mlops.dev/team": "vision" });
        const rolePolicy = one("aws:iam/rolePolicy:RolePolicy", "mlops-team-vision");
        const widened = plan.resources.map((r) =>
            r === rolePolicy
                ? changed(r, (p) => {
                      const doc = JSON.parse(p.policy);
                      doc.Statement[0].Resource = [
                          "arn:aws:s3:::mlops-workflows-us-east-1-123456789012/*",
                      ];
                      p.policy = JSON.stringify(doc);
                  })
                : r,
        );
        expect(
            (await checkPolicies(widened, policy, profiles.prod)).map((v) => [v.urn, v.message]),
        ).toEqual([
            [
                rolePolicy.urn,
                "team 'vision' may s3:GetObject, s3:GetObjectVersion, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts on arn:aws:s3:::mlops-workflows-us-east-1-123456789012/*, outside its own prefix (.../vision/*)",
            ],
        ]);
    });

    it("counts the GPUs of EKS node groups from their label: 4 × 1 + 1 × 8", async () => {
        const policy = named("team-gpu-quota-within-capacity");
        // Two team quotas (4 and 2) fit 12; raising one to 12 does not.
        expect(await checkPolicies(plan.resources, policy, profiles.prod)).toEqual([]);
        const over = plan.resources.map((r) =>
            r.type === "kubernetes:core/v1:ResourceQuota" && r.name === "vision"
                ? changed(r, (p) => (p.spec.hard["requests.nvidia.com/gpu"] = "12"))
                : r,
        );
        const v = await checkPolicies(over, policy, profiles.prod);
        expect(v.map((x) => x.message)).toEqual([
            "team GPU quotas total 14, above 12 GPUs at maximum scale × 1",
        ]);
    });
});

describe("cloud SDK isolation, aws", () => {
    it("an aws stack loads AWS's SDK and not Google Cloud's", () => {
        // The run's one plan of Pulumi.aws.yaml, in its own process (test/support/plan.ts).
        const r = shippedStackPlan("aws");
        if (r.status !== 0) throw new Error(r.stderr);
        expect(r.loadedSdks).toEqual(["@pulumi/aws"]);
    });
});
