/**
 * The footprint: CPU and memory requested by every long-running pod the platform runs, chart
 * pods included, replicas counted. The dev profile (every service on, monitoring included) stays
 * within 2 CPU and 4 GiB. Planned once, in process.
 */
import * as path from "node:path";
import { charts } from "../components/versions";
import {
    CHART_PODS,
    KSERVE_CONTROLLER_DEFAULT,
    KSERVE_PREDICTOR_DEFAULT,
    cpuCores,
    footprintOf,
    memoryBytes,
    podRequests,
    renderFootprint,
} from "../tools/plan/footprint";
import { PlanResult, runPlan } from "../tools/plan/run";
import { RecordedResource } from "../tools/plan/recorder";
import { readStackConfig } from "../tools/plan/stack-config";

const ROOT = path.resolve(__dirname, "..");
const Mi = 2 ** 20;
const GiB = 2 ** 30;

let dev: PlanResult;
beforeAll(async () => {
    dev = await runPlan(readStackConfig(path.join(ROOT, "Pulumi.dev.yaml")));
});

describe("the dev profile", () => {
    it("runs every service", () => {
        const types = new Set(dev.resources.map((r) => r.type));
        for (const t of [
            "mlops:tracking:MlflowServer",
            "mlops:workflows:ArgoWorkflows",
            "mlops:features:FeastFeatureStore",
            "mlops:serving:ModelServing",
            "mlops:storage:SharedFilesystem",
            "mlops:storage:ObjectStore",
            "mlops:storage:Database",
        ])
            expect(types).toContain(t);
    });

    it("requests at most 2 CPU and 4 GiB, chart pods included", () => {
        const f = footprintOf(dev.resources);
        expect(f.cpuCores).toBeLessThanOrEqual(2);
        expect(f.memoryBytes).toBeLessThanOrEqual(4 * GiB);
        // DCGM runs on GPU nodes only, which a dev cluster need not have.
        expect(f.uncounted).toEqual(["chart dcgm-exporter: its DaemonSet runs on GPU nodes only"]);
        expect(f.cpuCores).toBe(1.52);
        expect(f.memoryBytes).toBe(3672 * Mi);
    });

    it("counts each long-running pod of the program and of every chart, with its requests", () => {
        const f = footprintOf(dev.resources);
        const lines = f.lines
            .map((l) => [l.workload, l.replicas, l.cpuCores, l.memoryBytes / Mi] as const)
            .sort((a, b) => (a[0] < b[0] ? -1 : 1));
        expect(lines).toEqual([
            ["Deployment mlops-feast", 1, 0.1, 256],
            // Valkey 50m/64Mi + redis_exporter 10m/16Mi
            ["Deployment mlops-feast-online", 1, 0.06, 80],
            ["Deployment mlops-mlflow", 1, 0.1, 384],
            ["InferenceService iris", 1, 0.1, 384],
            ["InferenceService iris-canary", 1, 0.1, 384],
            ["StatefulSet mlops-objectstore", 1, 0.1, 256],
            // PostgreSQL 100m/256Mi + postgres_exporter 10m/32Mi
            ["StatefulSet mlops-postgres", 1, 0.11, 288],
            ["chart argo-workflows: server", 1, 0.05, 128],
            ["chart argo-workflows: workflow-controller", 1, 0.1, 128],
            ["chart cert-manager: cainjector", 1, 0.02, 64],
            ["chart cert-manager: controller", 1, 0.05, 64],
            ["chart cert-manager: webhook", 1, 0.02, 32],
            // The bundled issuer and the sign-on proxy: 50m/64Mi each (components/identity).
            ["chart dex: dex", 1, 0.05, 64],
            // manager 50m/128Mi + kube-rbac-proxy 10m/32Mi
            ["chart kserve-resources: kserve-controller-manager", 1, 0.06, 160],
            // Each with the operator's config-reloader sidecar at 10m/16Mi.
            ["chart kube-prometheus-stack: alertmanager", 1, 0.02, 48],
            // Grafana 50m/128Mi + the dashboard and datasource sidecars at 10m/32Mi.
            ["chart kube-prometheus-stack: grafana", 1, 0.07, 192],
            ["chart kube-prometheus-stack: kube-state-metrics", 1, 0.01, 32],
            ["chart kube-prometheus-stack: node-exporter", 1, 0.01, 24],
            ["chart kube-prometheus-stack: prometheus", 1, 0.11, 272],
            ["chart kube-prometheus-stack: prometheus-operator", 1, 0.02, 48],
            ["chart nfs-server-provisioner: nfs-server-provisioner", 1, 0.1, 128],
            ["chart oauth2-proxy: oauth2-proxy", 1, 0.05, 64],
            // OpenCost's exporter alone (no UI): 10m/64Mi.
            ["chart opencost: opencost", 1, 0.01, 64],
            ["chart traefik: traefik", 1, 0.1, 128],
        ]);
        // Jobs run to completion and are not counted: the bucket Job, the schema Jobs (the
        // admins' server and each team's) and each team's database Job.
        expect(dev.resources.filter((r) => r.type === "kubernetes:batch/v1:Job")).toHaveLength(6);
    });

    it("prints one line in the human output", () => {
        expect(renderFootprint(footprintOf(dev.resources))).toBe(
            "Footprint: 1.52 CPU, 3.59 GiB requested by 24 long-running pods (chart pods included; Jobs not counted)\n" +
                "  and in team namespaces, within each team's quota: 0.30 CPU, 1.25 GiB by 4 pods (each team's tracking server and feature store)\n" +
                "  not counted: chart dcgm-exporter: its DaemonSet runs on GPU nodes only",
        );
    });
});

