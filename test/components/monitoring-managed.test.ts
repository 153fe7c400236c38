/**
 * Monitoring with a managed backend (`mlops:observability.backend: managed`): Prometheus
 * remote-writes with its own identity and keeps a day, no Alertmanager and no rule runs in the
 * cluster, and Grafana's one data source is the query signer, which admits Grafana alone.
 */
import * as pulumi from "@pulumi/pulumi";
import { AlertReceiver } from "../../components/observability/alerting";
import {
    ManagedPrometheus,
    Monitoring,
    loadDashboards,
    loadRules,
} from "../../components/observability/monitoring";
import { Traefik } from "../../components/routing/traefik";
import { images } from "../../components/versions";
import { SECURE_CONTAINER, at, childList, record, settled } from "../support/harness";

const MANAGED: ManagedPrometheus = {
    kind: "remoteWrite",
    remoteWriteUrl: pulumi.output(
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
    ),
    query: {
        host: "aps-workspaces.eu-west-1.amazonaws.com",
        path: pulumi.output("/workspaces/ws-1/"),
    },
    sigv4: { service: "aps", region: "eu-west-1" },
    writerAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/w" },
    readerAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/r" },
};

const GOOGLE: ManagedPrometheus = {
    kind: "googleExport",
    project: "my-project",
    writerAnnotations: { "iam.gke.io/gcp-service-account": "w@my-project.iam.gserviceaccount.com" },
    readerAnnotations: { "iam.gke.io/gcp-service-account": "r@my-project.iam.gserviceaccount.com" },
};

/** Monitoring's children under either managed backend, besides dashboards and rules. */
const MANAGED_CHILDREN = [
    "kubernetes:apps/v1:Deployment mon-query-proxy",
    "kubernetes:core/v1:Namespace mon",
    "kubernetes:core/v1:Secret mon-grafana-admin",
    "kubernetes:core/v1:Service mon-query-proxy",
    "kubernetes:core/v1:ServiceAccount mon-query-proxy",
    "kubernetes:helm.sh/v3:Release mon",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor mon-mlflow",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy mon-grafana",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy mon-namespace-only",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy mon-query-proxy",
    "mlops:routing:ExposedService mon-grafana",
    "random:index/randomPassword:RandomPassword mon-grafana-admin",
];

async function build(over: { alertReceivers?: AlertReceiver[]; managed?: ManagedPrometheus } = {}) {
    const rec = record();
    const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
    new Monitoring("mon", {
        namespace: "mlops-monitoring",
        platformNamespace: "mlops",
        endpoints: [
            {
                name: "mlflow",
                pods: { matchLabels: { "app.kubernetes.io/name": "mlflow" } },
                ports: [5000],
                callers: { router: true },
                metrics: { port: 5000 },
            },
        ],
        router,
        retention: "30d",
        managed: MANAGED,
        ...over,
    });
    await settled();
    return rec;
}

describe("Monitoring with a managed backend", () => {
    it("creates the query signer and no PrometheusRule: the managed service holds the rules", async () => {
        const rec = await build();
        expect(childList(rec, rec.get("mlops:observability:Monitoring", "mon"))).toEqual(
            [
                ...MANAGED_CHILDREN,
                // The same dashboards.
                ...loadDashboards().map(
                    (d) => `kubernetes:core/v1:ConfigMap mon-dashboard-${d.key}`,
                ),
            ].sort(),
        );
    });

    it("remote-writes signed with Prometheus's own identity, keeps a day, and runs no Alertmanager or rules", async () => {
        const rec = await build();
        const v = at(rec.get("kubernetes:helm.sh/v3:Release", "mon"), "values") as any;
        expect(v.prometheus.serviceAccount).toEqual({
            annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/w" },
        });
        expect(v.prometheus.prometheusSpec.remoteWrite).toEqual([
            {
                url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
                sigv4: { region: "eu-west-1" },
            },
        ]);
        // The configured 30d is the workspace's; the cluster keeps a day.
        expect(v.prometheus.prometheusSpec.retention).toBe("1d");
        expect(v.alertmanager).toEqual({ enabled: false });
        expect(v.defaultRules).toEqual({ create: false });
        expect(v.grafana.sidecar.datasources).toEqual({
            url: "http://prometheus-query-proxy.mlops-monitoring.svc:8005/workspaces/ws-1/",
        });
    });

    it("signs Grafana's queries with the reader identity, in a hardened pod", async () => {
        const rec = await build();
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "mon-query-proxy"), "metadata"),
        ).toEqual({
            name: "prometheus-query-proxy",
            namespace: "mlops-monitoring",
            annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/r" },
        });
        const pod = at(
            rec.get("kubernetes:apps/v1:Deployment", "mon-query-proxy"),
            "spec",
            "template",
            "spec",
        ) as any;
        expect(pod.serviceAccountName).toBe("prometheus-query-proxy");
        expect(pod.securityContext.runAsUser).toBe(65534);
        expect(pod.containers).toHaveLength(1);
        const c = pod.containers[0];
        expect(c.image).toBe(images.awsSigv4Proxy);
        expect(c.args).toEqual([
            "--name=aps",
            "--region=eu-west-1",
            "--host=aps-workspaces.eu-west-1.amazonaws.com",
            "--port=:8005",
        ]);
        expect(c.securityContext).toEqual(SECURE_CONTAINER);
        expect(c.resources).toEqual({
            requests: { cpu: "10m", memory: "32Mi" },
            limits: { cpu: "200m", memory: "128Mi" },
        });
    });

    it("admits Grafana alone to the query signer: a team's pod may not read every team's metrics through it", async () => {
        const rec = await build();
        expect(
            at(rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "mon-query-proxy"), "spec"),
        ).toEqual({
            podSelector: {
                matchLabels: {
                    "app.kubernetes.io/name": "aws-sigv4-proxy",
                    "app.kubernetes.io/instance": "prometheus-query-proxy",
                },
            },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            podSelector: {
                                matchLabels: {
                                    "app.kubernetes.io/name": "grafana",
                                    "app.kubernetes.io/instance": "kube-prometheus-stack",
                                },
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 8005 }],
                },
            ],
        });
    });

    it("refuses alert receivers: no Alertmanager runs in the cluster to send to them", async () => {
        await expect(
            build({
                alertReceivers: [
                    { name: "ops", type: "webhook", url: "https://hooks.example.com/a" },
                ],
            }),
        ).rejects.toThrow(
            "Monitoring mon: alertReceivers: a managed backend evaluates the rules itself; no Alertmanager runs in the cluster to send to them",
        );
    });
});

