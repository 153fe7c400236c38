/**
 * Prometheus and the teams, on the whole plan of the on-prem stack (two teams, vision and nlp):
 * each team's own MLflow and Feast are scraped (a PodMonitor each, which the chart's Prometheus
 * selects), each team's namespace admits Prometheus to exactly those metrics ports of exactly
 * those pods and nothing else, no scrape rule admits another team, members cannot add scrape
 * targets, and a team's targets cannot claim another namespace's series.
 */
import {
    metricNames,
    seriesNames,
    loadInventories,
    dashboardQueries,
    loadDashboards,
} from "../../components/observability/metrics/inventory";
import { shippedStackPlan } from "../support/plan";
import { Pod, ingressAllows, mayConnect, networkOf, podsOf } from "../support/reachability";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}
const run = shippedStackPlan("onprem");
if (run.status !== 0) throw new Error(`plan of onprem exited ${run.status}: ${run.stderr}`);
const resources = JSON.parse(run.stdout).resources as Resource[];
const net = networkOf(resources);
const workloads = podsOf(resources);

const PODMONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const TEAMS = ["vision", "nlp"] as const;
const MONITORING = "mlops-monitoring";
const SCRAPERS = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING } },
    podSelector: { matchLabels: { "mlops.dev/scraper": "prometheus" } },
};
/** Prometheus's pods as the chart labels them (`prometheusSpec.podMetadata` adds the scraper label). */
const prometheus: Pod = {
    namespace: MONITORING,
    labels: {
        "app.kubernetes.io/name": "prometheus",
        "mlops.dev/scraper": "prometheus",
    },
};
/** Grafana, in the same namespace without the scraper label. */
const grafana: Pod = {
    namespace: MONITORING,
    labels: {
        "app.kubernetes.io/name": "grafana",
        "app.kubernetes.io/instance": "kube-prometheus-stack",
    },
};
const pods = (name: string) => ({
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": name,
});
/** Ports anyone would try, and every port a team's workload declares. */
const PORTS = [
    ...new Set([
        22,
        80,
        443,
        2746,
        4180,
        5000,
        5432,
        6379,
        6566,
        8000,
        8080,
        8333,
        9090,
        9100,
        ...workloads.flatMap((w) => w.ports),
    ]),
].sort((a, b) => a - b);

/** The team's pods: its servers as the plan renders them, and a workflow pod and a model. */
const teamPods = (team: string): { what: string; pod: Pod }[] => [
    ...workloads
        .filter((w) => w.namespace === `team-${team}`)
        .map((w) => ({ what: w.workload, pod: { namespace: w.namespace, labels: w.labels } })),
    {
        what: "workflow pod",
        pod: {
            namespace: `team-${team}`,
            labels: { "workflows.argoproj.io/workflow": "search-1" },
        },
    },
    {
        what: "model",
        pod: {
            namespace: `team-${team}`,
            labels: { "serving.kserve.io/inferenceservice": "iris" },
        },
    },
];

