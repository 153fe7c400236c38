/**
 * AWS names derived from the names a user chooses (the cluster name, pool and team names: DNS
 * labels that may start with a digit and may contain `--`). Each kind of name has its own
 * length and alphabet; this module turns a list of name parts into a valid name of a kind,
 * deterministically, the way gcp-names.ts does for Google Cloud.
 *
 * A name that is already valid, short enough and does not look like a shortened one is used
 * verbatim (`mlops-tracking`). Any other becomes `<readable stem>-<8 hex of SHA-256 of the
 * parts>`. Every shortened name ends in `-` and 8 hex digits and no verbatim name does, so a
 * verbatim name never equals a shortened one, and two shortened names are equal only if their
 * parts collide in 32 bits of SHA-256.
 */
import { createHash } from "node:crypto";

/** What one kind of AWS name allows, and where that is documented. */
export interface AwsNameRule {
    /** What the name is, for messages. */
    readonly what: string;
    readonly min: number;
    readonly max: number;
    /** The whole name must match this. */
    readonly pattern: RegExp;
    /** Characters that are not allowed anywhere (replaced by '-'). */
    readonly disallowed: RegExp;
    /** The first character must be a letter (else: a letter or a digit). */
    readonly letterFirst: boolean;
    /** No two hyphens in a row (RDS identifiers). */
    readonly noDoubleHyphen: boolean;
    /** Prefixes the service reserves; a stem starting with one is prefixed with `m-`. */
    readonly reservedPrefixes: readonly string[];
    /** The documentation the limits come from. */
    readonly source: string;
}

/**
 * The names the platform derives, by kind. The platform uses only lowercase letters, digits
 * and '-' in every kind, so names are also unique where AWS compares them case-insensitively
 * (IAM).
 */
export const AWS_NAME_RULES = {
    /** IAM `CreateRole` RoleName: 1-64 of `[\w+=,.@-]`. */
    iamRole: {
        what: "IAM role name",
        min: 1,
        max: 64,
        pattern: /^[a-z0-9](?:[-a-z0-9]{0,62}[a-z0-9])?$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: false,
        noDoubleHyphen: false,
        reservedPrefixes: [],
        source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    },
    /**
     * S3 general purpose bucket names: 3-63 characters, lowercase letters, digits, '.' and
     * '-', beginning and ending with a letter or digit; must not start with `xn--`, `sthree-`
     * or `amzn-s3-demo-` (nor end in `-s3alias`, `--ol-s3`, `--x-s3`, `--table-s3`, which a
     * name ending in an account ID never does). Dots are not used (virtual-host TLS).
     */
    s3Bucket: {
        what: "S3 bucket name",
        min: 3,
        max: 63,
        pattern: /^[a-z0-9][-a-z0-9]{1,61}[a-z0-9]$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: false,
        noDoubleHyphen: false,
        reservedPrefixes: ["xn--", "sthree-", "amzn-s3-demo-"],
        source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    },
    /**
     * RDS DB instance identifiers (and the platform's DB subnet group names): 1-63 letters,
     * digits and hyphens, a letter first, no trailing hyphen, no two consecutive hyphens.
     */
    rdsIdentifier: {
        what: "RDS DB instance identifier",
        min: 1,
        max: 63,
        pattern: /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: true,
        noDoubleHyphen: true,
        reservedPrefixes: [],
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    },
    /** EKS `CreateNodegroup` nodegroupName: 1-63, `^[0-9A-Za-z][A-Za-z0-9\-_]*`. */
    eksNodeGroup: {
        what: "EKS node group name",
        min: 1,
        max: 63,
        pattern: /^[a-z0-9](?:[-a-z0-9]{0,62})$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: false,
        noDoubleHyphen: false,
        reservedPrefixes: [],
        source: "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html",
    },
    /** EKS `CreateCluster` name: 1-100, `^[0-9A-Za-z][A-Za-z0-9\-_]*`. */
    eksCluster: {
        what: "EKS cluster name",
        min: 1,
        max: 100,
        pattern: /^[a-z0-9](?:[-a-z0-9]{0,99})$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: false,
        noDoubleHyphen: false,
        reservedPrefixes: [],
        source: "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html",
    },
    /**
     * EC2 security group names: up to 255 characters (a-z, A-Z, 0-9, spaces and
     * `._-:/()#,@[]+=&;{}!$*`), not starting with `sg-`.
     */
    securityGroup: {
        what: "security group name",
        min: 1,
        max: 255,
        pattern: /^[a-z0-9](?:[-a-z0-9]{0,253}[a-z0-9])?$/,
        disallowed: /[^-a-z0-9]/g,
        letterFirst: false,
        noDoubleHyphen: false,
        reservedPrefixes: ["sg-"],
        source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    },
} as const satisfies Record<string, AwsNameRule>;

