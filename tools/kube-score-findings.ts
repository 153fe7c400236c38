/**
 * kube-score's findings over rendered stacks, and the allowlist that explains the accepted
 * ones. A finding is one check that did not pass on one object; every finding needs an
 * allowlist entry with a reason, and every entry must still match a finding.
 */
import * as yaml from "js-yaml";

/** One check that did not pass (critical or warning) on one object of one stack. */
export interface Finding {
    readonly stack: string;
    /** kube-score's check id, e.g. `container-image-pull-policy`. */
    readonly check: string;
    /** `critical` or `warning` (kube-score's grades 1 and 5); `grade N` for any other. */
    readonly severity: string;
    readonly kind: string;
    /** Empty for objects without a namespace. */
    readonly namespace: string;
    readonly name: string;
    /** kube-score's comments: `container: summary`. */
    readonly comments: string[];
}

/** One explained exception. */
export interface AllowEntry {
    readonly check: string;
    /** `Kind/namespace/name`, each part a glob (`*`, `?`); `Namespace//mlops` has none. */
    readonly object: string;
    /** Glob over stack names; every stack when absent. */
    readonly stack?: string;
    readonly reason: string;
}

/** The allowlist file is malformed; one message per problem. */
export class AllowlistError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid allowlist:\n  ${problems.join("\n  ")}`);
        this.name = "AllowlistError";
    }
}

const ENTRY_KEYS = ["check", "object", "stack", "reason"];

/** Parses and validates an allowlist document (`exceptions: [...]`). */
export function parseAllowlist(text: string): AllowEntry[] {
    const doc = yaml.load(text) as unknown;
    const list =
        doc !== null && typeof doc === "object" && !Array.isArray(doc)
            ? (doc as Record<string, unknown>).exceptions
            : undefined;
    if (!Array.isArray(list))
        throw new AllowlistError(["expected a mapping with an 'exceptions' list"]);
    const problems: string[] = [];
    const entries: AllowEntry[] = [];
    list.forEach((raw, i) => {
        const at = `exceptions[${i}]`;
        if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
            problems.push(`${at}: expected a mapping`);
            return;
        }
        const e = raw as Record<string, unknown>;
        const bad = problems.length;
        for (const k of Object.keys(e)) {
            if (!ENTRY_KEYS.includes(k)) problems.push(`${at}: unknown key '${k}'`);
        }
        for (const k of ["check", "object", "reason"]) {
            if (typeof e[k] !== "string" || (e[k] as string).trim() === "") {
                problems.push(`${at}: '${k}' is required (a non-empty string)`);
            }
        }
        if (e.stack !== undefined && (typeof e.stack !== "string" || e.stack.trim() === "")) {
            problems.push(`${at}: 'stack' must be a non-empty string`);
        }
        if (typeof e.object === "string" && e.object.split("/").length !== 3) {
            problems.push(`${at}: object '${e.object}' is not Kind/namespace/name`);
        }
        if (problems.length > bad) return;
        entries.push({
            check: e.check as string,
            object: e.object as string,
            ...(e.stack === undefined ? {} : { stack: e.stack as string }),
            reason: (e.reason as string).trim(),
        });
    });
    if (problems.length > 0) throw new AllowlistError(problems);
    return entries;
}

/** Whether `glob` (`*` any run of characters, `?` one) matches all of `s`. */
export function globMatch(glob: string, text: string): boolean {
    const re = glob
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${re}$`).test(text);
}

/** `Kind/namespace/name` of a finding. */
export function objectId(finding: Pick<Finding, "kind" | "namespace" | "name">): string {
    return `${finding.kind}/${finding.namespace}/${finding.name}`;
}

/** Whether an entry explains a finding. */
export function entryMatches(entry: AllowEntry, finding: Finding): boolean {
    const [kind, namespace, name] = entry.object.split("/");
    return (
        globMatch(entry.check, finding.check) &&
        globMatch(kind, finding.kind) &&
        globMatch(namespace, finding.namespace) &&
        globMatch(name, finding.name) &&
        (entry.stack === undefined || globMatch(entry.stack, finding.stack))
    );
}

/** The findings of one `kube-score score -o json` run (output version v2). */
export function findingsOf(stack: string, kubeScoreJson: string): Finding[] {
    // kube-score prints null, not [], when no object is of a kind it checks.
    const objects = (JSON.parse(kubeScoreJson) as unknown) ?? [];
    if (!Array.isArray(objects)) throw new Error("kube-score's JSON output is not a list");
    const findings: Finding[] = [];
    for (const o of objects as KubeScoreObject[]) {
        for (const c of o.checks ?? []) {
            if (c.skipped || c.grade >= 10) continue;
            findings.push({
                stack,
                check: c.check.id,
                severity:
                    c.grade === 1 ? "critical" : c.grade === 5 ? "warning" : `grade ${c.grade}`,
                kind: o.type_meta.kind,
                namespace: o.object_meta.namespace ?? "",
                name: o.object_meta.name,
                comments: (c.comments ?? []).map((m) =>
                    m.path ? `${m.path}: ${m.summary}` : m.summary,
                ),
            });
        }
    }
    return findings;
}

interface KubeScoreObject {
    type_meta: { kind: string };
    object_meta: { name: string; namespace?: string };
    checks?: {
        check: { id: string };
        grade: number;
        skipped: boolean;
        comments?: { path?: string; summary: string }[] | null;
    }[];
}

/** Findings split by the allowlist, and the entries that explain nothing. */
export interface Verdict {
    /** Findings no entry explains: each fails the scan. */
    readonly unexplained: Finding[];
    /** Explained findings, with the first entry that explains each. */
    readonly allowed: { finding: Finding; entry: AllowEntry }[];
    /** Entries that match no finding: each fails the scan, so the list stays honest. */
    readonly stale: AllowEntry[];
}

/**
 * Compares findings with the allowlist. `judgeStale` is false when only some stacks were
 * scanned: an entry for another stack is then not stale.
 */
export function judge(
    findings: readonly Finding[],
    entries: readonly AllowEntry[],
    judgeStale = true,
): Verdict {
    const used = new Set<AllowEntry>();
    const unexplained: Finding[] = [];
    const allowed: { finding: Finding; entry: AllowEntry }[] = [];
    for (const f of findings) {
        const matching = entries.filter((e) => entryMatches(e, f));
        matching.forEach((e) => used.add(e));
        if (matching.length === 0) unexplained.push(f);
        else allowed.push({ finding: f, entry: matching[0] });
    }
    const stale = judgeStale ? entries.filter((e) => !used.has(e)) : [];
    return { unexplained, allowed, stale };
}

/** One line per finding: `stack  check (severity)  Kind/ns/name: comments`. */
export function describeFinding(finding: Finding): string {
    const what = finding.comments.length ? `: ${finding.comments.join("; ")}` : "";
    return `${finding.stack}  ${finding.check} (${finding.severity})  ${objectId(finding)}${what}`;
}
