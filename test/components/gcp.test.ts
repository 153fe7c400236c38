import * as compute from "@pulumi/gcp/compute";
import { GkeCluster, gkeKubeconfig } from "../../components/cluster/gke";
import { GcpWorkloadIdentity } from "../../components/identity/gcp-workload-identity";
import { CloudSqlDatabase } from "../../components/storage/cloudsql";
import { GcsObjectStore } from "../../components/storage/gcs";
import { SecretValue, at, childList, isSecret, record, settled, valueOf } from "../support/harness";

describe("GkeCluster", () => {
    async function build() {
        const rec = record();
        const gke = new GkeCluster("ml", {
            project: "p",
            region: "us-central1",
            authorizedNetworks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }],
            gpuPools: [
                {
                    name: "l4",
                    gpuType: "nvidia-l4",
                    machineType: "g2-standard-8",
                    maxNodes: 4,
                    spot: true,
                    sharing: { strategy: "TIME_SHARING", maxSharedClientsPerGpu: 4 },
                },
                {
                    name: "a100",
                    gpuType: "nvidia-tesla-a100",
                    machineType: "a2-highgpu-1g",
                    gpusPerNode: 1,
                    maxNodes: 2,
                },
            ],
            filestoreTier: "BASIC_HDD",
        });
        await settled(rec);
        return { rec, gke };
    }

    it("creates exactly its network, NAT, node identity, cluster, pools, provider and RWX class", async () => {
        const { rec } = await build();
        expect(childList(rec, rec.get("mlops:cluster:GkeCluster", "ml"))).toEqual([
            "gcp:compute/network:Network ml",
            "gcp:compute/router:Router ml",
            "gcp:compute/routerNat:RouterNat ml",
            "gcp:compute/subnetwork:Subnetwork ml",
            "gcp:container/cluster:Cluster ml",
            "gcp:container/nodePool:NodePool ml-a100",
            "gcp:container/nodePool:NodePool ml-l4",
            "gcp:container/nodePool:NodePool ml-system",
            "gcp:projects/iAMMember:IAMMember ml-nodes-artifactregistry-reader",
            "gcp:projects/iAMMember:IAMMember ml-nodes-logging-logWriter",
            "gcp:projects/iAMMember:IAMMember ml-nodes-monitoring-metricWriter",
            "gcp:projects/iAMMember:IAMMember ml-nodes-monitoring-viewer",
            "gcp:projects/iAMMember:IAMMember ml-nodes-stackdriver-resourceMetadata-writer",
            "gcp:serviceaccount/account:Account ml-nodes",
            "kubernetes:storage.k8s.io/v1:StorageClass ml-filestore",
            "pulumi:providers:kubernetes ml",
        ]);
        expect(at(rec.get("gcp:compute/subnetwork:Subnetwork", "ml"), "secondaryIpRanges")).toEqual(
            [
                { rangeName: "pods", ipCidrRange: "10.20.0.0/14" },
                { rangeName: "services", ipCidrRange: "10.24.0.0/20" },
            ],
        );
    });

    it("is private, with Workload Identity, shielded nodes, a release channel and no default pool", async () => {
        const { rec } = await build();
        expect(rec.get("gcp:container/cluster:Cluster", "ml").inputs).toMatchObject({
            location: "us-central1",
            removeDefaultNodePool: true,
            privateClusterConfig: {
                enablePrivateNodes: true,
                enablePrivateEndpoint: false,
                masterIpv4CidrBlock: "172.16.0.0/28",
            },
            masterAuthorizedNetworksConfig: {
                cidrBlocks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }],
            },
            releaseChannel: { channel: "REGULAR" },
            workloadIdentityConfig: { workloadPool: "p.svc.id.goog" },
            enableShieldedNodes: true,
            datapathProvider: "ADVANCED_DATAPATH",
            addonsConfig: { gcpFilestoreCsiDriverConfig: { enabled: true } },
            ipAllocationPolicy: {
                clusterSecondaryRangeName: "pods",
                servicesSecondaryRangeName: "services",
            },
            deletionProtection: true,
        });
    });

    it("gives each GPU pool the managed driver, scale from zero, the taint, its label, spot and sharing", async () => {
        const { rec } = await build();
        const l4 = rec.get("gcp:container/nodePool:NodePool", "ml-l4").inputs as any;
        expect(l4.autoscaling).toEqual({ minNodeCount: 0, maxNodeCount: 4 });
        expect(l4.initialNodeCount).toBe(0);
        expect(l4.nodeConfig).toMatchObject({
            machineType: "g2-standard-8",
            spot: true,
            guestAccelerators: [
                {
                    type: "nvidia-l4",
                    count: 1,
                    gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" },
                    gpuSharingConfig: {
                        gpuSharingStrategy: "TIME_SHARING",
                        maxSharedClientsPerGpu: 4,
                    },
                },
            ],
            taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
            labels: { "mlops.dev/gpu-pool": "l4" },
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        });
        const a100 = rec.get("gcp:container/nodePool:NodePool", "ml-a100").inputs as any;
        expect(a100.nodeConfig.spot).toBe(false);
        expect(a100.nodeConfig.guestAccelerators[0].gpuSharingConfig).toBeUndefined();
        expect(rec.get("gcp:container/nodePool:NodePool", "ml-system").inputs).toMatchObject({
            autoscaling: { minNodeCount: 1, maxNodeCount: 3 },
            nodeConfig: { machineType: "e2-standard-4" },
        });
    });

    it("connects through gke-gcloud-auth-plugin with a secret kubeconfig and offers a Filestore RWX class", async () => {
        const { rec, gke } = await build();
        expect(await isSecret(gke.kubeconfig)).toBe(true);
        const kubeconfig = JSON.parse(await valueOf(gke.kubeconfig));
        expect(kubeconfig.users[0].user.exec.command).toBe("gke-gcloud-auth-plugin");
        expect(kubeconfig.clusters[0].cluster.server).toBe("https://192.0.2.10");
        expect(rec.get("pulumi:providers:kubernetes", "ml").inputs.kubeconfig).toBeInstanceOf(
            SecretValue,
        );
        expect(
            at(rec.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-filestore"), "provisioner"),
        ).toBe("filestore.csi.storage.gke.io");
        expect(await valueOf(gke.storageClasses.readWriteMany as any)).toBe("ml-filestore");
        expect(gke.gpuScheduling("l4").nodeSelector).toEqual({ "mlops.dev/gpu-pool": "l4" });
        expect(gke.gpuScheduling().nodeSelector).toEqual({});
        expect(JSON.parse(gkeKubeconfig("c", "e", "ca"))["current-context"]).toBe("c");
    });
});

