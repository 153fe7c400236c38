import * as k8s from "@pulumi/kubernetes";
import { Database } from "../../components/storage/database";
import {
    CREATE_BUCKETS_SCRIPT,
    IDENTITY_POLICIES_ANNOTATION,
    ObjectStore,
} from "../../components/storage/object-store";
import {
    IDENTITY_POLICIES_ANNOTATION as POLICY_IDENTITY_POLICIES,
    teamPolicyProblems,
} from "../../policies/storage";
import { SharedFilesystem } from "../../components/storage/shared-filesystem";
import { images, charts } from "../../components/versions";
import {
    SecretValue,
    at,
    childList,
    isSecret,
    record,
    settled,
    valueOf,
    SECURE_CONTAINER,
} from "../support/harness";

describe("ObjectStore", () => {
    async function build(args: Partial<ConstructorParameters<typeof ObjectStore>[1]> = {}) {
        const rec = record();
        const provider = new k8s.Provider("k8s", {});
        const store = new ObjectStore(
            "store",
            { namespace: "mlops", ...args },
            { providers: { kubernetes: provider } },
        );
        await settled();
        return { rec, store, self: rec.get("mlops:storage:ObjectStore", "store") };
    }

    it("creates exactly its server, volume, credentials and bucket job", async () => {
        const { rec, self } = await build();
        expect(childList(rec, self)).toEqual([
            "kubernetes:apps/v1:StatefulSet store",
            "kubernetes:batch/v1:Job store-buckets",
            "kubernetes:core/v1:PersistentVolumeClaim store-data",
            "kubernetes:core/v1:Secret store-credentials",
            "kubernetes:core/v1:Secret store-s3-config",
            "kubernetes:core/v1:Service store",
            "random:index/randomPassword:RandomPassword store-access-key",
            "random:index/randomPassword:RandomPassword store-secret-key",
        ]);
        // Kubernetes children use the provider passed in options.
        expect(rec.get("kubernetes:apps/v1:StatefulSet", "store").provider).toMatch(/::k8s::/);
    });

    it("runs the official SeaweedFS image as a non-root S3 server", async () => {
        const { rec } = await build();
        const sts = rec.get("kubernetes:apps/v1:StatefulSet", "store");
        const c = at(sts, "spec", "template", "spec", "containers", 0) as Record<string, unknown>;
        expect(c.image).toBe(images.seaweedfs);
        expect(c.command).toEqual(["weed"]);
        expect(c.args).toEqual([
            "server",
            "-dir=/data",
            "-ip.bind=0.0.0.0",
            "-master.volumeSizeLimitMB=1024",
            "-volume.max=0",
            "-s3",
            "-s3.port=8333",
            "-s3.config=/etc/seaweedfs/s3.json",
            "-s3.iam=false",
            "-metricsPort=9327",
        ]);
        expect(c.securityContext).toEqual(SECURE_CONTAINER);
        // Local disk bounded too: its 256Mi emptyDir plus room for logs.
        expect(c.resources).toEqual({
            requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "32Mi" },
            limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "512Mi" },
        });
        expect(at(sts, "spec", "template", "spec", "securityContext", "runAsUser")).toBe(1000);
        expect(at(sts, "spec", "template", "spec", "volumes", 0)).toEqual({
            name: "data",
            persistentVolumeClaim: { claimName: "store-data" },
        });
    });

    it("keeps credentials secret from generation to the Kubernetes Secret", async () => {
        const { rec, store } = await build();
        expect(await isSecret(store.accessKeyId)).toBe(true);
        expect(await isSecret(store.secretAccessKey)).toBe(true);
        const creds = rec.get("kubernetes:core/v1:Secret", "store-credentials");
        expect(creds.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(at(creds, "stringData")).toEqual({
            AWS_ACCESS_KEY_ID: "mock-password-store-access-key",
            AWS_SECRET_ACCESS_KEY: "mock-password-store-secret-key",
        });
        const s3 = rec.get("kubernetes:core/v1:Secret", "store-s3-config");
        expect(s3.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(JSON.parse(at(s3, "stringData", "s3.json") as string)).toEqual({
            identities: [
                {
                    name: "platform",
                    credentials: [
                        {
                            accessKey: "mock-password-store-access-key",
                            secretKey: "mock-password-store-secret-key",
                        },
                    ],
                    actions: ["Admin", "Read", "Write", "List", "Tagging"],
                },
            ],
            policies: [],
        });
    });

    it("confines each extra user to its prefix of the team buckets: read, write and list there only", async () => {
        const { rec, store } = await build({
            users: [{ name: "team-vision", prefix: "teams/vision" }],
        });
        const s3 = JSON.parse(
            at(
                rec.get("kubernetes:core/v1:Secret", "store-s3-config"),
                "stringData",
                "s3.json",
            ) as string,
        );
        const buckets = ["store-tracking", "store-workflows", "store-datasets"];
        const policy = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ObjectsUnderPrefix",
                    Effect: "Allow",
                    Action: [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    Resource: buckets.map((b) => `arn:aws:s3:::${b}/teams/vision/*`),
                    // The object actions hold only without ?prefix=, which the gateway would
                    // otherwise take as the key of a bucket-level request (lifecycle, CORS...).
                    Condition: { Null: { "s3:prefix": "true" } },
                },
                {
                    Sid: "ListPrefix",
                    Effect: "Allow",
                    Action: ["s3:ListBucket", "s3:ListBucketVersions"],
                    Resource: buckets.map((b) => `arn:aws:s3:::${b}`),
                    Condition: { StringLike: { "s3:prefix": "teams/vision/*" } },
                },
            ],
        };
        // No legacy actions: an attached policy is authoritative, and legacy Write matches
        // `PUT /<bucket>?lifecycle&prefix=teams/vision/`.
        expect(s3.identities[1]).toEqual({
            name: "team-vision",
            credentials: [
                {
                    accessKey: "mock-password-store-team-vision-access-key",
                    secretKey: "mock-password-store-team-vision-secret-key",
                },
            ],
            policyNames: ["team-vision"],
        });
        expect(s3.policies).toEqual([{ name: "team-vision", content: JSON.stringify(policy) }]);
        // No statement allows a bucket-configuration action, and no object statement holds
        // for a request that carries ?prefix=.
        const actions = policy.Statement.flatMap((st) => st.Action);
        for (const a of [
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketVersioning",
            "s3:PutBucketCORS",
            "s3:PutBucketObjectLockConfiguration",
            "s3:PutBucketPolicy",
            "s3:PutBucketAcl",
            "s3:DeleteBucket",
            "s3:GetBucketPolicy",
        ])
            expect(actions).not.toContain(a);
        expect(teamPolicyProblems("team-vision", policy)).toEqual([]);
        // Declared where the object-store-team-identities-confined guardrail reads it in preview.
        expect(
            JSON.parse(
                at(
                    rec.get("kubernetes:core/v1:Secret", "store-s3-config"),
                    "metadata",
                    "annotations",
                    "mlops.dev/identity-policies",
                ) as string,
            ),
        ).toEqual({ "team-vision": policy });
        expect(IDENTITY_POLICIES_ANNOTATION).toBe(POLICY_IDENTITY_POLICIES);
        expect(await isSecret(store.userCredentials["team-vision"].secretAccessKey)).toBe(true);
    });

    it("creates the platform buckets through the S3 API", async () => {
        const { rec, store } = await build();
        expect(store.buckets).toEqual({
            tracking: "store-tracking",
            workflows: "store-workflows",
            features: "store-features",
            datasets: "store-datasets",
        });
        const job = rec.get("kubernetes:batch/v1:Job", "store-buckets");
        const c = at(job, "spec", "template", "spec", "containers", 0) as Record<string, unknown>;
        expect(c.image).toBe(images.curl);
        expect(c.args).toEqual([CREATE_BUCKETS_SCRIPT]);
        expect(c.env).toContainEqual({
            name: "BUCKETS",
            value: "store-tracking store-workflows store-features store-datasets",
        });
        expect(c.env).toContainEqual({
            name: "S3_ENDPOINT",
            value: "http://store.mlops.svc.cluster.local:8333",
        });
        expect(c.securityContext).toEqual(SECURE_CONTAINER);
        expect(job.dependsOn).toContain(rec.get("kubernetes:apps/v1:StatefulSet", "store").urn);
        expect(await valueOf(store.endpoint)).toBe("http://store.mlops.svc.cluster.local:8333");
    });

    it("protects its volume by default and not when told", async () => {
        expect(
            (await build()).rec.get("kubernetes:core/v1:PersistentVolumeClaim", "store-data")
                .protect,
        ).toBe(true);
        const { rec } = await build({ protect: false, size: "5Gi", storageClass: "fast" });
        const pvc = rec.get("kubernetes:core/v1:PersistentVolumeClaim", "store-data");
        expect(pvc.protect).toBe(false);
        expect(at(pvc, "spec")).toEqual({
            accessModes: ["ReadWriteOnce"],
            storageClassName: "fast",
            resources: { requests: { storage: "5Gi" } },
        });
    });
});

