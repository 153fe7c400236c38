/**
 * Google Cloud identifiers derived from user-chosen names: valid for their service and distinct,
 * for names at the limits of what the config schema accepts (DNS labels of up to 63 characters,
 * which may start with a digit).
 *
 * The patterns below are written from Google's documentation, independently of
 * components/gcp/names.ts:
 * - service account IDs: "6-30 characters long, and match the regular expression
 *   [a-z]([-a-z0-9]*[a-z0-9])" (IAM CreateServiceAccountRequest.account_id,
 *   https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create);
 * - bucket names: 3-63 characters of lowercase letters, digits, '-', '_' (dots need domain
 *   verification), starting and ending with a letter or digit, not beginning with "goog", not
 *   containing "google" or close misspellings such as "g00gle"
 *   (https://cloud.google.com/storage/docs/buckets#naming);
 * - GKE cluster names: "up to 40 characters ... Lowercase letters, numbers, and hyphens only.
 *   Must start with a letter. Must end with a number or a letter" (GKE API Cluster.name); node
 *   pools: the same 40;
 * - Compute Engine names (network, subnetwork, router, Cloud NAT, global address): 1-63
 *   characters, [a-z]([-a-z0-9]*[a-z0-9])? (https://cloud.google.com/compute/docs/naming-resources);
 * - Cloud SQL instance IDs: lowercase letters, digits and '-', starting with a letter, "the
 *   total length must be 98 characters or less" (Cloud SQL Admin API v1beta4 `instance`), read
 *   conservatively as `project:instance` ≤ 98.
 */
import { createHash } from "node:crypto";
import { GCP_ID_RULES, gcpDisplayName, gcpId, sqlInstanceRule } from "../components/gcp/names";
import { CLUSTER_NAME_MAX, TEAM_NAME_MAX, parseConfig } from "../stacks/config";
import { gcpFoundation } from "../stacks/gcp";
import { Recording, record, settled } from "./support/harness";
import { SSO } from "./support/fixtures";

const SERVICE_ACCOUNT = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/;
const BUCKET = /^[a-z0-9][-_a-z0-9]{1,61}[a-z0-9]$/;
const GKE = /^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$/;
const COMPUTE = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const SQL = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
const validBucket = (b: string) => BUCKET.test(b) && !/^goog/.test(b) && !/g[o0][o0]gle/.test(b);

const hash8 = (parts: string[]) =>
    createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 8);

