/**
 * What a cloud contributes to the platform: the cluster, and optionally a managed object
 * store, database and workload identities. Each cloud's module (local.ts, gcp.ts, aws.ts)
 * builds one; cloud.ts picks the module. The interface has a file of its own so that the
 * cloud modules and the dispatch do not import each other.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesCluster } from "../components/cluster/kubernetes-cluster";
import { ManagedPrometheus } from "../components/observability/monitoring";
import { ExternalDatabase, ServiceKey } from "../components/platform/mlops-platform";
import { ObjectStoreConnection } from "../components/storage/object-store";

/** The cloud's part of a platform stack. */
export interface CloudFoundation {
    readonly cluster: KubernetesCluster;
    readonly objectStore?: ObjectStoreConnection;
    readonly database?: ExternalDatabase;
    readonly identities?: Partial<Record<ServiceKey, pulumi.Input<Record<string, string>>>>;
    /** Cloud identity annotations of each inline team's runner. */
    readonly teamIdentities?: Record<string, pulumi.Input<Record<string, string>>>;
    /** Egress team pods need for the cloud's APIs. */
    readonly teamCloudEgress?: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
    /** The API server's addresses, when the cloud knows them. */
    readonly apiServerCidrs?: string[];
    /** The cloud's managed Prometheus (`mlops:observability.backend: managed`). */
    readonly managedPrometheus?: ManagedPrometheus;
    /** Extra stack outputs. */
    readonly outputs?: Record<string, unknown>;
}
