/**
 * Team A against team B on the stores, in the plans of the shipped local (dev), gcp and aws
 * stacks, each with the teams `vision` and `nlp`: every identity of a team reads, writes and
 * lists under `teams/<team>/` of its buckets and nowhere else; shared files are reached
 * through the team's own access point (EFS) or its own claims behind a closed NFS namespace.
 */
import { shippedStackPlan } from "../support/plan";

interface Resource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    inputs: any;
}

const planOf = (stack: string): Resource[] => {
    const run = shippedStackPlan(stack);
    if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};

const TEAMS = ["vision", "nlp"] as const;
const other = (team: string) => TEAMS.find((t) => t !== team)!;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

describe("local (dev): the in-cluster store's identities", () => {
    const resources = planOf("dev");
    // The identities file is a secret (redacted in the plan); the annotation beside it declares
    // each identity's attached policy, and object-store-team-identities-confined checks that the
    // file attaches exactly those and no legacy actions (test/policies/policies.test.ts).
    const secret = resources.find(
        (r) => r.type === "kubernetes:core/v1:Secret" && r.name === "mlops-objectstore-s3-config",
    )!;
    const declared: Record<string, any> = JSON.parse(
        secret.inputs.metadata.annotations["mlops.dev/identity-policies"],
    );
    const buckets = ["tracking", "workflows", "datasets"].map((k) => `mlops-objectstore-${k}`);

    it.each(TEAMS)("team %s reads, writes and lists under its own prefix only", (team) => {
        expect(Object.keys(declared).sort()).toEqual(["team-nlp", "team-vision"]);
        expect(declared[`team-${team}`]).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ObjectsUnderPrefix",
                    Effect: "Allow",
                    Action: [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    Resource: buckets.map((b) => `arn:aws:s3:::${b}/teams/${team}/*`),
                    Condition: { Null: { "s3:prefix": "true" } },
                },
                {
                    Sid: "ListPrefix",
                    Effect: "Allow",
                    Action: ["s3:ListBucket", "s3:ListBucketVersions"],
                    Resource: buckets.map((b) => `arn:aws:s3:::${b}`),
                    Condition: { StringLike: { "s3:prefix": `teams/${team}/*` } },
                },
            ],
        });
        expect(JSON.stringify(declared[`team-${team}`])).not.toContain(`teams/${other(team)}/`);
    });

    // How the gateway (SeaweedFS 4.44) authorises a request through an attached policy: a
    // request without an object key takes `?prefix=` as its key, and is then resolved to the
    // object action of its method on `<bucket>/<prefix>`; `s3:prefix` is the parameter itself.
    const allows = (policy: any, action: string, resource: string, prefix?: string): boolean =>
        policy.Statement.some((st: any) => {
            const like = (p: string, v: string) =>
                new RegExp(
                    `^${p
                        .split("*")
                        .map((x) => x.replace(/[.?+^$()[\]{}|\\]/g, "\\$&"))
                        .join(".*")}$`,
                ).test(v);
            if (!st.Action.includes(action) || !st.Resource.some((r: string) => like(r, resource)))
                return false;
            const nul = st.Condition.Null?.["s3:prefix"];
            if (nul !== undefined) return (nul === "true") === (prefix === undefined);
            const pattern = st.Condition.StringLike?.["s3:prefix"];
            return prefix !== undefined && like(pattern, prefix);
        });

    it.each(TEAMS)(
        "team %s reaches its own objects and listing, and no bucket's configuration",
        (team) => {
            const policy = declared[`team-${team}`];
            const b = "mlops-objectstore-tracking";
            // Its own: PUT/GET/DELETE of teams/<team>/x, a listing of teams/<team>/.
            for (const a of ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"])
                expect(allows(policy, a, `arn:aws:s3:::${b}/teams/${team}/x`)).toBe(true);
            expect(allows(policy, "s3:ListBucket", `arn:aws:s3:::${b}`, `teams/${team}/`)).toBe(
                true,
            );
            // The other team's objects and listing, the bucket root.
            expect(allows(policy, "s3:GetObject", `arn:aws:s3:::${b}/teams/${other(team)}/x`)).toBe(
                false,
            );
            expect(
                allows(policy, "s3:ListBucket", `arn:aws:s3:::${b}`, `teams/${other(team)}/`),
            ).toBe(false);
            expect(allows(policy, "s3:ListBucket", `arn:aws:s3:::${b}`)).toBe(false);
            // PUT /<bucket>?lifecycle&prefix=teams/<team>/ (likewise versioning, CORS, object
            // lock): resolved to s3:PutObject on <bucket>/teams/<team>/ with s3:prefix present.
            // DELETE ?lifecycle, GET ?policy: s3:DeleteObject, s3:GetObject the same way.
            for (const a of ["s3:PutObject", "s3:DeleteObject", "s3:GetObject"])
                expect(
                    allows(policy, a, `arn:aws:s3:::${b}/teams/${team}/`, `teams/${team}/`),
                ).toBe(false);
            // Without ?prefix= the same requests resolve to the bucket-level actions themselves.
            for (const a of [
                "s3:PutLifecycleConfiguration",
                "s3:PutBucketVersioning",
                "s3:PutBucketCORS",
                "s3:PutBucketObjectLockConfiguration",
                "s3:PutBucketPolicy",
                "s3:PutBucketAcl",
                "s3:DeleteBucket",
                "s3:GetBucketPolicy",
            ])
                expect(allows(policy, a, `arn:aws:s3:::${b}`)).toBe(false);
        },
    );

    it("closes the NFS server's namespace to pods", () => {
        const deny = resources.find(
            (r) =>
                r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                r.name === "mlops-nfs-default-deny",
        )!;
        expect(deny.inputs.spec).toEqual({
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [],
        });
        expect(deny.inputs.metadata).toEqual({ name: "default-deny", namespace: "mlops-nfs" });
        // The dev stack names no node ranges: nothing but the server's own node mounts.
        expect(resources.filter((r) => r.name === "mlops-nfs-allow-nodes")).toEqual([]);
    });
});

