import { Bucket, BucketArgs } from "@pulumi/gcp/storage/bucket";
import * as pulumi from "@pulumi/pulumi";
import { GCP_ID_RULES, gcpId } from "./names";
import { BUCKET_KEYS, BucketKey, ObjectStoreConnection } from "../storage/object-store";

/** Arguments of {@link GcsObjectStore}. */
export interface GcsObjectStoreArgs {
    readonly project: string;
    /** Bucket location. */
    readonly region: string;
    /**
     * Protect production data: every bucket `protect`ed and never force-destroyed (`pulumi
     * destroy` keeps it and its objects). @default true
     */
    readonly protect?: boolean;
    /** Days before non-current object versions are deleted. @default 30 */
    readonly noncurrentVersionDays?: number;
    /** Days before workflow artifacts are deleted. @default 90 */
    readonly workflowArtifactDays?: number;
}

/** Buckets that hold artifacts: versioned, so that an overwrite can be undone. */
const ARTIFACT_BUCKETS: readonly BucketKey[] = ["tracking", "workflows", "features"];

/**
 * The platform's buckets on Google Cloud Storage: private by construction (uniform
 * bucket-level access, public access prevention enforced), artifact buckets versioned with
 * lifecycle rules, deletable with their objects only in dev. Workloads reach them through
 * Workload Identity; there are no keys.
 *
 * ```ts
 * const gcs = new GcsObjectStore("mlops", { project: "p", region: "us-central1" });
 * // gcs.connection → MlflowServer, ArgoWorkflows, FeastFeatureStore, ModelServing
 * ```
 */
export class GcsObjectStore extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:GcsObjectStore";
    public readonly buckets: Readonly<Record<BucketKey, string>>;
    public readonly bucketResources: Readonly<Record<BucketKey, Bucket>>;
    public readonly connection: ObjectStoreConnection;

    constructor(name: string, args: GcsObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(GcsObjectStore.__pulumiType, name, {}, opts);
        const protect = args.protect ?? true;
        // Bucket names are global: prefix with the project. Shortened with a hash when the
        // project and a long cluster name exceed 63 characters (names.ts).
        this.buckets = Object.fromEntries(
            BUCKET_KEYS.map((k) => [k, gcpId(GCP_ID_RULES.bucket, [args.project, name, k])]),
        ) as Record<BucketKey, string>;
        const resources = {} as Record<BucketKey, Bucket>;
        for (const key of BUCKET_KEYS) {
            const artifacts = ARTIFACT_BUCKETS.includes(key);
            const lifecycleRules: BucketArgs["lifecycleRules"] = [];
            if (artifacts) {
                lifecycleRules.push({
                    action: { type: "Delete" },
                    condition: {
                        daysSinceNoncurrentTime: args.noncurrentVersionDays ?? 30,
                        withState: "ARCHIVED",
                    },
                });
            }
            if (key === "workflows") {
                lifecycleRules.push({
                    action: { type: "Delete" },
                    condition: { age: args.workflowArtifactDays ?? 90 },
                });
            }
            resources[key] = new Bucket(
                `${name}-${key}`,
                {
                    project: args.project,
                    name: this.buckets[key],
                    location: args.region,
                    // Also what IAM conditions on the bucket (team prefixes) require.
                    uniformBucketLevelAccess: true,
                    publicAccessPrevention: "enforced",
                    versioning: { enabled: artifacts },
                    lifecycleRules,
                    labels: {
                        "mlops-bucket": key,
                        ...(artifacts ? { "mlops-artifacts": "true" } : {}),
                    },
                    forceDestroy: !protect,
                },
                { parent: this, protect },
            );
        }
        this.bucketResources = resources;
        this.connection = {
            scheme: "gs",
            insecure: false,
            region: args.region,
            buckets: this.buckets,
        };
        this.registerOutputs({ buckets: this.buckets });
    }
}
