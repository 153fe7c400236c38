import { ExistingCluster } from "../../components/cluster/existing";
import { Peer, ServiceEndpoint } from "../../components/endpoint";
import {
    MlopsPlatform,
    MlopsPlatformArgs,
    TEAM_SERVICES,
} from "../../components/platform/mlops-platform";
import { PlatformNetworkPolicies, everyTcpPortBut } from "../../components/platform/network";
import { TEAM_LABEL } from "../../components/tenancy/team";
import { platformArgs as defaultArgs } from "../support/fixtures";
import { Recording, at, childList, record, settled } from "../support/harness";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** The default platform without the shared filesystem (not what these tests are about). */
const platformArgs = (cluster: ExistingCluster, over: Partial<MlopsPlatformArgs> = {}) =>
    defaultArgs(cluster, {
        storage: {
            objectStore: { size: "20Gi" },
            sharedFilesystem: { enabled: false, size: "50Gi" },
        },
        ...over,
    });

async function platform(over: Partial<MlopsPlatformArgs> = {}) {
    const rec = record();
    const cluster = new ExistingCluster("c", {});
    new MlopsPlatform("p", platformArgs(cluster, over), {
        providers: { kubernetes: cluster.provider },
    });
    await settled();
    return rec;
}

/** Every NetworkPolicy of the platform's namespace: Pulumi name, object name and spec. */
function platformPolicies(rec: Recording) {
    return rec
        .ofType(NETPOL)
        .filter((p) => at(p, "metadata", "namespace") === "mlops")
        .map((p) => ({
            resource: p.name,
            name: at(p, "metadata", "name"),
            spec: at(p, "spec"),
        }))
        .sort((a, b) => a.resource.localeCompare(b.resource));
}

// The peers and ports every expectation below is written in.
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
const pods = (matchLabels: Record<string, string>) => ({ podSelector: { matchLabels } });
const app = (name: string, instance?: string) => ({
    "app.kubernetes.io/name": name,
    ...(instance ? { "app.kubernetes.io/instance": instance } : {}),
});
const TRAEFIK = app("traefik", "traefik-mlops");
const router = pods(TRAEFIK);
const teams = {
    namespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] },
};
const predictor = {
    matchLabels: { component: "predictor" },
    matchExpressions: [{ key: "serving.kserve.io/inferenceservice", operator: "Exists" }],
};
/** Prometheus's pods, in the monitoring namespace: admitted on each metrics port alone. */
const scrape = (port: number) => ({
    from: [
        {
            namespaceSelector: {
                matchLabels: { "kubernetes.io/metadata.name": "mlops-monitoring" },
            },
            podSelector: { matchLabels: { "mlops.dev/scraper": "prometheus" } },
        },
    ],
    ports: tcp(port),
});
const ingressOnly = (podSelector: unknown, ingress: unknown[]) => ({
    podSelector,
    policyTypes: ["Ingress"],
    ingress,
});

const sorted = <T extends { resource: string }>(list: T[]) =>
    [...list].sort((a, b) => a.resource.localeCompare(b.resource));