describe("aws: each team role's statements", () => {
    const resources = planOf("aws");
    const roleOf = (team: string) =>
        resources.find(
            (r) => r.type === "aws:iam/role:Role" && r.inputs?.tags?.["mlops.dev/team"] === team,
        )!;

    it.each(TEAMS)("team %s reads, writes and lists teams/%s/ and nothing else", (team) => {
        const role = roleOf(team);
        const policies = resources.filter(
            (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.parent === role.parent,
        );
        expect(policies).toHaveLength(1);
        const statements: any[] = JSON.parse(policies[0].inputs.policy).Statement;
        expect(statements.length).toBeGreaterThan(0);
        for (const s of statements) {
            expect(s.Effect).toBe("Allow");
            expect(s.NotResource).toBeUndefined();
            expect(s.NotAction).toBeUndefined();
            const actions = list(s.Action) as string[];
            for (const r of list(s.Resource) as string[]) {
                if (r.includes("/")) {
                    // Objects: the team's own prefix, never the other team's nor the root.
                    expect(r).toMatch(new RegExp(`^arn:aws:s3:::[^/]+/teams/${team}/\\*$`));
                    continue;
                }
                // The bucket itself: its location, and listing under the team's prefix only.
                expect(r).toMatch(/^arn:aws:s3:::[^/*]+$/);
                if (actions.includes("s3:ListBucket")) {
                    expect(actions).toEqual(["s3:ListBucket"]);
                    expect(s.Condition).toEqual({
                        StringLike: { "s3:prefix": [`teams/${team}/`, `teams/${team}/*`] },
                    });
                } else {
                    expect(actions).toEqual(["s3:GetBucketLocation"]);
                }
            }
        }
        // Every team bucket is reachable under the prefix: tracking, workflows, datasets.
        const objects = statements
            .flatMap((s) => list(s.Resource) as string[])
            .filter((r) => r.includes("/"));
        expect(objects.map((r) => r.replace(/^arn:aws:s3:::mlops-([a-z]+)-.*$/, "$1"))).toEqual([
            "tracking",
            "workflows",
            "datasets",
        ]);
    });

    it("requires access points and TLS on EFS, and gives each team its own access point", () => {
        const fsPolicy = resources.find(
            (r) => r.type === "aws:efs/fileSystemPolicy:FileSystemPolicy",
        )!;
        const doc = JSON.parse(fsPolicy.inputs.policy);
        expect(doc.Statement.map((s: any) => [s.Effect, s.Condition])).toEqual([
            ["Deny", { Bool: { "aws:SecureTransport": "false" } }],
            [
                "Allow",
                {
                    Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" },
                    ArnLike: {
                        "elasticfilesystem:AccessPointArn": expect.stringMatching(
                            /^arn:aws:elasticfilesystem:[a-z0-9-]+:\d{12}:access-point\/\*$/,
                        ),
                    },
                },
            ],
        ]);
        // No ClientRootAccess: root through any access point is squashed.
        expect(doc.Statement[1].Action).toEqual([
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
        ]);
        const points = resources.filter((r) => r.type === "aws:efs/accessPoint:AccessPoint");
        expect(points.map((p) => p.inputs.rootDirectory.path).sort()).toEqual([
            "/teams/nlp",
            "/teams/vision",
        ]);
        const ids = points.map((p) => p.inputs.posixUser.uid);
        expect(new Set(ids).size).toBe(2);
        for (const p of points) {
            expect(p.inputs.posixUser.gid).toBe(p.inputs.posixUser.uid);
            expect(p.inputs.rootDirectory.creationInfo.permissions).toBe("750");
        }
        for (const team of TEAMS) {
            const pv = resources.find(
                (r) =>
                    r.type === "kubernetes:core/v1:PersistentVolume" &&
                    r.inputs.metadata.name === `team-${team}-shared`,
            )!;
            // Bound in advance to the team's own claim: the other team cannot claim it.
            expect(pv.inputs.spec.claimRef).toEqual({ namespace: `team-${team}`, name: "shared" });
            expect(pv.inputs.spec.csi.driver).toBe("efs.csi.aws.com");
        }
    });
});

describe("gcp: each team account's grants", () => {
    const resources = planOf("gcp");
    const accountOf = (team: string) =>
        resources.find(
            (r) =>
                r.type === "gcp:serviceaccount/account:Account" &&
                r.inputs?.description === `mlops team ${team} runner`,
        )!;

    it.each(TEAMS)("team %s's grants are conditioned on, or scoped to, teams/%s/", (team) => {
        const parent = accountOf(team).parent;
        const grants = resources.filter(
            (r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember" && r.parent === parent,
        );
        expect(grants).toHaveLength(3);
        for (const g of grants) {
            expect(g.inputs.role).toBe("roles/storage.objectAdmin");
            expect(g.inputs.condition.expression).toBe(
                `resource.name.startsWith("projects/_/buckets/${g.inputs.bucket}/objects/teams/${team}/")`,
            );
        }
        const folders = resources.filter(
            (r) =>
                r.type === "gcp:storage/managedFolderIamMember:ManagedFolderIamMember" &&
                r.parent === parent,
        );
        expect(folders.map((f) => [f.inputs.managedFolder, f.inputs.role])).toEqual(
            Array(3).fill([`teams/${team}/`, "roles/storage.objectViewer"]),
        );
        // No other storage grant names the team's account anywhere in the plan.
        const member = grants[0].inputs.member;
        const all = resources.filter(
            (r) => r.type.startsWith("gcp:storage/") && r.inputs?.member === member,
        );
        expect(all).toHaveLength(6);
    });
});
