import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import * as pulumi from "@pulumi/pulumi";
import { AWS_NAME_RULES, awsName } from "./names";

/** One grant on one bucket. */
export interface AwsBucketGrant {
    /** Stable key of the grant (the bucket's key): names its statements. Letters and digits. */
    readonly key: string;
    /** The bucket's ARN, `arn:aws:s3:::<bucket>`. */
    readonly bucketArn: pulumi.Input<string>;
    /** `read`: get and list; `write`: also put and delete. */
    readonly access: "read" | "write";
    /**
     * Confines the grant to objects under `<prefix>/` and listing to that prefix (the
     * `s3:prefix` condition). Path segments of letters, digits, '.', '_' and '-', separated by
     * '/', without a leading or trailing '/'. @default the whole bucket
     */
    readonly prefix?: string;
}

/** A managed policy attached to the role, by a stable key. */
export interface AwsManagedPolicy {
    /** Names the attachment, `<name>-<key>`. A DNS label. */
    readonly key: string;
    readonly policyArn: pulumi.Input<string>;
}

/** Arguments of {@link AwsIrsaIdentity}. */
export interface AwsIrsaIdentityArgs {
    /** ARN of the cluster's IAM OIDC provider. */
    readonly oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL (`https://oidc.eks.<region>.amazonaws.com/id/<id>`). */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Kubernetes service accounts (`namespace/name`) that may assume the role. */
    readonly kubernetesServiceAccounts: readonly string[];
    /** Bucket access, in one inline policy. @default [] */
    readonly buckets?: readonly AwsBucketGrant[];
    /** Managed policies attached to the role (the CSI drivers'). @default [] */
    readonly managedPolicies?: readonly AwsManagedPolicy[];
    /** Further statements of the inline policy (plain IAM JSON). @default [] */
    readonly statements?: readonly Record<string, unknown>[];
    /** The team this role runs for: tagged `mlops.dev/team`. @default none (a platform service) */
    readonly team?: string;
}

const KEY = /^[a-z0-9]+$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const PREFIX = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const SERVICE_ACCOUNT =
    /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?$/;

/** Object actions by access. */
const OBJECT_ACTIONS = {
    read: ["s3:GetObject", "s3:GetObjectVersion"],
    write: [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    ],
} as const;

/**
 * The statements of one bucket grant. Object actions apply to `<bucket>/*`, or to
 * `<bucket>/<prefix>/*`; listing is a bucket action, so with a prefix it is confined by the
 * `s3:prefix` condition key (IAM User Guide, "Amazon S3: Allows IAM users access to their S3
 * home directory": `s3:prefix` with `StringLike` on `s3:ListBucket`). The trailing '/' keeps
 * team `a` out of team `a-b`'s objects.
 */
export function bucketStatements(grant: AwsBucketGrant): pulumi.Output<Record<string, unknown>[]> {
    const sid = grant.key.charAt(0).toUpperCase() + grant.key.slice(1);
    return pulumi.output(grant.bucketArn).apply((arn) => {
        const objects = grant.prefix ? `${arn}/${grant.prefix}/*` : `${arn}/*`;
        const list: Record<string, unknown> = {
            Sid: `${sid}List`,
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: [arn],
        };
        if (grant.prefix) {
            list.Condition = {
                StringLike: { "s3:prefix": [`${grant.prefix}/`, `${grant.prefix}/*`] },
            };
        }
        return [
            {
                Sid: `${sid}Objects`,
                Effect: "Allow",
                Action: [...OBJECT_ACTIONS[grant.access]],
                Resource: [objects],
            },
            list,
            {
                Sid: `${sid}Location`,
                Effect: "Allow",
                Action: ["s3:GetBucketLocation"],
                Resource: [arn],
            },
        ];
    });
}

/**
 * The trust policy of an IRSA role: the cluster's OIDC provider may federate exactly these
 * service accounts, for the STS audience (EKS User Guide, "Assign IAM roles to Kubernetes
 * service accounts": `<issuer>:sub` = `system:serviceaccount:<namespace>:<name>` and
 * `<issuer>:aud` = `sts.amazonaws.com`, with the issuer without `https://`).
 */
