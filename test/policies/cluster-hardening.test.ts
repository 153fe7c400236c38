/**
 * Cloud hardening guardrails beyond the one-field cases of policies.test.ts: EKS node metadata
 * (the template is another resource), the GKE control plane's exposure, Secrets encryption, and
 * the whole-internet test the guardrails and config validation share.
 */
import { coversWholeInternet, parseCidr } from "../../policies/cidr";
import { profiles } from "../../policies/profiles";
import { policies } from "../../policies/rules";
import { UNKNOWN_SENTINEL } from "../../policies/unknown-inputs";
import { checkPolicies } from "../../tools/plan/policy-check";
import { RecordedResource } from "../../tools/plan/recorder";

const urnOf = (type: string, name: string) => `urn:pulumi:test::p::${type}::${name}`;
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const NG = "aws:eks/nodeGroup:NodeGroup";
const GKE = "gcp:container/cluster:Cluster";

function res(type: string, name: string, inputs: any, dependsOn: string[] = []): RecordedResource {
    return { urn: urnOf(type, name), type, name, custom: true, protect: false, dependsOn, inputs };
}

async function messages(policy: string, list: RecordedResource[], config = {}) {
    const p = policies.filter((x) => x.name === policy);
    expect(p).toHaveLength(1);
    return (await checkPolicies(list, p, config)).map((v) => `${v.level}: ${v.message}`);
}

const SAFE = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 };
const template = (metadataOptions: unknown) => res(LT, "ml-l4", { metadataOptions });
const group = (launchTemplate: unknown, deps = [urnOf(LT, "ml-l4")]) =>
    res(NG, "ml-l4", { nodeGroupName: "l4", launchTemplate }, deps);
const REF = { id: "lt-1", version: "1" };

describe("eks-node-metadata-protected", () => {
    const P = "eks-node-metadata-protected";

    it("passes a group whose template requires IMDSv2 with hop limit 1, or turns metadata off", async () => {
        expect(await messages(P, [template(SAFE), group(REF)])).toEqual([]);
        expect(await messages(P, [template({ httpEndpoint: "disabled" }), group(REF)])).toEqual([]);
    });

    it("fails a group without a template, with IMDSv1 allowed, or with a hop limit of 2", async () => {
        expect(await messages(P, [group(undefined, [])])).toEqual([
            "advisory: node group 'l4': no launch template: EKS's default leaves IMDSv1 on with a hop limit of 2, so pods reach the node role",
        ]);
        expect(
            await messages(P, [
                template({
                    httpEndpoint: "enabled",
                    httpTokens: "optional",
                    httpPutResponseHopLimit: 2,
                }),
                group(REF),
            ]),
        ).toEqual([
            "advisory: node group 'l4': launch template: httpTokens is optional, not required; httpPutResponseHopLimit is 2, not 1",
        ]);
        expect(await messages(P, [template(undefined), group(REF)])).toEqual([
            "advisory: node group 'l4': launch template: httpTokens is unset, not required; httpPutResponseHopLimit is unset, not 1",
        ]);
    });

    it("fails a template it cannot see, and is mandatory in prod", async () => {
        expect(
            await messages(
                P,
                [group({ name: "elsewhere", version: "$Latest" }, [])],
                profiles.prod,
            ),
        ).toEqual([
            "mandatory: node group 'l4': its launch template is not in this stack, so its metadata options cannot be checked",
        ]);
    });

    it("skips what preview cannot know yet", async () => {
        expect(await messages(P, [template(SAFE), group(UNKNOWN_SENTINEL)])).toEqual([]);
        expect(await messages(P, [template(UNKNOWN_SENTINEL), group(REF)])).toEqual([]);
    });
});

describe("GKE control plane and Secrets", () => {
    const base = {
        privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: false },
        masterAuthorizedNetworksConfig: {
            cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }],
            gcpPublicCidrsAccessEnabled: false,
        },
        databaseEncryption: { state: "ENCRYPTED", keyName: "k" },
    };
    const gke = (over: object) => [res(GKE, "ml", { ...base, ...over })];
    const P = "gke-control-plane-restricted";

    it("passes a private endpoint, and a public one open to listed networks only", async () => {
        expect(await messages(P, gke({}), profiles.prod)).toEqual([]);
        expect(
            await messages(
                P,
                gke({
                    privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true },
                    masterAuthorizedNetworksConfig: { cidrBlocks: [] },
                }),
                profiles.prod,
            ),
        ).toEqual([]);
    });

    it("fails, mandatory in prod, a public endpoint open to all, to the whole internet in halves, or to Google Cloud", async () => {
        const cases: [object, string][] = [
            [
                { masterAuthorizedNetworksConfig: undefined },
                "public endpoint without authorized networks: any address may reach it",
            ],
            [
                {
                    masterAuthorizedNetworksConfig: {
                        cidrBlocks: [{ cidrBlock: "0.0.0.0/1" }, { cidrBlock: "128.0.0.0/1" }],
                        gcpPublicCidrsAccessEnabled: false,
                    },
                },
                "public endpoint open to the whole internet (0.0.0.0/1, 128.0.0.0/1)",
            ],
            [
                {
                    masterAuthorizedNetworksConfig: {
                        cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }],
                    },
                },
                "public endpoint admits Google Cloud's public addresses (gcpPublicCidrsAccessEnabled is not false)",
            ],
        ];
        for (const [over, message] of cases) {
            expect(await messages(P, gke(over), profiles.prod)).toEqual([`mandatory: ${message}`]);
        }
    });

    it("gke-secrets-encryption fails a cluster without a key, mandatory in prod", async () => {
        const S = "gke-secrets-encryption";
        expect(await messages(S, gke({}), profiles.prod)).toEqual([]);
        expect(await messages(S, gke({ databaseEncryption: undefined }), profiles.prod)).toEqual([
            "mandatory: databaseEncryption is not ENCRYPTED with a Cloud KMS key",
        ]);
        expect(
            await messages(S, gke({ databaseEncryption: { state: "ENCRYPTED" } }), profiles.dev),
        ).toEqual(["advisory: databaseEncryption is not ENCRYPTED with a Cloud KMS key"]);
    });
});

