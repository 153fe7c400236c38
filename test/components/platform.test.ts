import { ExistingCluster } from "../../components/cluster/existing";
import { MlopsPlatform } from "../../components/platform/mlops-platform";
import { platformArgs as args } from "../support/fixtures";
import { at, childList, record, settled, valueOf } from "../support/harness";

describe("MlopsPlatform", () => {
    it("composes namespace, object store, NFS, database, router, sign-on and dashboard route", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const platform = new MlopsPlatform("p", args(cluster), {
            providers: { kubernetes: cluster.provider },
        });
        await settled();
        expect(childList(rec, rec.get("mlops:platform:MlopsPlatform", "p"))).toEqual([
            "kubernetes:core/v1:Namespace p",
            "mlops:features:FeastFeatureStore p-feast",
            "mlops:identity:Dex p-dex",
            "mlops:identity:OAuth2Proxy p-sso",
            "mlops:observability:Monitoring p-monitoring",
            "mlops:platform:PlatformNetworkPolicies p-network",
            "mlops:routing:ExposedService p-traefik-dashboard",
            "mlops:routing:Traefik p-traefik",
            "mlops:serving:ModelServing p-serving",
            "mlops:storage:Database p-postgres",
            "mlops:storage:ObjectStore p-objectstore",
            "mlops:storage:SharedFilesystem p-nfs",
            "mlops:tenancy:TeamFences p-fences",
            "mlops:tracking:MlflowServer p-mlflow",
            "mlops:workflows:ArgoWorkflows p-argo",
        ]);
        expect(at(rec.get("kubernetes:core/v1:Namespace", "p"), "metadata")).toEqual({
            name: "mlops",
            labels: {
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "mlops.dev/role": "platform",
            },
        });
        // Every Kubernetes object goes through the cluster's provider.
        const k8sObjects = rec.resources.filter(
            (r) => r.custom && r.type.startsWith("kubernetes:"),
        );
        expect(k8sObjects.length).toBeGreaterThan(10);
        for (const r of k8sObjects) expect(r.provider).toMatch(/pulumi:providers:kubernetes::c::/);
        expect(await valueOf(platform.readWriteManyStorageClass!)).toBe("p-nfs");
        // dev stacks do not protect data.
        expect(
            rec.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((r) => r.protect),
        ).toEqual([false, false]);
    });

    it("protects data volumes, retains NFS volumes and runs two routers in prod", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        new MlopsPlatform("p", args(cluster, { environment: "prod" }), {
            providers: { kubernetes: cluster.provider },
        });
        await settled();
        expect(
            rec
                .ofType("kubernetes:core/v1:PersistentVolumeClaim")
                .map((r) => `${r.name} ${r.protect}`)
                .sort(),
        ).toEqual(["p-objectstore-data true", "p-postgres-data true"]);
        expect(
            at(
                rec.get("kubernetes:helm.sh/v3:Release", "p-nfs"),
                "values",
                "storageClass",
                "reclaimPolicy",
            ),
        ).toBe("Retain");
        expect(
            at(rec.get("kubernetes:helm.sh/v3:Release", "p-traefik"), "values", "deployment"),
        ).toEqual({
            replicas: 2,
        });
        // The stateless servers too (kube-score deployment-replicas).
        expect(at(rec.get("kubernetes:apps/v1:Deployment", "p-mlflow"), "spec", "replicas")).toBe(
            2,
        );
        expect(at(rec.get("kubernetes:apps/v1:Deployment", "p-feast"), "spec", "replicas")).toBe(2);
        // Sign-on too: every route waits on oauth2-proxy; its chart keeps one up in a drain.
        expect(
            at(rec.get("kubernetes:helm.sh/v3:Release", "p-sso"), "values", "replicaCount"),
        ).toBe(2);
        expect(
            at(rec.get("kubernetes:helm.sh/v3:Release", "p-sso"), "values", "podDisruptionBudget"),
        ).toEqual({ enabled: true });
        expect(
            at(rec.get("kubernetes:apps/v1:Deployment", "p-feast-online"), "spec", "replicas"),
        ).toBe(1);
        // Spread over nodes, and one kept up through drains (kube-score
        // deployment-has-poddisruptionbudget, deployment-has-host-podantiaffinity).
        expect(
            rec
                .ofType("kubernetes:policy/v1:PodDisruptionBudget")
                .map((r) => [r.name, at(r, "spec")])
                .sort(),
        ).toEqual([
            [
                "p-feast",
                {
                    minAvailable: 1,
                    selector: {
                        matchLabels: at(
                            rec.get("kubernetes:apps/v1:Deployment", "p-feast"),
                            "spec",
                            "selector",
                            "matchLabels",
                        ),
                    },
                },
            ],
            [
                "p-mlflow",
                {
                    minAvailable: 1,
                    selector: {
                        matchLabels: at(
                            rec.get("kubernetes:apps/v1:Deployment", "p-mlflow"),
                            "spec",
                            "selector",
                            "matchLabels",
                        ),
                    },
                },
            ],
        ]);
        expect(
            at(
                rec.get("kubernetes:apps/v1:Deployment", "p-mlflow"),
                "spec",
                "template",
                "spec",
                "affinity",
                "podAntiAffinity",
                "preferredDuringSchedulingIgnoredDuringExecution",
                0,
                "podAffinityTerm",
                "topologyKey",
            ),
        ).toBe("kubernetes.io/hostname");
    });

    it("starts the schema migration only once the in-cluster database is ready", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        new MlopsPlatform("p", args(cluster), { providers: { kubernetes: cluster.provider } });
        await settled();
        // Depending on the Database component is depending on its children: the StatefulSet,
        // whose readiness Pulumi awaits before it creates the Job.
        expect(rec.get("kubernetes:batch/v1:Job", "p-mlflow-db-upgrade").dependsOn).toContain(
            rec.get("kubernetes:apps/v1:StatefulSet", "p-postgres").urn,
        );
    });

    it("uses the cluster's own ReadWriteMany class instead of NFS when it has one", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", { readWriteManyStorageClass: "cephfs" });
        const platform = new MlopsPlatform("p", args(cluster), {
            providers: { kubernetes: cluster.provider },
        });
        await settled();
        expect(rec.ofType("mlops:storage:SharedFilesystem")).toHaveLength(0);
        expect(await valueOf(platform.readWriteManyStorageClass!)).toBe("cephfs");
    });

    it("leaves out each service turned off", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const platform = new MlopsPlatform(
            "p",
            args(cluster, {
                tracking: { enabled: false },
                workflows: { enabled: false },
                featureStore: { enabled: false },
                serving: { enabled: false, engine: "kserve", models: [] },
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        for (const t of [
            "mlops:tracking:MlflowServer",
            "mlops:workflows:ArgoWorkflows",
            "mlops:features:FeastFeatureStore",
            "mlops:serving:ModelServing",
        ]) {
            expect(rec.ofType(t)).toEqual([]);
        }
        expect(platform.tracking).toBeUndefined();
        expect(rec.ofType("mlops:storage:Database")).toHaveLength(1);
    });

    it("isolates its namespace: a service turned off takes its rules along, a public database is open", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const platform = new MlopsPlatform(
            "p",
            args(cluster, {
                database: { size: "10Gi", publicAccess: true },
                tracking: { enabled: false },
                workflows: { enabled: false },
                featureStore: { enabled: false },
                serving: { enabled: false, engine: "kserve", models: [] },
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        expect(Object.keys(platform.networkPolicies.policies)).toEqual([
            "default-deny",
            "allow-traefik",
            "allow-dex",
            "allow-oauth2-proxy",
            "allow-postgresql",
            "allow-seaweedfs",
        ]);
        const policy = (key: string) =>
            rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", `p-network-${key}`);
        for (const key of Object.keys(platform.networkPolicies.policies)) {
            expect(at(policy(key), "metadata")).toEqual({ name: key, namespace: "mlops" });
        }
        // The LoadBalancer's callers are anywhere; the store keeps its bucket Job and the teams.
        // Prometheus reaches the exporter's port alone.
        expect(at(policy("allow-postgresql"), "spec", "ingress")).toEqual([
            { ports: [{ protocol: "TCP", port: 5432 }] },
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "mlops-monitoring" },
                        },
                        podSelector: { matchLabels: { "mlops.dev/scraper": "prometheus" } },
                    },
                ],
                ports: [{ protocol: "TCP", port: 9187 }],
            },
        ]);
        expect(at(policy("allow-seaweedfs"), "spec", "ingress", 0, "from")).toEqual([
            { podSelector: { matchLabels: { "app.kubernetes.io/name": "seaweedfs-buckets" } } },
            {
                namespaceSelector: {
                    matchExpressions: [{ key: "mlops.dev/team", operator: "Exists" }],
                },
            },
        ]);
    });

    it("has no shared filesystem when it is turned off", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const platform = new MlopsPlatform(
            "p",
            args(cluster, {
                storage: {
                    objectStore: { size: "20Gi" },
                    sharedFilesystem: { enabled: false, size: "1Gi" },
                },
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        expect(rec.ofType("mlops:storage:SharedFilesystem")).toHaveLength(0);
        expect(platform.readWriteManyStorageClass).toBeUndefined();
    });
});