export function irsaTrustPolicy(
    oidcProviderArn: pulumi.Input<string>,
    oidcIssuer: pulumi.Input<string>,
    serviceAccounts: readonly string[],
): pulumi.Output<string> {
    return pulumi.all([oidcProviderArn, oidcIssuer]).apply(([arn, issuer]) => {
        const host = issuer.replace(/^https:\/\//, "");
        return JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { Federated: arn },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            [`${host}:aud`]: "sts.amazonaws.com",
                            [`${host}:sub`]: serviceAccounts.map(
                                (sa) => `system:serviceaccount:${sa.replace("/", ":")}`,
                            ),
                        },
                    },
                },
            ],
        });
    });
}

/**
 * An IAM role for one platform service, team runner or cluster add-on, assumed by its
 * Kubernetes service accounts through IRSA, with access to its own buckets (or prefixes of
 * them) only. No access keys exist.
 *
 * ```ts
 * const id = new AwsIrsaIdentity("mlops-tracking", { oidcProviderArn, oidcIssuer,
 *     kubernetesServiceAccounts: ["mlops/mlops-mlflow"],
 *     buckets: [{ key: "tracking", bucketArn: store.bucketResources.tracking.arn, access: "write" }] });
 * // annotate the Kubernetes service account with id.annotations
 * ```
 */
export class AwsIrsaIdentity extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:identity:AwsIrsaIdentity";
    public readonly role: Role;
    public readonly roleArn: pulumi.Output<string>;
    /** The annotation a Kubernetes service account needs to assume this role. */
    public readonly annotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: AwsIrsaIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super(AwsIrsaIdentity.__pulumiType, name, {}, opts);
        validate(name, args);
        const child = { parent: this };
        this.role = new Role(
            name,
            {
                name: awsName(AWS_NAME_RULES.iamRole, [name]),
                assumeRolePolicy: irsaTrustPolicy(
                    args.oidcProviderArn,
                    args.oidcIssuer,
                    args.kubernetesServiceAccounts,
                ),
                tags: args.team !== undefined ? { "mlops.dev/team": args.team } : {},
            },
            child,
        );
        this.roleArn = this.role.arn;
        const buckets = args.buckets ?? [];
        const statements = args.statements ?? [];
        if (buckets.length > 0 || statements.length > 0) {
            new RolePolicy(
                name,
                {
                    role: this.role.name,
                    policy: pulumi.all(buckets.map(bucketStatements)).apply((lists) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [...lists.flat(), ...statements],
                        }),
                    ),
                },
                child,
            );
        }
        for (const p of args.managedPolicies ?? []) {
            new RolePolicyAttachment(
                `${name}-${p.key}`,
                { role: this.role.name, policyArn: p.policyArn },
                child,
            );
        }
        this.annotations = this.role.arn.apply((arn): Record<string, string> => ({
            "eks.amazonaws.com/role-arn": arn,
        }));
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

/** Rejects keys, prefixes and accounts that would make invalid or colliding policies. */
function validate(name: string, args: AwsIrsaIdentityArgs): void {
    const at = `AwsIrsaIdentity ${name}`;
    if (args.team !== undefined && !DNS_LABEL.test(args.team)) {
        throw new Error(
            `${at}: team: got ${JSON.stringify(args.team)}; must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`,
        );
    }
    args.kubernetesServiceAccounts.forEach((sa, i) => {
        if (!SERVICE_ACCOUNT.test(sa)) {
            throw new Error(
                `${at}: kubernetesServiceAccounts[${i}]: got ${JSON.stringify(sa)}; must be <namespace>/<name>`,
            );
        }
    });
    const seen = new Map<string, number>();
    (args.buckets ?? []).forEach((b, i) => {
        if (!KEY.test(b.key)) {
            throw new Error(
                `${at}: buckets[${i}].key: got ${JSON.stringify(b.key)}; must be lowercase letters and digits (it names policy statements)`,
            );
        }
        const first = seen.get(b.key);
        if (first !== undefined) {
            throw new Error(
                `${at}: buckets[${i}].key: got ${JSON.stringify(b.key)}; already used by buckets[${first}]: keys must be unique`,
            );
        }
        seen.set(b.key, i);
        if (b.prefix !== undefined && !PREFIX.test(b.prefix)) {
            throw new Error(
                `${at}: buckets[${i}].prefix: got ${JSON.stringify(b.prefix)}; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'`,
            );
        }
    });
    (args.managedPolicies ?? []).forEach((p, i) => {
        if (!DNS_LABEL.test(p.key)) {
            throw new Error(
                `${at}: managedPolicies[${i}].key: got ${JSON.stringify(p.key)}; must be a DNS label`,
            );
        }
    });
}