const DEFAULT_DENY = {
    resource: "p-network-default-deny",
    name: "default-deny",
    spec: ingressOnly({}, []),
};
const ALLOW_TRAEFIK = {
    resource: "p-network-allow-traefik",
    name: "allow-traefik",
    spec: ingressOnly({ matchLabels: TRAEFIK }, [{ ports: tcp(8000, 8443) }, scrape(9100)]),
};
const ALLOW_MLFLOW = {
    resource: "p-network-allow-mlflow",
    name: "allow-mlflow",
    // The admins' server: teams have their own, in their namespaces.
    spec: ingressOnly({ matchLabels: app("mlflow", "p-mlflow") }, [
        { from: [router], ports: tcp(5000) },
        scrape(5000),
    ]),
};
const ALLOW_FEAST = {
    resource: "p-network-allow-feast",
    name: "allow-feast",
    // Admins only, through the router: teams have their own feature stores.
    spec: ingressOnly({ matchLabels: app("feast", "p-feast") }, [
        { from: [router], ports: tcp(6566) },
        scrape(8000),
    ]),
};
const ALLOW_VALKEY = {
    resource: "p-network-allow-valkey",
    name: "allow-valkey",
    spec: ingressOnly({ matchLabels: app("valkey", "p-feast-online") }, [
        { from: [pods(app("feast", "p-feast"))], ports: tcp(6379) },
        scrape(9121),
    ]),
};
const ALLOW_ARGO_SERVER = {
    resource: "p-network-allow-argo-server",
    name: "allow-argo-server",
    spec: ingressOnly({ matchLabels: app("argo-workflows-server", "argo-workflows") }, [
        { from: [router], ports: tcp(2746) },
        scrape(2746),
    ]),
};
/** The workflow controller: no callers, only its metrics. */
const ALLOW_ARGO_CONTROLLER = {
    resource: "p-network-allow-argo-controller",
    name: "allow-argo-controller",
    spec: ingressOnly(
        { matchLabels: app("argo-workflows-workflow-controller", "argo-workflows") },
        [scrape(9090)],
    ),
};
const ALLOW_PREDICTORS = {
    resource: "p-network-allow-predictors",
    name: "allow-predictors",
    spec: ingressOnly(predictor, [{ from: [router], ports: tcp(8080) }, scrape(8080)]),
};
const OAUTH2_PROXY = app("oauth2-proxy", "oauth2-proxy");
/** Traefik's forwardAuth asks oauth2-proxy; nothing else does; Prometheus on its metrics port. */
const ALLOW_OAUTH2_PROXY = {
    resource: "p-network-allow-oauth2-proxy",
    name: "allow-oauth2-proxy",
    spec: ingressOnly({ matchLabels: OAUTH2_PROXY }, [
        { from: [router], ports: tcp(4180) },
        scrape(44180),
    ]),
};
/**
 * The bundled Dex: browsers through the router, oauth2-proxy redeeming codes in the cluster;
 * Prometheus on its telemetry port.
 */
const ALLOW_DEX = {
    resource: "p-network-allow-dex",
    name: "allow-dex",
    spec: ingressOnly({ matchLabels: app("dex", "dex") }, [
        { from: [router, pods(OAUTH2_PROXY)], ports: tcp(5556) },
        scrape(5558),
    ]),
};

describe("PlatformNetworkPolicies in the platform", () => {
    it("local stores: default deny, the router's entry points, each service and store exactly", async () => {
        const rec = await platform();
        expect(
            childList(rec, rec.get("mlops:platform:PlatformNetworkPolicies", "p-network")),
        ).toEqual([
            `${NETPOL} p-network-allow-argo-controller`,
            `${NETPOL} p-network-allow-argo-server`,
            `${NETPOL} p-network-allow-dex`,
            `${NETPOL} p-network-allow-feast`,
            `${NETPOL} p-network-allow-mlflow`,
            `${NETPOL} p-network-allow-oauth2-proxy`,
            `${NETPOL} p-network-allow-postgresql`,
            `${NETPOL} p-network-allow-predictors`,
            `${NETPOL} p-network-allow-seaweedfs`,
            `${NETPOL} p-network-allow-traefik`,
            `${NETPOL} p-network-allow-valkey`,
            `${NETPOL} p-network-default-deny`,
        ]);
        expect(platformPolicies(rec)).toEqual(
            sorted([
                DEFAULT_DENY,
                ALLOW_TRAEFIK,
                ALLOW_MLFLOW,
                ALLOW_FEAST,
                ALLOW_VALKEY,
                ALLOW_ARGO_SERVER,
                ALLOW_ARGO_CONTROLLER,
                ALLOW_PREDICTORS,
                ALLOW_OAUTH2_PROXY,
                ALLOW_DEX,
                {
                    resource: "p-network-allow-postgresql",
                    name: "allow-postgresql",
                    spec: ingressOnly({ matchLabels: app("postgresql", "p-postgres") }, [
                        {
                            from: [pods(app("mlflow", "p-mlflow")), pods(app("mlflow-db-upgrade"))],
                            ports: tcp(5432),
                        },
                        scrape(9187),
                    ]),
                },
                {
                    resource: "p-network-allow-seaweedfs",
                    name: "allow-seaweedfs",
                    spec: ingressOnly({ matchLabels: app("seaweedfs", "p-objectstore") }, [
                        {
                            from: [
                                pods(app("seaweedfs-buckets")),
                                pods(app("mlflow", "p-mlflow")),
                                pods(app("feast", "p-feast")),
                                pods(app("argo-workflows-workflow-controller", "argo-workflows")),
                                pods(app("argo-workflows-server", "argo-workflows")),
                                {
                                    podSelector: {
                                        matchExpressions: [
                                            {
                                                key: "workflows.argoproj.io/workflow",
                                                operator: "Exists",
                                            },
                                        ],
                                    },
                                },
                                { podSelector: predictor },
                                teams,
                            ],
                            ports: tcp(8333),
                        },
                        scrape(9327),
                    ]),
                },
            ]),
        );
    });

    it("external stores and issuer (GCP-like): no rule for the absent PostgreSQL, S3 gateway and Dex", async () => {
        const rec = await platform({
            routing: {
                tls: { mode: "selfSigned" },
                serviceType: "LoadBalancer",
                auth: { oidc: { issuer: "https://login.example.com", clientSecret: "s" } },
            },
            externalObjectStore: {
                scheme: "gs",
                insecure: false,
                region: "us-central1",
                buckets: {
                    tracking: "p-ml-tracking",
                    workflows: "p-ml-workflows",
                    features: "p-ml-features",
                    datasets: "p-ml-datasets",
                },
            },
            externalDatabase: {
                host: "10.20.0.3",
                port: 5432,
                databaseName: "mlflow",
                username: "mlflow",
                password: "pw",
            },
            apiServerCidrs: ["172.16.0.0/28"],
        });
        expect(rec.ofType("mlops:storage:ObjectStore")).toEqual([]);
        expect(rec.ofType("mlops:storage:Database")).toEqual([]);
        expect(platformPolicies(rec)).toEqual(
            sorted([
                DEFAULT_DENY,
                ALLOW_TRAEFIK,
                ALLOW_MLFLOW,
                ALLOW_FEAST,
                ALLOW_VALKEY,
                ALLOW_ARGO_SERVER,
                ALLOW_ARGO_CONTROLLER,
                ALLOW_PREDICTORS,
                ALLOW_OAUTH2_PROXY,
            ]),
        );
    });
});