describe("Monitoring with Google Cloud Managed Service for Prometheus", () => {
    const receivers: AlertReceiver[] = [
        { name: "ops", type: "webhook", url: "https://hooks.example.com/a" },
    ];

    it("keeps the rules and Alertmanager in the cluster and adds the query frontend", async () => {
        const rec = await build({ managed: GOOGLE, alertReceivers: receivers });
        expect(childList(rec, rec.get("mlops:observability:Monitoring", "mon"))).toEqual(
            [
                ...MANAGED_CHILDREN,
                ...loadDashboards().map(
                    (d) => `kubernetes:core/v1:ConfigMap mon-dashboard-${d.key}`,
                ),
                ...loadRules().map(
                    (r) => `kubernetes:monitoring.coreos.com/v1:PrometheusRule mon-rules-${r.key}`,
                ),
            ].sort(),
        );
    });

    it("runs Google's Prometheus build with its own identity, keeps a day, and sends alerts to the receivers", async () => {
        const rec = await build({ managed: GOOGLE, alertReceivers: receivers });
        const v = at(rec.get("kubernetes:helm.sh/v3:Release", "mon"), "values") as any;
        expect(v.prometheus.serviceAccount).toEqual({
            annotations: {
                "iam.gke.io/gcp-service-account": "w@my-project.iam.gserviceaccount.com",
            },
        });
        expect(v.prometheus.prometheusSpec.image).toEqual({
            registry: "gke.gcr.io",
            repository: "prometheus-engine/prometheus",
            tag: "v2.53.5-gmp.1-gke.2",
        });
        expect(
            `${v.prometheus.prometheusSpec.image.registry}/${v.prometheus.prometheusSpec.image.repository}:${v.prometheus.prometheusSpec.image.tag}`,
        ).toBe(images.gmpPrometheus);
        // The operator configures the Prometheus underneath, not the tag's pre-release.
        expect(v.prometheus.prometheusSpec.version).toBe("v2.53.5");
        expect(v.prometheus.prometheusSpec.retention).toBe("1d");
        // It exports by itself: no remote write.
        expect(v.prometheus.prometheusSpec.remoteWrite).toBeUndefined();
        expect(v.alertmanager.config.receivers.map((r: any) => r.name)).toContain("ops");
        expect(v.defaultRules.create).toBeUndefined();
        expect(v.grafana.sidecar.datasources).toEqual({
            url: "http://prometheus-query-proxy.mlops-monitoring.svc:9090",
        });
    });

    it("reads Cloud Monitoring with the reader identity through Google's frontend, in a hardened pod", async () => {
        const rec = await build({ managed: GOOGLE });
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "mon-query-proxy"), "metadata"),
        ).toEqual({
            name: "prometheus-query-proxy",
            namespace: "mlops-monitoring",
            annotations: {
                "iam.gke.io/gcp-service-account": "r@my-project.iam.gserviceaccount.com",
            },
        });
        const pod = at(
            rec.get("kubernetes:apps/v1:Deployment", "mon-query-proxy"),
            "spec",
            "template",
            "spec",
        ) as any;
        expect(pod.serviceAccountName).toBe("prometheus-query-proxy");
        expect(pod.securityContext.runAsUser).toBe(1000);
        expect(pod.containers).toHaveLength(1);
        const c = pod.containers[0];
        expect(c.image).toBe(images.gmpFrontend);
        expect(c.args).toEqual([
            "--web.listen-address=:9090",
            "--query.project-id=my-project",
            "--rules.target-urls=http://kube-prometheus-stack-prometheus.mlops-monitoring.svc:9090",
        ]);
        expect(c.ports).toEqual([{ name: "http", containerPort: 9090 }]);
        expect(c.readinessProbe).toEqual({ httpGet: { path: "/-/ready", port: "http" } });
        expect(c.livenessProbe).toEqual({ httpGet: { path: "/-/healthy", port: "http" } });
        expect(c.securityContext).toEqual(SECURE_CONTAINER);
    });

    it("admits Grafana alone to the frontend: a team's pod may not read every team's metrics through it", async () => {
        const rec = await build({ managed: GOOGLE });
        const spec = at(
            rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "mon-query-proxy"),
            "spec",
        ) as any;
        expect(spec.podSelector).toEqual({
            matchLabels: {
                "app.kubernetes.io/name": "gmp-frontend",
                "app.kubernetes.io/instance": "prometheus-query-proxy",
            },
        });
        expect(spec.ingress).toEqual([
            {
                from: [
                    {
                        podSelector: {
                            matchLabels: {
                                "app.kubernetes.io/name": "grafana",
                                "app.kubernetes.io/instance": "kube-prometheus-stack",
                            },
                        },
                    },
                ],
                ports: [{ protocol: "TCP", port: 9090 }],
            },
        ]);
    });
});
