/**
 * What the config refuses because the provider would, or because prod must not run it: one case
 * per refusal, each the exact message (key, value, what is allowed), each from a config that is
 * valid but for that one value.
 */
import { parseConfig } from "../stacks/config";
import { configProblems, SSO } from "./support/fixtures";
import { planCli, writeStackConfig } from "./support/plan";

const GCP = { project: "my-project", region: "us-central1" };
const AWS = { region: "us-east-1", accountId: "123456789012" };
const ACME = { mode: "acme", acme: { email: "ops@example.com" } };
const gcp = (cluster: object = {}, rest: object = {}) => ({
    cloud: "gcp",
    routing: SSO,
    cluster: { gcp: GCP, ...cluster },
    ...rest,
});
const aws = (cluster: object = {}, rest: object = {}) => ({
    cloud: "aws",
    routing: SSO,
    cluster: { aws: AWS, ...cluster },
    ...rest,
});
const prod = (base: Record<string, unknown>, rest: object = {}) => ({
    ...base,
    environment: "prod",
    routing: { ...SSO, tls: ACME },
    ...rest,
});
const nets = (...cidrs: string[]) =>
    gcp({ gcp: { ...GCP, authorizedNetworks: cidrs.map((cidrBlock) => ({ cidrBlock })) } });
const eksCidrs = (...cidrs: string[]) => aws({ aws: { ...AWS, endpointPublicAccessCidrs: cidrs } });
const pool = (p: object) => ({ name: "l4", gpuType: "nvidia-l4", maxNodes: 2, ...p });
const EC2_TYPE =
    "must be an EC2 instance type such as m6i.xlarge or g6.xlarge: a family, '.', and a size (large, xlarge, <n>xlarge, metal, ...)";
const GCE_TYPE = "must be a Compute Engine machine type such as e2-standard-4 or g2-standard-8";
const PROJECT_RULE =
    "must be a GCP project ID: 6-30 lowercase letters, digits and '-', starting with a letter and not ending with '-' (e.g. my-ml-project; the ID, not the project's name or number)";