describe("GcsObjectStore", () => {
    it("makes every bucket private, versions artifact buckets, and protects them in production", async () => {
        const rec = record();
        const store = new GcsObjectStore("ml", { project: "p", region: "us-central1" });
        await settled(rec);
        const buckets = rec.ofType("gcp:storage/bucket:Bucket");
        expect(buckets.map((b) => b.name).sort()).toEqual([
            "ml-datasets",
            "ml-features",
            "ml-tracking",
            "ml-workflows",
        ]);
        for (const b of buckets) {
            expect(b.inputs).toMatchObject({
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                forceDestroy: false,
            });
            expect(b.protect).toBe(true);
        }
        expect(at(rec.get("gcp:storage/bucket:Bucket", "ml-tracking"), "versioning")).toEqual({
            enabled: true,
        });
        expect(at(rec.get("gcp:storage/bucket:Bucket", "ml-datasets"), "versioning")).toEqual({
            enabled: false,
        });
        expect(at(rec.get("gcp:storage/bucket:Bucket", "ml-workflows"), "lifecycleRules")).toEqual([
            {
                action: { type: "Delete" },
                condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" },
            },
            { action: { type: "Delete" }, condition: { age: 90 } },
        ]);
        expect(store.connection).toEqual({
            scheme: "gs",
            insecure: false,
            region: "us-central1",
            buckets: {
                tracking: "p-ml-tracking",
                workflows: "p-ml-workflows",
                features: "p-ml-features",
                datasets: "p-ml-datasets",
            },
        });
    });

    it("lets dev buckets be destroyed with their objects", async () => {
        const rec = record();
        new GcsObjectStore("dev", { project: "p", region: "us-central1", protect: false });
        await settled(rec);
        for (const b of rec.ofType("gcp:storage/bucket:Bucket")) {
            expect([b.protect, b.inputs.forceDestroy]).toEqual([false, true]);
        }
    });
});