describe("every selector matches the pods it means", () => {
    /** The pod template labels of a recorded workload. */
    const templateLabels = (rec: Recording, type: string, name: string) =>
        at(rec.get(type, name), "spec", "template", "metadata", "labels");
    /** The podSelector of a recorded policy, by its object name. */
    const selectorOf = (rec: Recording, name: string) =>
        at(rec.get(NETPOL, `p-network-${name}`), "spec", "podSelector", "matchLabels");
    /** The peers of a recorded policy's first rule. */
    const peersOf = (rec: Recording, name: string) =>
        at(rec.get(NETPOL, `p-network-${name}`), "spec", "ingress", 0, "from") as {
            podSelector?: { matchLabels?: unknown };
        }[];

    it("project workloads: each selector is the pod template's labels, each port its container port", async () => {
        const rec = await platform();
        const cases: [string, string, string, number][] = [
            ["allow-mlflow", "kubernetes:apps/v1:Deployment", "p-mlflow", 5000],
            ["allow-feast", "kubernetes:apps/v1:Deployment", "p-feast", 6566],
            ["allow-valkey", "kubernetes:apps/v1:Deployment", "p-feast-online", 6379],
            ["allow-seaweedfs", "kubernetes:apps/v1:StatefulSet", "p-objectstore", 8333],
            ["allow-postgresql", "kubernetes:apps/v1:StatefulSet", "p-postgres", 5432],
        ];
        for (const [policy, type, workload, port] of cases) {
            expect([policy, selectorOf(rec, policy)]).toEqual([
                policy,
                templateLabels(rec, type, workload),
            ]);
            const containerPorts = at(
                rec.get(type, workload),
                "spec",
                "template",
                "spec",
                "containers",
                0,
                "ports",
            ) as { containerPort: number }[];
            expect(containerPorts.map((p) => p.containerPort)).toContain(port);
            expect(
                at(rec.get(NETPOL, `p-network-${policy}`), "spec", "ingress", 0, "ports"),
            ).toEqual([{ protocol: "TCP", port }]);
        }
        // The S3 gateway's only open port is its S3 port (named `s3`), not the master's.
        expect(
            at(
                rec.get("kubernetes:apps/v1:StatefulSet", "p-objectstore"),
                "spec",
                "template",
                "spec",
                "containers",
                0,
                "ports",
                0,
            ),
        ).toEqual({ name: "s3", containerPort: 8333 });

        // Clients: MLflow, Feast and the two Jobs carry the labels their peers select.
        const peers = [...peersOf(rec, "allow-postgresql"), ...peersOf(rec, "allow-seaweedfs")];
        const selects = (labels: unknown) =>
            peers.some(
                (p) => JSON.stringify(p.podSelector?.matchLabels) === JSON.stringify(labels),
            );
        for (const [type, workload] of [
            ["kubernetes:apps/v1:Deployment", "p-mlflow"],
            ["kubernetes:batch/v1:Job", "p-mlflow-db-upgrade"],
            ["kubernetes:apps/v1:Deployment", "p-feast"],
            ["kubernetes:batch/v1:Job", "p-objectstore-buckets"],
        ]) {
            expect([workload, selects(templateLabels(rec, type, workload))]).toEqual([
                workload,
                true,
            ]);
        }
        expect(peersOf(rec, "allow-valkey")).toEqual([
            {
                podSelector: {
                    matchLabels: templateLabels(rec, "kubernetes:apps/v1:Deployment", "p-feast"),
                },
            },
        ]);
    });

    it("team namespaces carry the label the team peer selects", async () => {
        const rec = await platform({
            teams: [
                {
                    name: "vision",
                    members: [],
                    quota: { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 },
                },
            ],
        });
        const labels = at(rec.get("kubernetes:core/v1:Namespace", "vision"), "metadata", "labels");
        expect(labels).toMatchObject({ [TEAM_LABEL]: "vision" });
        // The object store admits every team namespace (each with its own keys).
        expect(peersOf(rec, "allow-seaweedfs")).toContainEqual(teams);
        // The platform's own namespace is no team's.
        expect(
            Object.keys(
                at(rec.get("kubernetes:core/v1:Namespace", "p"), "metadata", "labels") as object,
            ),
        ).not.toContain(TEAM_LABEL);
    });

    it("chart workloads: the release names, namespaces and values the label facts assume", async () => {
        const rec = await platform();
        const release = (name: string) => rec.get("kubernetes:helm.sh/v3:Release", name);

        // Traefik (traefik-helm-chart v41.3.0): pods are labelled by traefik.labelselector in
        // traefik/templates/_helpers.tpl, `app.kubernetes.io/name: traefik` (the chart name,
        // unless nameOverride) and `app.kubernetes.io/instance: <release>-<namespace>` (unless
        // instanceLabelOverride); the web and websecure container ports are `ports.web.port`
        // 8000 and `ports.websecure.port` 8443 in traefik/values.yaml.
        const traefik = release("p-traefik");
        expect([at(traefik, "name"), at(traefik, "namespace"), at(traefik, "version")]).toEqual([
            "traefik",
            "mlops",
            "41.3.0",
        ]);
        const traefikValues = at(traefik, "values") as Record<string, any>;
        expect(traefikValues.nameOverride).toBeUndefined();
        expect(traefikValues.instanceLabelOverride).toBeUndefined();
        expect(traefikValues.deployment).toEqual({ replicas: 1 });
        expect(traefikValues.ports.web.port).toBeUndefined();
        expect(traefikValues.ports.websecure.port).toBeUndefined();
        // Its only admission webhook (templates/hub-admission-controller.yaml) needs hub.token.
        expect(traefikValues.hub).toBeUndefined();
        expect(selectorOf(rec, "allow-traefik")).toEqual({
            "app.kubernetes.io/name": "traefik",
            "app.kubernetes.io/instance": "traefik-mlops",
        });

        // Argo Workflows (argo-helm argo-workflows-1.0.18): argo-workflows.selectorLabels in
        // templates/_helpers.tpl gives `app.kubernetes.io/name: argo-workflows-<component>`
        // (server, workflow-controller: `server.name`, `controller.name` in values.yaml) and
        // `app.kubernetes.io/instance: <release>`; the server listens on 2746
        // (templates/server/server-deployment.yaml). The chart has no admission webhook.
        const argo = release("p-argo");
        expect([at(argo, "name"), at(argo, "namespace"), at(argo, "version")]).toEqual([
            "argo-workflows",
            "mlops",
            "1.0.18",
        ]);
        const argoValues = at(argo, "values") as Record<string, any>;
        expect(argoValues.nameOverride).toBeUndefined();
        expect(argoValues.server.name).toBeUndefined();
        expect(argoValues.controller.name).toBeUndefined();
        expect(argoValues.server.podLabels).toBeUndefined();
        expect(selectorOf(rec, "allow-argo-server")).toEqual({
            "app.kubernetes.io/name": "argo-workflows-server",
            "app.kubernetes.io/instance": "argo-workflows",
        });
        // The route's backend is the server, on that port.
        const route = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "p-argo");
        expect(at(route, "spec", "routes", 0, "services", 0)).toMatchObject({
            name: "argo-workflows-server",
            port: 2746,
        });

        // KServe v0.20.0: predictors of platform models run in the platform namespace, and the
        // route targets their `<isvc>-predictor` Service on port 80, which KServe points at
        // 8080 (PREDICTOR_PORT in components/serving/model-serving.ts); the pods carry
        // `component: predictor` and `serving.kserve.io/inferenceservice` (KSERVE_PREDICTOR).
        expect(
            at(
                rec.get("kubernetes:core/v1:ServiceAccount", "p-serving-models"),
                "metadata",
                "namespace",
            ),
        ).toBe("mlops");

        // The charts that install admission webhooks run outside the platform namespace:
        // cert-manager's in `cert-manager`, KServe's (kserve-webhook-server-service, in the
        // release namespace) in `kserve`.
        // oauth2-proxy (oauth2-proxy/manifests oauth2-proxy-10.7.0): oauth2-proxy.selectorLabels
        // in templates/_helpers.tpl gives `app.kubernetes.io/name: oauth2-proxy` (the chart
        // name, unless nameOverride) and `app.kubernetes.io/instance: <release>`; with
        // httpScheme http and no containerPort it listens on 4180 (templates/deployment.yaml).
        const proxy = release("p-sso");
        expect([at(proxy, "name"), at(proxy, "namespace"), at(proxy, "version")]).toEqual([
            "oauth2-proxy",
            "mlops",
            "10.7.0",
        ]);
        const proxyValues = at(proxy, "values") as Record<string, any>;
        expect(proxyValues.nameOverride).toBeUndefined();
        expect(proxyValues.podLabels).toBeUndefined();
        expect(proxyValues.httpScheme).toBeUndefined();
        expect(proxyValues.containerPort).toBeUndefined();
        expect(selectorOf(rec, "allow-oauth2-proxy")).toEqual(OAUTH2_PROXY);
        // Dex (dexidp/helm-charts dex-0.24.0): dex.selectorLabels in templates/_helpers.tpl,
        // `app.kubernetes.io/name: dex` and `app.kubernetes.io/instance: <release>`; its http
        // container port is 5556 (templates/deployment.yaml).
        const dex = release("p-dex");
        expect([at(dex, "name"), at(dex, "namespace"), at(dex, "version")]).toEqual([
            "dex",
            "mlops",
            "0.24.0",
        ]);
        expect((at(dex, "values") as Record<string, any>).nameOverride).toBeUndefined();
        expect(selectorOf(rec, "allow-dex")).toEqual(app("dex", "dex"));
        // The peer oauth2-proxy redeems codes from is its pods' selector.
        expect(peersOf(rec, "allow-dex")[1]).toEqual(pods(OAUTH2_PROXY));

        expect(at(release("p-serving-cert-manager"), "namespace")).toBe("cert-manager");
        expect(at(release("p-serving-kserve"), "namespace")).toBe("kserve");
        expect(
            rec.ofType(NETPOL).filter((p) => at(p, "metadata", "namespace") === "mlops"),
        ).toHaveLength(12);
    });

    it("Seldon: its servers pull from the S3 gateway in their own namespace", async () => {
        const rec = await platform({
            serving: {
                enabled: true,
                engine: "seldon",
                models: [{ name: "iris", format: "sklearn", storageUri: "s3://m/iris" }],
            },
        });
        // Seldon runs in `seldon-mesh` (components/serving/model-serving.ts) and installs no
        // admission webhook (seldon-core v2.9.1 k8s/helm-charts).
        expect(
            at(rec.get("kubernetes:core/v1:Namespace", "p-serving-seldon"), "metadata", "name"),
        ).toBe("seldon-mesh");
        expect(
            rec
                .ofType("kubernetes:helm.sh/v3:Release")
                .filter((r) => at(r, "namespace") === "mlops")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["p-argo", "p-dex", "p-sso", "p-traefik"]);
        const names = platformPolicies(rec).map((p) => p.name);
        expect(names).not.toContain("allow-predictors");
        // Seldon's operator labels server pods `app.kubernetes.io/name: seldon-server`
        // (operator/controllers/reconcilers/server/statefulset_reconciler.go,
        // operator/pkg/constants/constants.go, seldon-core v2.9.1).
        expect(peersOf(rec, "allow-seaweedfs")).toContainEqual({
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "seldon-mesh" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "seldon-server" } },
        });
        expect(peersOf(rec, "allow-seaweedfs")).not.toContainEqual({ podSelector: predictor });
        // Prometheus scrapes the Seldon agent of each server pod on 9006, in `seldon-mesh`: no
        // platform-namespace rule, one policy there (seldon-core v2.9.1, SELDON_METRICS_PORT).
        expect(names).not.toContain("allow-seldon-servers");
        const scrapeRule = rec.get(NETPOL, "p-network-allow-scrape-seldon-servers");
        expect(at(scrapeRule, "metadata")).toEqual({
            name: "allow-scrape-seldon-servers",
            namespace: "seldon-mesh",
        });
        expect(at(scrapeRule, "spec")).toEqual(
            ingressOnly({ matchLabels: { "app.kubernetes.io/name": "seldon-server" } }, [
                {
                    ports: [
                        { protocol: "TCP", port: 1, endPort: 9005 },
                        { protocol: "TCP", port: 9007, endPort: 65535 },
                    ],
                },
                scrape(9006),
            ]),
        );
        expect(
            at(
                rec.get(
                    "kubernetes:monitoring.coreos.com/v1:PodMonitor",
                    "p-monitoring-seldon-servers",
                ),
                "spec",
            ),
        ).toEqual({
            namespaceSelector: { matchNames: ["seldon-mesh"] },
            selector: { matchLabels: { "app.kubernetes.io/name": "seldon-server" } },
            podMetricsEndpoints: [{ portNumber: 9006, path: "/metrics" }],
        });
    });
});

