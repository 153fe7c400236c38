import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GPU_TOLERATIONS } from "../../components/cluster/kubernetes-cluster";
import { ServiceEndpoint } from "../../components/endpoint";
import { Monitoring, loadDashboards, loadRules } from "../../components/observability/monitoring";
import { Traefik } from "../../components/routing/traefik";
import { chartImages } from "../../components/versions";
import { at, childList, record, settled } from "../support/harness";

const ENDPOINTS: ServiceEndpoint[] = [
    {
        name: "mlflow",
        pods: { matchLabels: { "app.kubernetes.io/name": "mlflow" } },
        ports: [5000],
        callers: { router: true },
        metrics: { port: 5000 },
    },
    // No metrics: no PodMonitor.
    { name: "quiet", pods: { matchLabels: { app: "quiet" } }, ports: [80], callers: {} },
];

async function build(over: { signOn?: boolean; gpu?: boolean } = {}) {
    const rec = record();
    const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
    const monitoring = new Monitoring("mon", {
        namespace: "mlops-monitoring",
        platformNamespace: "mlops",
        endpoints: ENDPOINTS,
        router,
        signOn: over.signOn,
        retention: "3d",
        storage: "5Gi",
        gpuNodes: over.gpu
            ? { nodeSelector: { "nvidia.com/gpu.present": "true" }, tolerations: GPU_TOLERATIONS }
            : undefined,
    });
    await settled();
    return { rec, monitoring };
}