const workload = (type: string, inputs: Record<string, unknown>): RecordedResource => ({
    urn: `urn:pulumi:s::p::${type}::w`,
    type,
    name: "w",
    custom: true,
    protect: false,
    dependsOn: [],
    inputs,
});

describe("counting", () => {
    it("multiplies by replicas and takes the scheduler's view of init containers", () => {
        const deployment = workload("kubernetes:apps/v1:Deployment", {
            spec: {
                replicas: 3,
                template: {
                    spec: {
                        initContainers: [{ resources: { requests: { cpu: "1", memory: "64Mi" } } }],
                        containers: [
                            { resources: { requests: { cpu: "100m", memory: "128Mi" } } },
                            { resources: { limits: { cpu: "200m", memory: "64Mi" } } },
                        ],
                    },
                },
            },
        });
        const f = footprintOf([deployment]);
        // cpu: max(0.1 + 0.2 limits-as-requests, 1 init) = 1; memory: max(192Mi, 64Mi).
        expect(f.lines).toEqual([
            { workload: "Deployment w", replicas: 3, cpuCores: 1, memoryBytes: 192 * Mi },
        ]);
        expect(f.cpuCores).toBe(3);
        expect(f.memoryBytes).toBe(576 * Mi);
    });

    it("counts a predictor at KServe's default when it sets no resources, minReplicas times", () => {
        const isvc = workload("kubernetes:serving.kserve.io/v1beta1:InferenceService", {
            spec: { predictor: { minReplicas: 2, model: { modelFormat: { name: "sklearn" } } } },
        });
        expect(footprintOf([isvc]).lines).toEqual([
            { workload: "InferenceService w", replicas: 2, cpuCores: 1, memoryBytes: 2 * GiB },
        ]);
    });

    it("names a chart it has no table for instead of counting it as nothing", () => {
        const release = workload("kubernetes:helm.sh/v3:Release", { chart: "mystery", values: {} });
        expect(footprintOf([release]).uncounted).toEqual(["chart mystery: no table of its pods"]);
    });

    it("parses Kubernetes quantities", () => {
        expect(cpuCores("250m")).toBe(0.25);
        expect(cpuCores(2)).toBe(2);
        expect(cpuCores("0.5")).toBe(0.5);
        expect(memoryBytes("512Mi")).toBe(512 * Mi);
        expect(memoryBytes("1G")).toBe(1e9);
        expect(memoryBytes("2Gi")).toBe(2 * GiB);
        expect(memoryBytes(1073741824)).toBe(GiB);
        expect(podRequests([], [])).toEqual({ cpu: 0, memory: 0 });
    });
});

