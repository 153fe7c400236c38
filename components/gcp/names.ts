/**
 * Google Cloud identifiers derived from the names a user chooses (the cluster name, pool and
 * team names: DNS labels of up to 63 characters that may start with a digit). Each kind of
 * identifier has its own length and alphabet; this module turns a list of name parts into a
 * valid identifier of a kind, deterministically.
 *
 * The algorithm is cluster/derived-names.ts's: a valid name is used verbatim (`mlops-tracking`), any
 * other becomes `<readable stem>-<8 hex of SHA-256 of the parts>`.
 */
import { NameRuleBase, derivedName } from "../cluster/derived-names";

/** What one kind of Google Cloud identifier allows, and where that is documented. */
export interface GcpIdRule extends NameRuleBase {
    /** Substrings the service reserves (bucket names). */
    readonly reserved?: RegExp;
}

/** RFC 1035 labels: lowercase letter first, then letters, digits and '-', not ending in '-'. */
const rfc1035 = (max: number) => new RegExp(`^[a-z](?:[-a-z0-9]{0,${max - 2}}[a-z0-9])?$`);

/**
 * The identifiers the platform derives, by kind, with the documentation each limit comes from
 * (`source`): service account IDs, IAM `CreateServiceAccountRequest.account_id`: "6-30
 * characters long, and match the regular expression `[a-z]([-a-z0-9]*[a-z0-9])`"; bucket names,
 * "Bucket naming guidelines": 3-63 characters, letters, digits, '-', '_' (and '.', which needs
 * domain verification), no "goog" prefix, no "google" or close misspellings; GKE cluster
 * names, GKE API `Cluster.name`: "up to 40 characters ... Lowercase letters, numbers, and
 * hyphens only. Must start with a letter. Must end with a number or a letter"; node pool names:
 * the same 40 (GKE rejects longer ones; its API reference states no limit, so the cluster's is
 * used); Compute Engine names (network, subnetwork, router, Cloud NAT, global address),
 * "Resource name format": 1-63 characters, RFC 1035; Cloud SQL: {@link sqlInstanceRule}.
 */
export const GCP_ID_RULES = {
    serviceAccount: {
        what: "service account ID",
        min: 6,
        max: 30,
        pattern: /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: true,
        source: "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create",
    },
    bucket: {
        what: "bucket name",
        min: 3,
        max: 63,
        // Dots are allowed by Cloud Storage but need domain verification: not used.
        pattern: /^[a-z0-9][-_a-z0-9]{1,61}[a-z0-9]$/,
        disallowed: /[^-_a-z0-9]/g,
        letterFirst: false,
        // "cannot begin with the goog prefix", "cannot contain google or close misspellings,
        // such as g00gle": any g[o0][o0]g is treated as reserved.
        reserved: /g[o0][o0]g/,
        source: "https://cloud.google.com/storage/docs/buckets#naming",
    },
    gkeCluster: {
        what: "GKE cluster name",
        min: 1,
        max: 40,
        pattern: rfc1035(40),
        disallowed: /[^-a-z0-9]/g,
        letterFirst: true,
        source: "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#Cluster",
    },
    nodePool: {
        what: "GKE node pool name",
        min: 1,
        max: 40,
        pattern: rfc1035(40),
        disallowed: /[^-a-z0-9]/g,
        letterFirst: true,
        source: "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools#NodePool",
    },
    compute: {
        what: "Compute Engine resource name",
        min: 1,
        max: 63,
        pattern: rfc1035(63),
        disallowed: /[^-a-z0-9]/g,
        letterFirst: true,
        source: "https://cloud.google.com/compute/docs/naming-resources#resource-name-format",
    },
} as const satisfies Record<string, GcpIdRule>;

/** The kinds of {@link GCP_ID_RULES}. */
export type GcpIdKind = keyof typeof GCP_ID_RULES;

/**
 * Cloud SQL instance IDs: a lowercase letter first, then letters, digits and '-', at most 98
 * characters. One reading of the documentation counts `project:instance` in the 98, so the
 * instance gets 98 minus the project ID and its colon (at least 20). Source: Cloud SQL Admin
 * API v1beta4, the `instance` field ("composed of lowercase letters, numbers, and hyphens, and
 * it must start with a letter. The total length must be 98 characters or less"); v1 says "a
 * maximum length of 98 characters".
 */
export function sqlInstanceRule(project: string, reserve = 0): GcpIdRule {
    const max = Math.max(20, 98 - project.length - 1) - reserve;
    return {
        what: "Cloud SQL instance ID",
        min: 1,
        max,
        pattern: rfc1035(max),
        disallowed: /[^-a-z0-9]/g,
        letterFirst: true,
        source: "https://cloud.google.com/python/docs/reference/google-cloud-sql/latest/google.cloud.sqladmin_v1beta4.types.SqlInstancesReleaseSsrsLeaseRequest",
    };
}

/** Length of the hash suffix of a shortened identifier. */
export { HASH_LENGTH } from "../cluster/derived-names";

/**
 * A valid, deterministic identifier of `rule` for the name made of `parts` (joined with '-').
 *
 * ```ts
 * gcpId(GCP_ID_RULES.serviceAccount, ["mlops", "tracking"]); // "mlops-tracking"
 * gcpId(GCP_ID_RULES.serviceAccount, ["mlops", "team", "computer-vision-research"]);
 * // "mlops-team-computer-v-b742ea50"
 * ```
 */
export function gcpId(rule: GcpIdRule, parts: readonly string[]): string {
    return derivedName(rule, parts, { noun: "identifier", filler: "id" });
}

/**
 * A human-readable label cut to `max` UTF-8 bytes (service account display names: at most 100
 * bytes, IAM `ServiceAccount.display_name`; they need not be unique).
 */
export function gcpDisplayName(text: string, max = 100): string {
    let out = text;
    while (Buffer.byteLength(out, "utf8") > max) out = out.slice(0, -1);
    return out;
}