describe("gcpId", () => {
    it("uses a name that is already valid as it is", () => {
        expect(gcpId(GCP_ID_RULES.serviceAccount, ["mlops", "tracking"])).toBe("mlops-tracking");
        expect(gcpId(GCP_ID_RULES.bucket, ["my-project", "mlops", "datasets"])).toBe(
            "my-project-mlops-datasets",
        );
        expect(gcpId(GCP_ID_RULES.nodePool, ["system"])).toBe("system");
        expect(gcpId(GCP_ID_RULES.compute, ["mlops"])).toBe("mlops");
    });

    it("shortens a long name to a readable stem and 8 hex digits of SHA-256 of its parts", () => {
        // The example in components/gcp/names.ts.
        expect(
            gcpId(GCP_ID_RULES.serviceAccount, ["mlops", "team", "computer-vision-research"]),
        ).toBe("mlops-team-computer-v-b742ea50");
        const team = `vision-${"x".repeat(50)}`;
        const id = gcpId(GCP_ID_RULES.serviceAccount, ["mlops", "team", team]);
        // 30 characters: 21 of stem, '-', 8 of hash.
        expect(id).toBe(`mlops-team-vision-xxx-${hash8(["mlops", "team", team])}`);
        expect(id).toHaveLength(30);
    });

    it("never ends the stem in '-' when the cut falls on one", () => {
        // 21 characters of stem room: the cut ends on the '-' after "aaaaaaaaaaaaaaaaaaaa".
        const id = gcpId(GCP_ID_RULES.serviceAccount, [`${"a".repeat(20)}-bbbbbbbbbbbb`]);
        expect(id).toBe(`${"a".repeat(20)}-${hash8([`${"a".repeat(20)}-bbbbbbbbbbbb`])}`);
    });

    it("starts with a letter where the service requires one", () => {
        expect(gcpId(GCP_ID_RULES.gkeCluster, ["1mlops"])).toBe(`mlops-${hash8(["1mlops"])}`);
        expect(gcpId(GCP_ID_RULES.nodePool, ["42"])).toBe(`id-${hash8(["42"])}`);
        // Buckets may start with a digit.
        expect(gcpId(GCP_ID_RULES.bucket, ["p", "1mlops", "tracking"])).toBe("p-1mlops-tracking");
    });

    it("lengthens a service account ID below 6 characters", () => {
        expect(gcpId(GCP_ID_RULES.serviceAccount, ["a", "b"])).toBe(`a-b-${hash8(["a", "b"])}`);
    });

    it("keeps Google's reserved words out of bucket names", () => {
        const id = gcpId(GCP_ID_RULES.bucket, ["p", "google", "tracking"]);
        expect(id).toBe(`p-go-ogle-tracking-${hash8(["p", "google", "tracking"])}`);
        expect(validBucket(id)).toBe(true);
        expect(gcpId(GCP_ID_RULES.bucket, ["goog", "x", "y"])).toBe(
            `go-og-x-y-${hash8(["goog", "x", "y"])}`,
        );
        expect(validBucket(gcpId(GCP_ID_RULES.bucket, ["g00googoog", "ml", "data"]))).toBe(true);
    });

    it("shortens a valid name that looks shortened, so no verbatim name equals a shortened one", () => {
        const shortened = gcpId(GCP_ID_RULES.serviceAccount, ["mlops", "team", "x".repeat(40)]);
        expect(gcpId(GCP_ID_RULES.serviceAccount, [shortened])).not.toBe(shortened);
        expect(gcpId(GCP_ID_RULES.compute, ["ml-20240101"])).toBe(
            `ml-20240101-${hash8(["ml-20240101"])}`,
        );
    });

    it("rejects an empty part, naming the kind", () => {
        expect(() => gcpId(GCP_ID_RULES.serviceAccount, ["mlops", ""])).toThrow(
            new Error(
                'service account ID: got parts ["mlops",""]; every part must be a non-empty string',
            ),
        );
    });

    it("gives Cloud SQL 98 characters minus the project and its colon, and room for a suffix", () => {
        expect(sqlInstanceRule("my-project").max).toBe(87);
        expect(sqlInstanceRule("my-project", 9).max).toBe(78);
    });

    it("cuts display names to 100 UTF-8 bytes", () => {
        expect(gcpDisplayName("x".repeat(150))).toBe("x".repeat(100));
        expect(gcpDisplayName("short")).toBe("short");
        expect(Buffer.byteLength(gcpDisplayName("é".repeat(80)), "utf8")).toBe(100);
    });

    it("is valid and injective over many generated DNS labels at and around the limits", () => {
        // A seeded generator: the same labels on every run.
        let seed = 42;
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
        const names = new Set<string>();
        for (let i = 0; i < 400; i++) names.add(label(1 + (next() % 63)));
        for (let i = 0; i < 100; i++) names.add(`${shared}-${label(2)}`);
        const kinds: [keyof typeof GCP_ID_RULES, (id: string) => boolean][] = [
            ["serviceAccount", (id) => SERVICE_ACCOUNT.test(id)],
            ["bucket", validBucket],
            ["gkeCluster", (id) => GKE.test(id)],
            ["nodePool", (id) => GKE.test(id)],
            ["compute", (id) => COMPUTE.test(id)],
        ];
        for (const [kind, valid] of kinds) {
            const ids = new Map<string, string>();
            for (const n of names) {
                const parts = kind === "bucket" ? ["my-project-id", n, "tracking"] : [n, "team", n];
                const id = gcpId(GCP_ID_RULES[kind], parts);
                expect([kind, n, id, valid(id)]).toEqual([kind, n, id, true]);
                expect([kind, id, ids.get(id)]).toEqual([kind, id, undefined]);
                ids.set(id, n);
            }
        }
    });
});

/** Every identifier GCP sees, by kind, from a run of the GCP foundation. */
function identifiers(rec: Recording) {
    const inputs = (type: string, key = "name") =>
        rec.ofType(type).map((r) => r.inputs[key] as string);
    return {
        serviceAccounts: inputs("gcp:serviceaccount/account:Account", "accountId"),
        buckets: inputs("gcp:storage/bucket:Bucket"),
        clusters: inputs("gcp:container/cluster:Cluster"),
        nodePools: inputs("gcp:container/nodePool:NodePool"),
        compute: [
            "gcp:compute/network:Network",
            "gcp:compute/subnetwork:Subnetwork",
            "gcp:compute/router:Router",
            "gcp:compute/routerNat:RouterNat",
            "gcp:compute/globalAddress:GlobalAddress",
        ].map((t) => [t, inputs(t)] as const),
        sqlInstances: inputs("gcp:sql/databaseInstance:DatabaseInstance"),
    };
}

