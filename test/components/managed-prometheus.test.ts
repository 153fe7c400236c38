/**
 * Amazon Managed Service for Prometheus (`mlops:observability.backend: managed` on aws): the
 * workspace, its retention, the shipped rule files verbatim as rule groups namespaces, and two
 * IRSA roles that may each do one thing on that workspace alone.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { retentionDays } from "../../components/observability/retention";
import { AwsManagedPrometheus } from "../../components/aws/managed-prometheus";
import { RULES_DIR } from "../../components/observability/monitoring";
import { at, childList, record, settled, valueOf } from "../support/harness";

const ACCOUNT = "123456789012";
const ISSUER_HOST = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const OIDC_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER_HOST}`;
/** What tools/plan/aws-mocks.ts answers for the workspace named `ml`. */
const WORKSPACE_ARN = `arn:aws:aps:us-east-1:${ACCOUNT}:workspace/ws-ml`;
const RULE_FILES = fs
    .readdirSync(RULES_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort();

async function build(over: { retention?: string; kmsKeyArn?: string } = {}) {
    const rec = record();
    const amp = new AwsManagedPrometheus("ml", {
        region: "us-east-1",
        oidcProviderArn: OIDC_ARN,
        oidcIssuer: `https://${ISSUER_HOST}`,
        writerServiceAccount: "mlops-monitoring/kube-prometheus-stack-prometheus",
        readerServiceAccount: "mlops-monitoring/prometheus-query-proxy",
        ...over,
    });
    await settled();
    return { rec, amp };
}

describe("AwsManagedPrometheus", () => {
    it("creates the workspace, its retention, a rule groups namespace per rules file and two confined roles", async () => {
        const { rec } = await build();
        expect(RULE_FILES.length).toBeGreaterThan(0);
        expect(childList(rec, rec.get("mlops:aws:AwsManagedPrometheus", "ml"))).toEqual(
            [
                "aws:amp/workspace:Workspace ml",
                "aws:amp/workspaceConfiguration:WorkspaceConfiguration ml",
                "aws:iam/rolePolicy:RolePolicy ml-amp-query",
                "aws:iam/rolePolicy:RolePolicy ml-amp-write",
                "mlops:identity:AwsIrsaIdentity ml-amp-query",
                "mlops:identity:AwsIrsaIdentity ml-amp-write",
                ...RULE_FILES.map(
                    (f) => `aws:amp/ruleGroupNamespace:RuleGroupNamespace ml-${f.slice(0, -5)}`,
                ),
            ].sort(),
        );
        // An AWS owned key unless one is given; tagged.
        expect(rec.get("aws:amp/workspace:Workspace", "ml").inputs).toEqual({
            alias: "ml",
            tags: { Name: "ml" },
        });
        expect(
            rec.get("aws:amp/workspaceConfiguration:WorkspaceConfiguration", "ml").inputs,
        ).toEqual({ workspaceId: "ml-id", retentionPeriodInDays: 7 });
    });

    it("loads each shipped rules file verbatim, the same text the in-cluster PrometheusRules hold", async () => {
        const { rec } = await build();
        for (const f of RULE_FILES) {
            const key = f.slice(0, -5);
            expect(
                rec.get("aws:amp/ruleGroupNamespace:RuleGroupNamespace", `ml-${key}`).inputs,
            ).toEqual({
                name: `mlops-${key}`,
                workspaceId: "ml-id",
                data: fs.readFileSync(path.join(RULES_DIR, f), "utf8"),
                tags: { Name: `mlops-${key}` },
            });
        }
    });

    it("lets Prometheus's service account only write, and the query signer's only query, this workspace", async () => {
        const { rec } = await build();
        const policy = (n: string) =>
            JSON.parse(rec.get("aws:iam/rolePolicy:RolePolicy", n).inputs.policy as string);
        expect(policy("ml-amp-write")).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "RemoteWrite",
                    Effect: "Allow",
                    Action: ["aps:RemoteWrite"],
                    Resource: [WORKSPACE_ARN],
                },
            ],
        });
        expect(policy("ml-amp-query")).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "Query",
                    Effect: "Allow",
                    Action: [
                        "aps:QueryMetrics",
                        "aps:GetSeries",
                        "aps:GetLabels",
                        "aps:GetMetricMetadata",
                    ],
                    Resource: [WORKSPACE_ARN],
                },
            ],
        });
        expect(at(rec.get("aws:iam/rolePolicy:RolePolicy", "ml-amp-write"), "role")).toBe(
            "ml-amp-write",
        );
        expect(at(rec.get("aws:iam/rolePolicy:RolePolicy", "ml-amp-query"), "role")).toBe(
            "ml-amp-query",
        );
        const subjects = (role: string) =>
            JSON.parse(rec.get("aws:iam/role:Role", role).inputs.assumeRolePolicy as string)
                .Statement[0].Condition.StringEquals[`${ISSUER_HOST}:sub`];
        expect(subjects("ml-amp-write")).toEqual([
            "system:serviceaccount:mlops-monitoring:kube-prometheus-stack-prometheus",
        ]);
        expect(subjects("ml-amp-query")).toEqual([
            "system:serviceaccount:mlops-monitoring:prometheus-query-proxy",
        ]);
        // Neither role is a team's.
        expect(rec.get("aws:iam/role:Role", "ml-amp-write").inputs.tags).toEqual({});
        expect(rec.get("aws:iam/role:Role", "ml-amp-query").inputs.tags).toEqual({});
    });

    it("gives the Monitoring component the remote write URL, the query host and path, and both identities", async () => {
        const { amp } = await build();
        expect(await valueOf(pulumiOutput(amp.managed.remoteWriteUrl))).toBe(
            "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-ml/api/v1/remote_write",
        );
        expect(amp.managed.query.host).toBe("aps-workspaces.us-east-1.amazonaws.com");
        expect(await valueOf(pulumiOutput(amp.managed.query.path))).toBe("/workspaces/ws-ml/");
        expect(amp.managed.sigv4).toEqual({ service: "aps", region: "us-east-1" });
        expect(await valueOf(pulumiOutput(amp.managed.writerAnnotations))).toEqual({
            "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/ml-amp-write`,
        });
        expect(await valueOf(pulumiOutput(amp.managed.readerAnnotations))).toEqual({
            "eks.amazonaws.com/role-arn": `arn:aws:iam::${ACCOUNT}:role/ml-amp-query`,
        });
    });

    it("keeps the retention in whole days, rounded up, with a given key", async () => {
        const { rec } = await build({
            retention: "36h",
            kmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
        });
        expect(
            rec.get("aws:amp/workspaceConfiguration:WorkspaceConfiguration", "ml").inputs
                .retentionPeriodInDays,
        ).toBe(2);
        expect(rec.get("aws:amp/workspace:Workspace", "ml").inputs.kmsKeyArn).toBe(
            `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
        );
    });

    it("refuses a retention beyond what a workspace keeps", async () => {
        await expect(build({ retention: "157w" })).rejects.toThrow(
            'AwsManagedPrometheus ml: retention: got "157w" (1099 days); a workspace keeps at most 1095 days',
        );
    });
});

describe("retentionDays", () => {
    it("turns hours, days and weeks into whole days, rounding up", () => {
        expect(retentionDays("1h")).toBe(1);
        expect(retentionDays("24h")).toBe(1);
        expect(retentionDays("25h")).toBe(2);
        expect(retentionDays("7d")).toBe(7);
        expect(retentionDays("2w")).toBe(14);
        expect(() => retentionDays("7days")).toThrow(
            'retention: got "7days"; must be such as 36h, 7d or 2w',
        );
    });
});

function pulumiOutput<T>(v: pulumi.Input<T>): pulumi.Output<T> {
    return pulumi.output(v) as pulumi.Output<T>;
}
