/**
 * `mlops:observability.backend: managed`: refused on local and gcp with what is missing,
 * accepted on aws, where the plan of the shipped aws stack with it sends every sample to
 * Amazon Managed Service for Prometheus and keeps no Alertmanager, rule or long retention in
 * the cluster, and no team's identity may touch the workspace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { RULES_DIR } from "../components/observability/monitoring";
import { ConfigError, loadConfig } from "../stacks/config";
import { SSO } from "./support/fixtures";
import { planCli, ROOT, shippedStackPlan, writeStackConfig } from "./support/plan";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}

const errorOf = (config: Record<string, unknown>): string | undefined => {
    try {
        loadConfig(
            Object.fromEntries(
                Object.entries(config).map(([k, v]) => [
                    k,
                    typeof v === "string" ? v : JSON.stringify(v),
                ]),
            ),
        );
    } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
    }
    return undefined;
};
const AWS = {
    "mlops:cloud": "aws",
    "mlops:cluster": { aws: { region: "us-east-1", accountId: "123456789012" } },
    "mlops:routing": SSO,
};

describe("mlops:observability.backend: managed", () => {
    it("is refused on local, with the existing message", () => {
        expect(errorOf({ "mlops:observability": { backend: "managed" } })).toBe(
            'Invalid stack config (1 problem):\n  - mlops:observability.backend: got "managed"; a managed Prometheus exists on gcp and aws only; on local use inCluster',
        );
    });

    it("is refused on gcp, naming what is missing", () => {
        expect(
            errorOf({
                "mlops:cloud": "gcp",
                "mlops:cluster": { gcp: { project: "my-project", region: "europe-west4" } },
                "mlops:observability": { backend: "managed" },
            }),
        ).toContain(
            'mlops:observability.backend: got "managed"; not yet supported on gcp (Google Cloud Managed Service for Prometheus needs managed collection on the cluster, the scrape targets as PodMonitoring resources, the rules as Rules resources and Grafana behind its query frontend, none of which the platform creates yet): use inCluster',
        );
    });

    it("is accepted on aws", () => {
        expect(errorOf({ ...AWS, "mlops:observability": { backend: "managed" } })).toBeUndefined();
        expect(
            errorOf({ ...AWS, "mlops:observability": { backend: "managed", retention: "156w" } }),
        ).toBeUndefined();
    });

    it("on aws refuses alert receivers: AMP's Alertmanager sends to SNS only", () => {
        expect(
            errorOf({
                ...AWS,
                "mlops:observability": {
                    backend: "managed",
                    alerting: {
                        receivers: [
                            { name: "ops", type: "webhook", url: "https://hooks.example.com/a" },
                        ],
                    },
                },
            }),
        ).toContain(
            "mlops:observability.alerting.receivers: got 1 receiver(s); with backend managed on aws the rules run in Amazon Managed Service for Prometheus, whose Alertmanager sends to Amazon SNS only (not Slack, e-mail or webhooks): remove the receivers, or use backend inCluster",
        );
    });

    it("on aws refuses a retention beyond what a workspace keeps", () => {
        expect(
            errorOf({ ...AWS, "mlops:observability": { backend: "managed", retention: "157w" } }),
        ).toContain(
            'mlops:observability.retention: got "157w" (1099 days); with backend managed on aws the workspace keeps at most 1095 days',
        );
        // inCluster keeps what its volume holds.
        expect(errorOf({ ...AWS, "mlops:observability": { retention: "157w" } })).toBeUndefined();
    });
});

describe("the plan of the aws stack with backend managed", () => {
    let resources: Resource[];
    beforeAll(() => {
        const stack = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.aws.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        stack.config["mlops:observability"] = { backend: "managed", retention: "30d" };
        const run = planCli(
            "--config",
            writeStackConfig("aws-managed", yaml.dump(stack)),
            "--json",
        );
        if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
        resources = JSON.parse(run.stdout).resources;
    }, 180_000);
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    const stackValues = (rs: Resource[]) =>
        rs.find(
            (r) =>
                r.type === "kubernetes:helm.sh/v3:Release" &&
                r.inputs.chart === "kube-prometheus-stack",
        )!.inputs.values;

    it("creates the workspace with the configured retention and every shipped rules file", () => {
        expect(ofType("aws:amp/workspace:Workspace").map((r) => r.name)).toEqual(["mlops"]);
        expect(
            ofType("aws:amp/workspaceConfiguration:WorkspaceConfiguration").map(
                (r) => r.inputs.retentionPeriodInDays,
            ),
        ).toEqual([30]);
        const files = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith(".yaml"));
        expect(
            ofType("aws:amp/ruleGroupNamespace:RuleGroupNamespace")
                .map((r) => [r.inputs.name, r.inputs.data])
                .sort(),
        ).toEqual(
            files
                .map((f) => [
                    `mlops-${f.slice(0, -5)}`,
                    fs.readFileSync(path.join(RULES_DIR, f), "utf8"),
                ])
                .sort(),
        );
    });

    it("remote-writes there, keeps a day in the cluster, and runs no Alertmanager and no rule there", () => {
        const v = stackValues(resources);
        expect(v.prometheus.prometheusSpec.remoteWrite).toEqual([
            {
                url: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-mlops/api/v1/remote_write",
                sigv4: { region: "us-east-1" },
            },
        ]);
        expect(v.prometheus.serviceAccount.annotations).toEqual({
            "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/mlops-amp-write",
        });
        expect(v.prometheus.prometheusSpec.retention).toBe("1d");
        expect(v.alertmanager).toEqual({ enabled: false });
        expect(ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")).toEqual([]);
        expect(v.grafana.sidecar.datasources.url).toBe(
            "http://prometheus-query-proxy.mlops-monitoring.svc:8005/workspaces/ws-mlops/",
        );
    });

    it("grants aps actions to the writer and the reader alone, on the workspace alone: no team's identity", () => {
        const aps = ofType("aws:iam/rolePolicy:RolePolicy")
            .map((r) => [r.name, JSON.parse(r.inputs.policy).Statement] as const)
            .filter(([, st]) =>
                st.some((s: any) => [s.Action].flat().some((a: string) => a.startsWith("aps:"))),
            )
            .map(([name, st]) => [name, st.map((s: any) => s.Resource)]);
        const ws = ["arn:aws:aps:us-east-1:123456789012:workspace/ws-mlops"];
        expect(aps).toEqual([
            ["mlops-amp-write", [ws]],
            ["mlops-amp-query", [ws]],
        ]);
        // The teams' roles exist, and are not among them.
        expect(
            ofType("aws:iam/role:Role")
                .filter((r) => r.inputs.tags?.["mlops.dev/team"])
                .map((r) => r.name)
                .sort(),
        ).toEqual(["mlops-team-nlp", "mlops-team-vision"]);
    });

    it("leaves the shipped aws stack (inCluster) as it was: no workspace, no remote write", () => {
        const shipped = JSON.parse(shippedStackPlan("aws").stdout).resources as Resource[];
        expect(shipped.filter((r) => r.type.startsWith("aws:amp/"))).toEqual([]);
        const v = stackValues(shipped);
        expect(v.prometheus.prometheusSpec.remoteWrite).toBeUndefined();
        expect(v.prometheus.prometheusSpec.retention).toBe("7d");
        expect(v.alertmanager.alertmanagerSpec).toBeDefined();
    });
});