describe("refused because the provider would refuse it", () => {
    it.each<[string, Record<string, unknown>, string]>([
        [
            "a CIDR block whose numbers are out of range",
            nets("203.0.300.0/24"),
            'mlops:cluster.gcp.authorizedNetworks[0].cidrBlock: got "203.0.300.0/24"; each of the four numbers must be 0-255, without leading zeros',
        ],
        [
            "a prefix longer than 32",
            eksCidrs("203.0.113.0/33"),
            'mlops:cluster.aws.endpointPublicAccessCidrs[0]: got "203.0.113.0/33"; the prefix length of an IPv4 block is 0-32',
        ],
        [
            "host bits set",
            nets("203.0.113.7/24"),
            'mlops:cluster.gcp.authorizedNetworks[0].cidrBlock: got "203.0.113.7/24"; has host bits set after the /24 prefix: write the network address (203.0.113.0/24)',
        ],
        [
            "an IPv6 block where only IPv4 is taken",
            eksCidrs("2001:db8::/32"),
            'mlops:cluster.aws.endpointPublicAccessCidrs[0]: got "2001:db8::/32"; must be an IPv4 CIDR block (IPv6 is not accepted here)',
        ],
        [
            "the whole internet as /0",
            nets("0.0.0.0/0"),
            'mlops:cluster.gcp.authorizedNetworks[0].cidrBlock: got "0.0.0.0/0"; must not be the whole internet (/0): list your networks',
        ],
        [
            "the whole internet in two halves",
            eksCidrs("0.0.0.0/1", "128.0.0.0/1"),
            'mlops:cluster.aws.endpointPublicAccessCidrs: got ["0.0.0.0/1","128.0.0.0/1"]; together the blocks admit the whole internet: list your networks',
        ],
        [
            "more public access CIDRs than EKS takes",
            eksCidrs(...Array.from({ length: 41 }, (_, i) => `10.${i}.0.0/16`)),
            'mlops:cluster.aws.endpointPublicAccessCidrs: got ["10.0.0.0/16","10.1.0.0/16","10.2.0.0/16","10.3.0.0/16","10.4.0.0/16","10.5....; lists 41 blocks; EKS (public access CIDRs per cluster) allows 40',
        ],
        [
            "an empty display name",
            gcp({
                gcp: {
                    ...GCP,
                    authorizedNetworks: [{ cidrBlock: "203.0.113.0/24", displayName: " " }],
                },
            }),
            'mlops:cluster.gcp.authorizedNetworks[0].displayName: got " "; must be a display name, not empty',
        ],
        [
            "a domain label over 63 characters",
            { domain: `${"a".repeat(64)}.example.com` },
            `mlops:domain: got "${"a".repeat(64)}.example.com"; must be a DNS name whose labels are at most 63 characters each`,
        ],
        [
            "a domain that leaves no room for the routes",
            { domain: Array.from({ length: 4 }, () => "a".repeat(61)).join(".") },
            `mlops:domain: got "${"a".repeat(61)}.${"a".repeat(14)}...; its route features.${"a".repeat(31)}... is 256 characters long; DNS allows 253: choose a shorter domain`,
        ],
        [
            "a team whose tracking route would be a label over 63 characters",
            { teams: [{ name: "t".repeat(57) }] },
            `mlops:teams[0].name: got "${"t".repeat(57)}"; a team name must be at most 56 characters (its tracking server's host is mlflow-<name>, a 63-character label)`,
        ],
        [
            "a machine type GCE could not name",
            gcp({ systemPool: { machineType: "E2 Standard" } }),
            'mlops:cluster.systemPool.machineType: got "E2 Standard"; must be a Compute Engine machine type such as e2-standard-4 or g2-standard-8',
        ],
        [
            "an instance type EC2 could not name",
            aws({ gpuPools: [pool({ machineType: "g6.xlarge.big" })] }),
            `mlops:cluster.gpuPools[0].machineType: got "g6.xlarge.big"; ${EC2_TYPE}`,
        ],
        [
            "a GCP project ID of one character",
            gcp({ gcp: { ...GCP, project: "p" } }),
            `mlops:cluster.gcp.project: got "p"; ${PROJECT_RULE}`,
        ],
        [
            "a GCP project ID ending in '-'",
            gcp({ gcp: { ...GCP, project: "my-project-" } }),
            `mlops:cluster.gcp.project: got "my-project-"; ${PROJECT_RULE}`,
        ],
        [
            "a GCP project number where the ID belongs",
            gcp({ gcp: { ...GCP, project: "123456789012" } }),
            `mlops:cluster.gcp.project: got "123456789012"; ${PROJECT_RULE}`,
        ],
        [
            "a GCP region without its number",
            gcp({ gcp: { ...GCP, region: "us-central" } }),
            'mlops:cluster.gcp.region: got "us-central"; must be a GCP region such as us-central1 or europe-west4',
        ],
        [
            "a GCP zone where the region belongs",
            gcp({ gcp: { ...GCP, region: "us-central1-a" } }),
            'mlops:cluster.gcp.region: got "us-central1-a"; is a zone; the region is us-central1 (a zonal cluster sets cluster.gcp.zone as well)',
        ],
        [
            "a GCP AI zone where the region belongs",
            gcp({ gcp: { ...GCP, region: "us-south1-ai1b" } }),
            'mlops:cluster.gcp.region: got "us-south1-ai1b"; is a zone; the region is us-south1 (a zonal cluster sets cluster.gcp.zone as well)',
        ],
        [
            "a GCP zone without its letter",
            gcp({ gcp: { ...GCP, zone: "us-central1" } }),
            'mlops:cluster.gcp.zone: got "us-central1"; must be a GCP zone such as us-central1-a',
        ],
        [
            "a GCP zone of another region",
            gcp({ gcp: { ...GCP, zone: "europe-west4-a" } }),
            'mlops:cluster.gcp.zone: got "europe-west4-a"; must be a zone of region us-central1 (us-central1-a, -b, ...)',
        ],
        [
            "an AWS region without its number",
            aws({ aws: { ...AWS, region: "us-east" } }),
            'mlops:cluster.aws.region: got "us-east"; must be an AWS region such as us-east-1',
        ],
        [
            "an AWS availability zone where the region belongs",
            aws({ aws: { ...AWS, region: "us-east-1a" } }),
            'mlops:cluster.aws.region: got "us-east-1a"; is an availability zone; the region is us-east-1 (the VPC picks its zones: cluster.aws.availabilityZoneCount)',
        ],
        [
            "a Compute Engine machine type without its series",
            gcp({ systemPool: { machineType: "standard-4" } }),
            `mlops:cluster.systemPool.machineType: got "standard-4"; ${GCE_TYPE}`,
        ],
        [
            "an EC2 size that is not one",
            aws({ gpuPools: [pool({ machineType: "g6.xlarg" })] }),
            `mlops:cluster.gpuPools[0].machineType: got "g6.xlarg"; ${EC2_TYPE}`,
        ],
        [
            "an EC2 family without its generation",
            aws({ systemPool: { machineType: "m.large" } }),
            `mlops:cluster.systemPool.machineType: got "m.large"; ${EC2_TYPE}`,
        ],
        [
            "fewer GPUs than an A2 machine carries",
            gcp({
                gpuPools: [
                    pool({
                        gpuType: "nvidia-tesla-a100",
                        machineType: "a2-highgpu-2g",
                        gpusPerNode: 1,
                    }),
                ],
            }),
            "mlops:cluster.gpuPools[0].gpusPerNode: got 1; a a2-highgpu-2g node carries 2 GPUs: set 2",
        ],
        [
            "more GPUs than a G2 machine carries",
            gcp({ gpuPools: [pool({ machineType: "g2-standard-8", gpusPerNode: 2 })] }),
            "mlops:cluster.gpuPools[0].gpusPerNode: got 2; a g2-standard-8 node carries 1 GPU: set 1",
        ],
        [
            "too few GPUs for an N1 machine's vCPUs",
            gcp({
                gpuPools: [
                    pool({
                        gpuType: "nvidia-tesla-v100",
                        machineType: "n1-standard-32",
                        gpusPerNode: 1,
                    }),
                ],
            }),
            "mlops:cluster.gpuPools[0].gpusPerNode: got 1; a n1-standard-32 node carries 4, 8 × nvidia-tesla-v100: its 32 vCPUs need at least 4 (N1 allows at most 12 with 1, 24 with 2, 48 with 4, 96 with 8): choose one of those, or a machine with fewer vCPUs",
        ],
        [
            "a Cloud SQL tier of an odd number of vCPUs",
            gcp({}, { database: { tier: "db-custom-3-11520" } }),
            'mlops:database.tier: got "db-custom-3-11520"; has 3 vCPUs; Cloud SQL takes 1 or an even number of vCPUs up to 96',
        ],
        [
            "a Cloud SQL tier with too little memory for its vCPUs",
            gcp({}, { database: { tier: "db-custom-8-4096" } }),
            'mlops:database.tier: got "db-custom-8-4096"; has 4096 MiB of memory; with 8 vCPUs Cloud SQL takes 6912 to 53248 MiB in multiples of 256 (0.9 to 6.5 GB per vCPU, 3840 MiB at least)',
        ],
        [
            "a Cloud SQL tier whose memory is not a multiple of 256 MiB",
            gcp({}, { database: { tier: "db-custom-1-3900" } }),
            'mlops:database.tier: got "db-custom-1-3900"; has 3900 MiB of memory; with 1 vCPU Cloud SQL takes 3840 to 6656 MiB in multiples of 256 (0.9 to 6.5 GB per vCPU, 3840 MiB at least)',
        ],
        [
            "a system machine too small for the platform",
            aws({ systemPool: { machineType: "t3.small" } }),
            "mlops:cluster.systemPool.machineType: got \"t3.small\"; has 2 GiB of memory or less, which after the node's reservations holds less than the platform's system pods request: choose e2-standard-4 or m6i.xlarge (the defaults) or larger",
        ],
        [
            "more GPUs than the instance carries",
            aws({
                gpuPools: [
                    pool({ gpuType: "nvidia-a100", machineType: "p4d.24xlarge", gpusPerNode: 16 }),
                ],
            }),
            "mlops:cluster.gpuPools[0].gpusPerNode: got 16; a p4d.24xlarge node carries 8 GPUs: set 8",
        ],
        [
            "a GPU count an N1 machine cannot attach",
            gcp({
                gpuPools: [
                    pool({
                        gpuType: "nvidia-tesla-t4",
                        machineType: "n1-standard-8",
                        gpusPerNode: 3,
                    }),
                ],
            }),
            "mlops:cluster.gpuPools[0].gpusPerNode: got 3; a n1-standard-8 node carries 1, 2, 4 × nvidia-tesla-t4: choose one of those",
        ],
        [
            "a GPU pool that can never hold a pod",
            gcp({ gpuPools: [pool({ machineType: "g2-standard-8", maxNodes: 0 })] }),
            "mlops:cluster.gpuPools[0].maxNodes: got 0; must be an integer ≥ 1: a pool of at most 0 nodes never runs a pod",
        ],
        [
            "a system pool that can never hold a pod",
            gcp({ systemPool: { minNodes: 0, maxNodes: 0 } }),
            "mlops:cluster.systemPool.maxNodes: got 0; must be an integer ≥ 1: a pool of at most 0 nodes never runs a pod",
        ],
        [
            "an EKS system group that scales to zero, taking the autoscaler with it",
            aws({ systemPool: { minNodes: 0 } }),
            "mlops:cluster.systemPool.minNodes: got 0; on aws the cluster-autoscaler runs on the system nodes, so with none nothing scales any pool up again: at least 1",
        ],
        [
            "an empty GPU type",
            { cluster: { gpuPools: [pool({ gpuType: "" })] } },
            'mlops:cluster.gpuPools[0].gpuType: got ""; must be a GPU type string, not empty',
        ],
        [
            "an empty kubeconfig context",
            { cluster: { context: "" } },
            'mlops:cluster.context: got ""; must be a kubeconfig context name, not empty',
        ],
        [
            "a Dex connector named with spaces only",
            {
                routing: {
                    auth: {
                        dex: {
                            connectors: [{ type: "github", id: "github", name: "  ", config: {} }],
                        },
                    },
                },
            },
            'mlops:routing.auth.dex.connectors[0].name: got "  "; must be a connector name, not empty',
        ],
        [
            "an empty SMTP password, which is not shown",
            {
                observability: {
                    alerting: {
                        receivers: [
                            {
                                name: "mail",
                                type: "email",
                                to: "ml@example.com",
                                from: "alerts@example.com",
                                smarthost: "smtp.example.com:587",
                                username: "alerts",
                                password: "",
                            },
                        ],
                    },
                },
            },
            "mlops:observability.alerting.receivers[0].password: got a value (secret, not shown); must be an SMTP password, not empty",
        ],
        [
            "an ACME directory over plain HTTP",
            {
                routing: {
                    ...SSO,
                    tls: { ...ACME, acme: { ...ACME.acme, server: "http://acme.example.com/dir" } },
                },
            },
            'mlops:routing.tls.acme.server: got "http://acme.example.com/dir"; must be an https URL of an ACME directory',
        ],
        [
            "the GKE security group itself as a team member",
            gcp(
                { gcp: { ...GCP, securityGroup: "gke-security-groups@example.com" } },
                { teams: [{ name: "a", members: ["group:gke-security-groups@example.com"] }] },
            ),
            'mlops:teams[0].members[0]: got "group:gke-security-groups@example.com"; it is cluster.gcp.securityGroup, which holds every group GKE knows: name the team\'s own group',
        ],
        [
            "Kubernetes' every-service-account group as a team member",
            { teams: [{ name: "a", members: ["group:system:serviceaccounts"] }] },
            'mlops:teams[0].members[0]: got "group:system:serviceaccounts"; system: names are Kubernetes\' own (system:authenticated is every account the cluster trusts): name a group or user of your identity provider',
        ],
    ])("%s", (_what, raw, message) => {
        expect(configProblems(raw)).toEqual([message]);
    });
});

