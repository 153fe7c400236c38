/**
 * For prometheus-scrape.sh, about the exporters named as arguments (inventory file names, e.g.
 * `mlflow traefik`):
 *
 *     names   mlflow traefik   one a line, `<exporter> <series name>`: each series name the
 *                              shipped rules and dashboards use from those exporters
 *     panels  mlflow traefik   one JSON object a line, `{where, expr, by}`: each dashboard query
 *                              that uses only those exporters' series, with Grafana's interval
 *                              variables made durations, and the labels of its `by (...)` clauses
 *                              other than `le` (each of its result series must carry them); queries
 *                              with another Grafana variable (`$team`) are printed with
 *                              `skip` set to that variable
 *     families mlflow traefik  one a line, `<exporter> <series name>`: every series name the
 *                              inventories record for those exporters
 */
import {
    dashboardQueries,
    loadDashboards,
    loadInventories,
    loadRuleFiles,
    metricNames,
    seriesNames,
    withoutGrafanaVariables,
} from "../../components/observability/metrics/inventory";

const [mode, ...exporters] = process.argv.slice(2);
const wanted = new Set(exporters);
const exporterOf = seriesNames(loadInventories());
const ours = (n: string) => wanted.has(exporterOf.get(n) ?? "");

if (mode === "names") {
    const exprs = [
        ...loadRuleFiles().flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => r.expr))),
        ...loadDashboards().flatMap((d) => dashboardQueries(d.dashboard).map((q) => q.expr)),
    ];
    const names = new Set(exprs.flatMap(metricNames).filter(ours));
    for (const n of [...names].sort()) console.log(`${exporterOf.get(n)} ${n}`);
} else if (mode === "panels") {
    for (const d of loadDashboards()) {
        for (const q of dashboardQueries(d.dashboard)) {
            const names = metricNames(q.expr);
            if (names.length === 0 || !names.every(ours)) continue;
            const expr = withoutGrafanaVariables(q.expr);
            const by = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)]
                .flatMap((m) => m[1].split(","))
                .map((l) => l.trim())
                .filter((l) => l !== "" && l !== "le");
            const variable = /\$\{?(\w+)/.exec(expr);
            console.log(
                JSON.stringify({
                    where: `${d.file} ${q.where}`,
                    expr,
                    by: [...new Set(by)],
                    ...(variable ? { skip: `$${variable[1]}` } : {}),
                }),
            );
        }
    }
} else if (mode === "families") {
    for (const [n, e] of [...exporterOf].sort()) if (wanted.has(e)) console.log(`${e} ${n}`);
} else {
    console.error("usage: prometheus-scrape.names.ts names|panels|families <exporter>...");
    process.exit(2);
}