/** The kinds of {@link AWS_NAME_RULES}. */
export type AwsNameKind = keyof typeof AWS_NAME_RULES;

/** Length of the hash suffix of a shortened name. */
export const AWS_HASH_LENGTH = 8;
const HASHED = new RegExp(`-[0-9a-f]{${AWS_HASH_LENGTH}}$`);

function shortHash(parts: readonly string[]): string {
    // '/' is in no part (DNS labels, regions), so distinct part lists hash distinctly.
    return createHash("sha256").update(parts.join("/")).digest("hex").slice(0, AWS_HASH_LENGTH);
}

function valid(rule: AwsNameRule, name: string): boolean {
    return (
        name.length >= rule.min &&
        name.length <= rule.max &&
        rule.pattern.test(name) &&
        !(rule.noDoubleHyphen && name.includes("--")) &&
        !rule.reservedPrefixes.some((p) => name.startsWith(p))
    );
}

/**
 * A valid, deterministic name of `rule` for the name made of `parts` (joined with '-').
 *
 * ```ts
 * awsName(AWS_NAME_RULES.iamRole, ["mlops", "tracking"]); // "mlops-tracking"
 * awsName(AWS_NAME_RULES.rdsIdentifier, ["9ml"]); // "ml-<8 hex>"
 * ```
 */
export function awsName(rule: AwsNameRule, parts: readonly string[]): string {
    if (parts.length === 0 || parts.some((p) => p.length === 0)) {
        throw new Error(
            `${rule.what}: got parts ${JSON.stringify(parts)}; every part must be a non-empty string`,
        );
    }
    const joined = parts.join("-");
    if (valid(rule, joined) && !HASHED.test(joined)) return joined;

    const room = rule.max - AWS_HASH_LENGTH - 1;
    let clean = joined.toLowerCase().replace(rule.disallowed, "-");
    if (rule.noDoubleHyphen) clean = clean.replace(/-+/g, "-");
    clean = clean.replace(rule.letterFirst ? /^[^a-z]+/ : /^[^a-z0-9]+/, "");
    if (rule.reservedPrefixes.some((p) => clean.startsWith(p))) clean = `m-${clean}`;
    const stem = clean.slice(0, room).replace(/[^a-z0-9]+$/, "");
    const name = `${stem || "m"}-${shortHash(parts)}`;
    if (!valid(rule, name)) {
        throw new Error(`${rule.what}: could not derive a valid name from "${joined}"`);
    }
    return name;
}

/** Length of an AWS account ID. */
const ACCOUNT_ID = /^[0-9]{12}$/;

/**
 * A platform bucket's name: S3 names are global across every AWS account, so the name ends
 * in the account ID, after a stem of the cluster name, the bucket's key and the region
 * (shortened to fit with a hash when needed). Unique per account, region, cluster and key.
 *
 * ```ts
 * s3BucketName("mlops", "tracking", "us-east-1", "123456789012");
 * // "mlops-tracking-us-east-1-123456789012"
 * ```
 */
export function s3BucketName(
    cluster: string,
    key: string,
    region: string,
    accountId: string,
): string {
    if (!ACCOUNT_ID.test(accountId)) {
        throw new Error(
            `S3 bucket name: got account ID ${JSON.stringify(accountId)}; must be 12 digits`,
        );
    }
    const stemRule: AwsNameRule = {
        ...AWS_NAME_RULES.s3Bucket,
        what: "S3 bucket name stem",
        max: AWS_NAME_RULES.s3Bucket.max - accountId.length - 1,
    };
    return `${awsName(stemRule, [cluster, key, region])}-${accountId}`;
}
