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
        "Every bucket grant of a team's Google service account (read, list or write) is confined to the team's own object prefix: by an IAM condition, or by a managed folder of that prefix.",
    enforcementLevel: "mandatory",
    validate: (args, report) => {
        const grants = ofType(args, "gcp:storage/bucketIAMMember:BucketIAMMember");
        const folderGrants = ofType(
            args,
            "gcp:storage/managedFolderIamMember:ManagedFolderIamMember",
        );
        for (const account of ofType(args, "gcp:serviceaccount/account:Account")) {
            const description = stringInput(() => account.props.description);
            if (typeof description !== "string") continue; // no marker, or not known yet
            const team = TEAM_ACCOUNT_MARKER.exec(description)?.[1];
            const parent = account.parent?.urn;
            if (team === undefined || parent === undefined) continue;
            // The identity's grants are the account's siblings: children of the same component.
            for (const grant of grants.filter((g) => g.parent?.urn === parent)) {
                const problem = grantProblem(grant, team);
                if (problem) report(problem, grant.urn);
            }
            for (const grant of folderGrants.filter((g) => g.parent?.urn === parent)) {
                const problem = folderProblem(grant, team);
                if (problem) report(problem, grant.urn);
            }
        }
    },
});

/**
 * Why a bucket grant breaks the policy, or undefined when it does not (or cannot be known
 * yet). Any role counts, readers too: a reader on the whole bucket reads every team's objects
 * and lists every team's object names.
 */
function grantProblem(grant: PolicyResource, team: string): string | undefined {
    const role = stringInput(() => grant.props.role);
    if (typeof role !== "string") return undefined;
    const expression = stringInput(() => grant.props.condition?.expression);
    if (expression === UNKNOWN) return undefined;
    const bucket = stringInput(() => grant.props.bucket);
    const on = `team '${team}' holds ${role} on bucket ${typeof bucket === "string" ? `'${bucket}'` : "(not known yet)"}`;
    const reach = GCS_READ_ROLES.has(role)
        ? "it can read every team's objects and list their names"
        : "it can read and write every team's objects";
    if (expression === undefined) return `${on} without a condition: ${reach}`;
    const prefix = OBJECT_PREFIX.exec(expression)?.[1];
    if (prefix === undefined)
        return `${on} under a condition that does not confine it to an object prefix: ${expression}`;
    if (!ownPrefix(prefix, team))
        return `${on} confined to '${prefix}', which is not the team's own prefix`;
    return undefined;
}

/** Why a grant on a managed folder breaks the policy: the folder is not the team's prefix. */
function folderProblem(grant: PolicyResource, team: string): string | undefined {
    const folder = stringInput(() => grant.props.managedFolder);
    const role = stringInput(() => grant.props.role);
    if (typeof folder !== "string") return undefined; // not known yet
    if (ownPrefix(folder, team)) return undefined;
    return `team '${team}' holds ${typeof role === "string" ? role : "a role"} on managed folder '${folder}', which is not the team's own prefix`;
}

/** `<team>/` or `<...>/<team>/`, with no wildcard: the team's own prefix. */
function ownPrefix(prefix: string, team: string): boolean {
    return !/[*?]/.test(prefix) && (prefix === `${team}/` || prefix.endsWith(`/${team}/`));
}

export const gcpPolicies = [gcpTeamBucketAccessConfined];
