import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { RuleGroupNamespace } from "@pulumi/aws/amp/ruleGroupNamespace";
import { Workspace } from "@pulumi/aws/amp/workspace";
import { WorkspaceConfiguration } from "@pulumi/aws/amp/workspaceConfiguration";
import * as pulumi from "@pulumi/pulumi";
import { RemoteWriteBackend, loadRuleFiles } from "../observability/monitoring";
import { AMP_MAX_RETENTION_DAYS, retentionDays } from "../observability/retention";
import { AwsIrsaIdentity } from "./irsa";

/** The IAM actions that write samples to a workspace. */
export const AMP_WRITE_ACTIONS = ["aps:RemoteWrite"] as const;
/** The IAM actions Grafana's queries need (AMP User Guide, "Set up Grafana open source"). */
export const AMP_QUERY_ACTIONS = [
    "aps:QueryMetrics",
    "aps:GetSeries",
    "aps:GetLabels",
    "aps:GetMetricMetadata",
] as const;
/** Arguments of {@link AwsManagedPrometheus}. */
export interface AwsManagedPrometheusArgs {
    /** The workspace's region (the provider's): remote write and queries are signed for it. */
    readonly region: string;
    /** ARN of the cluster's IAM OIDC provider. */
    readonly oidcProviderArn: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL. */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Prometheus's Kubernetes service account (`namespace/name`): it may only write. */
    readonly writerServiceAccount: string;
    /** The query signer's Kubernetes service account (`namespace/name`): it may only query. */
    readonly readerServiceAccount: string;
    /** How long the workspace keeps samples, in whole days rounded up. @default "7d" */
    readonly retention?: string;
    /** A customer managed KMS key for the workspace. @default an AWS owned key */
    readonly kmsKeyArn?: pulumi.Input<string>;
}

/**
 * Amazon Managed Service for Prometheus as the platform's metrics backend: a workspace with the
 * configured retention, the shipped rule files (components/observability/rules/) as its rule
 * groups namespaces, and two IRSA roles confined to that workspace: one that may only
 * remote-write (Prometheus's service account) and one that may only query (the query signer
 * Grafana reads through). No Alertmanager definition: AMP's Alertmanager sends to Amazon SNS
 * alone, so configured receivers (Slack, e-mail, webhook) are refused with this backend.
 *
 * ```ts
 * const amp = new AwsManagedPrometheus("mlops", { region: "us-east-1", oidcProviderArn, oidcIssuer,
 *     writerServiceAccount: "mlops-monitoring/kube-prometheus-stack-prometheus",
 *     readerServiceAccount: "mlops-monitoring/prometheus-query-proxy" }, { providers: { aws } });
 * // new Monitoring(..., { managed: amp.managed })
 * ```
 */
export class AwsManagedPrometheus extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:aws:AwsManagedPrometheus";
    public readonly workspace: Workspace;
    /** Rule groups namespaces by rules file name. */
    public readonly ruleGroups: Record<string, RuleGroupNamespace> = {};
    public readonly writer: AwsIrsaIdentity;
    public readonly reader: AwsIrsaIdentity;
    /** What the Monitoring component needs of this backend. */
    public readonly managed: RemoteWriteBackend;

    constructor(
        name: string,
        args: AwsManagedPrometheusArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(AwsManagedPrometheus.__pulumiType, name, {}, opts);
        const days = retentionDays(args.retention ?? "7d");
        if (days > AMP_MAX_RETENTION_DAYS) {
            throw new Error(
                `AwsManagedPrometheus ${name}: retention: got ${JSON.stringify(args.retention)} (${days} days); a workspace keeps at most ${AMP_MAX_RETENTION_DAYS} days`,
            );
        }
        const child = { parent: this };
        this.workspace = new Workspace(
            name,
            {
                alias: name,
                ...(args.kmsKeyArn ? { kmsKeyArn: args.kmsKeyArn } : {}),
                tags: { Name: name },
            },
            child,
        );
        new WorkspaceConfiguration(
            name,
            { workspaceId: this.workspace.id, retentionPeriodInDays: days },
            child,
        );
        for (const r of loadRuleFiles()) {
            this.ruleGroups[r.key] = new RuleGroupNamespace(
                `${name}-${r.key}`,
                {
                    name: `mlops-${r.key}`,
                    workspaceId: this.workspace.id,
                    data: r.text,
                    tags: { Name: `mlops-${r.key}` },
                },
                child,
            );
        }
        const irsa = { oidcProviderArn: args.oidcProviderArn, oidcIssuer: args.oidcIssuer };
        this.writer = new AwsIrsaIdentity(
            `${name}-amp-write`,
            { ...irsa, kubernetesServiceAccounts: [args.writerServiceAccount] },
            child,
        );
        this.reader = new AwsIrsaIdentity(
            `${name}-amp-query`,
            { ...irsa, kubernetesServiceAccounts: [args.readerServiceAccount] },
            child,
        );
        this.grant(`${name}-amp-write`, this.writer, "RemoteWrite", AMP_WRITE_ACTIONS);
        this.grant(`${name}-amp-query`, this.reader, "Query", AMP_QUERY_ACTIONS);

        const endpoint = this.workspace.prometheusEndpoint;
        const host = `aps-workspaces.${args.region}.amazonaws.com`;
        this.managed = {
            kind: "remoteWrite",
            // The endpoint ends in '/'.
            remoteWriteUrl: pulumi.interpolate`${endpoint}api/v1/remote_write`,
            query: { host, path: endpoint.apply((e) => new URL(e).pathname) },
            sigv4: { service: "aps", region: args.region },
            writerAnnotations: this.writer.annotations,
            readerAnnotations: this.reader.annotations,
        };
        this.registerOutputs({ workspaceArn: this.workspace.arn, endpoint });
    }

    /** `actions` on this workspace alone, as the role's inline policy. */
    private grant(name: string, id: AwsIrsaIdentity, sid: string, actions: readonly string[]) {
        new RolePolicy(
            name,
            {
                role: id.role.name,
                policy: this.workspace.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            { Sid: sid, Effect: "Allow", Action: [...actions], Resource: [arn] },
                        ],
                    }),
                ),
            },
            { parent: this },
        );
    }
}
