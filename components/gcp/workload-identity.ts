import { IAMMember as ProjectIAMMember } from "@pulumi/gcp/projects/iammember";
import { Account } from "@pulumi/gcp/serviceaccount/account";
import { IAMMember } from "@pulumi/gcp/serviceaccount/iammember";
import { BucketIAMMember } from "@pulumi/gcp/storage/bucketIAMMember";
import { ManagedFolder } from "@pulumi/gcp/storage/managedFolder";
import { ManagedFolderIamMember } from "@pulumi/gcp/storage/managedFolderIamMember";
import * as pulumi from "@pulumi/pulumi";
import { GCP_ID_RULES, gcpDisplayName, gcpId } from "./names";

/** One grant on one bucket. */
export interface GcpBucketGrant {
    /**
     * Stable key of the grant (e.g. the bucket's key): names its child resources,
     * `<name>-<key>` and, with a prefix, `<name>-<key>-list`. A DNS label, unique per identity.
     */
    readonly key: string;
    readonly bucket: pulumi.Input<string>;
    readonly role: string;
    /**
     * Confines the grant to objects under `<prefix>/` (an IAM condition on the object's name),
     * and lets the identity list that prefix and nothing else: a managed folder `<prefix>/`,
     * on which the identity holds `roles/storage.objectViewer`. Path segments of letters,
     * digits, '.', '_' and '-', separated by '/', without a leading or trailing '/'.
     * @default the whole bucket
     */
    readonly prefix?: string;
}

/** Arguments of {@link GcpWorkloadIdentity}. */
export interface GcpWorkloadIdentityArgs {
    readonly project: string;
    /** `<project>.svc.id.goog`. */
    readonly workloadPool: string;
    /** Kubernetes service accounts (`namespace/name`) that act as this identity. */
    readonly kubernetesServiceAccounts: readonly string[];
    /** The identity's whole access to Cloud Storage. */
    readonly buckets: readonly GcpBucketGrant[];
    /**
     * Roles on the project (e.g. `roles/monitoring.metricWriter`), for a platform service that
     * uses a project-wide API. Refused with `team`: a team's identity holds its prefixes alone.
     * @default none
     */
    readonly projectRoles?: readonly string[];
    /**
     * The team this identity runs for. Marks the service account (its description, known at
     * preview) so that the `gcp-team-bucket-access-confined` policy can check the identity's
     * grants. @default none: a platform service's identity
     */
    readonly team?: string;
    /**
     * Keep the managed folders of prefixed grants, and their objects, when the identity is
     * deleted (no `forceDestroy`). @default true
     */
    readonly protect?: boolean;
}

/**
 * The description that marks a team's service account. The policy in policies/gcp.ts parses the
 * same format; test/policies/gcp.test.ts pins that the two agree.
 */
export function teamAccountDescription(team: string): string {
    return `mlops team ${team} runner`;
}

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const PREFIX = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** CEL for "objects under `<prefix>/` of this bucket". */
export function objectPrefixCondition(
    bucket: pulumi.Input<string>,
    prefix: string,
): pulumi.Output<string> {
    // Conditions on Cloud Storage objects use the resource name
    // `projects/_/buckets/<bucket>/objects/<object>`: Google's conditional binding sample
    // (https://cloud.google.com/storage/docs/samples/storage-add-bucket-conditional-iam-binding,
    // https://cloud.google.com/ruby/docs/reference/google-cloud-storage/latest/Google-Cloud-Storage-Policy-Condition)
    // and https://cloud.google.com/iam/docs/conditions-resource-attributes. The trailing '/'
    // keeps team `a` out of team `a-b`'s objects.
    return pulumi.interpolate`resource.name.startsWith("projects/_/buckets/${bucket}/objects/${prefix}/")`;
}

/**
 * Why listing is confined by a managed folder and not by a condition: listing is a method on
 * the bucket (resource name `projects/_/buckets/<bucket>`), so an object-prefix condition never
 * grants it (https://cloud.google.com/iam/docs/downscoping-short-lived-credentials, "Limit
 * permissions when listing objects"), and the request's list prefix is an API attribute, which
 * Google supports only in Credential Access Boundaries: in a role binding it makes Cloud
 * Storage methods "fail unexpectedly" (https://cloud.google.com/iam/docs/conditions-attribute-reference).
 * A role granted on a managed folder applies to the objects whose names start with the
 * folder's name (https://cloud.google.com/storage/docs/managed-folders), listing among them.
 */
export const LIST_ROLE = "roles/storage.objectViewer";

/**
 * A Google service account for one platform service or team, with access to its own buckets
 * (or prefixes of them) only, bound to its Kubernetes service accounts through Workload
 * Identity. No keys exist.
 *
 * ```ts
 * const id = new GcpWorkloadIdentity("mlops-tracking", { project, workloadPool,
 *     kubernetesServiceAccounts: ["mlops/mlops-mlflow"],
 *     buckets: [{ key: "tracking", bucket, role: "roles/storage.objectAdmin" }] });
 * // annotate the Kubernetes service account with id.annotations
 * ```
 */
