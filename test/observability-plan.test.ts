/**
 * Observability in the plans of the shipped stacks: the dev platform namespace admits
 * Prometheus on each service's metrics port and nowhere else, a PodMonitor per metrics
 * endpoint (the platform's, and each team's servers'), and DCGM on GPU nodes alone (gcp,
 * aws) tolerating the GPU taint; `backend: managed` is refused on local and gcp (on aws:
 * observability-managed-plan.test.ts).
 */
import { ConfigError, loadConfig } from "../stacks/config";
import { shippedStackPlan } from "./support/plan";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}
const planOf = (stack: string): Resource[] => {
    const run = shippedStackPlan(stack);
    if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SCRAPERS = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mlops-monitoring" } },
    podSelector: { matchLabels: { "mlops.dev/scraper": "prometheus" } },
};

describe("the dev plan", () => {
    it("admits Prometheus on exactly each endpoint's metrics port", () => {
        const scrapeRules = planOf("dev")
            .filter((r) => r.type === POLICY && r.inputs.metadata.namespace === "mlops")
            .flatMap((p) =>
                (p.inputs.spec.ingress as any[])
                    .filter((rule) =>
                        (rule.from ?? []).some(
                            (f: any) => JSON.stringify(f) === JSON.stringify(SCRAPERS),
                        ),
                    )
                    .map((rule) => [p.inputs.metadata.name, rule.from.length, rule.ports]),
            )
            .sort((a, b) => (a[0] < b[0] ? -1 : 1));
        const tcp = (port: number) => [{ protocol: "TCP", port }];
        expect(scrapeRules).toEqual([
            ["allow-argo-controller", 1, tcp(9090)],
            ["allow-argo-server", 1, tcp(2746)],
            ["allow-dex", 1, tcp(5558)],
            ["allow-feast", 1, tcp(8000)],
            ["allow-mlflow", 1, tcp(5000)],
            ["allow-oauth2-proxy", 1, tcp(44180)],
            ["allow-postgresql", 1, tcp(9187)],
            ["allow-predictors", 1, tcp(8080)],
            ["allow-seaweedfs", 1, tcp(9327)],
            ["allow-traefik", 1, tcp(9100)],
            ["allow-valkey", 1, tcp(9121)],
        ]);
    });

    it("scrapes each of those endpoints with a PodMonitor in the monitoring namespace", () => {
        const monitors = planOf("dev")
            .filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor")
            .map((r) => [
                r.inputs.metadata.name,
                r.inputs.metadata.namespace,
                r.inputs.metadata.labels,
                r.inputs.spec.namespaceSelector,
                r.inputs.spec.podMetricsEndpoints,
            ]);
        expect(monitors.map((m) => m[0]).sort()).toEqual([
            "argo-controller",
            "argo-server",
            "dex",
            "feast",
            "mlflow",
            "oauth2-proxy",
            "postgresql",
            "predictors",
            "seaweedfs",
            // Each team's own servers, in its namespace (test/tenancy/scrape.test.ts).
            "team-nlp-feast",
            "team-nlp-mlflow",
            "team-vision-feast",
            "team-vision-mlflow",
            "traefik",
            "valkey",
        ]);
        for (const m of monitors.filter((x) => !x[0].startsWith("team-"))) {
            expect(m.slice(1, 4)).toEqual([
                "mlops-monitoring",
                { release: "kube-prometheus-stack" },
                { matchNames: ["mlops"] },
            ]);
        }
        expect(monitors.find((m) => m[0] === "mlflow")![4]).toEqual([
            { portNumber: 5000, path: "/metrics" },
        ]);
        expect(monitors.find((m) => m[0] === "team-vision-mlflow")!.slice(1)).toEqual([
            "mlops-monitoring",
            { release: "kube-prometheus-stack" },
            { matchNames: ["team-vision"] },
            [{ portNumber: 5000, path: "/metrics", honorLabels: false }],
        ]);
    });

    it("runs MLflow with its Prometheus exporter, and accepts a scrape's Host", () => {
        const mlflow = planOf("dev").find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "mlops-mlflow",
        )!;
        const args: string[] = mlflow.inputs.spec.template.spec.containers[0].args;
        expect(args).toContain("--expose-prometheus=/tmp/prometheus-metrics");
        const hosts = args.find((a) => a.startsWith("--allowed-hosts="))!;
        expect(hosts.split(",")).toContain("[0-9]*.[0-9]*.[0-9]*.[0-9]*:5000");
    });
});

describe.each(["gcp", "aws"])("the %s plan", (stack) => {
    it("runs DCGM on GPU pool nodes alone, tolerating the GPU taint", () => {
        const dcgm = planOf(stack).filter(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "dcgm-exporter",
        );
        expect(dcgm).toHaveLength(1);
        const v = dcgm[0].inputs.values;
        expect(v.nodeSelector).toBeUndefined();
        expect(v.affinity).toEqual({
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                        { matchExpressions: [{ key: "mlops.dev/gpu-pool", operator: "Exists" }] },
                    ],
                },
            },
        });
        expect(v.tolerations).toEqual([
            { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
        ]);
        // Its pod mapping's namespace and pod labels are the GPU user's: honoured.
        expect(v.serviceMonitor).toEqual({
            enabled: true,
            honorLabels: true,
            additionalLabels: { release: "kube-prometheus-stack" },
        });
    });
});

describe("mlops:observability", () => {
    const errorOf = (config: Record<string, unknown>) => {
        try {
            loadConfig(
                Object.fromEntries(
                    Object.entries(config).map(([k, v]) => [
                        k,
                        typeof v === "string" ? v : JSON.stringify(v),
                    ]),
                ),
            );
        } catch (e) {
            if (e instanceof ConfigError) return e.message;
            throw e;
        }
        return undefined;
    };
    it("refuses a managed backend on local", () => {
        expect(errorOf({ "mlops:observability": { backend: "managed" } })).toContain(
            'mlops:observability.backend: got "managed"; a managed Prometheus exists on gcp and aws only; on local use inCluster',
        );
    });
    it("validates the retention", () => {
        expect(errorOf({ "mlops:observability": { retention: "7days" } })).toContain(
            'mlops:observability.retention: got "7days"; must be a whole number of hours, days or weeks',
        );
        expect(errorOf({ "mlops:observability": { retention: "36h" } })).toBeUndefined();
    });
});