describe("PlatformNetworkPolicies on its own", () => {
    // A router and stores as their components declare them, written out here.
    const ROUTER: ServiceEndpoint = {
        name: "traefik",
        pods: { matchLabels: TRAEFIK },
        ports: [8000, 8443],
        callers: { anyone: true },
    };
    const database = (publicAccess: boolean): ServiceEndpoint => ({
        name: "postgresql",
        pods: { matchLabels: app("postgresql", "p-postgres") },
        ports: [5432],
        callers: { anyone: publicAccess },
    });
    const STORE: ServiceEndpoint = {
        name: "seaweedfs",
        pods: { matchLabels: app("seaweedfs", "p-objectstore") },
        ports: [8333],
        callers: { own: [pods(app("seaweedfs-buckets"))], teams: true },
    };

    let built: PlatformNetworkPolicies;
    async function build(services: ServiceEndpoint[], scrapers?: Peer) {
        const rec = record();
        built = new PlatformNetworkPolicies("net", {
            namespace: "mlops",
            router: ROUTER,
            services,
            scrapers,
        });
        await settled();
        return rec;
    }
    /** The policies recorded, sorted, and the same keys in the order they were created. */
    const names = (rec: Recording) => {
        const recorded = rec
            .ofType(NETPOL)
            .map((r) => r.name)
            .sort();
        return { recorded, created: Object.keys(built.policies) };
    };

    it("with nothing but the router: default deny and the entry points", async () => {
        const rec = await build([]);
        expect(names(rec)).toEqual({
            recorded: ["net-allow-traefik", "net-default-deny"],
            created: ["default-deny", "allow-traefik"],
        });
    });

    describe("an endpoint in a namespace of its own (Seldon's servers)", () => {
        const SCRAPERS: Peer = {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
            podSelector: { matchLabels: { "mlops.dev/scraper": "prometheus" } },
        };
        const SERVERS: ServiceEndpoint = {
            name: "seldon-servers",
            namespace: "seldon-mesh",
            pods: { matchLabels: { "app.kubernetes.io/name": "seldon-server" } },
            ports: [],
            callers: {},
            metrics: { port: 9006, path: "/metrics" },
            calls: [
                {
                    endpoint: "seaweedfs",
                    from: [
                        {
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": "seldon-mesh" },
                            },
                            podSelector: {
                                matchLabels: { "app.kubernetes.io/name": "seldon-server" },
                            },
                        },
                    ],
                },
            ],
        };

        it("gets its scrape rule in its namespace: Prometheus alone on 9006, every other port as before", async () => {
            const rec = await build([SERVERS, STORE], SCRAPERS);
            expect(names(rec)).toEqual({
                recorded: [
                    "net-allow-scrape-seldon-servers",
                    "net-allow-seaweedfs",
                    "net-allow-traefik",
                    "net-default-deny",
                ],
                created: [
                    "default-deny",
                    "allow-traefik",
                    "allow-scrape-seldon-servers",
                    "allow-seaweedfs",
                ],
            });
            expect(at(rec.get(NETPOL, "net-allow-scrape-seldon-servers"), "metadata")).toEqual({
                name: "allow-scrape-seldon-servers",
                namespace: "seldon-mesh",
            });
            expect(at(rec.get(NETPOL, "net-allow-scrape-seldon-servers"), "spec")).toEqual(
                ingressOnly({ matchLabels: { "app.kubernetes.io/name": "seldon-server" } }, [
                    {
                        ports: [
                            { protocol: "TCP", port: 1, endPort: 9005 },
                            { protocol: "TCP", port: 9007, endPort: 65535 },
                        ],
                    },
                    { from: [SCRAPERS], ports: tcp(9006) },
                ]),
            );
            // Its calls into the platform namespace still open the store to it.
            expect(at(rec.get(NETPOL, "net-allow-seaweedfs"), "spec", "ingress")).toEqual([
                {
                    from: [pods(app("seaweedfs-buckets")), SERVERS.calls![0].from[0], teams],
                    ports: tcp(8333),
                },
            ]);
        });

        it("gets no policy at all when nothing scrapes", async () => {
            const rec = await build([SERVERS], undefined);
            expect(names(rec)).toEqual({
                recorded: ["net-allow-traefik", "net-default-deny"],
                created: ["default-deny", "allow-traefik"],
            });
        });

        it("splits every TCP port around the metrics port, at either end too", () => {
            expect(everyTcpPortBut(1)).toEqual([{ protocol: "TCP", port: 2, endPort: 65535 }]);
            expect(everyTcpPortBut(65535)).toEqual([{ protocol: "TCP", port: 1, endPort: 65534 }]);
        });
    });

    it("opens a public database to anyone on its port only, and nothing else for it", async () => {
        const rec = await build([database(true)]);
        expect(names(rec)).toEqual({
            recorded: ["net-allow-postgresql", "net-allow-traefik", "net-default-deny"],
            created: ["default-deny", "allow-traefik", "allow-postgresql"],
        });
        expect(at(rec.get(NETPOL, "net-allow-postgresql"), "spec")).toEqual(
            ingressOnly({ matchLabels: app("postgresql", "p-postgres") }, [{ ports: tcp(5432) }]),
        );
    });

    it("gives a private database without tracking no rule at all", async () => {
        const rec = await build([database(false)]);
        expect(names(rec)).toEqual({
            recorded: ["net-allow-traefik", "net-default-deny"],
            created: ["default-deny", "allow-traefik"],
        });
    });

    it("lets only the bucket Job and the teams reach a store no service uses", async () => {
        const rec = await build([STORE]);
        expect(at(rec.get(NETPOL, "net-allow-seaweedfs"), "spec", "ingress")).toEqual([
            { from: [pods(app("seaweedfs-buckets")), teams], ports: tcp(8333) },
        ]);
    });

    it("a new service: its own policy and its calls to the store, from its endpoint alone", async () => {
        // A made-up service, declared as a component would declare it: nothing else changes.
        const labelStudio = app("label-studio", "p-labels");
        const rec = await build([
            {
                name: "label-studio",
                pods: { matchLabels: labelStudio },
                ports: [8080, 8081],
                callers: { router: true, teams: true },
                calls: [
                    { endpoint: "seaweedfs", from: [pods(labelStudio)] },
                    // A call to a service that does not run opens nothing.
                    { endpoint: "postgresql", from: [pods(labelStudio)] },
                ],
            },
            STORE,
        ]);
        expect(names(rec)).toEqual({
            recorded: [
                "net-allow-label-studio",
                "net-allow-seaweedfs",
                "net-allow-traefik",
                "net-default-deny",
            ],
            created: ["default-deny", "allow-traefik", "allow-label-studio", "allow-seaweedfs"],
        });
        expect(at(rec.get(NETPOL, "net-allow-label-studio"), "spec")).toEqual(
            ingressOnly({ matchLabels: labelStudio }, [
                { from: [router, teams], ports: tcp(8080, 8081) },
            ]),
        );
        expect(at(rec.get(NETPOL, "net-allow-seaweedfs"), "spec", "ingress")).toEqual([
            { from: [pods(app("seaweedfs-buckets")), pods(labelStudio), teams], ports: tcp(8333) },
        ]);
    });

    it("an endpoint that does not admit teams gets no peer for team namespaces", async () => {
        const rec = await build([
            {
                name: "internal",
                pods: { matchLabels: app("internal", "p-internal") },
                ports: [9000],
                callers: { router: true },
            },
            STORE,
        ]);
        expect(at(rec.get(NETPOL, "net-allow-internal"), "spec", "ingress")).toEqual([
            { from: [router], ports: tcp(9000) },
        ]);
    });
});