describe("what the providers take passes", () => {
    it.each(["my-ml-project", "abcdef", `a${"b".repeat(28)}9`, "example.com:my-project"])(
        "GCP project %s",
        (project) => {
            expect(configProblems(gcp({ gcp: { ...GCP, project } }))).toEqual([]);
        },
    );

    it.each(["us-central1", "europe-west4", "northamerica-northeast2", "me-central2"])(
        "GCP region %s, with its zone -b",
        (region) => {
            expect(configProblems(gcp({ gcp: { ...GCP, region, zone: `${region}-b` } }))).toEqual(
                [],
            );
        },
    );

    it("a GCP AI zone of the region", () => {
        expect(configProblems(gcp({ gcp: { ...GCP, zone: "us-central1-ai1a" } }))).toEqual([]);
    });

    it.each(["us-east-1", "ap-southeast-7", "us-gov-west-1", "cn-northwest-1", "eusc-de-east-1"])(
        "AWS region %s",
        (region) => {
            expect(configProblems(aws({ aws: { ...AWS, region } }))).toEqual([]);
        },
    );

    it.each([
        "db-custom-1-3840",
        "db-custom-1-6656",
        "db-custom-2-7680",
        "db-custom-4-26624",
        "db-custom-96-638976",
        "db-f1-micro",
    ])("Cloud SQL tier %s", (tier) => {
        expect(configProblems(gcp({}, { database: { tier } }))).toEqual([]);
    });

    it.each([
        "e2-standard-4",
        "e2-medium",
        "n2-custom-8-32768",
        "n2-custom-8-32768-ext",
        "custom-4-5120",
        "c3-standard-4-lssd",
        "c4a-highmem-16",
        "ct5lp-hightpu-4t",
        "x4-megamem-960-metal",
    ])("Compute Engine system machine %s", (machineType) => {
        expect(configProblems(gcp({ systemPool: { machineType } }))).toEqual([]);
    });

    it.each([
        "m6i.xlarge",
        "m7g.large",
        "m7i-flex.large",
        "c7gn.metal",
        "c7i.metal-24xl",
        "trn1.32xlarge",
        "inf2.xlarge",
        "p5.48xlarge",
        "u-6tb1.metal",
        "u7i-12tb.224xlarge",
        "mac2-m2pro.metal",
    ])("EC2 system instance %s", (machineType) => {
        expect(configProblems(aws({ systemPool: { machineType } }))).toEqual([]);
    });

    it.each<[string, object]>([
        ["gcp", { gpuType: "nvidia-tesla-t4", machineType: "n1-standard-16", gpusPerNode: 2 }],
        ["gcp", { gpuType: "nvidia-tesla-v100", machineType: "n1-standard-32", gpusPerNode: 4 }],
        ["gcp", { gpuType: "nvidia-tesla-v100", machineType: "n1-custom-6-23040", gpusPerNode: 1 }],
        ["gcp", { gpuType: "nvidia-tesla-p4", machineType: "n1-highmem-4", gpusPerNode: 1 }],
        ["gcp", { gpuType: "nvidia-tesla-a100", machineType: "a2-highgpu-4g", gpusPerNode: 4 }],
        ["gcp", { gpuType: "nvidia-l4", machineType: "g2-standard-48", gpusPerNode: 4 }],
        ["aws", { gpuType: "nvidia-a10g", machineType: "g5.xlarge", gpusPerNode: 1 }],
        ["aws", { gpuType: "nvidia-a100", machineType: "p4d.24xlarge", gpusPerNode: 8 }],
        ["aws", { gpuType: "nvidia-h100", machineType: "p5.4xlarge", gpusPerNode: 1 }],
        // Sizes the table does not list (as a new size would be): the provider checks the count.
        ["aws", { gpuType: "nvidia-l4", machineType: "g6.3xlarge", gpusPerNode: 2 }],
        ["gcp", { gpuType: "nvidia-l4", machineType: "g2-standard-2", gpusPerNode: 1 }],
    ])("%s GPU pool %j", (cloud, p) => {
        const config =
            cloud === "gcp" ? gcp({ gpuPools: [pool(p)] }) : aws({ gpuPools: [pool(p)] });
        expect(configProblems(config)).toEqual([]);
    });
});