describe("the onprem plan: Prometheus and two teams", () => {
    it("runs each team's servers as the scrapes expect: MLflow's exporter, Feast's --metrics", () => {
        for (const team of TEAMS) {
            const mlflow = workloads.find(
                (w) =>
                    w.namespace === `team-${team}` &&
                    w.labels["app.kubernetes.io/name"] === "mlflow",
            )!;
            const feast = workloads.find(
                (w) =>
                    w.namespace === `team-${team}` &&
                    w.labels["app.kubernetes.io/name"] === "feast",
            )!;
            expect([mlflow.labels, mlflow.ports]).toEqual([pods("mlflow"), [5000]]);
            expect([feast.labels, feast.ports]).toEqual([pods("feast"), [6566, 8000]]);
            const deployment = (name: string) =>
                resources.find(
                    (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === name,
                )!.inputs.spec.template.spec.containers[0];
            const args: string[] = deployment(`mlops-tracking-${team}`).args;
            expect(args).toContain("--expose-prometheus=/tmp/prometheus-metrics");
            // Prometheus scrapes the pod at its address: MLflow must accept that Host.
            const hosts = args.find((a) => a.startsWith("--allowed-hosts="))!;
            expect(hosts.split(",")).toContain("[0-9]*.[0-9]*.[0-9]*.[0-9]*:5000");
            expect(deployment(`mlops-feast-${team}`).args).toEqual([
                "-h",
                "0.0.0.0",
                "-p",
                "6566",
                "--metrics",
            ]);
        }
    });

    it("scrapes each team's MLflow and Feast with a PodMonitor the chart's Prometheus selects", () => {
        const monitors = resources
            .filter((r) => r.type === PODMONITOR && r.inputs.metadata.name.startsWith("team-"))
            .map((r) => r.inputs);
        expect(monitors).toEqual(
            TEAMS.flatMap((team) =>
                (
                    [
                        ["mlflow", 5000],
                        ["feast", 8000],
                    ] as const
                ).map(([app, port]) => ({
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PodMonitor",
                    metadata: {
                        name: `team-${team}-${app}`,
                        namespace: MONITORING,
                        labels: { release: "kube-prometheus-stack" },
                    },
                    spec: {
                        namespaceSelector: { matchNames: [`team-${team}`] },
                        selector: { matchLabels: pods(app) },
                        podMetricsEndpoints: [
                            { portNumber: port, path: "/metrics", honorLabels: false },
                        ],
                    },
                })),
            ),
        );
        // The chart's defaults select them: PodMonitors labelled `release: <release>`, in any
        // namespace (kube-prometheus-stack values.yaml: podMonitorSelectorNilUsesHelmValues,
        // podMonitorNamespaceSelector {}); the program overrides neither.
        const chart = resources.find(
            (r) =>
                r.type === "kubernetes:helm.sh/v3:Release" &&
                r.inputs.chart === "kube-prometheus-stack",
        )!;
        expect(chart.inputs.name).toBe("kube-prometheus-stack");
        const spec = chart.inputs.values.prometheus.prometheusSpec;
        for (const key of [
            "podMonitorSelector",
            "podMonitorSelectorNilUsesHelmValues",
            "podMonitorNamespaceSelector",
            "ignoreNamespaceSelectors",
        ])
            expect([key, spec[key]]).toEqual([key, undefined]);
        expect(spec.podMetadata).toEqual({ labels: { "mlops.dev/scraper": "prometheus" } });
    });

    it("keeps Prometheus's own labels on every target in a team namespace (honorLabels false)", () => {
        const teamTargets = resources.filter(
            (r) =>
                r.type === PODMONITOR &&
                (r.inputs.spec.namespaceSelector.matchNames ?? []).some((n: string) =>
                    n.startsWith("team-"),
                ),
        );
        expect(teamTargets).toHaveLength(4);
        for (const m of teamTargets)
            for (const e of m.inputs.spec.podMetricsEndpoints) expect(e.honorLabels).toBe(false);
    });

    it.each(TEAMS)(
        "team-%s has exactly one scrape rule per server, Prometheus's pods alone",
        (team) => {
            const rules = resources
                .filter((r) => r.type === NETPOL && r.inputs.metadata.namespace === `team-${team}`)
                .flatMap((p) =>
                    (p.inputs.spec.ingress ?? [])
                        .filter((rule: any) =>
                            (rule.from ?? []).some(
                                (f: any) =>
                                    f.namespaceSelector?.matchLabels?.[
                                        "kubernetes.io/metadata.name"
                                    ] === MONITORING,
                            ),
                        )
                        .map((rule: any) => [
                            p.inputs.metadata.name,
                            p.inputs.spec.podSelector,
                            rule,
                        ]),
                );
            const tcp = (port: number) => [{ protocol: "TCP", port }];
            expect(rules).toEqual([
                [
                    "allow-scrape-mlflow",
                    { matchLabels: pods("mlflow") },
                    { from: [SCRAPERS], ports: tcp(5000) },
                ],
                [
                    "allow-scrape-feast",
                    { matchLabels: pods("feast") },
                    { from: [SCRAPERS], ports: tcp(8000) },
                ],
            ]);
        },
    );

    it.each(TEAMS)(
        "team-%s admits Prometheus to its servers' metrics ports and nothing else",
        (team) => {
            const admitted = teamPods(team).flatMap(({ what, pod }) =>
                PORTS.filter((port) => mayConnect(net, prometheus, pod, port)).map((port) => [
                    what,
                    port,
                ]),
            );
            expect(admitted).toEqual([
                [`mlops-tracking-${team}`, 5000],
                [`mlops-feast-${team}`, 8000],
            ]);
            // Not another pod of the monitoring namespace (Grafana), on any port.
            for (const { pod } of teamPods(team))
                expect(PORTS.filter((port) => mayConnect(net, grafana, pod, port))).toEqual([]);
        },
    );

    it("admits no pod of team B into team A, not even one labelled as Prometheus", () => {
        for (const [a, b] of [
            ["vision", "nlp"],
            ["nlp", "vision"],
        ]) {
            const intruders: Pod[] = [
                ...teamPods(b).map((p) => p.pod),
                { namespace: `team-${b}`, labels: { ...prometheus.labels } },
            ];
            for (const from of intruders)
                for (const { what, pod } of teamPods(a))
                    expect([
                        from.labels,
                        what,
                        PORTS.filter((p) => ingressAllows(net, from, pod, p)),
                    ]).toEqual([from.labels, what, []]);
        }
    });

    it("gives members no right on monitoring.coreos.com: they cannot add a scrape target", () => {
        const role = resources.find(
            (r) =>
                r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole" &&
                r.inputs.metadata.name === "mlops-team-member",
        )!;
        const groups = (role.inputs.rules as { apiGroups: string[] }[]).flatMap((r) => r.apiGroups);
        expect(groups.length).toBeGreaterThan(0);
        expect(groups).not.toContain("monitoring.coreos.com");
        expect(groups).not.toContain("*");
        expect(role.inputs.aggregationRule).toBeUndefined();
    });

    it("scrapes, in the team namespaces, every exporter the team dashboard's tracking and feature panels read", () => {
        const known = seriesNames(loadInventories());
        const team = loadDashboards().find((d) => d.file === "team.json")!;
        const exporters = new Set(
            dashboardQueries(team.dashboard).flatMap((q) =>
                metricNames(q.expr).flatMap((n) => (known.has(n) ? [known.get(n)!] : [])),
            ),
        );
        expect([...exporters].sort()).toEqual([
            "argo-workflows",
            "dcgm-exporter",
            "feast",
            "kube-state-metrics",
            "kubelet",
            "mlflow",
        ]);
        const scraped = resources
            .filter((r) => r.type === PODMONITOR)
            .map((r) => [
                r.inputs.spec.selector.matchLabels?.["app.kubernetes.io/name"],
                r.inputs.spec.namespaceSelector.matchNames,
            ]);
        for (const app of ["mlflow", "feast"])
            for (const team of TEAMS) expect(scraped).toContainEqual([app, [`team-${team}`]]);
    });
});
