/** Guardrails for Google Cloud identities. */
import { PolicyResource } from "@pulumi/policy";
import { ofType, stackPolicy } from "./policy-builders";
import { UNKNOWN, stringInput } from "./unknown-inputs";

/**
 * The description that marks a team's Google service account (set by GcpWorkloadIdentity's
 * `team`): `mlops team <team> runner`. A plain input, so it is known during preview.
 */
export const TEAM_ACCOUNT_MARKER = /^mlops team ([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?) runner$/;

/** Cloud Storage roles that read and cannot write: fine on a whole bucket. */
export const GCS_READ_ROLES: ReadonlySet<string> = new Set([
    "roles/storage.objectViewer",
    "roles/storage.legacyObjectReader",
    "roles/storage.legacyBucketReader",
    "roles/storage.bucketViewer",
]);

/**
 * Cloud Storage roles that create, overwrite or delete objects (or administer the bucket).
 * Listed to name them; any role not in {@link GCS_READ_ROLES} (a custom role included) is
 * treated as one, since the policy cannot see what it holds.
 */
export const GCS_WRITE_ROLES: ReadonlySet<string> = new Set([
    "roles/storage.admin",
    "roles/storage.objectAdmin",
    "roles/storage.objectCreator",
    "roles/storage.objectUser",
    "roles/storage.folderAdmin",
    "roles/storage.legacyBucketOwner",
    "roles/storage.legacyBucketWriter",
    "roles/storage.legacyObjectOwner",
]);

/** The one condition form that confines a grant to the objects under a prefix. */
const OBJECT_PREFIX =
    /^resource\.name\.startsWith\("projects\/_\/buckets\/[^"/]+\/objects\/([^"]+\/)"\)$/;

export const gcpTeamBucketAccessConfined = stackPolicy({
    name: "gcp-team-bucket-access-confined",
    description:
        "Every bucket grant of a team's Google service account that can write is confined by an IAM condition to the team's own object prefix.",
    enforcementLevel: "mandatory",
    validate: (args, report) => {
        const grants = ofType(args, "gcp:storage/bucketIAMMember:BucketIAMMember");
        for (const account of ofType(args, "gcp:serviceaccount/account:Account")) {
            const description = stringInput(() => account.props.description);
            if (typeof description !== "string") continue; // no marker, or not known yet
            const team = TEAM_ACCOUNT_MARKER.exec(description)?.[1];
            const parent = account.parent?.urn;
            if (team === undefined || parent === undefined) continue;
            // The identity's grants are the account's siblings: children of the same component.
            for (const grant of grants.filter((g) => g.parent?.urn === parent)) {
                const problem = writeProblem(grant, team);
                if (problem) report(problem, grant.urn);
            }
        }
    },
});

/** Why a grant breaks the policy, or undefined when it does not (or cannot be known yet). */
function writeProblem(grant: PolicyResource, team: string): string | undefined {
    const role = stringInput(() => grant.props.role);
    if (typeof role !== "string" || GCS_READ_ROLES.has(role)) return undefined;
    const expression = stringInput(() => grant.props.condition?.expression);
    if (expression === UNKNOWN) return undefined;
    const bucket = stringInput(() => grant.props.bucket);
    const on = `team '${team}' holds ${role} on bucket ${typeof bucket === "string" ? `'${bucket}'` : "(not known yet)"}`;
    if (expression === undefined)
        return `${on} without a condition: it can write every team's objects`;
    const prefix = OBJECT_PREFIX.exec(expression)?.[1];
    if (prefix === undefined)
        return `${on} under a condition that does not confine it to an object prefix: ${expression}`;
    if (prefix !== `${team}/` && !prefix.endsWith(`/${team}/`))
        return `${on} confined to '${prefix}', which is not the team's own prefix`;
    return undefined;
}

export const gcpPolicies = [gcpTeamBucketAccessConfined];
