/**
 * AWS names derived from user-chosen names: valid for their service and distinct, for names
 * at the limits of what the config schema accepts (DNS labels that may start with a digit and
 * may hold `--`).
 *
 * The patterns below are written from AWS's documentation, independently of
 * components/aws/names.ts:
 * - IAM role names: 1-64 characters of `[\w+=,.@-]`, unique case-insensitively
 *   (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html);
 * - S3 bucket names: 3-63 characters of lowercase letters, digits, '.' and '-', beginning and
 *   ending with a letter or digit, not starting with `xn--`, `sthree-` or `amzn-s3-demo-`, not
 *   ending in `-s3alias`, `--ol-s3`, `--x-s3` or `--table-s3`, unique across all accounts
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html);
 * - RDS DB instance identifiers: 1-63 letters, digits or hyphens, first a letter, no hyphen at
 *   the end and no two in a row
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html);
 * - EKS node group names: 1-63, `^[0-9A-Za-z][A-Za-z0-9\-_]*`, and cluster names: 1-100 of the
 *   same (EKS API CreateNodegroup, CreateCluster);
 * - security group names: up to 255 characters, not starting with `sg-`
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
 */
import { createHash } from "node:crypto";
import { AWS_NAME_RULES, awsName, s3BucketName } from "../components/aws/names";
import { CLUSTER_NAME_MAX, TEAM_NAME_MAX, parseConfig } from "../stacks/config";
import { awsFoundation } from "../stacks/aws";
import { record, settled } from "./support/harness";
import { SSO } from "./support/fixtures";

const IAM_ROLE = /^[\w+=,.@-]{1,64}$/;
const S3 = /^[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]$/;
const validBucket = (b: string) =>
    S3.test(b) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(b) &&
    !/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(b);
const RDS = /^[a-zA-Z](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const validRds = (id: string) => RDS.test(id) && !id.includes("--");
const EKS_NAME = (max: number) => new RegExp(`^[0-9A-Za-z][A-Za-z0-9_-]{0,${max - 1}}$`);
const validSg = (n: string) => n.length >= 1 && n.length <= 255 && !/^sg-/i.test(n);

const hash8 = (parts: string[]) =>
    createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 8);
const ACCOUNT = "123456789012";

