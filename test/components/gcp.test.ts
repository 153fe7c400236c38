import * as pulumi from "@pulumi/pulumi";
import { Network } from "@pulumi/gcp/compute/network";
import { GCP_ID_RULES, gcpId } from "../../components/gcp/names";
import { GkeCluster, gkeKubeconfig } from "../../components/gcp/gke";
import {
    GcpWorkloadIdentity,
    teamAccountDescription,
} from "../../components/gcp/workload-identity";
import { CloudSqlDatabase } from "../../components/gcp/cloudsql";
import { parseConfig } from "../../stacks/config";
import { gcpFoundation } from "../../stacks/gcp";
import { GcsObjectStore } from "../../components/gcp/gcs";
import { GcpManagedPrometheus } from "../../components/gcp/managed-prometheus";
import { SecretValue, at, childList, isSecret, record, settled, valueOf } from "../support/harness";
import { SSO } from "../support/fixtures";

describe("GkeCluster", () => {
    async function build(over: Partial<ConstructorParameters<typeof GkeCluster>[1]> = {}) {
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
            ...over,
        });
        await settled();
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
            "gcp:kms/cryptoKey:CryptoKey ml-secrets",
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember ml-secrets-gke",
            "gcp:kms/keyRing:KeyRing ml-secrets",
            "gcp:projects/iAMMember:IAMMember ml-nodes-artifactregistry-reader",
            "gcp:projects/iAMMember:IAMMember ml-nodes-logging-logWriter",
            "gcp:projects/iAMMember:IAMMember ml-nodes-monitoring-metricWriter",
            "gcp:projects/iAMMember:IAMMember ml-nodes-monitoring-viewer",
            "gcp:projects/iAMMember:IAMMember ml-nodes-stackdriver-resourceMetadata-writer",
            "gcp:projects/serviceIdentity:ServiceIdentity ml-gke-agent",
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
                gcpPublicCidrsAccessEnabled: false,
            },
            databaseEncryption: { state: "ENCRYPTED", keyName: "ml-secrets-id" },
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

    it("has no public endpoint when no network is listed, and never admits Google Cloud's public ranges", async () => {
        const { rec } = await build({ authorizedNetworks: [] });
        const cluster = rec.get("gcp:container/cluster:Cluster", "ml").inputs as any;
        expect(cluster.privateClusterConfig.enablePrivateEndpoint).toBe(true);
        expect(cluster.masterAuthorizedNetworksConfig).toEqual({
            cidrBlocks: [],
            gcpPublicCidrsAccessEnabled: false,
        });
    });

    it("encrypts Secrets with a rotated Cloud KMS key in its region that only the GKE service agent uses", async () => {
        const { rec, gke } = await build({ zone: "us-central1-a" });
        expect(rec.get("gcp:kms/keyRing:KeyRing", "ml-secrets").inputs).toEqual({
            project: "p",
            location: "us-central1",
        });
        expect(rec.get("gcp:kms/cryptoKey:CryptoKey", "ml-secrets").inputs).toEqual({
            name: "kubernetes-secrets",
            keyRing: "ml-secrets-id",
            purpose: "ENCRYPT_DECRYPT",
            rotationPeriod: "7776000s",
        });
        expect(
            rec.get("gcp:projects/serviceIdentity:ServiceIdentity", "ml-gke-agent").inputs,
        ).toEqual({
            project: "p",
            service: "container.googleapis.com",
        });
        expect(
            rec.get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "ml-secrets-gke").inputs,
        ).toEqual({
            cryptoKeyId: "ml-secrets-id",
            role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member: "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com",
        });
        const cluster = rec.get("gcp:container/cluster:Cluster", "ml");
        expect(cluster.inputs.databaseEncryption).toEqual({
            state: "ENCRYPTED",
            keyName: "ml-secrets-id",
        });
        // GKE checks the grant when it creates the cluster.
        expect(cluster.dependsOn).toContain(
            rec.get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "ml-secrets-gke").urn,
        );
        expect(await new Promise((r) => gke.secretsKeyId.apply(r))).toBe("ml-secrets-id");
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
        // Each claim's instance exports to the nodes' range only: no pod mounts one by address.
        const params = at(
            rec.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-filestore"),
            "parameters",
        ) as Record<string, string>;
        expect(params.tier).toBe("BASIC_HDD");
        expect(JSON.parse(params["nfs-export-options-on-create"])).toEqual([
            { accessMode: "READ_WRITE", ipRanges: ["10.10.0.0/20"], squashMode: "NO_ROOT_SQUASH" },
        ]);
        expect(await valueOf(gke.storageClasses.readWriteMany as any)).toBe("ml-filestore");
        expect(gke.gpuScheduling("l4").nodeSelector).toEqual({ "mlops.dev/gpu-pool": "l4" });
        expect(gke.gpuScheduling().nodeSelector).toEqual({});
        expect(JSON.parse(gkeKubeconfig("c", "e", "ca"))["current-context"]).toBe("c");
    });

    it("protects production data by default: deletion protection, Filestore volumes retained", async () => {
        const reclaim = (rec: Awaited<ReturnType<typeof build>>["rec"]) =>
            at(
                rec.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-filestore"),
                "reclaimPolicy",
            );
        const { rec } = await build();
        expect(at(rec.get("gcp:container/cluster:Cluster", "ml"), "deletionProtection")).toBe(true);
        expect(reclaim(rec)).toBe("Retain");
        const { rec: dev } = await build({ protect: false });
        expect(at(dev.get("gcp:container/cluster:Cluster", "ml"), "deletionProtection")).toBe(
            false,
        );
        expect(reclaim(dev)).toBe("Delete");
    });

    it("makes everything in the cluster wait for the system pool: the provider depends on it", async () => {
        const { rec } = await build();
        const provider = rec.get("pulumi:providers:kubernetes", "ml");
        const systemPool = rec.get("gcp:container/nodePool:NodePool", "ml-system");
        const cluster = rec.get("gcp:container/cluster:Cluster", "ml");
        expect([...provider.dependsOn].sort()).toEqual([cluster.urn, systemPool.urn].sort());
        // The GPU pools scale from zero: nothing waits for them.
        expect(provider.dependsOn).not.toContain(
            rec.get("gcp:container/nodePool:NodePool", "ml-l4").urn,
        );
        // Resources created through the provider carry its reference `urn::id`, and the SDK
        // registers a resource only after awaiting its provider's URN and ID
        // (@pulumi/pulumi 3.248.0 runtime/resource.js prepareResource → ProviderResource.register
        // in resource.js): a provider created after the pool holds every such resource back,
        // the Filestore StorageClass and all Helm releases included.
        expect(rec.get("kubernetes:storage.k8s.io/v1:StorageClass", "ml-filestore").provider).toBe(
            `${provider.urn}::ml-id`,
        );
    });

    it("names its cloud resources validly: explicit names, pools named by their own key", async () => {
        const { rec } = await build();
        const names = (type: string) =>
            rec.ofType(type).map((r) => [r.name, r.inputs.name ?? r.inputs.accountId]);
        expect(names("gcp:compute/network:Network")).toEqual([["ml", "ml"]]);
        expect(names("gcp:compute/subnetwork:Subnetwork")).toEqual([["ml", "ml"]]);
        expect(names("gcp:compute/router:Router")).toEqual([["ml", "ml"]]);
        expect(names("gcp:compute/routerNat:RouterNat")).toEqual([["ml", "ml"]]);
        expect(names("gcp:container/cluster:Cluster")).toEqual([["ml", "ml"]]);
        expect(names("gcp:container/nodePool:NodePool").sort()).toEqual([
            ["ml-a100", "a100"],
            ["ml-l4", "l4"],
            ["ml-system", "system"],
        ]);
        expect(names("gcp:serviceaccount/account:Account")).toEqual([["ml-nodes", "ml-nodes"]]);
    });

    it("shortens names GCP would reject: a 63-character name starting with a digit", async () => {
        const rec = record();
        const long = `9${"a".repeat(61)}z`;
        new GkeCluster(long, { project: "p", region: "us-central1" });
        await settled();
        const cluster = rec.get("gcp:container/cluster:Cluster", long).inputs.name as string;
        const network = rec.get("gcp:compute/network:Network", long).inputs.name as string;
        const account = rec.get("gcp:serviceaccount/account:Account", `${long}-nodes`).inputs
            .accountId as string;
        expect(cluster).toBe(gcpId(GCP_ID_RULES.gkeCluster, [long]));
        expect(cluster).toMatch(/^a{31}-[0-9a-f]{8}$/);
        expect(network).toMatch(/^a{54}-[0-9a-f]{8}$/);
        expect(account).toMatch(/^a{21}-[0-9a-f]{8}$/);
    });
});