describe("CloudSqlDatabase", () => {
    async function build(production: boolean) {
        const rec = record();
        const network = new compute.Network("net", { project: "p", autoCreateSubnetworks: false });
        const db = new CloudSqlDatabase("sql", {
            project: "p",
            region: "us-central1",
            network,
            production,
        });
        await settled(rec);
        return { rec, db };
    }

    it("has a private IP only, backups, deletion protection and HA in production", async () => {
        const { rec, db } = await build(true);
        expect(childList(rec, rec.get("mlops:storage:CloudSqlDatabase", "sql"))).toEqual([
            "gcp:compute/globalAddress:GlobalAddress sql-peering",
            "gcp:servicenetworking/connection:Connection sql-peering",
            "gcp:sql/database:Database sql",
            "gcp:sql/databaseInstance:DatabaseInstance sql",
            "gcp:sql/user:User sql",
            "random:index/randomPassword:RandomPassword sql-password",
        ]);
        const instance = rec.get("gcp:sql/databaseInstance:DatabaseInstance", "sql");
        expect(instance.protect).toBe(true);
        expect(instance.inputs).toMatchObject({
            databaseVersion: "POSTGRES_17",
            deletionProtection: true,
            settings: {
                tier: "db-custom-1-3840",
                availabilityType: "REGIONAL",
                ipConfiguration: {
                    ipv4Enabled: false,
                    privateNetwork: "net-id",
                    sslMode: "ENCRYPTED_ONLY",
                },
                backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
            },
        });
        expect(instance.dependsOn).toContain(
            rec.get("gcp:servicenetworking/connection:Connection", "sql-peering").urn,
        );
        expect(rec.get("gcp:sql/user:User", "sql").inputs.password).toBeInstanceOf(SecretValue);
        expect(await isSecret(db.password)).toBe(true);
        expect(await valueOf(db.host)).toBe("10.100.0.3");
    });

    it("is zonal and deletable in dev, still private with backups", async () => {
        const { rec } = await build(false);
        const instance = rec.get("gcp:sql/databaseInstance:DatabaseInstance", "sql");
        expect([instance.protect, instance.inputs.deletionProtection]).toEqual([false, false]);
        expect(instance.inputs).toMatchObject({
            settings: {
                availabilityType: "ZONAL",
                ipConfiguration: { ipv4Enabled: false },
                backupConfiguration: { enabled: true },
            },
        });
    });
});

describe("GcpWorkloadIdentity", () => {
    it("is a service account with access to its buckets only, bound to its Kubernetes accounts", async () => {
        const rec = record();
        const id = new GcpWorkloadIdentity("ml-tracking", {
            project: "p",
            workloadPool: "p.svc.id.goog",
            kubernetesServiceAccounts: ["mlops/ml-mlflow"],
            buckets: [{ bucket: "p-ml-tracking", role: "roles/storage.objectAdmin" }],
        });
        await settled(rec);
        expect(
            childList(rec, rec.get("mlops:identity:GcpWorkloadIdentity", "ml-tracking")),
        ).toEqual([
            "gcp:serviceaccount/account:Account ml-tracking",
            "gcp:serviceaccount/iAMMember:IAMMember ml-tracking-mlops-ml-mlflow",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-tracking-bucket-0",
        ]);
        expect(
            rec.get("gcp:storage/bucketIAMMember:BucketIAMMember", "ml-tracking-bucket-0").inputs,
        ).toEqual({
            bucket: "p-ml-tracking",
            role: "roles/storage.objectAdmin",
            member: "serviceAccount:ml-tracking@p.iam.gserviceaccount.com",
        });
        expect(
            rec.get("gcp:serviceaccount/iAMMember:IAMMember", "ml-tracking-mlops-ml-mlflow").inputs,
        ).toEqual({
            serviceAccountId: "projects/p/serviceAccounts/ml-tracking@p.iam.gserviceaccount.com",
            role: "roles/iam.workloadIdentityUser",
            member: "serviceAccount:p.svc.id.goog[mlops/ml-mlflow]",
        });
        expect(await valueOf(id.annotations)).toEqual({
            "iam.gke.io/gcp-service-account": "ml-tracking@p.iam.gserviceaccount.com",
        });
        // No keys anywhere.
        expect(rec.ofType("gcp:serviceaccount/key:Key")).toEqual([]);
    });
});
