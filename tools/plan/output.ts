/**
 * The offline plan's human output, as pure functions of what the plan found, so that it reads
 * like `pulumi preview`: the operation summary, the stack outputs, a per-type summary of a
 * large stack (the tree on request), and the policy findings grouped per policy with the config
 * key that changes them.
 */
import type { PolicyPackConfig } from "@pulumi/policy";
import { CapacityReport, capacityOfStack } from "../../policies/capacity";
import type { PolicyViolation } from "./policy-check";
import { RecordedResource, reveal } from "./recorder";

/**
 * The operation summary as Pulumi CLI 3.248.0 prints it after a preview
 * (pkg/backend/display/diff.go, renderSummaryEvent: a `Resources:` headline, then per operation
 * `    <prefix><count> to <op>`, the create prefix being `+ ` (pkg/resource/deploy/step.go,
 * RawPrefix)). The engine counts every resource the program registers (the stack, components
 * and explicit providers) except default providers and reads (pkg/engine/update.go,
 * isInternalStep, shouldRecordReadStep); the recorder holds exactly the registered ones, so an
 * offline plan, which has no prior state, is that many creates. A StackReference is a read.
 */
export function previewSummary(resources: readonly RecordedResource[]): string {
    const creates = resources.filter((r) => r.type !== "pulumi:pulumi:StackReference").length;
    return `Resources:\n    + ${creates} to create`;
}

/** Stacks larger than this print a summary per type unless the tree is asked for. */
export const TREE_MAX = 120;

/** Resource counts per type, most numerous first. */
export function typeSummary(resources: readonly RecordedResource[]): string {
    const counts = new Map<string, number>();
    for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const width = String(rows[0]?.[1] ?? 0).length;
    return [
        `Resources by type (${resources.length} in ${rows.length} types; --tree prints every resource):`,
        ...rows.map(([t, n]) => `  ${String(n).padStart(width)}  ${t}`),
    ].join("\n");
}

function renderValue(v: unknown, indent: number): string {
    const pad = " ".repeat(indent);
    if (Array.isArray(v)) {
        if (v.length === 0) return "[]";
        const items = v.map((x, i) => `${pad}    [${i}]: ${renderValue(x, indent + 4)}`);
        return `[\n${items.join("\n")}\n${pad}]`;
    }
    if (v !== null && typeof v === "object") {
        const entries = Object.entries(v).filter(([, x]) => x !== undefined);
        if (entries.length === 0) return "{}";
        const width = Math.max(...entries.map(([k]) => k.length));
        const items = entries.map(
            ([k, x]) => `${pad}    ${k.padEnd(width)}: ${renderValue(x, indent + 4)}`,
        );
        return `{\n${items.join("\n")}\n${pad}}`;
    }
    return JSON.stringify(v ?? null);
}

/**
 * The stack outputs, in the layout of `pulumi stack output` / preview's `Outputs:` section
 * (nested values indented, list items as `[i]:`); secret outputs as `[secret]`. Values the cloud
 * assigns are the plan's mock values.
 */
export function renderOutputs(
    outputs: Readonly<Record<string, unknown>>,
    secretOutputs: readonly string[],
): string {
    const shown = Object.fromEntries(
        Object.entries(outputs)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, secretOutputs.includes(k) ? "[secret]" : v]),
    );
    const width = Math.max(0, ...Object.keys(shown).map((k) => k.length));
    return [
        "Outputs (values the cloud assigns are mock values):",
        ...Object.entries(shown).map(([k, v]) =>
            v === "[secret]"
                ? `    ${k.padEnd(width)}: [secret]`
                : `    ${k.padEnd(width)}: ${renderValue(v, 4)}`,
        ),
    ].join("\n");
}

/**
 * The config key that decides each policy a stack's config can break, and the value that
 * satisfies it. Policies not listed are satisfied by the program itself whatever the config.
 */
export const POLICY_CONFIG_KEYS: Readonly<Record<string, string>> = {
    "traefik-route-https-only": "mlops:routing.tls.mode (selfSigned or acme)",
    "traefik-redirects-http-to-https": "mlops:routing.tls.mode (selfSigned or acme)",
    "traefik-route-authenticated": "mlops:routing.auth.enabled (true)",
    "sso-on-every-route": "mlops:routing.auth.mode (oidc)",
    "sso-route-group-rule": "mlops:teams[].members (group:<name>)",
    "no-everyone-bindings": "mlops:teams[].members",
    "object-store-no-anonymous-access": "mlops:storage.objectStore.publicRead (false)",
    "database-not-public": "mlops:database.publicAccess (false)",
    "data-stores-protected": "mlops:environment (prod protects every data store)",
    "database-deletion-protection": "mlops:environment (prod turns deletion protection on)",
    "gke-gpu-pool-scales-to-zero": "mlops:cluster.gpuPools[].minNodes (0)",
    "eks-gpu-group-scales-to-zero": "mlops:cluster.gpuPools[].minNodes (0)",
    "gke-gpu-pool-bounded": "mlops:cluster.gpuPools[].maxNodes",
    "gke-release-channel": "mlops:cluster.gcp.releaseChannel",
    "team-namespace-gpu-quota": "mlops:teams[].quota.gpu",
    "team-gpu-quota-within-capacity":
        "mlops:teams[].quota.gpu, mlops:cluster.gpuPools[].maxNodes or mlops:cluster.gpuOversubscription",
};