describe("the chart defaults, at the pinned versions", () => {
    it("has a table for every chart the program can install", () => {
        expect(
            Object.values(charts)
                .map((c) => c.chart)
                .sort(),
        ).toEqual(Object.keys(CHART_PODS).sort());
        expect(Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, c.version]))).toEqual({
            traefik: "41.3.0",
            oauth2Proxy: "10.7.0",
            dex: "0.24.0",
            nfsServerProvisioner: "1.8.0",
            nvidiaDevicePlugin: "0.20.0",
            clusterAutoscaler: "9.59.0",
            argoWorkflows: "1.0.18",
            certManager: "v1.21.1",
            kserveCrd: "v0.20.0",
            kserveResources: "v0.20.0",
            kserveRuntimeConfigs: "v0.20.0",
            seldonCrds: "2.9.1",
            seldonSetup: "2.9.1",
            seldonRuntime: "2.9.1",
            seldonServers: "2.9.1",
            kubePrometheusStack: "88.5.3",
            dcgmExporter: "4.8.2",
            opencost: "2.5.17",
        });
    });

    it("falls back to each chart's own defaults when the program sets no values", () => {
        // traefik 41.3.0 values.yaml: deployment.replicas 1, resources {}.
        expect(CHART_PODS.traefik({})).toEqual([
            {
                name: "traefik",
                replicas: 1,
                containers: [{ resources: undefined }],
                initContainers: [],
            },
        ]);
        // argo-workflows 1.0.18 values.yaml: controller.replicas 1, server.enabled, replicas 1.
        expect(CHART_PODS["argo-workflows"]({})).toEqual([
            { name: "workflow-controller", replicas: 1, containers: [{ resources: undefined }] },
            { name: "server", replicas: 1, containers: [{ resources: undefined }] },
        ]);
        expect(CHART_PODS["argo-workflows"]({ server: { enabled: false } })).toHaveLength(1);
        // cert-manager v1.21.1 values.yaml: replicaCount 1 for controller, webhook, cainjector.
        expect(
            (CHART_PODS[charts.certManager.chart]({}) as { name: string; replicas: number }[]).map(
                (p) => [p.name, p.replicas],
            ),
        ).toEqual([
            ["controller", 1],
            ["webhook", 1],
            ["cainjector", 1],
        ]);
        // kserve-resources v0.20.0: one controller pod, manager + kube-rbac-proxy at 100m/300Mi.
        expect(CHART_PODS[charts.kserveResources.chart]({})).toEqual([
            {
                name: "kserve-controller-manager",
                replicas: 1,
                containers: [
                    { resources: KSERVE_CONTROLLER_DEFAULT },
                    { resources: KSERVE_CONTROLLER_DEFAULT },
                ],
            },
        ]);
        expect(KSERVE_CONTROLLER_DEFAULT).toEqual({
            requests: { cpu: "100m", memory: "300Mi" },
            limits: { cpu: "100m", memory: "300Mi" },
        });
        // kserve-resources v0.20.0 values.yaml kserve.inferenceservice.resources.
        expect(KSERVE_PREDICTOR_DEFAULT).toEqual({
            requests: { cpu: "1", memory: "2Gi" },
            limits: { cpu: "1", memory: "2Gi" },
        });
        // kube-prometheus-stack 88.5.3: one replica of each pod, resources {} everywhere.
        expect(
            (
                CHART_PODS[charts.kubePrometheusStack.chart]({}) as {
                    name: string;
                    replicas: number;
                }[]
            ).map((p) => [p.name, p.replicas]),
        ).toEqual([
            ["prometheus-operator", 1],
            ["prometheus", 1],
            ["alertmanager", 1],
            ["grafana", 1],
            ["kube-state-metrics", 1],
            ["node-exporter", 1],
        ]);
        expect(CHART_PODS[charts.dcgmExporter.chart]({})).toBe(
            "its DaemonSet runs on GPU nodes only",
        );
        // nfs-server-provisioner 1.8.0 values.yaml: replicaCount 1, resources {}.
        expect(CHART_PODS["nfs-server-provisioner"]({})).toEqual([
            { name: "nfs-server-provisioner", replicas: 1, containers: [{ resources: undefined }] },
        ]);
        // oauth2-proxy-10.7.0 values.yaml: replicaCount 1, resources {}; its one init
        // container (initContainers.waitForRedis) runs only with redis.enabled, false by default.
        expect(CHART_PODS[charts.oauth2Proxy.chart]({})).toEqual([
            { name: "oauth2-proxy", replicas: 1, containers: [{ resources: undefined }] },
        ]);
        // dex-0.24.0 charts/dex/values.yaml: replicaCount 1, resources {}.
        expect(CHART_PODS[charts.dex.chart]({})).toEqual([
            { name: "dex", replicas: 1, containers: [{ resources: undefined }] },
        ]);
        // cluster-autoscaler-chart-9.59.0 values.yaml: replicaCount 1, resources {}.
        expect(CHART_PODS["cluster-autoscaler"]({})).toEqual([
            { name: "cluster-autoscaler", replicas: 1, containers: [{ resources: undefined }] },
        ]);
        for (const crdsOnly of [
            charts.kserveCrd.chart,
            charts.kserveRuntimeConfigs.chart,
            "seldon-core-v2-crds",
        ])
            expect(CHART_PODS[crdsOnly]({})).toEqual([]);
    });
});
