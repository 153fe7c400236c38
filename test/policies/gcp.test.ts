/**
 * gcp-team-bucket-access-confined: a team's Google service account may read, list and write
 * only under its own object prefix. The resources are the ones GcpWorkloadIdentity registers (recorded under
 * mocks), evaluated with the offline checker, and, for unknown inputs, with the policy SDK's own
 * preview proxy.
 */
import { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import {
    GcpBucketGrant,
    GcpWorkloadIdentity,
    teamAccountDescription,
} from "../../components/gcp/workload-identity";
import {
    GCS_READ_ROLES,
    GCS_WRITE_ROLES,
    TEAM_ACCOUNT_MARKER,
    gcpTeamBucketAccessConfined,
} from "../../policies/gcp";
import { policies } from "../../policies/rules";
import { checkPolicies } from "../../tools/plan/policy-check";
import { RecordedResource, UnknownValue } from "../../tools/plan/recorder";
import { record, settled } from "../support/harness";

const POLICY = "gcp-team-bucket-access-confined";
const IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember";
const ACCOUNT = "gcp:serviceaccount/account:Account";
const FOLDER_MEMBER = "gcp:storage/managedFolderIamMember:ManagedFolderIamMember";

/** The grants stacks/gcp.ts gives a team, as GcpWorkloadIdentity buckets. */
const teamGrants = (team: string): GcpBucketGrant[] => [
    {
        key: "workflows",
        bucket: "p-ml-workflows",
        role: "roles/storage.objectAdmin",
        prefix: `teams/${team}`,
    },
    {
        key: "datasets",
        bucket: "p-ml-datasets",
        role: "roles/storage.objectAdmin",
        prefix: `teams/${team}`,
    },
    {
        key: "tracking",
        bucket: "p-ml-tracking",
        role: "roles/storage.objectAdmin",
        prefix: `teams/${team}`,
    },
];

/** The resources of one identity, as the engine would receive them. */
async function identity(
    buckets: GcpBucketGrant[],
    /** null: a platform service's identity (no team). */
    team: string | null = "vision",
): Promise<RecordedResource[]> {
    const rec = record();
    new GcpWorkloadIdentity("ml-team-vision", {
        project: "p",
        workloadPool: "p.svc.id.goog",
        kubernetesServiceAccounts: ["team-vision/runner"],
        team: team ?? undefined,
        buckets,
    });
    await settled();
    return rec.resources;
}

/** The same resources with the inputs of one (by type and name) changed. */
function changed(
    resources: RecordedResource[],
    type: string,
    name: string,
    change: (inputs: Record<string, any>) => Record<string, any>,
): RecordedResource[] {
    let found = false;
    const out = resources.map((r) => {
        if (r.type !== type || r.name !== name) return r;
        found = true;
        return { ...r, inputs: change({ ...r.inputs }) };
    });
    if (!found) throw new Error(`no ${type} ${name}`);
    return out;
}

const violations = async (resources: RecordedResource[]) =>
    (await checkPolicies(resources, [gcpTeamBucketAccessConfined])).map((v) => [
        v.policy,
        v.level,
        v.urn.split("::").pop(),
        v.message,
    ]);

describe(POLICY, () => {
    it("is in the pack, mandatory, with a one-sentence description", () => {
        const p = policies.find((x) => x.name === POLICY);
        expect(p).toBe(gcpTeamBucketAccessConfined);
        expect(p!.enforcementLevel).toBe("mandatory");
        expect(p!.description).toBe(
            "Every bucket grant of a team's Google service account (read, list or write) is confined to the team's own object prefix: by an IAM condition, or by a managed folder of that prefix.",
        );
    });

    it("reads the marker GcpWorkloadIdentity writes, for any team name the schema accepts", () => {
        for (const team of ["vision", "0", `${"t".repeat(60)}-ab`]) {
            expect(TEAM_ACCOUNT_MARKER.exec(teamAccountDescription(team))?.[1]).toBe(team);
        }
        expect(TEAM_ACCOUNT_MARKER.exec("ml-team-vision (Workload Identity)")).toBeNull();
    });

    it("names its write roles and read roles apart", () => {
        for (const r of GCS_WRITE_ROLES) expect(GCS_READ_ROLES.has(r)).toBe(false);
        expect([...GCS_READ_ROLES].sort()).toEqual([
            "roles/storage.bucketViewer",
            "roles/storage.legacyBucketReader",
            "roles/storage.legacyObjectReader",
            "roles/storage.objectViewer",
        ]);
    });

    it("passes a team identity as GcpWorkloadIdentity builds it: every grant prefixed, listing through managed folders", async () => {
        const resources = await identity(teamGrants("vision"));
        expect(resources.filter((r) => r.type === FOLDER_MEMBER).map((r) => r.name)).toEqual([
            "ml-team-vision-workflows-list",
            "ml-team-vision-datasets-list",
            "ml-team-vision-tracking-list",
        ]);
        expect(await violations(resources)).toEqual([]);
    });

    it("fails a read grant on a whole bucket: reading and listing are confined too", async () => {
        const grants: GcpBucketGrant[] = [
            ...teamGrants("vision").slice(0, 2),
            { key: "tracking", bucket: "p-ml-tracking", role: "roles/storage.objectViewer" },
        ];
        expect(await violations(await identity(grants))).toEqual([
            [
                POLICY,
                "mandatory",
                "ml-team-vision-tracking",
                "team 'vision' holds roles/storage.objectViewer on bucket 'p-ml-tracking' without a condition: it can read every team's objects and list their names",
            ],
        ]);
    });

    it("fails a grant on a managed folder that is not the team's own prefix, and skips one not known yet", async () => {
        const resources = await identity(teamGrants("vision"));
        const other = changed(resources, FOLDER_MEMBER, "ml-team-vision-datasets-list", (i) => ({
            ...i,
            managedFolder: "teams/",
        }));
        expect(await violations(other)).toEqual([
            [
                POLICY,
                "mandatory",
                "ml-team-vision-datasets-list",
                "team 'vision' holds roles/storage.objectViewer on managed folder 'teams/', which is not the team's own prefix",
            ],
        ]);
        const nlp = changed(resources, FOLDER_MEMBER, "ml-team-vision-datasets-list", (i) => ({
            ...i,
            managedFolder: "teams/nlp/",
        }));
        expect((await violations(nlp)).map((v) => v[3])).toEqual([
            "team 'vision' holds roles/storage.objectViewer on managed folder 'teams/nlp/', which is not the team's own prefix",
        ]);
        const unknown = changed(resources, FOLDER_MEMBER, "ml-team-vision-datasets-list", (i) => ({
            ...i,
            managedFolder: new UnknownValue(),
        }));
        expect(await violations(unknown)).toEqual([]);
    });

    it("fails the same identity with one write grant's prefix (and so its condition) removed", async () => {
        const grants = teamGrants("vision");
        const bad = [{ ...grants[0], prefix: undefined }, grants[1], grants[2]];
        expect(await violations(await identity(bad))).toEqual([
            [
                POLICY,
                "mandatory",
                "ml-team-vision-workflows",
                "team 'vision' holds roles/storage.objectAdmin on bucket 'p-ml-workflows' without a condition: it can read and write every team's objects",
            ],
        ]);
    });

    it("fails a write grant confined to another team's prefix", async () => {
        const resources = changed(
            await identity(teamGrants("vision")),
            IAM_MEMBER,
            "ml-team-vision-datasets",
            (i) => ({
                ...i,
                condition: {
                    ...i.condition,
                    expression:
                        'resource.name.startsWith("projects/_/buckets/p-ml-datasets/objects/teams/nlp/")',
                },
            }),
        );
        expect(await violations(resources)).toEqual([
            [
                POLICY,
                "mandatory",
                "ml-team-vision-datasets",
                "team 'vision' holds roles/storage.objectAdmin on bucket 'p-ml-datasets' confined to 'teams/nlp/', which is not the team's own prefix",
            ],
        ]);
    });

    it("fails a condition that does not confine to an object prefix", async () => {
        const expression =
            'resource.name.startsWith("projects/_/buckets/p-ml-datasets/objects/teams/vision/") || true';
        const resources = changed(
            await identity(teamGrants("vision")),
            IAM_MEMBER,
            "ml-team-vision-datasets",
            (i) => ({
                ...i,
                condition: { ...i.condition, expression },
            }),
        );
        expect(await violations(resources)).toEqual([
            [
                POLICY,
                "mandatory",
                "ml-team-vision-datasets",
                `team 'vision' holds roles/storage.objectAdmin on bucket 'p-ml-datasets' under a condition that does not confine it to an object prefix: ${expression}`,
            ],
        ]);
    });

    it("treats a role it does not know as a write role", async () => {
        const grants: GcpBucketGrant[] = [
            { key: "tracking", bucket: "p-ml-tracking", role: "projects/p/roles/artifactWriter" },
        ];
        expect(await violations(await identity(grants))).toEqual([
            [
                POLICY,
                "mandatory",
                "ml-team-vision-tracking",
                "team 'vision' holds projects/p/roles/artifactWriter on bucket 'p-ml-tracking' without a condition: it can read and write every team's objects",
            ],
        ]);
    });

    it("leaves platform identities alone: no team marker, whole-bucket writes are theirs", async () => {
        const grants: GcpBucketGrant[] = [
            { key: "tracking", bucket: "p-ml-tracking", role: "roles/storage.objectAdmin" },
        ];
        expect(await violations(await identity(grants, null))).toEqual([]);
    });

    it("skips what is not known yet in the offline plan, and still reports what is", async () => {
        const grants = teamGrants("vision");
        const bad = await identity([{ ...grants[0], prefix: undefined }, grants[1], grants[2]]);
        // The marker unknown: the identity cannot be told a team's, so nothing is reported.
        expect(
            await violations(
                changed(bad, ACCOUNT, "ml-team-vision", (i) => ({
                    ...i,
                    description: new UnknownValue(),
                })),
            ),
        ).toEqual([]);
        // A condition's expression unknown: that grant is skipped; the unconditioned one is not.
        const unknownExpression = changed(bad, IAM_MEMBER, "ml-team-vision-datasets", (i) => ({
            ...i,
            condition: { ...i.condition, expression: new UnknownValue() },
        }));
        expect((await violations(unknownExpression)).map((v) => v[2])).toEqual([
            "ml-team-vision-workflows",
        ]);
    });
});

/**
 * `pulumi preview --policy-pack`: the policy SDK wraps each resource's props in a proxy that
 * throws `UnknownValueError` when an unknown input is read, and a stack policy that lets it
 * escape is not run at all (reported "can't run policy ... during preview", advisory):
 * @pulumi/policy 1.21.0 server.js (validateStack's catch) and proxy.js (unknownCheckingProxy).
 */
describe(`${POLICY} during preview, under the policy SDK's unknown-checking proxy`, () => {
    // Internal to @pulumi/policy 1.21.0 (proxy.js), so typed here by hand.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@pulumi/policy/proxy") as {
        unknownCheckingProxy: <T extends object>(o: T) => T;
        unknownStringValue: string;
        UnknownValueError: new (...args: unknown[]) => Error;
    };
    const UNKNOWN = sdk.unknownStringValue;

    function stack(props: { description: unknown; expression?: unknown; role?: unknown }) {
        const urn = (t: string, n: string) => `urn:pulumi:test::p::${t}::${n}`;
        const parent = { type: "mlops:identity:GcpWorkloadIdentity", urn: urn("c", "id") };
        const resource = (type: string, name: string, p: Record<string, unknown>) =>
            ({
                type,
                name,
                urn: urn(type, name),
                props: sdk.unknownCheckingProxy(p),
                parent,
                dependencies: [],
                propertyDependencies: {},
            }) as unknown as PolicyResource;
        return [
            resource(ACCOUNT, "id", {
                accountId: "id",
                email: UNKNOWN,
                description: props.description,
            }),
            resource(IAM_MEMBER, "id-workflows", {
                bucket: "b",
                role: props.role ?? "roles/storage.objectAdmin",
                member: UNKNOWN,
                ...(props.expression !== undefined
                    ? { condition: { title: "t", expression: props.expression } }
                    : {}),
            }),
        ];
    }

    async function run(resources: PolicyResource[]): Promise<string[]> {
        const out: string[] = [];
        const report: ReportViolation = (message) => out.push(message);
        const args = {
            resources,
            getConfig: () => ({}),
            notApplicable: () => {
                throw new Error("not applicable");
            },
            stackTags: new Map(),
        } as unknown as StackValidationArgs;
        await gcpTeamBucketAccessConfined.validateStack!(args, report);
        return out;
    }

    it("reads known inputs through the proxy as usual", async () => {
        expect(await run(stack({ description: "mlops team vision runner" }))).toEqual([
            "team 'vision' holds roles/storage.objectAdmin on bucket 'b' without a condition: it can read and write every team's objects",
        ]);
    });

    it("pins the SDK: reading an unknown input throws UnknownValueError", () => {
        const [, grant] = stack({ description: "x", expression: UNKNOWN });
        expect(() => grant.props.condition.expression).toThrow(
            new sdk.UnknownValueError(UNKNOWN, ["condition", "expression"]),
        );
        expect(() => grant.props.condition.expression).toThrow(
            "string value at .condition.expression can't be known during preview",
        );
    });

    it("skips an identity whose marker is unknown, and a grant whose condition or role is", async () => {
        expect(await run(stack({ description: UNKNOWN }))).toEqual([]);
        expect(
            await run(stack({ description: "mlops team vision runner", expression: UNKNOWN })),
        ).toEqual([]);
        expect(
            await run(stack({ description: "mlops team vision runner", role: UNKNOWN })),
        ).toEqual([]);
    });
});