/** How the README names the two levels: an advisory finding warns, a mandatory one fails. */
export const LEVEL_NAMES = {
    mandatory: "mandatory (fails the plan)",
    advisory: "advisory (warns)",
} as const;

/** `kubernetes:core/v1:Service mlops-postgres` from a URN. */
function resourceOf(urn: string): string {
    const parts = urn.split("::");
    if (parts.length < 4) return urn;
    const type = parts[2].split("$").pop()!;
    return `${type} ${parts.slice(3).join("::")}`;
}

/**
 * Policy findings grouped per policy, mandatory first: the level as the README names it, how
 * many resources, the config key to change, then each message and its resource.
 */
export function renderPolicyFindings(
    violations: readonly PolicyViolation[],
    environment: string,
    count: number,
): string {
    const head = `Policies: ${count} checked (${environment} profile), ${violations.length} violation${violations.length === 1 ? "" : "s"}`;
    const groups = new Map<string, PolicyViolation[]>();
    for (const v of violations) groups.set(v.policy, [...(groups.get(v.policy) ?? []), v]);
    const ordered = [...groups].sort(
        ([a, va], [b, vb]) =>
            Number(vb[0].level === "mandatory") - Number(va[0].level === "mandatory") ||
            a.localeCompare(b),
    );
    const lines = ordered.flatMap(([policy, vs]) => {
        const key = POLICY_CONFIG_KEYS[policy];
        return [
            `  ${LEVEL_NAMES[vs[0].level]} ${policy}: ${vs.length} finding${vs.length === 1 ? "" : "s"}`,
            `      to change: ${key ?? "no config key (set by the program)"}`,
            ...vs.map((v) => `      - ${v.message}\n          ${resourceOf(v.urn)}`),
        ];
    });
    return [head, ...lines].join("\n");
}

/**
 * The plan's GPU capacity report: the guardrail `team-gpu-quota-within-capacity`'s own code
 * path (policies/capacity.ts) over the same resources, with the same policy config, so that the
 * two agree on every cluster kind.
 */
export function capacityOfPlan(
    resources: readonly RecordedResource[],
    profile: PolicyPackConfig,
): CapacityReport | undefined {
    const config = profile["team-gpu-quota-within-capacity"];
    const override =
        typeof config === "object"
            ? (config as { oversubscription?: number }).oversubscription
            : undefined;
    return capacityOfStack(
        // Each resource's props are revealed when the report first reads them (a few types).
        resources.map((r) => {
            let props: unknown;
            return {
                type: r.type,
                get props() {
                    return (props ??= reveal(r.inputs));
                },
            };
        }),
        override,
    );
}

/** The GPU capacity line; `undefined` when the stack has no cluster to compare with. */
export function renderCapacity(report: CapacityReport | undefined): string {
    if (!report) {
        return "GPU capacity: checked in the platform stack's plan (its GPU pools and every team's quota)";
    }
    const verdict = report.oversubscribed
        ? `OVERSUBSCRIBED beyond ×${report.factor}`
        : report.demand === 0
          ? "no team GPU quotas"
          : `within ×${report.factor}`;
    return `GPU capacity: ${report.capacity} GPUs at maximum scale, team quotas ${report.demand}: ${verdict}`;
}

/** The resource tree as indented lines, parents before children. */
export function renderTree(resources: readonly RecordedResource[]): string {
    const byParent = new Map<string | undefined, RecordedResource[]>();
    const urns = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
        const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
        byParent.set(parent, [...(byParent.get(parent) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, prefix: string) => {
        const kids = byParent.get(parent) ?? [];
        kids.forEach((r, i) => {
            const last = i === kids.length - 1;
            const flags = r.protect ? " [protected]" : "";
            lines.push(
                `${prefix}${parent === undefined ? "" : last ? "└─ " : "├─ "}${r.type}  ${r.name}${flags}`,
            );
            walk(r.urn, parent === undefined ? "" : prefix + (last ? "   " : "│  "));
        });
    };
    walk(undefined, "");
    return lines.join("\n");
}
