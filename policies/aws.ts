/** Guardrails for AWS identities. */
import { ofType, stackPolicy } from "./policy-builders";
import { stringInput } from "./unknown-inputs";

/**
 * The tag that marks a team's IAM role (set by AwsIrsaIdentity's `team`): its value is the
 * team's name. A plain input, so it is known during preview.
 */
export const TEAM_ROLE_TAG = "mlops.dev/team";

/** Whether an IAM action reaches S3 at all (wildcards included). */
function s3Action(action: string): boolean {
    const a = action.toLowerCase();
    return a === "*" || a.startsWith("s3:");
}

/**
 * Bucket-level actions a team may hold on its buckets: where the bucket is (SDKs ask), and
 * listing, which IAM checks on the bucket and which the `s3:prefix` condition confines.
 */
const BUCKET_LOCATION = "s3:getbucketlocation";
const LISTING = new Set([
    "s3:listbucket",
    "s3:listbucketversions",
    "s3:listbucketmultipartuploads",
]);

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

export const awsTeamBucketAccessConfined = stackPolicy({
    name: "aws-team-bucket-access-confined",
    description:
        "Every S3 statement of a team's IAM role (read, list or write) is confined to the team's own prefix: objects under it, listing conditioned on it.",
    enforcementLevel: "mandatory",
    validate: (args, report) => {
        const policies = ofType(args, "aws:iam/rolePolicy:RolePolicy");
        const attachments = ofType(args, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
        for (const role of ofType(args, "aws:iam/role:Role")) {
            const team = stringInput(() => role.props.tags?.[TEAM_ROLE_TAG]);
            const parent = role.parent?.urn;
            if (typeof team !== "string" || parent === undefined) continue;
            // The identity's policies are the role's siblings: children of the same component.
            for (const a of attachments.filter((x) => x.parent?.urn === parent)) {
                report(
                    `team '${team}' has a managed policy attached, which cannot be checked: grant S3 access through its inline policy`,
                    a.urn,
                );
            }
            for (const p of policies.filter((x) => x.parent?.urn === parent)) {
                const text = stringInput(() => p.props.policy);
                if (typeof text !== "string") continue; // not known yet
                let doc: { Statement?: unknown };
                try {
                    doc = JSON.parse(text);
                } catch {
                    report(`team '${team}': the role policy is not JSON`, p.urn);
                    continue;
                }
                for (const problem of statementProblems(list(doc.Statement), team))
                    report(problem, p.urn);
            }
        }
    },
});

/**
 * Why the statements break the policy: one line per S3 action a team may take outside its
 * prefix. Object actions must name `.../<team>/*`; on anything else (a bucket, `*`) only
 * `s3:GetBucketLocation`, and listing under an `s3:prefix` condition that names the team's
 * prefix and nothing wider, are allowed.
 */
export function statementProblems(statements: unknown[], team: string): string[] {
    const out: string[] = [];
    // `arn:<partition>:s3:::<bucket>/<...>/<team>/*`: objects under a prefix that ends in the
    // team's name; the '/' before `*` keeps team `a` out of team `a-b`'s objects.
    const own = new RegExp(`^arn:aws[a-z-]*:s3:::[^/*?]+/(?:[^*?]*/)?${team}/\\*$`);
    for (const s of statements as Record<string, unknown>[]) {
        if (s?.Effect !== "Allow") continue;
        if (s.NotAction !== undefined) {
            out.push(`team '${team}' is allowed everything but some actions (NotAction)`);
            continue;
        }
        const actions = list(s.Action).map(String).filter(s3Action);
        if (actions.length === 0) continue;
        if (s.NotResource !== undefined) {
            out.push(`team '${team}' may ${actions.join(", ")} through NotResource`);
            continue;
        }
        for (const r of list(s.Resource).map(String)) {
            if (own.test(r)) continue;
            const wider = actions.filter((a) => {
                const lower = a.toLowerCase();
                if (lower === BUCKET_LOCATION) return false;
                return !(LISTING.has(lower) && listingConfined(s.Condition, team));
            });
            if (wider.length === 0) continue;
            const listing = wider.filter((a) => LISTING.has(a.toLowerCase()));
            out.push(
                listing.length === wider.length
                    ? `team '${team}' may ${wider.join(", ")} on ${r} without an s3:prefix condition confining it to its own prefix (.../${team}/)`
                    : `team '${team}' may ${wider.join(", ")} on ${r}, outside its own prefix (.../${team}/*)`,
            );
        }
    }
    return out;
}

/**
 * Whether a statement's condition confines listing to the team's prefix: `s3:prefix` under
 * `StringLike` or `StringEquals`, every value `<...>/<team>/` or `<...>/<team>/*` with no
 * wildcard before the team's name. Other condition keys only narrow the statement further.
 */
function listingConfined(condition: unknown, team: string): boolean {
    if (condition === null || typeof condition !== "object") return false;
    const value = new RegExp(`^(?:[^*?]*/)?${team}/\\*?$`);
    let found = false;
    for (const [operator, keys] of Object.entries(condition as Record<string, unknown>)) {
        if (keys === null || typeof keys !== "object") return false;
        for (const [key, values] of Object.entries(keys as Record<string, unknown>)) {
            if (key.toLowerCase() !== "s3:prefix") continue;
            if (operator !== "StringLike" && operator !== "StringEquals") return false;
            const all = list(values).map(String);
            if (all.length === 0 || !all.every((v) => value.test(v))) return false;
            found = true;
        }
    }
    return found;
}

export const awsPolicies = [awsTeamBucketAccessConfined];