describe("Monitoring", () => {
    it("creates the stack, a PodMonitor per metrics endpoint, the shipped rules and dashboards", async () => {
        const { rec } = await build();
        const rules = loadRules().map(
            (r) => `kubernetes:monitoring.coreos.com/v1:PrometheusRule mon-rules-${r.key}`,
        );
        const dashboards = loadDashboards().map(
            (d) => `kubernetes:core/v1:ConfigMap mon-dashboard-${d.key}`,
        );
        expect(rules.length).toBeGreaterThan(0);
        expect(dashboards.length).toBeGreaterThan(0);
        expect(childList(rec, rec.get("mlops:observability:Monitoring", "mon"))).toEqual(
            [
                "kubernetes:core/v1:Namespace mon",
                "kubernetes:core/v1:Secret mon-grafana-admin",
                "kubernetes:helm.sh/v3:Release mon",
                "kubernetes:monitoring.coreos.com/v1:PodMonitor mon-mlflow",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy mon-grafana",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy mon-namespace-only",
                "mlops:routing:ExposedService mon-grafana",
                "random:index/randomPassword:RandomPassword mon-grafana-admin",
                ...rules,
                ...dashboards,
            ].sort(),
        );
        const monitor = rec.get("kubernetes:monitoring.coreos.com/v1:PodMonitor", "mon-mlflow");
        expect(at(monitor, "metadata")).toEqual({
            name: "mlflow",
            namespace: "mlops-monitoring",
            labels: { release: "kube-prometheus-stack" },
        });
        expect(at(monitor, "spec")).toEqual({
            namespaceSelector: { matchNames: ["mlops"] },
            selector: { matchLabels: { "app.kubernetes.io/name": "mlflow" } },
            podMetricsEndpoints: [{ portNumber: 5000, path: "/metrics" }],
        });
        const rule = rec.get(
            "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
            `mon-rules-${loadRules()[0].key}`,
        );
        expect(at(rule, "metadata", "labels")).toEqual({ release: "kube-prometheus-stack" });
        expect(at(rule, "spec")).toEqual(loadRules()[0].spec);
        const dashboard = rec.get(
            "kubernetes:core/v1:ConfigMap",
            `mon-dashboard-${loadDashboards()[0].key}`,
        );
        expect(at(dashboard, "metadata", "labels")).toEqual({ grafana_dashboard: "1" });
        expect(at(rec.get("kubernetes:core/v1:Namespace", "mon"), "metadata", "name")).toBe(
            "mlops-monitoring",
        );
    });

    it("lets only the monitoring namespace's pods reach Prometheus, Alertmanager, kube-state-metrics and DCGM", async () => {
        const { rec } = await build();
        expect(
            at(
                rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "mon-namespace-only"),
                "metadata",
            ),
        ).toEqual({ name: "allow-monitoring-namespace", namespace: "mlops-monitoring" });
        expect(
            at(
                rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "mon-namespace-only"),
                "spec",
            ),
        ).toEqual({
            podSelector: {
                matchExpressions: [
                    {
                        key: "app.kubernetes.io/name",
                        operator: "In",
                        values: [
                            "prometheus",
                            "alertmanager",
                            "kube-state-metrics",
                            "dcgm-exporter",
                        ],
                    },
                ],
            },
            policyTypes: ["Ingress"],
            // Only peers in the policy's own namespace: no pod of the platform's namespace
            // (where models run) nor a team's reads every team's metrics.
            ingress: [{ from: [{ podSelector: {} }] }],
        });
    });

    it("pins every image, and sets the retention, the volume and Prometheus's scraper label", async () => {
        const { rec } = await build();
        const v = at(rec.get("kubernetes:helm.sh/v3:Release", "mon"), "values") as any;
        const p = v.prometheus.prometheusSpec;
        expect([p.image, p.retention, p.podMetadata]).toEqual([
            { registry: "quay.io", repository: "prometheus/prometheus", tag: "v3.14.0-distroless" },
            "3d",
            { labels: { "mlops.dev/scraper": "prometheus" } },
        ]);
        expect(p.storageSpec.volumeClaimTemplate.spec.resources).toEqual({
            requests: { storage: "5Gi" },
        });
        const img = (x: { registry: string; repository: string; tag: string }) =>
            `${x.registry}/${x.repository}:${x.tag}`;
        const k = chartImages.kubePrometheusStack;
        expect(img(v.prometheusOperator.image)).toBe(k.operator);
        expect(img(v.prometheusOperator.prometheusConfigReloader.image)).toBe(k.configReloader);
        expect(img(v.prometheusOperator.admissionWebhooks.patch.image)).toBe(k.webhookCertgen);
        expect(img(v.alertmanager.alertmanagerSpec.image)).toBe(k.alertmanager);
        expect(img(v["kube-state-metrics"].image)).toBe(k.kubeStateMetrics);
        expect(img(v["prometheus-node-exporter"].image)).toBe(k.nodeExporter);
        expect(v["prometheus-node-exporter"].image.distroless).toBe(false);
        expect(img(v.grafana.image)).toBe(k.grafana);
        expect(img(v.grafana.sidecar.image)).toBe(k.grafanaSidecar);
        expect(v.grafana.admin).toEqual({
            existingSecret: "grafana-admin",
            userKey: "admin-user",
            passwordKey: "admin-password",
        });
    });

    it("under single sign-on, Grafana trusts oauth2-proxy's identity headers; else its login", async () => {
        const sso = await build({ signOn: true });
        const ini = (at(sso.rec.get("kubernetes:helm.sh/v3:Release", "mon"), "values") as any)
            .grafana["grafana.ini"];
        expect(ini["auth.proxy"]).toEqual({
            enabled: true,
            header_name: "X-Auth-Request-Email",
            header_property: "email",
            auto_sign_up: true,
            headers: "Groups:X-Auth-Request-Groups",
        });
        const basic = await build({ signOn: false });
        expect(
            (at(basic.rec.get("kubernetes:helm.sh/v3:Release", "mon"), "values") as any).grafana[
                "grafana.ini"
            ],
        ).toEqual({ "auth.basic": { enabled: false } });
        // Only the router (and Prometheus) reach Grafana.
        expect(
            at(
                basic.rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "mon-grafana"),
                "spec",
                "ingress",
                0,
                "ports",
            ),
        ).toEqual([{ protocol: "TCP", port: 3000 }]);
    });

    it("runs DCGM on the GPU nodes it is given, tolerating the GPU taint", async () => {
        const { rec } = await build({ gpu: true });
        const v = at(rec.get("kubernetes:helm.sh/v3:Release", "mon-dcgm"), "values") as any;
        expect(v.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        expect(v.affinity).toBeUndefined();
        expect(v.tolerations).toEqual([
            { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
        ]);
        expect(`${v.image.repository}:${v.image.tag}`).toBe(chartImages.dcgmExporter.exporter);
        const none = await build();
        expect(none.rec.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.name)).toEqual([
            "router",
            "mon",
        ]);
    });
});

describe("loading rules and dashboards", () => {
    it("refuses a rules file without groups, and a dashboard that is not JSON", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-rules-"));
        fs.writeFileSync(path.join(dir, "bad.yaml"), "rules: []\n");
        expect(() => loadRules(dir)).toThrow(
            `${path.join(dir, "bad")}.yaml: a PrometheusRule spec needs groups: [...]`,
        );
        fs.writeFileSync(path.join(dir, "bad.json"), "{");
        expect(() => loadDashboards(dir)).toThrow(SyntaxError);
    });
});