export class GcpWorkloadIdentity extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:identity:GcpWorkloadIdentity";
    public readonly email: pulumi.Output<string>;
    /** The annotation a Kubernetes service account needs to act as this identity. */
    public readonly annotations: pulumi.Output<Record<string, string>>;

    constructor(
        name: string,
        args: GcpWorkloadIdentityArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(GcpWorkloadIdentity.__pulumiType, name, {}, opts);
        validate(name, args);
        const child = { parent: this };
        const account = new Account(
            name,
            {
                project: args.project,
                accountId: gcpId(GCP_ID_RULES.serviceAccount, [name]),
                displayName: gcpDisplayName(`${name} (Workload Identity)`),
                ...(args.team !== undefined
                    ? { description: teamAccountDescription(args.team) }
                    : {}),
            },
            child,
        );
        this.email = account.email;
        const member = pulumi.interpolate`serviceAccount:${account.email}`;
        for (const b of args.buckets) {
            if (b.prefix === undefined) {
                new BucketIAMMember(
                    `${name}-${b.key}`,
                    { bucket: b.bucket, role: b.role, member },
                    child,
                );
                continue;
            }
            // Conditions need uniform bucket-level access, which GcsObjectStore sets.
            new BucketIAMMember(
                `${name}-${b.key}`,
                {
                    bucket: b.bucket,
                    role: b.role,
                    member,
                    condition: {
                        title: "objects under the prefix",
                        description: `${b.role} on objects under ${b.prefix}/ only`,
                        expression: objectPrefixCondition(b.bucket, b.prefix),
                    },
                },
                child,
            );
            // Listing the prefix, and nothing above it: a managed folder and a role on it.
            const folder = new ManagedFolder(
                `${name}-${b.key}-list`,
                { bucket: b.bucket, name: `${b.prefix}/`, forceDestroy: !(args.protect ?? true) },
                child,
            );
            new ManagedFolderIamMember(
                `${name}-${b.key}-list`,
                { bucket: b.bucket, managedFolder: folder.name, role: LIST_ROLE, member },
                child,
            );
        }
        for (const role of args.projectRoles ?? []) {
            new ProjectIAMMember(
                `${name}-${projectRoleKey(role)}`,
                { project: args.project, role, member },
                child,
            );
        }
        for (const ksa of args.kubernetesServiceAccounts) {
            new IAMMember(
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

/** `roles/monitoring.metricWriter` → `project-monitoring-metricwriter`, a child's name suffix. */
function projectRoleKey(role: string): string {
    return `project-${role
        .replace(/^roles\//, "")
        .replace(/\./g, "-")
        .toLowerCase()}`;
}

/** Rejects keys, prefixes and team names that would make invalid or colliding children. */
function validate(name: string, args: GcpWorkloadIdentityArgs): void {
    const at = `GcpWorkloadIdentity ${name}`;
    (args.projectRoles ?? []).forEach((role, i) => {
        if (!/^roles\/[A-Za-z0-9_.]+$/.test(role)) {
            throw new Error(
                `${at}: projectRoles[${i}]: got ${JSON.stringify(role)}; must be a predefined role such as roles/monitoring.viewer`,
            );
        }
        if (args.team !== undefined) {
            throw new Error(
                `${at}: projectRoles[${i}]: got ${JSON.stringify(role)}; a team's identity holds its bucket prefixes alone, no role on the project`,
            );
        }
    });
    if (args.team !== undefined && !DNS_LABEL.test(args.team)) {
        throw new Error(
            `${at}: team: got ${JSON.stringify(args.team)}; must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`,
        );
    }
    const children = new Map<string, string>();
    args.buckets.forEach((b, i) => {
        if (!DNS_LABEL.test(b.key)) {
            throw new Error(
                `${at}: buckets[${i}].key: got ${JSON.stringify(b.key)}; must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`,
            );
        }
        if (b.prefix !== undefined && !PREFIX.test(b.prefix)) {
            throw new Error(
                `${at}: buckets[${i}].prefix: got ${JSON.stringify(b.prefix)}; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'`,
            );
        }
        const names = b.prefix === undefined ? [b.key] : [b.key, `${b.key}-list`];
        for (const n of names) {
            const first = children.get(n);
            if (first !== undefined) {
                throw new Error(
                    `${at}: buckets[${i}].key: got ${JSON.stringify(b.key)}; it would name ${name}-${n}, as ${first} does: keys must be unique, and no key may be a prefixed key plus "-list"`,
                );
            }
            children.set(n, `buckets[${i}]`);
        }
    });
}
