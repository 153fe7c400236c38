/**
 * The metrics ports of the sign-on services and of Seldon's model servers, as a tenant sees
 * them: the dev plan (oauth2-proxy and Dex in the platform namespace) and the dev config with
 * `serving.engine: seldon` (Seldon's servers in `seldon-mesh`, a namespace no platform policy
 * isolates). Prometheus reaches each metrics port; a team's pods, even labelled as Prometheus,
 * the router and Grafana do not; Seldon's own traffic to its servers is as open as before.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import {
    planCli,
    shippedStackFile,
    shippedStackPlan,
    writeStackConfig,
    ROOT,
} from "../support/plan";
import { Pod, ingressAllows, mayConnect, networkOf } from "../support/reachability";
import * as path from "node:path";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}
const resourcesOf = (run: { status: number | null; stdout: string; stderr: string }) => {
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};

const MONITORING = "mlops-monitoring";
const prometheus: Pod = {
    namespace: MONITORING,
    labels: { "app.kubernetes.io/name": "prometheus", "mlops.dev/scraper": "prometheus" },
};
const grafana: Pod = {
    namespace: MONITORING,
    labels: {
        "app.kubernetes.io/name": "grafana",
        "app.kubernetes.io/instance": "kube-prometheus-stack",
    },
};
const router: Pod = {
    namespace: "mlops",
    labels: { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-mlops" },
};
/** Pods of the team namespaces: a workflow pod, and one that claims to be Prometheus. */
const teamPods: Pod[] = ["vision", "nlp"].flatMap((team) => [
    { namespace: `team-${team}`, labels: { "workflows.argoproj.io/workflow": "w-1" } },
    { namespace: `team-${team}`, labels: { ...prometheus.labels } },
]);

describe("the dev plan: oauth2-proxy's and Dex's metrics ports", () => {
    shippedStackFile("dev"); // the run's plan exists
    const resources = resourcesOf(shippedStackPlan("dev"));
    const net = networkOf(resources);
    const app = (name: string): Pod => ({
        namespace: "mlops",
        labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name },
    });
    const cases: [string, Pod, number][] = [
        ["oauth2-proxy", app("oauth2-proxy"), 44180],
        ["dex", app("dex"), 5558],
    ];

    it("runs oauth2-proxy with its metrics server on, the chart's ServiceMonitor off", () => {
        const release = resources.find(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "oauth2-proxy",
        )!;
        expect(release.inputs.values.metrics).toEqual({
            enabled: true,
            serviceMonitor: { enabled: false },
        });
    });

    it.each(cases)(
        "%s: a PodMonitor on its metrics port in the platform namespace",
        (name, pod, port) => {
            const monitor = resources.find(
                (r) =>
                    r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor" &&
                    r.inputs.metadata.name === name,
            )!;
            expect(monitor.inputs.spec).toEqual({
                namespaceSelector: { matchNames: ["mlops"] },
                selector: { matchLabels: pod.labels },
                podMetricsEndpoints: [{ portNumber: port, path: "/metrics" }],
            });
        },
    );

    it.each(cases)("%s: Prometheus alone reaches its metrics port", (_name, pod, port) => {
        expect(mayConnect(net, prometheus, pod, port)).toBe(true);
        for (const from of [...teamPods, grafana, router])
            expect([from, ingressAllows(net, from, pod, port)]).toEqual([from, false]);
    });
});

describe("the dev plan: the monitoring namespace's APIs", () => {
    const net = networkOf(resourcesOf(shippedStackPlan("dev")));
    const inMonitoring = (name: string): Pod => ({
        namespace: MONITORING,
        labels: { "app.kubernetes.io/name": name },
    });
    const opencost: Pod = inMonitoring("opencost");
    /** A model server in the platform namespace: it may load and run a team's artifact. */
    const model: Pod = {
        namespace: "mlops",
        labels: { "serving.kserve.io/inferenceservice": "sklearn-iris" },
    };
    const apis: [string, Pod, number][] = [
        ["Prometheus", prometheus, 9090],
        ["Alertmanager", inMonitoring("alertmanager"), 9093],
        ["kube-state-metrics", inMonitoring("kube-state-metrics"), 8080],
        ["the DCGM exporter", inMonitoring("dcgm-exporter"), 9400],
    ];

    it.each(apis)(
        "%s answers the monitoring namespace's pods, no model server's and no team's",
        (_name, api, port) => {
            for (const from of [prometheus, grafana, opencost])
                expect([from, ingressAllows(net, from, api, port)]).toEqual([from, true]);
            for (const from of [model, router, ...teamPods])
                expect([from, ingressAllows(net, from, api, port)]).toEqual([from, false]);
        },
    );
});

describe("the dev config on Seldon: the agents' metrics port in seldon-mesh", () => {
    const dev = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, any>;
    };
    dev.config["mlops:serving"] = { ...dev.config["mlops:serving"], engine: "seldon" };
    const resources = resourcesOf(
        planCli("--config", writeStackConfig("seldon-dev", yaml.dump(dev)), "--json"),
    );
    const net = networkOf(resources);
    const server: Pod = {
        namespace: "seldon-mesh",
        labels: {
            "app.kubernetes.io/name": "seldon-server",
            "app.kubernetes.io/instance": "mlserver",
        },
    };
    const envoy: Pod = {
        namespace: "seldon-mesh",
        labels: { "app.kubernetes.io/name": "seldon-envoy" },
    };

    it("scrapes the agent of every server pod on 9006 with a PodMonitor selecting seldon-mesh", () => {
        const monitor = resources.find(
            (r) =>
                r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor" &&
                r.inputs.metadata.name === "seldon-servers",
        )!;
        expect(monitor.inputs).toEqual({
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: {
                name: "seldon-servers",
                namespace: MONITORING,
                labels: { release: "kube-prometheus-stack" },
            },
            spec: {
                namespaceSelector: { matchNames: ["seldon-mesh"] },
                selector: { matchLabels: { "app.kubernetes.io/name": "seldon-server" } },
                podMetricsEndpoints: [{ portNumber: 9006, path: "/metrics" }],
            },
        });
    });

    it("admits Prometheus alone to 9006; no team pod, not one labelled as Prometheus", () => {
        expect(mayConnect(net, prometheus, server, 9006)).toBe(true);
        for (const from of [...teamPods, grafana, router, envoy])
            expect([from, ingressAllows(net, from, server, 9006)]).toEqual([from, false]);
    });

    it("leaves Seldon's own traffic as it was: envoy reaches the agent's proxy", () => {
        // Envoy calls the agent's reverse proxy (9001 REST, 9501 gRPC: SELDON_REVERSE_PROXY_*).
        for (const port of [9001, 9501]) expect(mayConnect(net, envoy, server, port)).toBe(true);
        // The only policy there selects the server pods; envoy's own pods stay unisolated.
        const there = resources.filter(
            (r) =>
                r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                r.inputs.metadata.namespace === "seldon-mesh",
        );
        expect(there.map((r) => r.inputs.metadata.name)).toEqual(["allow-scrape-seldon-servers"]);
    });
});