describe("GcsObjectStore", () => {
    it("makes every bucket private, versions artifact buckets, and protects them in production", async () => {
        const rec = record();
        const store = new GcsObjectStore("ml", { project: "p", region: "us-central1" });
        await settled();
        const buckets = rec.ofType("gcp:storage/bucket:Bucket");
        expect(buckets.map((b) => b.name).sort()).toEqual([
            "ml-datasets",
            "ml-features",
            "ml-tracking",
            "ml-workflows",
        ]);
        for (const b of buckets) {
            // Uniform bucket-level access is also what IAM conditions on a bucket (the team
            // prefixes of GcpWorkloadIdentity) require: Google's conditional-binding example
            // enables it before adding a condition
            // (https://cloud.google.com/ruby/docs/reference/google-cloud-storage/latest/Google-Cloud-Storage-Policy-Condition).
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
        await settled();
        for (const b of rec.ofType("gcp:storage/bucket:Bucket")) {
            expect([b.protect, b.inputs.forceDestroy]).toEqual([false, true]);
        }
    });
});

describe("CloudSqlDatabase", () => {
    async function build(over: Partial<ConstructorParameters<typeof CloudSqlDatabase>[1]> = {}) {
        const rec = record();
        const network = new Network("net", { project: "p", autoCreateSubnetworks: false });
        const db = new CloudSqlDatabase("sql", {
            project: "p",
            region: "us-central1",
            network,
            ...over,
        });
        await settled();
        return { rec, db };
    }

    it("has a private IP only, backups, deletion protection and HA by default", async () => {
        const { rec, db } = await build();
        expect(childList(rec, rec.get("mlops:storage:CloudSqlDatabase", "sql"))).toEqual([
            "gcp:compute/globalAddress:GlobalAddress sql-peering",
            "gcp:servicenetworking/connection:Connection sql-peering",
            "gcp:sql/database:Database sql",
            "gcp:sql/databaseInstance:DatabaseInstance sql",
            "gcp:sql/user:User sql",
            "random:index/randomPassword:RandomPassword sql-password",
            "random:index/randomString:RandomString sql-suffix",
        ]);
        const instance = rec.get("gcp:sql/databaseInstance:DatabaseInstance", "sql");
        expect(instance.protect).toBe(true);
        // A fresh random suffix on the stem (the mocks' RandomString result stands in for it).
        expect(instance.inputs.name).toBe("sql-mock-string-sql-suffix");
        expect(rec.get("random:index/randomString:RandomString", "sql-suffix").inputs).toEqual({
            length: 8,
            lower: true,
            numeric: true,
            upper: false,
            special: false,
        });
        expect(rec.get("gcp:compute/globalAddress:GlobalAddress", "sql-peering").inputs.name).toBe(
            "sql-peering",
        );
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
        const { rec } = await build({ protect: false, highAvailability: false });
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

    it("switches data protection and regional HA independently", async () => {
        const { rec } = await build({ highAvailability: false });
        const instance = rec.get("gcp:sql/databaseInstance:DatabaseInstance", "sql");
        expect([instance.protect, rec.get("gcp:sql/database:Database", "sql").protect]).toEqual([
            true,
            true,
        ]);
        expect(instance.inputs).toMatchObject({
            deletionProtection: true,
            settings: { availabilityType: "ZONAL", deletionProtectionEnabled: true },
        });
        const { rec: unprotected } = await build({ protect: false });
        const dev = unprotected.get("gcp:sql/databaseInstance:DatabaseInstance", "sql");
        expect([dev.protect, unprotected.get("gcp:sql/database:Database", "sql").protect]).toEqual([
            false,
            false,
        ]);
        expect(dev.inputs).toMatchObject({
            deletionProtection: false,
            settings: { availabilityType: "REGIONAL", deletionProtectionEnabled: false },
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
            buckets: [
                { key: "tracking", bucket: "p-ml-tracking", role: "roles/storage.objectAdmin" },
            ],
        });
        await settled();
        expect(
            childList(rec, rec.get("mlops:identity:GcpWorkloadIdentity", "ml-tracking")),
        ).toEqual([
            "gcp:serviceaccount/account:Account ml-tracking",
            "gcp:serviceaccount/iAMMember:IAMMember ml-tracking-mlops-ml-mlflow",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-tracking-tracking",
        ]);
        expect(rec.get("gcp:serviceaccount/account:Account", "ml-tracking").inputs).toEqual({
            project: "p",
            accountId: "ml-tracking",
            displayName: "ml-tracking (Workload Identity)",
        });
        expect(
            rec.get("gcp:storage/bucketIAMMember:BucketIAMMember", "ml-tracking-tracking").inputs,
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

    it("confines a prefixed grant to objects under the prefix, with a separate grant to list it", async () => {
        const rec = record();
        new GcpWorkloadIdentity("ml-team-vision", {
            project: "p",
            workloadPool: "p.svc.id.goog",
            kubernetesServiceAccounts: ["team-vision/runner"],
            team: "vision",
            buckets: [
                {
                    key: "workflows",
                    bucket: "p-ml-workflows",
                    role: "roles/storage.objectAdmin",
                    prefix: "teams/vision",
                },
                { key: "tracking", bucket: "p-ml-tracking", role: "roles/storage.objectViewer" },
            ],
        });
        await settled();
        expect(
            childList(rec, rec.get("mlops:identity:GcpWorkloadIdentity", "ml-team-vision")),
        ).toEqual([
            "gcp:serviceaccount/account:Account ml-team-vision",
            "gcp:serviceaccount/iAMMember:IAMMember ml-team-vision-team-vision-runner",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-team-vision-tracking",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-team-vision-workflows",
            "gcp:storage/managedFolder:ManagedFolder ml-team-vision-workflows-list",
            "gcp:storage/managedFolderIamMember:ManagedFolderIamMember ml-team-vision-workflows-list",
        ]);
        // The team marker the gcp-team-bucket-access-confined policy reads.
        expect(rec.get("gcp:serviceaccount/account:Account", "ml-team-vision").inputs).toEqual({
            project: "p",
            accountId: "ml-team-vision",
            displayName: "ml-team-vision (Workload Identity)",
            description: "mlops team vision runner",
        });
        expect(teamAccountDescription("vision")).toBe("mlops team vision runner");
        const member = "serviceAccount:ml-team-vision@p.iam.gserviceaccount.com";
        const grant = (n: string) =>
            rec.get("gcp:storage/bucketIAMMember:BucketIAMMember", `ml-team-vision-${n}`).inputs;
        // Object names in conditions: `projects/_/buckets/<bucket>/objects/<object>`
        // (https://cloud.google.com/iam/docs/conditions-resource-attributes; Google's
        // startsWith sample: https://cloud.google.com/storage/docs/samples/storage-add-bucket-conditional-iam-binding).
        expect(grant("workflows")).toEqual({
            bucket: "p-ml-workflows",
            role: "roles/storage.objectAdmin",
            member,
            condition: {
                title: "objects under the prefix",
                description: "roles/storage.objectAdmin on objects under teams/vision/ only",
                expression:
                    'resource.name.startsWith("projects/_/buckets/p-ml-workflows/objects/teams/vision/")',
            },
        });
        // A list is checked on the bucket, and the list prefix is an API attribute, which Google
        // supports in Credential Access Boundaries only, not in role bindings
        // (https://cloud.google.com/iam/docs/conditions-attribute-reference): listing the
        // prefix comes from a role on a managed folder of that name, and nothing lists above it.
        expect(
            rec.get("gcp:storage/managedFolder:ManagedFolder", "ml-team-vision-workflows-list")
                .inputs,
        ).toEqual({ bucket: "p-ml-workflows", name: "teams/vision/", forceDestroy: false });
        expect(
            rec.get(
                "gcp:storage/managedFolderIamMember:ManagedFolderIamMember",
                "ml-team-vision-workflows-list",
            ).inputs,
        ).toEqual({
            bucket: "p-ml-workflows",
            managedFolder: "teams/vision/",
            role: "roles/storage.objectViewer",
            member,
        });
        expect(grant("tracking")).toEqual({
            bucket: "p-ml-tracking",
            role: "roles/storage.objectViewer",
            member,
        });
    });

    const base = {
        project: "p",
        workloadPool: "p.svc.id.goog",
        kubernetesServiceAccounts: [],
    };
    it.each([
        [
            "a duplicate key",
            {
                ...base,
                buckets: [
                    { key: "data", bucket: "b1", role: "roles/storage.objectViewer" },
                    { key: "data", bucket: "b2", role: "roles/storage.objectViewer" },
                ],
            },
            'GcpWorkloadIdentity id: buckets[1].key: got "data"; it would name id-data, as buckets[0] does: keys must be unique, and no key may be a prefixed key plus "-list"',
        ],
        [
            "a key that is another's list grant",
            {
                ...base,
                buckets: [
                    { key: "a", bucket: "b1", role: "roles/storage.objectAdmin", prefix: "x" },
                    { key: "a-list", bucket: "b2", role: "roles/storage.objectViewer" },
                ],
            },
            'GcpWorkloadIdentity id: buckets[1].key: got "a-list"; it would name id-a-list, as buckets[0] does: keys must be unique, and no key may be a prefixed key plus "-list"',
        ],
        [
            "a key that is no DNS label",
            {
                ...base,
                buckets: [{ key: "Data", bucket: "b", role: "roles/storage.objectViewer" }],
            },
            "GcpWorkloadIdentity id: buckets[0].key: got \"Data\"; must be a DNS label (lowercase letters, digits and '-', at most 63 characters)",
        ],
        [
            "a prefix with a trailing slash",
            {
                ...base,
                buckets: [
                    {
                        key: "w",
                        bucket: "b",
                        role: "roles/storage.objectAdmin",
                        prefix: "teams/a/",
                    },
                ],
            },
            "GcpWorkloadIdentity id: buckets[0].prefix: got \"teams/a/\"; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'",
        ],
        [
            "a prefix that would break out of the CEL string",
            {
                ...base,
                buckets: [
                    {
                        key: "w",
                        bucket: "b",
                        role: "roles/storage.objectAdmin",
                        prefix: 'a") || ("',
                    },
                ],
            },
            "GcpWorkloadIdentity id: buckets[0].prefix: got \"a\\\") || (\\\"\"; must be path segments of letters, digits, '.', '_' and '-' separated by '/', without a leading or trailing '/'",
        ],
        [
            "a team that is no DNS label",
            { ...base, team: "Vision", buckets: [] },
            "GcpWorkloadIdentity id: team: got \"Vision\"; must be a DNS label (lowercase letters, digits and '-', at most 63 characters)",
        ],
        [
            "a role on the project for a team's identity",
            { ...base, team: "vision", buckets: [], projectRoles: ["roles/monitoring.viewer"] },
            'GcpWorkloadIdentity id: projectRoles[0]: got "roles/monitoring.viewer"; a team\'s identity holds its bucket prefixes alone, no role on the project',
        ],
        [
            "a project role that is no predefined role",
            { ...base, buckets: [], projectRoles: ["monitoring.viewer"] },
            'GcpWorkloadIdentity id: projectRoles[0]: got "monitoring.viewer"; must be a predefined role such as roles/monitoring.viewer',
        ],
    ])("rejects %s", (_what, args, message) => {
        record();
        expect(() => new GcpWorkloadIdentity("id", args)).toThrow(new Error(message));
    });
});

describe("GcpManagedPrometheus", () => {
    it("is a writer that may only write metrics and a reader that may only read them, each bound to one Kubernetes account", async () => {
        const rec = record();
        const gmp = new GcpManagedPrometheus("ml", {
            project: "p",
            workloadPool: "p.svc.id.goog",
            writerServiceAccount: "mon/prom",
            readerServiceAccount: "mon/query",
        });
        await settled();
        expect(childList(rec, rec.get("mlops:gcp:GcpManagedPrometheus", "ml"))).toEqual([
            "mlops:identity:GcpWorkloadIdentity ml-gmp-query",
            "mlops:identity:GcpWorkloadIdentity ml-gmp-write",
        ]);
        for (const [id, ksa, role] of [
            ["ml-gmp-write", "mon/prom", "roles/monitoring.metricWriter"],
            ["ml-gmp-query", "mon/query", "roles/monitoring.viewer"],
        ]) {
            const key = `${id}-project-${role.slice("roles/".length).replace(".", "-").toLowerCase()}`;
            expect(childList(rec, rec.get("mlops:identity:GcpWorkloadIdentity", id))).toEqual([
                `gcp:projects/iAMMember:IAMMember ${key}`,
                `gcp:serviceaccount/account:Account ${id}`,
                `gcp:serviceaccount/iAMMember:IAMMember ${id}-${ksa.replace("/", "-")}`,
            ]);
            expect(rec.get("gcp:projects/iAMMember:IAMMember", key).inputs).toEqual({
                project: "p",
                role,
                member: `serviceAccount:${id}@p.iam.gserviceaccount.com`,
            });
            expect(
                rec.get("gcp:serviceaccount/iAMMember:IAMMember", `${id}-${ksa.replace("/", "-")}`)
                    .inputs.member,
            ).toBe(`serviceAccount:p.svc.id.goog[${ksa}]`);
        }
        // Nothing on any bucket, and no key.
        expect(rec.ofType("gcp:storage/bucketIAMMember:BucketIAMMember")).toEqual([]);
        expect(rec.ofType("gcp:serviceaccount/key:Key")).toEqual([]);
        expect(gmp.managed.kind).toBe("googleExport");
        expect(gmp.managed.project).toBe("p");
        expect(await valueOf(pulumi.output(gmp.managed.writerAnnotations))).toEqual({
            "iam.gke.io/gcp-service-account": "ml-gmp-write@p.iam.gserviceaccount.com",
        });
        expect(await valueOf(pulumi.output(gmp.managed.readerAnnotations))).toEqual({
            "iam.gke.io/gcp-service-account": "ml-gmp-query@p.iam.gserviceaccount.com",
        });
    });
});

describe("gcpFoundation", () => {
    it("gives each inline team its own prefixes of the tracking, workflow and dataset buckets, and nothing else", async () => {
        const rec = record();
        gcpFoundation(
            parseConfig({
                cloud: "gcp",
                cluster: { name: "ml", gcp: { project: "my-project", region: "us-central1" } },
                routing: SSO,
                teams: [{ name: "vision" }, { name: "nlp" }],
            }),
        );
        await settled();
        const identity = rec.get("mlops:identity:GcpWorkloadIdentity", "ml-team-vision");
        expect(childList(rec, identity)).toEqual([
            "gcp:serviceaccount/account:Account ml-team-vision",
            "gcp:serviceaccount/iAMMember:IAMMember ml-team-vision-team-vision-runner",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-team-vision-datasets",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-team-vision-tracking",
            "gcp:storage/bucketIAMMember:BucketIAMMember ml-team-vision-workflows",
            "gcp:storage/managedFolder:ManagedFolder ml-team-vision-datasets-list",
            "gcp:storage/managedFolder:ManagedFolder ml-team-vision-tracking-list",
            "gcp:storage/managedFolder:ManagedFolder ml-team-vision-workflows-list",
            "gcp:storage/managedFolderIamMember:ManagedFolderIamMember ml-team-vision-datasets-list",
            "gcp:storage/managedFolderIamMember:ManagedFolderIamMember ml-team-vision-tracking-list",
            "gcp:storage/managedFolderIamMember:ManagedFolderIamMember ml-team-vision-workflows-list",
        ]);
        const grants = rec
            .childrenOf(identity.urn)
            .filter((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember")
            .map((r) => [r.name, r.inputs.role, (r.inputs as any).condition?.expression])
            .sort();
        expect(grants).toEqual(
            ["datasets", "tracking", "workflows"].map((b) => [
                `ml-team-vision-${b}`,
                "roles/storage.objectAdmin",
                `resource.name.startsWith("projects/_/buckets/my-project-ml-${b}/objects/teams/vision/")`,
            ]),
        );
        const folders = rec
            .childrenOf(identity.urn)
            .filter((r) => r.type === "gcp:storage/managedFolderIamMember:ManagedFolderIamMember")
            .map((r) => [r.inputs.bucket, r.inputs.managedFolder, r.inputs.role])
            .sort();
        expect(folders).toEqual(
            ["datasets", "tracking", "workflows"].map((b) => [
                `my-project-ml-${b}`,
                "teams/vision/",
                "roles/storage.objectViewer",
            ]),
        );
        expect(
            rec.get("gcp:serviceaccount/account:Account", "ml-team-nlp").inputs.description,
        ).toBe("mlops team nlp runner");
        // Platform services are no team: no marker.
        expect(
            rec.get("gcp:serviceaccount/account:Account", "ml-workflows").inputs.description,
        ).toBeUndefined();
        expect(
            rec
                .childrenOf(rec.get("mlops:identity:GcpWorkloadIdentity", "ml-workflows").urn)
                .filter((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember")
                .map((r) => [r.name, r.inputs.role, r.inputs.condition])
                .sort(),
        ).toEqual([
            ["ml-workflows-datasets", "roles/storage.objectViewer", undefined],
            ["ml-workflows-workflows", "roles/storage.objectAdmin", undefined],
        ]);
    });
});
