/**
 * Every metric name a rule or a dashboard panel uses must be one that the pinned version of its
 * exporter emits (components/observability/metrics/*.txt, each recorded from the exporter's
 * source at its tag), or one a rule records. A pin bump that renames a metric fails here.
 */
import {
    Inventory,
    dashboardQueries,
    loadDashboards,
    loadInventories,
    loadRuleFiles,
    metricNames,
    seriesNames,
} from "../components/observability/metrics/inventory";

const inventories = loadInventories();
const known = seriesNames(inventories);
const ruleFiles = loadRuleFiles();
const recorded = new Set(
    ruleFiles.flatMap((f) =>
        f.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    ),
);

/** The names in `expr` that neither an inventory nor a recording rule knows. */
const unknown = (expr: string) =>
    metricNames(expr).filter((n) => !known.has(n) && !recorded.has(n));

describe("metric names are extracted with Prometheus's grammar", () => {
    test("selectors, not functions, keywords, labels or durations", () => {
        expect(
            metricNames(
                'sum by (le, code) (rate(traefik_service_request_duration_seconds_bucket{service=~"a.+", code!="200"}[5m] offset 1h))' +
                    ' / on (code) group_left () histogram_quantile(0.9, {__name__="up"}) > bool 1 unless absent(time)',
            ),
        ).toEqual(["time", "traefik_service_request_duration_seconds_bucket", "up"]);
        expect(metricNames("time() - max(x) < 14 * 86400")).toEqual(["x"]);
    });
    test("Grafana's interval variables parse as durations; other variables stay in strings", () => {
        expect(metricNames('rate(a_total{namespace="team-$team"}[$__rate_interval])')).toEqual([
            "a_total",
        ]);
    });
    test("a syntax error is reported", () => {
        expect(() => metricNames("sum(rate(a[5m])")).toThrow(/PromQL syntax error/);
    });
    test("a histogram family stands for its _bucket, _sum and _count series", () => {
        expect(known.get("traefik_service_request_duration_seconds_bucket")).toBe("traefik");
        expect(known.get("mlflow_http_request_duration_seconds_count")).toBe("mlflow");
        expect(known.has("traefik_service_requests_total_bucket")).toBe(false);
    });
    test("a renamed metric is unknown", () => {
        expect(unknown("rate(traefik_service_requests_total[5m])")).toEqual([]);
        expect(unknown("rate(traefik_service_request_total[5m])")).toEqual([
            "traefik_service_request_total",
        ]);
        expect(unknown("DCGM_FI_DEV_GPU_UTILIZATION")).toEqual(["DCGM_FI_DEV_GPU_UTILIZATION"]);
    });
});

describe("inventories name their upstream source", () => {
    test.each(inventories.map((i): [string, Inventory] => [i.exporter, i]))("%s", (_name, inv) => {
        const header = inv.header.join("\n");
        expect(header).toMatch(/^repository: https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/m);
        expect(header).toMatch(/^(tag|commit): \S+/m);
        expect(header).toMatch(/^source: \S+/m);
        expect(inv.families.size).toBeGreaterThan(0);
        for (const [name, type] of inv.families) {
            expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
            expect(["", "histogram", "summary"]).toContain(type);
        }
    });
    test("the exporters the rules and dashboards read are all there", () => {
        expect(inventories.map((i) => i.exporter)).toEqual([
            "argo-workflows",
            "dcgm-exporter",
            "feast",
            "kube-state-metrics",
            "kubelet",
            "mlflow",
            "node-exporter",
            "postgres-exporter",
            "prometheus",
            "seldon-agent",
            "traefik",
        ]);
    });
});

const ruleCases = ruleFiles.flatMap((f) =>
    f.groups.flatMap((g) =>
        g.rules.map((r): [string, string] => [
            `${f.file} ${g.name} ${r.alert ?? r.record}`,
            r.expr,
        ]),
    ),
);
describe("every rule's metrics exist at the pinned versions", () => {
    test("there are rules", () => expect(ruleCases.length).toBeGreaterThanOrEqual(15));
    test.each(ruleCases)("%s", (_where, expr) => {
        expect(metricNames(expr).length).toBeGreaterThan(0);
        expect(unknown(expr)).toEqual([]);
    });
});

const panelCases = loadDashboards().flatMap((d) =>
    dashboardQueries(d.dashboard).map((q): [string, string] => [`${d.file} ${q.where}`, q.expr]),
);
describe("every dashboard query's metrics exist at the pinned versions", () => {
    test("there are dashboard queries", () => expect(panelCases.length).toBeGreaterThanOrEqual(20));
    test.each(panelCases)("%s", (_where, expr) => {
        expect(unknown(expr)).toEqual([]);
    });
});
