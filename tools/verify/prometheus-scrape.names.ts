/**
 * Prints, one a line, the metric names the shipped rules and dashboards use from the exporters
 * named as arguments (inventory file names, e.g. `mlflow traefik`), for prometheus-scrape.sh.
 */
import {
    dashboardQueries,
    loadDashboards,
    loadInventories,
    loadRuleFiles,
    metricNames,
    seriesNames,
} from "../../components/observability/metrics/inventory";

const wanted = new Set(process.argv.slice(2));
const exporterOf = seriesNames(loadInventories());
const exprs = [
    ...loadRuleFiles().flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => r.expr))),
    ...loadDashboards().flatMap((d) => dashboardQueries(d.dashboard).map((q) => q.expr)),
];
const names = new Set(
    exprs.flatMap(metricNames).filter((n) => wanted.has(exporterOf.get(n) ?? "")),
);
for (const n of [...names].sort()) console.log(`${exporterOf.get(n)} ${n}`);
