import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as storage from "@pulumi/gcp/storage";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link GcpWorkloadIdentity}. */
export interface GcpWorkloadIdentityArgs {
    readonly project: string;
    /** `<project>.svc.id.goog`. */
    readonly workloadPool: string;
    /** Kubernetes service accounts (`namespace/name`) that act as this identity. */
    readonly kubernetesServiceAccounts: readonly string[];
    /**
     * Buckets and the role on each, optionally confined to objects under `prefix`: the
     * identity's whole access.
     */
    readonly buckets: readonly {
        readonly bucket: pulumi.Input<string>;
        readonly role: string;
        readonly prefix?: string;
    }[];
}

/**
 * A Google service account for one platform service, with access to its own buckets only,
 * bound to its Kubernetes service accounts through Workload Identity. No keys exist.
 *
 * ```ts
 * const id = new GcpWorkloadIdentity("mlops-tracking", { project, workloadPool,
 *     kubernetesServiceAccounts: ["mlops/mlops-mlflow"], buckets: [{ bucket, role: "roles/storage.objectAdmin" }] });
 * // annotate the Kubernetes service account with id.annotations
 * ```
 */
export class GcpWorkloadIdentity extends pulumi.ComponentResource {
    public readonly email: pulumi.Output<string>;
    /** The annotation a Kubernetes service account needs to act as this identity. */
    public readonly annotations: pulumi.Output<Record<string, string>>;

    constructor(
        name: string,
        args: GcpWorkloadIdentityArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mlops:identity:GcpWorkloadIdentity", name, {}, opts);
        const child = { parent: this };
        const account = new serviceaccount.Account(
            name,
            {
                project: args.project,
                accountId: name.slice(0, 30),
                displayName: `${name} (Workload Identity)`,
            },
            child,
        );
        this.email = account.email;
        const member = pulumi.interpolate`serviceAccount:${account.email}`;
        args.buckets.forEach((b, i) => {
            new storage.BucketIAMMember(
                `${name}-bucket-${i}`,
                { bucket: b.bucket, role: b.role, member },
                child,
            );
        });
        for (const ksa of args.kubernetesServiceAccounts) {
            new serviceaccount.IAMMember(
                `${name}-${ksa.replace("/", "-")}`,
                {
                    serviceAccountId: account.name,
                    role: "roles/iam.workloadIdentityUser",
                    member: `serviceAccount:${args.workloadPool}[${ksa}]`,
                },
                child,
            );
        }
        this.annotations = account.email.apply((email): Record<string, string> => ({
            "iam.gke.io/gcp-service-account": email,
        }));
        this.registerOutputs({ email: this.email });
    }
}
