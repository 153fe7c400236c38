import { Bucket } from "@pulumi/aws/s3/bucket";
import {
    BucketLifecycleConfiguration,
    BucketLifecycleConfigurationArgs,
} from "@pulumi/aws/s3/bucketLifecycleConfiguration";
import { BucketOwnershipControls } from "@pulumi/aws/s3/bucketOwnershipControls";
import { BucketPublicAccessBlock } from "@pulumi/aws/s3/bucketPublicAccessBlock";
import { BucketServerSideEncryptionConfiguration } from "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration";
import { BucketVersioning } from "@pulumi/aws/s3/bucketVersioning";
import * as pulumi from "@pulumi/pulumi";
import { s3BucketName } from "./names";
import { BUCKET_KEYS, BucketKey, ObjectStoreConnection } from "../storage/object-store";

/** Arguments of {@link S3ObjectStore}. */
export interface S3ObjectStoreArgs {
    /** The region of the buckets (and of the stack's AWS provider). */
    readonly region: string;
    /** The AWS account the buckets live in: bucket names are global, so they end in it. */
    readonly accountId: string;
    /**
     * Protect production data: every bucket `protect`ed and never force-destroyed (`pulumi
     * destroy` keeps it and its objects). @default true
     */
    readonly protect?: boolean;
    /** Days before non-current object versions are deleted. @default 30 */
    readonly noncurrentVersionDays?: number;
    /** Days before workflow artifacts are deleted. @default 90 */
    readonly workflowArtifactDays?: number;
    /** Days before incomplete multipart uploads are aborted. @default 7 */
    readonly incompleteUploadDays?: number;
}

/** Buckets that hold artifacts: versioned, so that an overwrite can be undone. */
const ARTIFACT_BUCKETS: readonly BucketKey[] = ["tracking", "workflows", "features"];

/**
 * The platform's buckets on Amazon S3: private by construction (every public access block on,
 * object ownership enforced so that ACLs are off), encrypted with SSE-S3 and bucket keys,
 * artifact buckets versioned, lifecycle rules on every bucket, deletable with their objects
 * only in dev. Workloads reach them through IRSA; there are no keys.
 *
 * ```ts
 * const store = new S3ObjectStore("mlops", { region: "us-east-1", accountId: "123456789012" });
 * // store.connection → MlflowServer, ArgoWorkflows, FeastFeatureStore, ModelServing
 * ```
 */
export class S3ObjectStore extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:S3ObjectStore";
    public readonly buckets: Readonly<Record<BucketKey, string>>;
    public readonly bucketResources: Readonly<Record<BucketKey, Bucket>>;
    public readonly connection: ObjectStoreConnection;

    constructor(name: string, args: S3ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(S3ObjectStore.__pulumiType, name, {}, opts);
        const protect = args.protect ?? true;
        this.buckets = Object.fromEntries(
            BUCKET_KEYS.map((k) => [k, s3BucketName(name, k, args.region, args.accountId)]),
        ) as Record<BucketKey, string>;
        const resources = {} as Record<BucketKey, Bucket>;
        for (const key of BUCKET_KEYS) {
            const artifacts = ARTIFACT_BUCKETS.includes(key);
            const child = `${name}-${key}`;
            const bucket = new Bucket(
                child,
                {
                    bucket: this.buckets[key],
                    forceDestroy: !protect,
                    tags: {
                        "mlops.dev/bucket": key,
                        ...(artifacts ? { "mlops.dev/artifacts": "true" } : {}),
                    },
                },
                { parent: this, protect },
            );
            const onBucket = { parent: bucket };
            new BucketPublicAccessBlock(
                child,
                {
                    bucket: bucket.id,
                    blockPublicAcls: true,
                    blockPublicPolicy: true,
                    ignorePublicAcls: true,
                    restrictPublicBuckets: true,
                },
                onBucket,
            );
            new BucketOwnershipControls(
                child,
                { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
                onBucket,
            );
            new BucketServerSideEncryptionConfiguration(
                child,
                {
                    bucket: bucket.id,
                    rules: [
                        {
                            applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
                            bucketKeyEnabled: true,
                        },
                    ],
                },
                onBucket,
            );
            const versioning = artifacts
                ? new BucketVersioning(
                      child,
                      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
                      onBucket,
                  )
                : undefined;
            const rules: BucketLifecycleConfigurationArgs["rules"] = [
                {
                    id: "abort-incomplete-uploads",
                    status: "Enabled",
                    filter: {},
                    abortIncompleteMultipartUpload: {
                        daysAfterInitiation: args.incompleteUploadDays ?? 7,
                    },
                },
            ];
            if (artifacts) {
                rules.push({
                    id: "expire-noncurrent-versions",
                    status: "Enabled",
                    filter: {},
                    noncurrentVersionExpiration: {
                        noncurrentDays: args.noncurrentVersionDays ?? 30,
                    },
                });
            }
            if (key === "workflows") {
                rules.push({
                    id: "expire-workflow-artifacts",
                    status: "Enabled",
                    filter: {},
                    expiration: { days: args.workflowArtifactDays ?? 90 },
                });
            }
            // A lifecycle configuration on a versioned bucket is applied after versioning.
            new BucketLifecycleConfiguration(
                child,
                { bucket: bucket.id, rules },
                { ...onBucket, dependsOn: versioning ? [versioning] : [] },
            );
            resources[key] = bucket;
        }
        this.bucketResources = resources;
        this.connection = {
            scheme: "s3",
            insecure: false,
            region: args.region,
            buckets: this.buckets,
        };
        this.registerOutputs({ buckets: this.buckets });
    }
}