describe("Database", () => {
    async function build(args: Partial<ConstructorParameters<typeof Database>[1]> = {}) {
        const rec = record();
        const db = new Database("db", { namespace: "mlops", ...args });
        await settled();
        return { rec, db, self: rec.get("mlops:storage:Database", "db") };
    }

    it("creates exactly its server, volume, service and credentials", async () => {
        const { rec, self } = await build();
        expect(childList(rec, self)).toEqual([
            "kubernetes:apps/v1:StatefulSet db",
            "kubernetes:core/v1:PersistentVolumeClaim db-data",
            "kubernetes:core/v1:Secret db-credentials",
            "kubernetes:core/v1:Service db",
            "random:index/randomPassword:RandomPassword db-password",
        ]);
    });

    it("runs official PostgreSQL as the postgres user with the password from a Secret", async () => {
        const { rec } = await build();
        const sts = rec.get("kubernetes:apps/v1:StatefulSet", "db");
        const c = at(sts, "spec", "template", "spec", "containers", 0) as Record<string, unknown>;
        expect(c.image).toBe(images.postgres);
        expect(c.env).toEqual([
            { name: "POSTGRES_USER", value: "mlops" },
            { name: "POSTGRES_DB", value: "mlflow" },
            {
                name: "POSTGRES_PASSWORD",
                valueFrom: { secretKeyRef: { name: "db-credentials", key: "password" } },
            },
        ]);
        expect(c.securityContext).toEqual(SECURE_CONTAINER);
        expect(c.volumeMounts).toEqual([
            { name: "data", mountPath: "/var/lib/postgresql" },
            { name: "run", mountPath: "/var/run/postgresql" },
            { name: "tmp", mountPath: "/tmp" },
        ]);
        expect(at(sts, "spec", "template", "spec", "securityContext", "runAsUser")).toBe(999);
        expect((c.readinessProbe as { exec: { command: string[] } }).exec.command).toEqual([
            "pg_isready",
            "-U",
            "mlops",
            "-d",
            "mlflow",
        ]);
    });

    it("keeps the generated password and connection URI secret", async () => {
        const { rec, db } = await build();
        expect(await isSecret(db.password)).toBe(true);
        expect(await isSecret(db.uri)).toBe(true);
        expect(await valueOf(db.uri)).toBe(
            "postgresql://mlops:mock-password-db-password@db.mlops.svc.cluster.local:5432/mlflow",
        );
        const secret = rec.get("kubernetes:core/v1:Secret", "db-credentials");
        expect(secret.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(at(secret, "stringData")).toEqual({
            username: "mlops",
            password: "mock-password-db-password",
            host: "db.mlops.svc.cluster.local",
            port: "5432",
            database: "mlflow",
            uri: "postgresql://mlops:mock-password-db-password@db.mlops.svc.cluster.local:5432/mlflow",
        });
    });

    it("protects its volume unless told otherwise", async () => {
        expect(
            (await build()).rec.get("kubernetes:core/v1:PersistentVolumeClaim", "db-data").protect,
        ).toBe(true);
        expect(
            (await build({ protect: false })).rec.get(
                "kubernetes:core/v1:PersistentVolumeClaim",
                "db-data",
            ).protect,
        ).toBe(false);
    });
});

describe("SharedFilesystem", () => {
    it("installs the NFS provisioner chart in its own privileged namespace with an RWX class", async () => {
        const rec = record();
        const fs = new SharedFilesystem("nfs", {
            size: "100Gi",
            storageClass: "standard",
            protect: false,
        });
        await settled();
        const self = rec.get("mlops:storage:SharedFilesystem", "nfs");
        expect(childList(rec, self)).toEqual([
            "kubernetes:core/v1:Namespace nfs",
            "kubernetes:helm.sh/v3:Release nfs",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy nfs-default-deny",
        ]);
        // Pods get nothing: the kubelet mounts from the node, which Kubernetes always admits.
        expect(
            at(
                rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "nfs-default-deny"),
                "spec",
            ),
        ).toEqual({ podSelector: {}, policyTypes: ["Ingress"], ingress: [] });
        expect(at(rec.get("kubernetes:core/v1:Namespace", "nfs"), "metadata", "labels")).toEqual({
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/warn": "privileged",
            "pod-security.kubernetes.io/audit": "privileged",
        });
        const release = rec.get("kubernetes:helm.sh/v3:Release", "nfs");
        expect(release.inputs).toMatchObject({
            chart: charts.nfsServerProvisioner.chart,
            version: "1.8.0",
            repositoryOpts: { repo: charts.nfsServerProvisioner.repo },
            namespace: "nfs",
        });
        expect(at(release, "values")).toEqual({
            image: {
                repository: "registry.k8s.io/sig-storage/nfs-provisioner",
                tag: "v4.0.8",
                pullPolicy: "IfNotPresent",
            },
            persistence: {
                enabled: true,
                accessMode: "ReadWriteOnce",
                size: "100Gi",
                storageClass: "standard",
            },
            storageClass: {
                create: true,
                name: "nfs",
                defaultClass: false,
                allowVolumeExpansion: true,
                reclaimPolicy: "Delete",
            },
            resources: {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "1", memory: "512Mi" },
            },
        });
        expect(await valueOf(fs.storageClassName)).toBe("nfs");
    });

    it("admits NFS from the nodes' ranges only, on the server's ports", async () => {
        const rec = record();
        new SharedFilesystem("nfs3", { nodeCidrs: ["10.0.0.0/24", "10.1.0.0/24"] });
        await settled();
        const allow = rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "nfs3-allow-nodes");
        const spec = at(allow, "spec") as any;
        expect(spec.podSelector).toEqual({});
        expect(spec.policyTypes).toEqual(["Ingress"]);
        expect(spec.ingress).toHaveLength(1);
        expect(spec.ingress[0].from).toEqual([
            { ipBlock: { cidr: "10.0.0.0/24" } },
            { ipBlock: { cidr: "10.1.0.0/24" } },
        ]);
        expect(spec.ingress[0].ports).toEqual(
            [2049, 111, 20048, 875, 662, 32803].flatMap((port) => [
                { protocol: "TCP", port },
                { protocol: "UDP", port },
            ]),
        );
    });

    it("retains provisioned volumes by default", async () => {
        const rec = record();
        new SharedFilesystem("nfs2");
        await settled();
        expect(
            at(
                rec.get("kubernetes:helm.sh/v3:Release", "nfs2"),
                "values",
                "storageClass",
                "reclaimPolicy",
            ),
        ).toBe("Retain");
    });
});
