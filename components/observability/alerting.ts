/**
 * Where the platform's alerts go: the Alertmanager configuration built from
 * `mlops:observability.alerting.receivers` (docs/alerts.md), and what the alert rules in
 * components/observability/rules/ need from the exporters that feed them.
 */
import * as pulumi from "@pulumi/pulumi";

/** Alert severities the platform's rules use. */
export const SEVERITIES = ["critical", "warning"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What every receiver has: a name, and which alerts it gets. */
interface ReceiverBase {
    /** Unique among the receivers; names the Alertmanager receiver. */
    readonly name: string;
    /** Only alerts of these severities. @default every severity */
    readonly severities?: readonly Severity[];
    /** Only alerts about these teams (the `team` label). @default every alert, teams' or not */
    readonly teams?: readonly string[];
}

/** A Slack incoming webhook. */
export interface SlackReceiver extends ReceiverBase {
    readonly type: "slack";
    /** The incoming webhook's URL (a secret). */
    readonly url: pulumi.Input<string>;
    /** @default the webhook's own channel */
    readonly channel?: string;
}

/** E-mail through an SMTP relay. */
export interface EmailReceiver extends ReceiverBase {
    readonly type: "email";
    readonly to: string;
    readonly from: string;
    /** `host:port` of the SMTP relay. */
    readonly smarthost: string;
    /** @default no authentication */
    readonly username?: string;
    /** The SMTP password (a secret). @default none */
    readonly password?: pulumi.Input<string>;
}

/** Alertmanager's generic webhook (JSON POST). */
export interface WebhookReceiver extends ReceiverBase {
    readonly type: "webhook";
    /** The URL alerts are POSTed to (a secret: such URLs often carry a token). */
    readonly url: pulumi.Input<string>;
}

export type AlertReceiver = SlackReceiver | EmailReceiver | WebhookReceiver;

/** A receiver in Alertmanager's configuration. */
export interface AlertmanagerReceiver {
    readonly name: string;
    readonly slack_configs?: readonly object[];
    readonly email_configs?: readonly object[];
    readonly webhook_configs?: readonly object[];
}

/** Alertmanager's configuration file, as kube-prometheus-stack's `alertmanager.config` takes it. */
export interface AlertmanagerConfig {
    readonly route: {
        readonly receiver: string;
        readonly group_by: readonly string[];
        readonly group_wait: string;
        readonly group_interval: string;
        readonly repeat_interval: string;
        readonly routes: readonly object[];
    };
    readonly receivers: readonly AlertmanagerReceiver[];
    readonly inhibit_rules: readonly object[];
}

/** The receiver that drops what reaches it: the default route when no receiver is named. */
export const NULL_RECEIVER = "null";

/** `a|b|c` as an Alertmanager regex matcher value, each name escaped. */
function anyOf(values: readonly string[]): string {
    return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
}

/** The route that sends `r`'s alerts to it; `continue` lets every receiver see its alerts. */
function routeOf(r: AlertReceiver): Record<string, unknown> {
    const matchers: string[] = [];
    if (r.severities && r.severities.length > 0)
        matchers.push(`severity=~"${anyOf(r.severities)}"`);
    if (r.teams && r.teams.length > 0) matchers.push(`team=~"${anyOf(r.teams)}"`);
    return { receiver: r.name, matchers, continue: true };
}

/** One receiver in Alertmanager's form; secrets stay secret. */
function receiverOf(r: AlertReceiver): pulumi.Output<AlertmanagerReceiver> {
    switch (r.type) {
        case "slack":
            return pulumi.secret(r.url).apply((url) => ({
                name: r.name,
                slack_configs: [
                    {
                        api_url: url,
                        ...(r.channel ? { channel: r.channel } : {}),
                        send_resolved: true,
                        title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                        text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
                    },
                ],
            }));
        case "webhook":
            return pulumi.secret(r.url).apply((url) => ({
                name: r.name,
                webhook_configs: [{ url, send_resolved: true }],
            }));
        case "email": {
            const password = r.password === undefined ? undefined : pulumi.secret(r.password);
            return pulumi.output(password).apply((pw) => ({
                name: r.name,
                email_configs: [
                    {
                        to: r.to,
                        from: r.from,
                        smarthost: r.smarthost,
                        require_tls: true,
                        send_resolved: true,
                        ...(r.username ? { auth_username: r.username } : {}),
                        ...(pw !== undefined ? { auth_password: pw } : {}),
                    },
                ],
            }));
        }
    }
}

/**
 * The Alertmanager configuration for kube-prometheus-stack's `alertmanager.config` value: every
 * alert goes to the `null` receiver (dropped) unless a receiver's route matches it, so no alert
 * leaves the cluster until the config names a receiver. The chart's always-firing `Watchdog`
 * and its `InfoInhibitor` go to `null` as the chart's own default does. Critical alerts inhibit
 * warnings with the same alert name and labels. Secret inputs make the whole result secret.
 */
export function alertmanagerConfig(
    receivers: readonly AlertReceiver[],
): pulumi.Output<AlertmanagerConfig> {
    const names = new Set<string>();
    for (const r of receivers) {
        if (r.name === NULL_RECEIVER)
            throw new Error(`alert receiver name "${NULL_RECEIVER}" is reserved`);
        if (names.has(r.name)) throw new Error(`alert receiver "${r.name}" is named twice`);
        names.add(r.name);
    }
    return pulumi.all(receivers.map(receiverOf)).apply((rs): AlertmanagerConfig => ({
        route: {
            receiver: NULL_RECEIVER,
            group_by: ["alertname", "namespace", "team"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            routes: [
                { receiver: NULL_RECEIVER, matchers: ['alertname=~"Watchdog|InfoInhibitor"'] },
                ...receivers.map(routeOf),
            ],
        },
        receivers: [{ name: NULL_RECEIVER }, ...rs],
        inhibit_rules: [
            {
                source_matchers: ['severity="critical"'],
                target_matchers: ['severity="warning"'],
                equal: ["alertname", "namespace", "team", "pod", "model", "persistentvolumeclaim"],
            },
        ],
    }));
}

/**
 * What the rules need from kube-state-metrics beyond its defaults (its chart's
 * `metricLabelsAllowlist` and `extraArgs`): the GPU pool label of nodes, and the opt-in
 * `kube_pod_nodeselectors` family (a pending pod's pool).
 */
export const KUBE_STATE_METRICS_NEEDS = {
    metricLabelsAllowlist: ["nodes=[mlops.dev/gpu-pool]"],
    metricOptIn: ["kube_pod_nodeselectors"],
} as const;

/**
 * Scrapes whose exporter's own `namespace`, `pod` or `service` labels the rules read, so their
 * ServiceMonitors must honour the exporter's labels (`honorLabels: true`): DCGM's pod mapping
 * (the pod using the GPU), Argo's `namespace` (the workflow's), Traefik's `service` (the
 * routed backend), kube-state-metrics' (the object's).
 */
export const HONOR_LABELS_SCRAPES = [
    "dcgm-exporter",
    "argo-controller",
    "traefik",
    "kube-state-metrics",
] as const;
