/**
 * AWS names derived from the names a user chooses (the cluster name, pool and team names: DNS
 * labels that may start with a digit and may contain `--`). Each kind of name has its own
 * length and alphabet; this module turns a list of name parts into a valid name of a kind,
 * deterministically, with the algorithm of cluster/derived-names.ts (which gcp/names.ts uses
 * too): a valid name is used verbatim (`mlops-tracking`), any other becomes `<readable
 * stem>-<8 hex of SHA-256 of the parts>`.
 */
import { HASH_LENGTH, NameRuleBase, derivedName } from "../cluster/derived-names";

/** What one kind of AWS name allows, and where that is documented. */
export interface AwsNameRule extends NameRuleBase {
    /** No two hyphens in a row (RDS identifiers). */
    readonly noDoubleHyphen: boolean;
    /** Prefixes the service reserves; a stem starting with one is prefixed with `m-`. */
    readonly reservedPrefixes: readonly string[];
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
export const AWS_HASH_LENGTH = HASH_LENGTH;

/**
 * A valid, deterministic name of `rule` for the name made of `parts` (joined with '-').
 *
 * ```ts
 * awsName(AWS_NAME_RULES.iamRole, ["mlops", "tracking"]); // "mlops-tracking"
 * awsName(AWS_NAME_RULES.rdsIdentifier, ["9ml"]); // "ml-<8 hex>"
 * ```
 */
export function awsName(rule: AwsNameRule, parts: readonly string[]): string {
    return derivedName(rule, parts, { noun: "name", filler: "m" });
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
