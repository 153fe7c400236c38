/**
 * `mlops:observability.backend: managed`: refused on local; on aws the plan of the shipped aws
 * stack with it sends every sample to Amazon Managed Service for Prometheus and keeps no
 * Alertmanager, rule or long retention in the cluster; on gcp the shipped gcp stack with it runs
 * Google's Prometheus build, which exports to Cloud Monitoring, and keeps the rules and
 * Alertmanager in the cluster. On both, no team's identity may touch the managed service.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { RULES_DIR } from "../components/observability/monitoring";
import { images } from "../components/versions";
import { mirrorListing } from "../tools/mirror-list";
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

    const GCP = {
        "mlops:cloud": "gcp",
        "mlops:cluster": { gcp: { project: "my-project", region: "europe-west4" } },
        "mlops:routing": SSO,
    };

    it("is accepted on gcp, with alert receivers: the rules and Alertmanager stay in the cluster", () => {
        expect(errorOf({ ...GCP, "mlops:observability": { backend: "managed" } })).toBeUndefined();
        expect(
            errorOf({
                ...GCP,
                "mlops:observability": {
                    backend: "managed",
                    alerting: {
                        receivers: [
                            { name: "ops", type: "webhook", url: "https://hooks.example.com/a" },
                        ],
                    },
                },
            }),
        ).toBeUndefined();
    });

    it("on gcp refuses a retention: Cloud Monitoring keeps 24 months, whatever is set", () => {
        expect(
            errorOf({ ...GCP, "mlops:observability": { backend: "managed", retention: "30d" } }),
        ).toBe(
            'Invalid stack config (1 problem):\n  - mlops:observability.retention: got "30d"; not used with backend managed on gcp (Cloud Monitoring keeps Prometheus samples for 24 months, which no setting changes, and Prometheus in the cluster keeps 1d): remove it',
        );
        // inCluster keeps what its volume holds.
        expect(errorOf({ ...GCP, "mlops:observability": { retention: "30d" } })).toBeUndefined();
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

/** The plan of a shipped stack with `mlops:observability` replaced: its resources. */
function planWithObservability(stackName: string, observability: Record<string, unknown>) {
    const stack = yaml.load(
        fs.readFileSync(path.join(ROOT, `Pulumi.${stackName}.yaml`), "utf8"),
    ) as { config: Record<string, unknown> };
    stack.config["mlops:observability"] = observability;
    const file = writeStackConfig(`${stackName}-managed`, yaml.dump(stack));
    const run = planCli("--config", file, "--json");
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
}

/** kube-prometheus-stack's values in a plan. */
const stackValues = (rs: Resource[]) =>
    rs.find(
        (r) =>
            r.type === "kubernetes:helm.sh/v3:Release" &&
            r.inputs.chart === "kube-prometheus-stack",
    )!.inputs.values;

describe("the plan of the aws stack with backend managed", () => {
    let resources: Resource[];
    beforeAll(() => {
        resources = planWithObservability("aws", { backend: "managed", retention: "30d" });
    }, 180_000);
    const ofType = (type: string) => resources.filter((r) => r.type === type);

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

describe("the plan of the gcp stack with backend managed", () => {
    let resources: Resource[];
    let listing: { images: { source: string }[]; problems: string[] };
    beforeAll(() => {
        resources = planWithObservability("gcp", { backend: "managed" });
        listing = mirrorListing(resources);
    }, 180_000);
    const ofType = (type: string) => resources.filter((r) => r.type === type);

    it("runs Google's Prometheus build as the writer identity, keeps a day, and keeps every rule and Alertmanager in the cluster", () => {
        const v = stackValues(resources);
        expect(v.prometheus.prometheusSpec.image).toEqual({
            registry: "gke.gcr.io",
            repository: "prometheus-engine/prometheus",
            tag: "v2.53.5-gmp.1-gke.2",
        });
        expect(v.prometheus.serviceAccount.annotations).toEqual({
            "iam.gke.io/gcp-service-account":
                "mlops-gmp-write@my-ml-project.iam.gserviceaccount.com",
        });
        expect(v.prometheus.prometheusSpec.retention).toBe("1d");
        expect(v.prometheus.prometheusSpec.remoteWrite).toBeUndefined();
        expect(v.alertmanager.alertmanagerSpec).toBeDefined();
        const files = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith(".yaml"));
        expect(
            ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
                .map((r) => r.inputs.metadata.name)
                .sort(),
        ).toEqual(files.map((f) => `mlops-${f.slice(0, -5)}`).sort());
        expect(v.grafana.sidecar.datasources.url).toBe(
            "http://prometheus-query-proxy.mlops-monitoring.svc:9090",
        );
    });

    it("grants Cloud Monitoring roles to the writer and the frontend alone: no team's identity", () => {
        const projectRoles = ofType("gcp:projects/iAMMember:IAMMember")
            .filter((r) => String(r.inputs.role).startsWith("roles/monitoring."))
            .map((r) => [r.inputs.member, r.inputs.role]);
        expect(projectRoles).toEqual([
            // The nodes' own identity, for GKE's system metrics: under Workload Identity no pod
            // acts as it (GkeCluster's GKE_METADATA mode).
            [
                "serviceAccount:mlops-nodes@my-ml-project.iam.gserviceaccount.com",
                "roles/monitoring.metricWriter",
            ],
            [
                "serviceAccount:mlops-nodes@my-ml-project.iam.gserviceaccount.com",
                "roles/monitoring.viewer",
            ],
            [
                "serviceAccount:mlops-gmp-write@my-ml-project.iam.gserviceaccount.com",
                "roles/monitoring.metricWriter",
            ],
            [
                "serviceAccount:mlops-gmp-query@my-ml-project.iam.gserviceaccount.com",
                "roles/monitoring.viewer",
            ],
        ]);
        expect(
            ofType("gcp:serviceaccount/iAMMember:IAMMember")
                .filter((r) => String(r.inputs.serviceAccountId).includes("mlops-gmp-"))
                .map((r) => r.inputs.member)
                .sort(),
        ).toEqual([
            "serviceAccount:my-ml-project.svc.id.goog[mlops-monitoring/kube-prometheus-stack-prometheus]",
            "serviceAccount:my-ml-project.svc.id.goog[mlops-monitoring/prometheus-query-proxy]",
        ]);
        // The teams' runners hold no role on the project.
        const teamAccounts = ofType("gcp:serviceaccount/account:Account")
            .filter((r) => String(r.inputs.description ?? "").startsWith("mlops team "))
            .map(
                (r) => `serviceAccount:${r.inputs.accountId}@my-ml-project.iam.gserviceaccount.com`,
            );
        expect(teamAccounts).toHaveLength(2);
        expect(
            ofType("gcp:projects/iAMMember:IAMMember").filter((r) =>
                teamAccounts.includes(r.inputs.member),
            ),
        ).toEqual([]);
    });

    it("lists Google's Prometheus build and frontend for the mirror, with no problem", () => {
        expect(listing.problems).toEqual([]);
        const sources = listing.images.map((i) => i.source);
        expect(sources).toContain(images.gmpPrometheus);
        expect(sources).toContain(images.gmpFrontend);
        // The shipped gcp stack (inCluster) runs neither.
        const shipped = mirrorListing(JSON.parse(shippedStackPlan("gcp").stdout).resources);
        const shippedSources = shipped.images.map((i) => i.source);
        expect(shippedSources).not.toContain(images.gmpPrometheus);
        expect(shippedSources).not.toContain(images.gmpFrontend);
    });
});