describe("a refusal stops the plan", () => {
    it("exits 2 with the key, the value and what is allowed, before any resource", () => {
        const file = writeStackConfig(
            "formats",
            [
                "config:",
                "  mlops:cloud: gcp",
                "  mlops:cluster:",
                "    gcp:",
                "      project: My Project",
                "      region: us-central1-a",
                "",
            ].join("\n"),
        );
        const run = planCli("--config", file, "--json");
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr.trim().split("\n")).toEqual([
            "Invalid stack config (2 problems):",
            `  - mlops:cluster.gcp.project: got "My Project"; ${PROJECT_RULE}`,
            '  - mlops:cluster.gcp.region: got "us-central1-a"; is a zone; the region is us-central1 (a zonal cluster sets cluster.gcp.zone as well)',
        ]);
    });
});

describe("refused in prod because it is unsafe", () => {
    it.each<[string, Record<string, unknown>, string]>([
        [
            "a shared-core Cloud SQL tier",
            prod(gcp(), { database: { tier: "db-f1-micro" } }),
            'mlops:database.tier: got "db-f1-micro"; mlops:environment is prod, and shared-core tiers have no SLA (development only): use db-custom-<vCPUs>-<MiB>, e.g. db-custom-1-3840',
        ],
        [
            "a burstable RDS class",
            prod(aws(), { database: { instanceClass: "db.t4g.small" } }),
            'mlops:database.instanceClass: got "db.t4g.small"; mlops:environment is prod, and burstable classes (db.t*) throttle once their CPU credits run out: use a db.m* or db.r* class, e.g. db.m7g.large',
        ],
        [
            "a self-signed certificate on public routes",
            { ...prod(gcp()), routing: { ...SSO, tls: { mode: "selfSigned" } } },
            'mlops:routing.tls.mode: got "selfSigned"; mlops:environment is prod, and browsers and clients do not trust a self-signed certificate on public routes: use acme (with acme.email)',
        ],
        [
            "an ACME staging directory",
            {
                ...prod(gcp()),
                routing: {
                    ...SSO,
                    tls: {
                        ...ACME,
                        acme: {
                            ...ACME.acme,
                            server: "https://acme-staging-v02.api.letsencrypt.org/directory",
                        },
                    },
                },
            },
            'mlops:routing.tls.acme.server: got "https://acme-staging-v02.api.letsencrypt.org/directory"; mlops:environment is prod, and a staging ACME directory issues certificates no browser trusts: remove it (Let\'s Encrypt production is the default)',
        ],
        [
            "a chart mirror over plain HTTP",
            prod(gcp(), { mirror: { charts: "http://charts.example.com" } }),
            'mlops:mirror.charts: got "http://charts.example.com"; mlops:environment is prod, and charts fetched over plain HTTP can be swapped on the way: use an https:// or oci:// mirror',
        ],
    ])("%s", (_what, raw, message) => {
        expect(configProblems(raw)).toEqual([message]);
    });

    it("the same values pass in dev, and prod's own defaults pass in prod", () => {
        expect(configProblems(aws({}, { database: { instanceClass: "db.t4g.small" } }))).toEqual(
            [],
        );
        expect(
            configProblems({ ...gcp(), routing: { ...SSO, tls: { mode: "selfSigned" } } }),
        ).toEqual([]);
        // A prod aws stack that names no class gets one that is not burstable.
        expect(parseConfig(prod(aws())).database.instanceClass).toBe("db.m7g.large");
        expect(parseConfig(aws()).database.instanceClass).toBe("db.t4g.small");
        // A router with no external Service serves no public route.
        expect(
            configProblems({
                ...prod(gcp()),
                routing: { ...SSO, serviceType: "ClusterIP", tls: { mode: "selfSigned" } },
            }),
        ).toEqual([]);
    });
});