describe("the GCP foundation at the limits of the config schema", () => {
    const PROJECT = "a-thirty-character-project-id1"; // project IDs: at most 30 characters
    const dns63 = (head: string, fill: string) => `${head}${fill.repeat(63 - head.length)}`;
    const atMost = (n: number, head: string, fill: string) =>
        `${head}${fill.repeat(n - head.length)}`;
    const sharedPrefix = "t".repeat(TEAM_NAME_MAX - 3);

    it.each([
        ["the longest cluster name", atMost(CLUSTER_NAME_MAX, "cluster-", "c")],
        [
            "the longest cluster name, starting with a digit",
            atMost(CLUSTER_NAME_MAX, "9cluster-", "c"),
        ],
        ["the default cluster name", "mlops"],
        ["a 1-character cluster name", "m"],
    ])("%s: every identifier is valid and distinct", async (_what, clusterName) => {
        const config = parseConfig({
            cloud: "gcp",
            routing: SSO,
            cluster: {
                name: clusterName,
                gcp: { project: PROJECT, region: "us-central1" },
                gpuPools: [
                    {
                        name: dns63("l4-", "x"),
                        gpuType: "nvidia-l4",
                        machineType: "g2-standard-8",
                        maxNodes: 1,
                    },
                    {
                        name: dns63("l4-", "y"),
                        gpuType: "nvidia-l4",
                        machineType: "g2-standard-8",
                        maxNodes: 1,
                    },
                    { name: "1", gpuType: "nvidia-l4", machineType: "g2-standard-8", maxNodes: 1 },
                ],
            },
            // Two teams of the longest name that share all but their last two characters.
            teams: [
                { name: `${sharedPrefix}-aa` },
                { name: `${sharedPrefix}-ab` },
                { name: "a" },
                { name: "0" },
            ],
        });
        const rec = record();
        gcpFoundation(config);
        await settled();
        const ids = identifiers(rec);

        // Service accounts: 4 services, 4 teams, the nodes; unique within the project.
        expect(ids.serviceAccounts).toHaveLength(9);
        for (const id of ids.serviceAccounts)
            expect([id, SERVICE_ACCOUNT.test(id)]).toEqual([id, true]);
        expect(new Set(ids.serviceAccounts).size).toBe(9);

        // Buckets: global names, 4 of them.
        expect(ids.buckets).toHaveLength(4);
        for (const id of ids.buckets) expect([id, validBucket(id)]).toEqual([id, true]);
        expect(new Set(ids.buckets).size).toBe(4);

        expect(ids.clusters).toHaveLength(1);
        expect(ids.clusters[0]).toMatch(GKE);

        // Node pools: the system pool and 3 GPU pools, unique within the cluster.
        expect(ids.nodePools).toHaveLength(4);
        for (const id of ids.nodePools) expect([id, GKE.test(id)]).toEqual([id, true]);
        expect(new Set(ids.nodePools).size).toBe(4);

        for (const [type, names] of ids.compute) {
            expect([type, names.length]).toEqual([type, 1]);
            expect([type, names[0], COMPUTE.test(names[0])]).toEqual([type, names[0], true]);
        }

        // Cloud SQL: `<stem>-<8 random lowercase letters or digits>`; the mocks' RandomString
        // result stands in for the suffix, so check the stem with a suffix of that shape.
        expect(ids.sqlInstances).toHaveLength(1);
        const stem = ids.sqlInstances[0].replace(/-mock-string-.*$/, "");
        const instance = `${stem}-a1b2c3d4`;
        expect(instance).toMatch(SQL);
        expect(PROJECT.length + 1 + instance.length).toBeLessThanOrEqual(98);
    });

    it("shortens only what must be: the shipped GCP stack's names are used as they are", async () => {
        const rec = record();
        gcpFoundation(
            parseConfig({
                cloud: "gcp",
                routing: SSO,
                cluster: {
                    name: "mlops",
                    gcp: { project: "my-ml-project", region: "us-central1" },
                },
                teams: [{ name: "vision" }],
            }),
        );
        await settled();
        const ids = identifiers(rec);
        expect(ids.serviceAccounts.sort()).toEqual([
            "mlops-features",
            "mlops-nodes",
            "mlops-serving",
            "mlops-team-vision",
            "mlops-tracking",
            "mlops-workflows",
        ]);
        expect(ids.buckets.sort()).toEqual([
            "my-ml-project-mlops-datasets",
            "my-ml-project-mlops-features",
            "my-ml-project-mlops-tracking",
            "my-ml-project-mlops-workflows",
        ]);
        expect(ids.clusters).toEqual(["mlops"]);
        expect(ids.nodePools).toEqual(["system"]);
    });
});