describe("awsName", () => {
    it("uses a name that is already valid as it is", () => {
        expect(awsName(AWS_NAME_RULES.iamRole, ["mlops", "tracking"])).toBe("mlops-tracking");
        expect(awsName(AWS_NAME_RULES.rdsIdentifier, ["mlops-db"])).toBe("mlops-db");
        expect(awsName(AWS_NAME_RULES.eksNodeGroup, ["system"])).toBe("system");
        expect(s3BucketName("mlops", "tracking", "us-east-1", ACCOUNT)).toBe(
            "mlops-tracking-us-east-1-123456789012",
        );
    });

    it("shortens a long name to a readable stem and 8 hex digits of SHA-256 of its parts", () => {
        const team = "t".repeat(TEAM_NAME_MAX);
        const role = awsName(AWS_NAME_RULES.iamRole, ["mlops-team", team]);
        // 64 characters: 55 of stem, '-', 8 of hash.
        expect(role).toBe(`mlops-team-${"t".repeat(44)}-${hash8(["mlops-team", team])}`);
        expect(role).toHaveLength(64);
    });

    it("starts RDS identifiers with a letter and removes double hyphens", () => {
        expect(awsName(AWS_NAME_RULES.rdsIdentifier, ["9ml-db"])).toBe(
            `ml-db-${hash8(["9ml-db"])}`,
        );
        expect(awsName(AWS_NAME_RULES.rdsIdentifier, ["a--b"])).toBe(`a-b-${hash8(["a--b"])}`);
        expect(awsName(AWS_NAME_RULES.rdsIdentifier, ["42"])).toBe(`m-${hash8(["42"])}`);
    });

    it("keeps S3's and EC2's reserved prefixes out", () => {
        expect(s3BucketName("xn--ml", "tracking", "us-east-1", ACCOUNT)).toBe(
            `m-xn--ml-tracking-us-east-1-${hash8(["xn--ml", "tracking", "us-east-1"])}-${ACCOUNT}`,
        );
        expect(s3BucketName("sthree-ml", "datasets", "us-east-1", ACCOUNT)).toMatch(
            /^m-sthree-ml-datasets-us-east-1-[0-9a-f]{8}-123456789012$/,
        );
        expect(awsName(AWS_NAME_RULES.securityGroup, ["sg-ml-efs"])).toBe(
            `m-sg-ml-efs-${hash8(["sg-ml-efs"])}`,
        );
    });

    it("shortens a valid name that looks shortened, so no verbatim name equals a shortened one", () => {
        expect(awsName(AWS_NAME_RULES.iamRole, ["ml-0123abcd"])).toBe(
            `ml-0123abcd-${hash8(["ml-0123abcd"])}`,
        );
    });

    it("rejects an empty part and a malformed account, naming the kind", () => {
        expect(() => awsName(AWS_NAME_RULES.iamRole, ["ml", ""])).toThrow(
            new Error('IAM role name: got parts ["ml",""]; every part must be a non-empty string'),
        );
        expect(() => s3BucketName("ml", "tracking", "us-east-1", "1234")).toThrow(
            new Error('S3 bucket name: got account ID "1234"; must be 12 digits'),
        );
    });

    it("is valid and injective over many generated DNS labels at and around the limits", () => {
        let seed = 7;
        const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
        const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
        const label = (len: number) => {
            let s = "";
            for (let i = 0; i < len; i++) {
                const edge = i === 0 || i === len - 1;
                s += alphabet[next() % (edge ? 36 : 37)];
            }
            return s;
        };
        const shared = label(60);
        const names = new Set<string>(["xn--a", "sthree-b", "amzn-s3-demo-c", "sg-d", "a--b"]);
        for (let i = 0; i < 400; i++) names.add(label(1 + (next() % 63)));
        for (let i = 0; i < 100; i++) names.add(`${shared}-${label(2)}`);
        const kinds: [string, (n: string) => string, (id: string) => boolean][] = [
            [
                "iamRole",
                (n) => awsName(AWS_NAME_RULES.iamRole, [n, "team", n]),
                (id) => IAM_ROLE.test(id),
            ],
            ["rds", (n) => awsName(AWS_NAME_RULES.rdsIdentifier, [n, "db"]), validRds],
            [
                "nodeGroup",
                (n) => awsName(AWS_NAME_RULES.eksNodeGroup, [n]),
                (id) => EKS_NAME(63).test(id),
            ],
            [
                "eksCluster",
                (n) => awsName(AWS_NAME_RULES.eksCluster, [n]),
                (id) => EKS_NAME(100).test(id),
            ],
            ["securityGroup", (n) => awsName(AWS_NAME_RULES.securityGroup, [n, "efs"]), validSg],
            ["s3", (n) => s3BucketName(n, "features", "ap-southeast-2", ACCOUNT), validBucket],
        ];
        for (const [kind, derive, valid] of kinds) {
            const ids = new Map<string, string>();
            for (const n of names) {
                const id = derive(n);
                expect([kind, n, id, valid(id)]).toEqual([kind, n, id, true]);
                // IAM compares role names case-insensitively: lowercase throughout.
                expect([kind, id, ids.get(id.toLowerCase())]).toEqual([kind, id, undefined]);
                ids.set(id.toLowerCase(), n);
            }
        }
    });
});