describe("whole-internet CIDR lists", () => {
    it.each([
        [["0.0.0.0/0"], true],
        [["::/0"], true],
        [["0.0.0.0/1", "128.0.0.0/1"], true],
        [["128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2"], true],
        [["::/1", "8000::/1"], true],
        [["0.0.0.0/1", "128.0.0.0/2"], false],
        [["0.0.0.0/1", "::/1", "8000::/1"], true],
        [["203.0.113.0/24", "10.0.0.0/8"], false],
        [[], false],
    ])("%j → %s", (cidrs, whole) => {
        expect(coversWholeInternet(cidrs)).toBe(whole);
    });

    it("parses blocks as the providers read them, and names what is wrong", () => {
        expect(parseCidr("203.0.113.7/24")).toEqual({
            family: 4,
            range: { first: 0xcb007100n, last: 0xcb0071ffn },
            canonical: false,
        });
        expect(parseCidr("2001:db8::/32")).toMatchObject({ family: 6, canonical: true });
        expect(parseCidr("300.0.0.0/8")).toEqual({
            problem: "each of the four numbers must be 0-255, without leading zeros",
        });
        expect(parseCidr("10.0.0.0/33")).toEqual({
            problem: "the prefix length of an IPv4 block is 0-32",
        });
        expect(parseCidr("office")).toEqual({
            problem: "must be a CIDR block such as 203.0.113.0/24 or 2001:db8::/32",
        });
    });
});

describe("what prod refuses in config, the guardrails catch in the plan", () => {
    it("database-production-tier: a shared-core Cloud SQL tier, mandatory in prod, off in dev", async () => {
        const sql = [
            res("gcp:sql/databaseInstance:DatabaseInstance", "db", {
                settings: { tier: "db-f1-micro" },
            }),
        ];
        expect(await messages("database-production-tier", sql, profiles.prod)).toEqual([
            "mandatory: Cloud SQL tier db-f1-micro is shared-core, with no SLA",
        ]);
        expect(await messages("database-production-tier", sql, profiles.dev)).toEqual([]);
    });

    it("routes-trusted-certificate: a self-signed certificate, mandatory in prod", async () => {
        const cert = [
            res("tls:index/selfSignedCert:SelfSignedCert", "tls", {
                dnsNames: ["ml.example.com", "*.ml.example.com"],
            }),
        ];
        expect(await messages("routes-trusted-certificate", cert, profiles.prod)).toEqual([
            "mandatory: self-signed certificate for ml.example.com, *.ml.example.com",
        ]);
    });

    it("helm-repository-https: a chart URL over plain HTTP, mandatory in prod", async () => {
        const release = [
            res("kubernetes:helm.sh/v3:Release", "argo", {
                name: "argo",
                chart: "http://mirror.example.com/argo-1.0.0.tgz",
            }),
        ];
        expect(await messages("helm-repository-https", release, profiles.prod)).toEqual([
            "mandatory: chart 'argo' is fetched over plain HTTP from http://mirror.example.com/argo-1.0.0.tgz",
        ]);
    });

    it("no-everyone-bindings: every service account and the superusers are cluster-wide too", async () => {
        const binding = (group: string) => [
            res("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "b", {
                roleRef: { name: "edit" },
                subjects: [{ kind: "Group", name: group }],
            }),
        ];
        expect(
            await messages(
                "no-everyone-bindings",
                binding("system:serviceaccounts"),
                profiles.prod,
            ),
        ).toEqual([
            "mandatory: binds role 'edit' to group 'system:serviceaccounts': every service account of every namespace",
        ]);
        expect(
            await messages("no-everyone-bindings", binding("system:masters"), profiles.prod),
        ).toEqual([
            "mandatory: binds role 'edit' to group 'system:masters': the cluster's superusers, beyond RBAC",
        ]);
        expect(
            await messages(
                "no-everyone-bindings",
                binding("system:serviceaccounts:team-a"),
                profiles.prod,
            ),
        ).toEqual([]);
    });
});
