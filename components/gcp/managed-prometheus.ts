import * as pulumi from "@pulumi/pulumi";
import { GoogleExportBackend } from "../observability/monitoring";
import { GcpWorkloadIdentity } from "./workload-identity";

/** The role that writes samples to Cloud Monitoring (Managed Service for Prometheus's setup). */
export const GMP_WRITE_ROLE = "roles/monitoring.metricWriter";
/** The role the query frontend reads with (Managed Service for Prometheus's frontend setup). */
export const GMP_QUERY_ROLE = "roles/monitoring.viewer";

/** Arguments of {@link GcpManagedPrometheus}. */
export interface GcpManagedPrometheusArgs {
    readonly project: string;
    /** `<project>.svc.id.goog`. */
    readonly workloadPool: string;
    /** Prometheus's Kubernetes service account (`namespace/name`): it may only write. */
    readonly writerServiceAccount: string;
    /** The query frontend's Kubernetes service account (`namespace/name`): it may only read. */
    readonly readerServiceAccount: string;
}

/**
 * Google Cloud Managed Service for Prometheus as the platform's metrics backend, by
 * self-deployed collection: two Google service accounts bound by Workload Identity, one that
 * may only write metrics (Prometheus's, which runs Google's Prometheus build and exports every
 * sample) and one that may only read them (the query frontend Grafana reads through). Cloud
 * Monitoring keeps Prometheus samples for 24 months; nothing here sets a retention. The rules
 * and Alertmanager stay in the cluster.
 *
 * ```ts
 * const gmp = new GcpManagedPrometheus("mlops", { project, workloadPool,
 *     writerServiceAccount: "mlops-monitoring/kube-prometheus-stack-prometheus",
 *     readerServiceAccount: "mlops-monitoring/prometheus-query-proxy" });
 * // new Monitoring(..., { managed: gmp.managed })
 * ```
 */
export class GcpManagedPrometheus extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:gcp:GcpManagedPrometheus";
    public readonly writer: GcpWorkloadIdentity;
    public readonly reader: GcpWorkloadIdentity;
    /** What the Monitoring component needs of this backend. */
    public readonly managed: GoogleExportBackend;

    constructor(
        name: string,
        args: GcpManagedPrometheusArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(GcpManagedPrometheus.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const identity = (suffix: string, ksa: string, role: string) =>
            new GcpWorkloadIdentity(
                `${name}-${suffix}`,
                {
                    project: args.project,
                    workloadPool: args.workloadPool,
                    kubernetesServiceAccounts: [ksa],
                    buckets: [],
                    projectRoles: [role],
                },
                child,
            );
        this.writer = identity("gmp-write", args.writerServiceAccount, GMP_WRITE_ROLE);
        this.reader = identity("gmp-query", args.readerServiceAccount, GMP_QUERY_ROLE);
        this.managed = {
            kind: "googleExport",
            project: args.project,
            writerAnnotations: this.writer.annotations,
            readerAnnotations: this.reader.annotations,
        };
        this.registerOutputs({ writer: this.writer.email, reader: this.reader.email });
    }
}