describe("the AWS foundation at the limits of the config schema", () => {
    const atMost = (n: number, head: string, fill: string) =>
        `${head}${fill.repeat(n - head.length)}`;
    const dns63 = (head: string, fill: string) => atMost(63, head, fill);
    const sharedPrefix = "t".repeat(TEAM_NAME_MAX - 3);

    it.each([
        ["the longest cluster name", atMost(CLUSTER_NAME_MAX, "cluster-", "c")],
        [
            "the longest cluster name, starting with a digit",
            atMost(CLUSTER_NAME_MAX, "9cluster-", "c"),
        ],
        ["a cluster name with reserved prefixes and a double hyphen", "sg-xn--ml"],
        ["the default cluster name", "mlops"],
        ["a 1-character cluster name", "m"],
    ])("%s: every AWS name is valid and distinct", async (_what, clusterName) => {
        const config = parseConfig({
            cloud: "aws",
            // Prod refuses a self-signed certificate on public routes.
            routing: { ...SSO, tls: { mode: "acme", acme: { email: "ops@example.com" } } },
            environment: "prod",
            cluster: {
                name: clusterName,
                aws: { region: "ap-southeast-2", accountId: ACCOUNT },
                gpuPools: [
                    {
                        name: dns63("l4-", "x"),
                        gpuType: "nvidia-l4",
                        machineType: "g6.xlarge",
                        maxNodes: 1,
                    },
                    {
                        name: dns63("l4-", "y"),
                        gpuType: "nvidia-l4",
                        machineType: "g6.xlarge",
                        maxNodes: 1,
                    },
                    { name: "1", gpuType: "nvidia-l4", machineType: "g6.xlarge", maxNodes: 1 },
                ],
            },
            teams: [
                { name: `${sharedPrefix}-aa` },
                { name: `${sharedPrefix}-ab` },
                { name: "a" },
                { name: "0" },
            ],
        });
        const rec = record();
        awsFoundation(config);
        await settled();
        const inputs = (type: string, key: string) =>
            rec.ofType(type).map((r) => r.inputs[key] as string);

        // Roles: cluster, nodes, 3 add-ons, 4 services, 4 teams; unique within the account.
        const roles = inputs("aws:iam/role:Role", "name");
        expect(roles).toHaveLength(13);
        for (const r of roles) expect([r, IAM_ROLE.test(r)]).toEqual([r, true]);
        expect(new Set(roles.map((r) => r.toLowerCase())).size).toBe(13);

        const buckets = inputs("aws:s3/bucket:Bucket", "bucket");
        expect(buckets).toHaveLength(4);
        for (const b of buckets) expect([b, validBucket(b)]).toEqual([b, true]);
        expect(new Set(buckets).size).toBe(4);

        const rds = [
            ...inputs("aws:rds/instance:Instance", "identifier"),
            ...inputs("aws:rds/instance:Instance", "finalSnapshotIdentifier"),
            ...inputs("aws:rds/subnetGroup:SubnetGroup", "name"),
        ];
        expect(rds).toHaveLength(3);
        for (const id of rds) expect([id, validRds(id)]).toEqual([id, true]);

        const groups = inputs("aws:eks/nodeGroup:NodeGroup", "nodeGroupName");
        expect(groups).toHaveLength(4);
        for (const g of groups) expect([g, EKS_NAME(63).test(g)]).toEqual([g, true]);
        expect(new Set(groups).size).toBe(4);

        expect(inputs("aws:eks/cluster:Cluster", "name")[0]).toMatch(EKS_NAME(100));

        const sgs = inputs("aws:ec2/securityGroup:SecurityGroup", "name");
        // EFS, the database, the S3 and STS interface endpoints.
        expect(sgs).toHaveLength(3);
        for (const s of sgs) expect([s, validSg(s)]).toEqual([s, true]);
        expect(new Set(sgs).size).toBe(3);
    });

    it("shortens only what must be: the shipped AWS stack's names are used as they are", async () => {
        const rec = record();
        awsFoundation(
            parseConfig({
                cloud: "aws",
                routing: SSO,
                cluster: { name: "mlops", aws: { region: "us-east-1", accountId: ACCOUNT } },
                teams: [{ name: "vision" }],
            }),
        );
        await settled();
        expect(
            rec
                .ofType("aws:iam/role:Role")
                .map((r) => r.inputs.name)
                .sort(),
        ).toEqual([
            "mlops-autoscaler",
            "mlops-cluster",
            "mlops-ebs-csi",
            "mlops-efs-csi",
            "mlops-features",
            "mlops-nodes",
            "mlops-serving",
            "mlops-team-vision",
            "mlops-tracking",
            "mlops-workflows",
        ]);
        expect(
            rec
                .ofType("aws:s3/bucket:Bucket")
                .map((r) => r.inputs.bucket)
                .sort(),
        ).toEqual([
            "mlops-datasets-us-east-1-123456789012",
            "mlops-features-us-east-1-123456789012",
            "mlops-tracking-us-east-1-123456789012",
            "mlops-workflows-us-east-1-123456789012",
        ]);
        expect(rec.get("aws:rds/instance:Instance", "mlops-db").inputs.identifier).toBe("mlops-db");
    });
});