describe("the tenant view", () => {
    const quota = { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 };
    const TEAMS = [
        { name: "vision", members: [], quota },
        { name: "nlp", members: [], quota },
    ];
    it("teams reach exactly the services that admit them, and those admit them back", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const p = new MlopsPlatform("p", platformArgs(cluster, { teams: TEAMS }), {
            providers: { kubernetes: cluster.provider },
        });
        await settled();

        // The catalogue the teams get is the team view of the endpoints that admit teams.
        const admitting = p.serviceEndpoints.filter((e) => e.callers.teams);
        expect(admitting.map((e) => e.name)).toEqual(["seaweedfs"]);
        expect([...TEAM_SERVICES].sort((a, b) => a.app.localeCompare(b.app))).toEqual(
            admitting
                .map((e) => ({
                    app: (e.pods.matchLabels as Record<string, string>)["app.kubernetes.io/name"],
                    ports: e.ports,
                }))
                .sort((a, b) => a.app.localeCompare(b.app)),
        );

        // Platform side: only those policies admit team namespaces.
        const admitsTeams = platformPolicies(rec)
            .filter((pol) =>
                (pol.spec as { ingress: { from?: unknown[] }[] }).ingress.some((rule) =>
                    (rule.from ?? []).some(
                        (peer) => JSON.stringify(peer) === JSON.stringify(teams),
                    ),
                ),
            )
            .map((pol) => pol.name);
        expect(admitsTeams).toEqual(["allow-seaweedfs"]);

        // Team side: egress to those services in the platform namespace, DNS and the API
        // server; ingress from their own namespace and the router. No rule names another
        // team's namespace, so team pods cannot reach each other's.
        for (const [team, other] of [
            ["vision", "team-nlp"],
            ["nlp", "team-vision"],
        ]) {
            const spec = (key: string) =>
                at(rec.get(NETPOL, `${team}-${key}`), "spec") as Record<string, any>;
            expect(
                spec("allow-platform-services").egress.map((e: any) => [
                    e.to[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
                    e.to[0].podSelector.matchLabels["app.kubernetes.io/name"],
                    e.ports,
                ]),
            ).toEqual([["mlops", "seaweedfs", tcp(8333)]]);
            expect(spec("allow-same-namespace")).toEqual({
                podSelector: {},
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: {} }] }],
                egress: [{ to: [{ podSelector: {} }] }],
            });
            const policies = rec
                .ofType(NETPOL)
                .filter((pol) => at(pol, "metadata", "namespace") === `team-${team}`);
            expect(policies.map((pol) => pol.name).sort()).toEqual(
                [
                    ...[
                        "allow-api-server",
                        "allow-dns",
                        "allow-from-router",
                        "allow-platform-services",
                        "allow-same-namespace",
                        "default-deny",
                    ].map((key) => `${team}-${key}`),
                    // The team's clients of its databases to the platform's (TeamDatabase).
                    `p-${team}-database-egress`,
                    // Prometheus to its servers' metrics ports (TeamScrapes).
                    `p-scrape-${team}-feast`,
                    `p-scrape-${team}-mlflow`,
                ].sort(),
            );
            expect(JSON.stringify(policies.map((pol) => at(pol, "spec")))).not.toContain(other);
        }
    });

    it("runs every service, and each call names an endpoint of one", async () => {
        record();
        const cluster = new ExistingCluster("c", {});
        const p = new MlopsPlatform("p", platformArgs(cluster, { teams: TEAMS }), {
            providers: { kubernetes: cluster.provider },
        });
        await settled();

        const names = p.serviceEndpoints.map((e) => e.name);
        expect(names).toEqual([
            "traefik",
            "dex",
            "oauth2-proxy",
            "mlflow",
            "feast",
            "valkey",
            "argo-server",
            "argo-controller",
            "predictors",
            "postgresql",
            "seaweedfs",
            "team-database",
        ]);
        // A call to a name no endpoint has would open nothing, silently: a typo fails here.
        const called = p.serviceEndpoints.flatMap((e) => (e.calls ?? []).map((c) => c.endpoint));
        expect(called.length).toBeGreaterThan(0);
        expect(called.filter((c) => !names.includes(c))).toEqual([]);
    });
});
