/**
 * The metric names the observability files use, and the names each exporter emits at its pinned
 * version (the `*.txt` inventories beside this file). Used by test/observability-metrics.test.ts
 * and tools/verify/prometheus-scrape.sh; nothing in the program imports it.
 */
import * as fs from "fs";
import * as path from "path";

/** The part of @lezer/common's tree cursor that the name walk uses. */
interface Cursor {
    readonly name: string;
    readonly from: number;
    readonly to: number;
    readonly type: { readonly isError: boolean };
    readonly node: { getChild(name: string): { from: number; to: number } | null };
    next(): boolean;
}
// Prometheus's own PromQL grammar. Its package is an ES module whose CommonJS build this
// CommonJS project requires; the types are declared above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require("@prometheus-io/lezer-promql") as {
    parser: { parse(text: string): { cursor(): Cursor } };
};
import * as yaml from "js-yaml";

const HERE = __dirname;
export const RULES_DIR = path.join(HERE, "..", "rules");
export const DASHBOARDS_DIR = path.join(HERE, "..", "dashboards");

/** One exporter's inventory: where the names come from, and the names. */
export interface Inventory {
    readonly exporter: string;
    readonly header: readonly string[];
    /** Family name → its type when it matters (`histogram`). */
    readonly families: ReadonlyMap<string, string>;
}

/** Every `metrics/*.txt`: `# ...` header lines, then one `name [histogram]` a line. */
export function loadInventories(dir: string = HERE): Inventory[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".txt"))
        .sort()
        .map((f) => {
            const header: string[] = [];
            const families = new Map<string, string>();
            for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
                if (line.startsWith("#")) header.push(line.replace(/^#\s?/, ""));
                else if (line.trim() !== "") {
                    const [name, type = ""] = line.trim().split(/\s+/);
                    families.set(name, type);
                }
            }
            return { exporter: f.replace(/\.txt$/, ""), header, families };
        });
}

/**
 * Series name → the exporter that emits it; a histogram family `x` emits `x_bucket`, `x_sum`
 * and `x_count`, and a summary `x_sum` and `x_count`.
 */
export function seriesNames(inventories: readonly Inventory[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const inv of inventories) {
        for (const [name, type] of inv.families) {
            out.set(name, inv.exporter);
            if (type === "histogram")
                for (const s of ["_bucket", "_sum", "_count"]) out.set(name + s, inv.exporter);
            if (type === "summary")
                for (const s of ["_sum", "_count"]) out.set(name + s, inv.exporter);
        }
    }
    return out;
}

/** Grafana's interval variables stand in a duration's place; other variables sit in strings. */
export function withoutGrafanaVariables(expr: string): string {
    return expr.replace(
        /\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}/g,
        "5m",
    );
}

/**
 * The metric names a PromQL expression selects (`foo{a="b"}`, `{__name__="foo"}`), parsed with
 * Prometheus's own grammar (@prometheus-io/lezer-promql): function names, keywords, label names
 * and durations are other node types. Throws on a syntax error.
 */
export function metricNames(expr: string): string[] {
    const text = withoutGrafanaVariables(expr);
    const tree = parser.parse(text);
    const names = new Set<string>();
    const cursor = tree.cursor();
    do {
        if (cursor.type.isError) {
            throw new Error(`PromQL syntax error at ${cursor.from} in: ${text}`);
        }
        if (cursor.name === "VectorSelector") {
            const node = cursor.node;
            const id = node.getChild("Identifier");
            if (id) names.add(text.slice(id.from, id.to));
            const matchers = node.getChild("LabelMatchers");
            if (matchers) {
                const m = /__name__\s*=\s*"([^"]+)"/.exec(text.slice(matchers.from, matchers.to));
                if (m) names.add(m[1]);
            }
        }
    } while (cursor.next());
    return [...names].sort();
}

/** A rule of a PrometheusRule spec. */
export interface Rule {
    readonly alert?: string;
    readonly record?: string;
    readonly expr: string;
    readonly for?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
}

/** Every rule file (`rules/*.yaml`: a PrometheusRule spec) with its rules. */
export function loadRuleFiles(): { file: string; groups: { name: string; rules: Rule[] }[] }[] {
    return fs
        .readdirSync(RULES_DIR)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => ({
            file: f,
            groups: (
                yaml.load(fs.readFileSync(path.join(RULES_DIR, f), "utf8")) as {
                    groups: { name: string; rules: Rule[] }[];
                }
            ).groups,
        }));
}

/** Every PromQL expression a dashboard queries: panel targets (rows included) and variables. */
export function dashboardQueries(dashboard: unknown): { where: string; expr: string }[] {
    const out: { where: string; expr: string }[] = [];
    const d = dashboard as {
        panels?: unknown[];
        templating?: {
            list?: { name: string; type: string; query?: unknown; definition?: string }[];
        };
    };
    const visit = (panels: unknown[] | undefined) => {
        for (const p of panels ?? []) {
            const panel = p as {
                title?: string;
                targets?: { expr?: string }[];
                panels?: unknown[];
            };
            for (const t of panel.targets ?? []) {
                if (t.expr) out.push({ where: `panel "${panel.title ?? "?"}"`, expr: t.expr });
            }
            visit(panel.panels);
        }
    };
    visit(d.panels);
    for (const v of d.templating?.list ?? []) {
        if (v.type !== "query") continue;
        const q = typeof v.query === "string" ? v.query : (v.query as { query?: string })?.query;
        if (!q) continue;
        // label_values(<selector>, label) and query_result(<expr>) are Grafana's, around PromQL.
        const m =
            /^\s*(?:label_values|query_result)\((.*?)(?:,\s*[a-zA-Z_][a-zA-Z0-9_]*)?\)\s*$/s.exec(
                q,
            );
        out.push({ where: `variable $${v.name}`, expr: m ? m[1] : q });
    }
    return out;
}

/** Every `dashboards/*.json`, parsed. */
export function loadDashboards(): { file: string; dashboard: Record<string, unknown> }[] {
    if (!fs.existsSync(DASHBOARDS_DIR)) return [];
    return fs
        .readdirSync(DASHBOARDS_DIR)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => ({
            file: f,
            dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, f), "utf8")) as Record<
                string,
                unknown
            >,
        }));
}
