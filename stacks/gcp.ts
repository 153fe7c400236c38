import * as pulumi from "@pulumi/pulumi";
import { CloudSqlDatabase } from "../components/gcp/cloudsql";
import { GcsObjectStore } from "../components/gcp/gcs";
import { GkeCluster } from "../components/gcp/gke";
import { GcpManagedPrometheus } from "../components/gcp/managed-prometheus";
import { PrivateGoogleApis } from "../components/gcp/private-google-apis";
import { GcpWorkloadIdentity } from "../components/gcp/workload-identity";
import {
    ServiceKey,
    monitoringServiceAccountsOf,
    serviceAccountsOf,
} from "../components/platform/mlops-platform";
import { BucketKey, TEAM_BUCKETS, teamPrefix } from "../components/storage/object-store";
import { RUNNER } from "../components/tenancy/team";
import { PlatformConfig } from "./config";
import { CloudFoundation } from "./foundation";

/** Which buckets each service may use, and how. */
const ACCESS: Record<ServiceKey, { key: BucketKey; role: string }[]> = {
    tracking: [{ key: "tracking", role: "roles/storage.objectAdmin" }],
    workflows: [
        { key: "workflows", role: "roles/storage.objectAdmin" },
        { key: "datasets", role: "roles/storage.objectViewer" },
    ],
    features: [
        { key: "features", role: "roles/storage.objectAdmin" },
        { key: "datasets", role: "roles/storage.objectViewer" },
    ],
    // Models are registered in MLflow's artifact store.
    serving: [{ key: "tracking", role: "roles/storage.objectViewer" }],
};

/** GKE, GCS, Cloud SQL on a private IP, and one Workload Identity per service. */
export function gcpFoundation(config: PlatformConfig): CloudFoundation {
    const c = config.cluster;
    const gcp = c.gcp!; // parseConfig requires it for cloud gcp
    const prod = config.environment === "prod";
    const name = c.name;

    const cluster = new GkeCluster(name, {
        project: gcp.project,
        region: gcp.region,
        zone: gcp.zone,
        authorizedNetworks: gcp.authorizedNetworks,
        releaseChannel: gcp.releaseChannel,
        securityGroup: gcp.securityGroup,
        systemPool: c.systemPool,
        gpuPools: c.gpuPools.map((p) => ({ ...p, machineType: p.machineType! })),
        // Without Filestore the platform runs its NFS server in the cluster (inCluster: true).
        filestoreTier:
            config.storage.sharedFilesystem.enabled && !config.storage.sharedFilesystem.inCluster
                ? config.storage.sharedFilesystem.tier
                : undefined,
        protect: prod,
    });
    // Google APIs resolve to Private Google Access's addresses in the VPC, so that team
    // network policies allow them by address, not every address on 443.
    const googleApis = new PrivateGoogleApis(name, {
        project: gcp.project,
        network: cluster.network,
    });
    const store = new GcsObjectStore(name, {
        project: gcp.project,
        region: gcp.region,
        protect: prod,
    });
    const db = new CloudSqlDatabase(`${name}-sql`, {
        project: gcp.project,
        region: gcp.region,
        network: cluster.network,
        tier: config.database.tier,
        protect: prod,
        highAvailability: prod,
    });

    const accounts = serviceAccountsOf(name);
    const identities: CloudFoundation["identities"] = {};
    for (const svc of Object.keys(ACCESS) as ServiceKey[]) {
        const id = new GcpWorkloadIdentity(`${name}-${svc}`, {
            project: gcp.project,
            workloadPool: cluster.workloadPool,
            kubernetesServiceAccounts: accounts[svc],
            buckets: ACCESS[svc].map((a) => ({
                key: a.key,
                bucket: store.bucketResources[a.key].name,
                role: a.role,
            })),
        });
        identities[svc] = id.annotations;
    }

    // Each inline team's runner: its prefix of the team buckets (objects under teams/<team>/,
    // and listing there through a managed folder), nothing of any other prefix.
    const teamIdentities: Record<string, pulumi.Output<Record<string, string>>> = {};
    for (const t of config.teams) {
        const id = new GcpWorkloadIdentity(`${name}-team-${t.name}`, {
            project: gcp.project,
            workloadPool: cluster.workloadPool,
            kubernetesServiceAccounts: [`team-${t.name}/${RUNNER}`],
            team: t.name,
            buckets: TEAM_BUCKETS.map((key) => ({
                key,
                bucket: store.bucketResources[key].name,
                role: "roles/storage.objectAdmin",
                prefix: teamPrefix(t.name),
            })),
            protect: prod,
        });
        teamIdentities[t.name] = id.annotations;
    }

    // `backend: managed`: Google Cloud Managed Service for Prometheus, written and read by the
    // monitoring namespace's two service accounts alone.
    const o = config.observability;
    const gmp =
        o.enabled && o.backend === "managed"
            ? new GcpManagedPrometheus(name, {
                  project: gcp.project,
                  workloadPool: cluster.workloadPool,
                  writerServiceAccount: monitoringServiceAccountsOf().writer,
                  readerServiceAccount: monitoringServiceAccountsOf().reader,
              })
            : undefined;

    return {
        cluster,
        teamIdentities,
        // Google APIs (Cloud Storage, token exchange) at their private addresses only, and the
        // GKE metadata server, which issues Workload Identity tokens (the two addresses and ports
        // GKE's Workload Identity documentation lists for clusters with network policies).
        teamCloudEgress: [
            {
                to: [{ ipBlock: { cidr: googleApis.cidr } }],
                ports: [{ protocol: "TCP", port: 443 }],
            },
            {
                to: [{ ipBlock: { cidr: "169.254.169.254/32" } }],
                ports: [{ protocol: "TCP", port: 80 }],
            },
            {
                to: [{ ipBlock: { cidr: "169.254.169.252/32" } }],
                ports: [{ protocol: "TCP", port: 988 }],
            },
        ],
        apiServerCidrs: [cluster.controlPlaneCidr],
        objectStore: store.connection,
        database: {
            host: db.host,
            port: db.port,
            databaseName: db.databaseName,
            username: db.username,
            password: db.password,
            cidrs: [pulumi.interpolate`${db.host}/32`],
        },
        identities,
        managedPrometheus: gmp?.managed,
        outputs: { kubeconfig: cluster.kubeconfig, clusterName: cluster.cluster.name },
    };
}
