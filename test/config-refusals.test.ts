/**
 * What the config refuses because the provider would, or because prod must not run it: one case
 * per refusal, each the exact message (key, value, what is allowed), each from a config that is
 * valid but for that one value.
 */
import { parseConfig } from "../stacks/config";
import { configProblems, SSO } from "./support/fixtures";

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
            'mlops:cluster.gpuPools[0].machineType: got "g6.xlarge.big"; must be an EC2 instance type such as m6i.xlarge or g6.xlarge',
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
