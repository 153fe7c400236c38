/** Guardrails for AWS identities. */
import { ofType, stackPolicy } from "./policy-builders";
import { stringInput } from "./unknown-inputs";

/**
 * The tag that marks a team's IAM role (set by AwsIrsaIdentity's `team`): its value is the
 * team's name. A plain input, so it is known during preview.
 */
export const TEAM_ROLE_TAG = "mlops.dev/team";

/** S3 actions that only read: `s3:Get*` and `s3:List*`. Any other action can write. */
const READ_ONLY = /^s3:(Get|List)[A-Za-z]*$/;

/** Whether an IAM action can write S3 objects or buckets (wildcards included). */
function writes(action: string): boolean {
    return (action === "*" || action.startsWith("s3:")) && !READ_ONLY.test(action);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

export const awsTeamBucketAccessConfined = stackPolicy({
    name: "aws-team-bucket-access-confined",
    description:
        "Every S3 statement of a team's IAM role that can write is confined to objects under the team's own prefix.",
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

/** Why the statements break the policy: one line per writing resource outside the prefix. */
function statementProblems(statements: unknown[], team: string): string[] {
    const out: string[] = [];
    // `arn:<partition>:s3:::<bucket>/<...>/<team>/*`: objects under a prefix that ends in the
    // team's name; the '/' before `*` keeps team `a` out of team `a-b`'s objects.
    const own = new RegExp(`^arn:aws[a-z-]*:s3:::[^/*]+/(?:[^*]*/)?${team}/\\*$`);
    for (const s of statements as Record<string, unknown>[]) {
        if (s?.Effect !== "Allow") continue;
        const actions = list(s.Action).map(String).filter(writes);
        if (actions.length === 0) continue;
        if (s.NotResource !== undefined || s.NotAction !== undefined) {
            out.push(`team '${team}' may ${actions.join(", ")} through NotResource or NotAction`);
            continue;
        }
        for (const r of list(s.Resource).map(String)) {
            if (!own.test(r))
                out.push(
                    `team '${team}' may ${actions.join(", ")} on ${r}, outside its own prefix (.../${team}/*)`,
                );
        }
    }
    return out;
}

export const awsPolicies = [awsTeamBucketAccessConfined];
