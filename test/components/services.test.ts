import { FeastFeatureStore, featureStoreYaml } from "../../components/features/feast";
import { Traefik } from "../../components/routing/traefik";
import { ModelServing, ModelServingArgs } from "../../components/serving/model-serving";
import { MlflowServer, mlflowCorsAllowedOrigins } from "../../components/tracking/mlflow";
import { charts, images } from "../../components/versions";
import { ArgoWorkflows } from "../../components/workflows/argo";
import {
    SecretValue,
    at,
    childList,
    record,
    settled,
    valueOf,
    SECURE_CONTAINER,
} from "../support/harness";
import { STORE } from "../support/fixtures";

const store = STORE;

const router = () => new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });

const SECURE = SECURE_CONTAINER;

describe("MlflowServer", () => {
    async function build(makeRouter: () => Traefik = router) {
        const rec = record();
        const mlflow = new MlflowServer("mlflow", {
            namespace: "mlops",
            database: {
                host: "pg.mlops.svc.cluster.local",
                port: 5432,
                databaseName: "mlflow",
                username: "mlops",
                credentialsSecretName: "pg-credentials",
            },
            objectStore: store,
            router: makeRouter(),
        });
        await settled();
        return { rec, mlflow };
    }

    it("creates its account, service, migration job, deployment and authenticated route", async () => {
        const { rec } = await build();
        expect(childList(rec, rec.get("mlops:tracking:MlflowServer", "mlflow"))).toEqual([
            "kubernetes:apps/v1:Deployment mlflow",
            "kubernetes:batch/v1:Job mlflow-db-upgrade",
            "kubernetes:core/v1:Service mlflow",
            "kubernetes:core/v1:ServiceAccount mlflow",
            "mlops:routing:ExposedService mlflow",
        ]);
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "mlflow"),
                "spec",
                "routes",
                0,
            ),
        ).toEqual({
            kind: "Rule",
            match: "Host(`mlflow.ml.example.com`)",
            middlewares: [{ name: "mlflow-auth", namespace: "mlops" }],
            services: [{ name: "mlflow", port: 5000, kind: "Service" }],
        });
    });

    it("points the backend store at PostgreSQL and proxies artifacts to the object store", async () => {
        const { rec } = await build();
        const c = at(
            rec.get("kubernetes:apps/v1:Deployment", "mlflow"),
            "spec",
            "template",
            "spec",
            "containers",
            0,
        ) as any;
        expect(c.image).toBe(images.mlflow);
        expect(c.args).toEqual([
            "server",
            "--host=0.0.0.0",
            "--port=5000",
            "--backend-store-uri=postgresql+psycopg2://mlops@pg.mlops.svc.cluster.local:5432/mlflow",
            "--serve-artifacts",
            "--artifacts-destination=s3://b-tracking/",
            // The public host bare and on any port (port-forward, node port): MLflow 3.18.0
            // matches patterns without "*" exactly, port included (security_utils.py).
            // Prometheus scrapes a pod at its IPv4 address: Host <pod IP>:5000.
            "--allowed-hosts=mlflow.ml.example.com,mlflow.ml.example.com:*,mlflow.mlops.svc.cluster.local:5000,mlflow:5000,mlflow.mlops:5000,[0-9]*.[0-9]*.[0-9]*.[0-9]*:5000,localhost:*,127.0.0.1:*",
            // The UI's POSTs carry its origin; MLflow 3.18.0 answers any other 403
            // (security_utils.py, should_block_cors_request). Loopback origins pass anyway.
            "--cors-allowed-origins=https://mlflow.ml.example.com,https://mlflow.ml.example.com:*",
            "--workers=2",
            // Prometheus metrics on /metrics (multiprocess files in the /tmp volume).
            "--expose-prometheus=/tmp/prometheus-metrics",
        ]);
        expect(c.env).toEqual([
            {
                name: "PGPASSWORD",
                valueFrom: { secretKeyRef: { name: "pg-credentials", key: "password" } },
            },
            { name: "HOME", value: "/tmp" },
            { name: "AWS_DEFAULT_REGION", value: "us-east-1" },
            { name: "MLFLOW_S3_ENDPOINT_URL", value: "http://store.mlops.svc.cluster.local:8333" },
            {
                name: "AWS_ACCESS_KEY_ID",
                valueFrom: {
                    secretKeyRef: { name: "store-credentials", key: "AWS_ACCESS_KEY_ID" },
                },
            },
            {
                name: "AWS_SECRET_ACCESS_KEY",
                valueFrom: {
                    secretKeyRef: { name: "store-credentials", key: "AWS_SECRET_ACCESS_KEY" },
                },
            },
        ]);
        expect(c.securityContext).toEqual(SECURE);
        // Local disk bounded too: its 1Gi emptyDir plus room for logs.
        expect(c.resources).toEqual({
            requests: { cpu: "100m", memory: "384Mi", "ephemeral-storage": "32Mi" },
            limits: { cpu: "1", memory: "2Gi", "ephemeral-storage": "1536Mi" },
        });
        // Liveness is not readiness's question again (kube-score pod-probes-identical).
        expect(c.livenessProbe).toEqual({
            tcpSocket: { port: "http" },
            initialDelaySeconds: 30,
            periodSeconds: 20,
        });
        expect(c.readinessProbe).toEqual({
            httpGet: { path: "/health", port: "http" },
            periodSeconds: 10,
        });
    });

    it("accepts the UI's state-changing calls from the route's own origin only", async () => {
        expect(mlflowCorsAllowedOrigins("https://mlflow.ml.example.com")).toBe(
            "https://mlflow.ml.example.com,https://mlflow.ml.example.com:*",
        );
        // A router without TLS serves the UI over http: that is the origin the browser sends.
        const { rec, mlflow } = await build(
            () =>
                new Traefik("router", {
                    namespace: "mlops",
                    domain: "ml.example.com",
                    tls: { mode: "none" },
                }),
        );
        const args = at(
            rec.get("kubernetes:apps/v1:Deployment", "mlflow"),
            "spec",
            "template",
            "spec",
            "containers",
            0,
            "args",
        ) as string[];
        expect(args.filter((a) => a.startsWith("--cors-allowed-origins"))).toEqual([
            "--cors-allowed-origins=http://mlflow.ml.example.com,http://mlflow.ml.example.com:*",
        ]);
        expect(await valueOf(mlflow.url)).toBe("http://mlflow.ml.example.com");
    });

    it("migrates the schema with the same image in a versioned Job before the server starts", async () => {
        const { rec } = await build();
        const job = rec.get("kubernetes:batch/v1:Job", "mlflow-db-upgrade");
        expect(at(job, "metadata", "name")).toBe("mlflow-db-upgrade-v3-18-0-full");
        const c = at(job, "spec", "template", "spec", "containers", 0) as any;
        expect(c.image).toBe(images.mlflow);
        expect(c.command).toEqual([
            "mlflow",
            "db",
            "upgrade",
            "postgresql+psycopg2://mlops@pg.mlops.svc.cluster.local:5432/mlflow",
        ]);
        expect(rec.get("kubernetes:apps/v1:Deployment", "mlflow").dependsOn).toContain(job.urn);
        // It waits for the database with pg_isready (on PATH in the postgres image: its
        // Dockerfile adds /usr/lib/postgresql/$PG_MAJOR/bin), before spending a retry. -U is
        // needed: the pod's uid has no passwd entry, and without -U libpq looks one up and
        // pg_isready answers "no attempt" for ever (tools/verify/pg-wait.sh).
        expect(at(job, "spec", "template", "spec", "initContainers")).toEqual([
            {
                name: "wait-for-database",
                image: images.postgres,
                command: [
                    "sh",
                    "-c",
                    'until pg_isready -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" -t 5; do sleep 2; done',
                ],
                env: [
                    { name: "PGHOST", value: "pg.mlops.svc.cluster.local" },
                    { name: "PGPORT", value: "5432" },
                    { name: "PGUSER", value: "mlops" },
                    { name: "PGDATABASE", value: "mlflow" },
                ],
                resources: {
                    requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "32Mi" },
                    limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "64Mi" },
                },
                securityContext: SECURE,
            },
        ]);
    });
});

describe("ArgoWorkflows", () => {
    it("installs the chart with the object store as artifact repository and client auth", async () => {
        const rec = record();
        new ArgoWorkflows("argo", {
            namespace: "mlops",
            objectStore: store,
            router: router(),
            workflowNamespaces: ["vision"],
        });
        await settled();
        expect(childList(rec, rec.get("mlops:workflows:ArgoWorkflows", "argo"))).toEqual([
            "kubernetes:core/v1:ServiceAccount argo-workflow",
            "kubernetes:helm.sh/v3:Release argo",
            "kubernetes:rbac.authorization.k8s.io/v1:Role argo-workflow",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding argo-workflow",
            "mlops:routing:ExposedService argo",
        ]);
        const release = rec.get("kubernetes:helm.sh/v3:Release", "argo");
        expect(release.inputs).toMatchObject({
            chart: "argo-workflows",
            version: charts.argoWorkflows.version,
        });
        const values = at(release, "values") as any;
        // CRDs from the chart's own files: with crds.full (the chart's default) a pre-install
        // hook Job downloads them from raw.githubusercontent.com (argo-helm
        // argo-workflows-1.0.18: templates/crds-install-job.yaml runs only `if and
        // .Values.crds.install .Values.crds.full`; templates/crds.yaml renders
        // files/crds/minimal/*.yaml `if and .Values.crds.install (not .Values.crds.full)`).
        expect(values.crds).toEqual({ install: true, keep: true, full: false });
        expect(values.useStaticCredentials).toBe(true);
        expect(values.artifactRepository).toEqual({
            archiveLogs: true,
            s3: {
                bucket: "b-workflows",
                endpoint: "store.mlops.svc.cluster.local:8333",
                insecure: true,
                region: "us-east-1",
                keyFormat: "{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}",
                accessKeySecret: { name: "store-credentials", key: "AWS_ACCESS_KEY_ID" },
                secretKeySecret: { name: "store-credentials", key: "AWS_SECRET_ACCESS_KEY" },
            },
        });
        expect(values.server.authModes).toEqual(["client"]);
        expect(values.controller.workflowNamespaces).toEqual(["mlops", "vision"]);
        for (const part of [values.controller, values.server, values.executor]) {
            expect(Object.keys(part.resources).sort()).toEqual(["limits", "requests"]);
        }
        expect(
            at(rec.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "argo-workflow"), "rules"),
        ).toEqual([
            {
                apiGroups: ["argoproj.io"],
                resources: ["workflowtaskresults"],
                verbs: ["create", "patch"],
            },
        ]);
        const ingress = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "argo");
        expect(at(ingress, "metadata", "annotations")).toEqual({
            "mlops.dev/authenticated-by": "argo-workflows client token",
        });
        expect(at(ingress, "spec", "routes", 0, "services")).toEqual([
            { name: "argo-workflows-server", port: 2746, kind: "Service" },
        ]);
    });
});

describe("FeastFeatureStore", () => {
    it("renders feature_store.yaml with a Redis online store and the registry in the object store", () => {
        expect(
            featureStoreYaml({
                project: "mlops",
                registryPath: "s3://b/registry.pb",
                redisHost: "valkey",
            }),
        ).toBe(
            [
                "project: mlops",
                "provider: local",
                "registry:",
                "  registry_type: file",
                "  path: s3://b/registry.pb",
                "  cache_ttl_seconds: 60",
                "online_store:",
                "  type: redis",
                '  connection_string: "valkey:6379,password=${REDIS_PASSWORD}"',
                "offline_store:",
                "  type: file",
                "entity_key_serialization_version: 3",
                "",
            ].join("\n"),
        );
    });

    it("runs Valkey and the feature server with the config from a ConfigMap", async () => {
        const rec = record();
        new FeastFeatureStore("feast", {
            namespace: "mlops",
            objectStore: store,
            router: router(),
        });
        await settled();
        expect(childList(rec, rec.get("mlops:features:FeastFeatureStore", "feast"))).toEqual([
            "kubernetes:apps/v1:Deployment feast",
            "kubernetes:apps/v1:Deployment feast-online",
            "kubernetes:core/v1:ConfigMap feast",
            "kubernetes:core/v1:Secret feast-online-credentials",
            "kubernetes:core/v1:Service feast",
            "kubernetes:core/v1:Service feast-online",
            "kubernetes:core/v1:ServiceAccount feast",
            "mlops:routing:ExposedService feast",
            "random:index/randomPassword:RandomPassword feast-online-password",
        ]);
        const yaml = at(
            rec.get("kubernetes:core/v1:ConfigMap", "feast"),
            "data",
            "feature_store.yaml",
        ) as string;
        expect(yaml).toContain("  type: redis\n");
        expect(yaml).toContain(
            'connection_string: "feast-online.mlops.svc.cluster.local:6379,password=${REDIS_PASSWORD}"',
        );
        expect(yaml).toContain("  path: s3://b-features/registry.pb\n");
        expect(
            rec.get("kubernetes:core/v1:Secret", "feast-online-credentials").inputs.stringData,
        ).toBeInstanceOf(SecretValue);
        const valkey = at(
            rec.get("kubernetes:apps/v1:Deployment", "feast-online"),
            "spec",
            "template",
            "spec",
            "containers",
            0,
        ) as any;
        expect(valkey.image).toBe(images.valkey);
        // The password reaches valkey-server in a config file given as its first argument
        // (`valkey-server [/path/to/valkey.conf] [options]`, src/server.c), never on its
        // command line, where it would show in the process table.
        expect(valkey.args[0]).toBe("/etc/valkey/valkey-auth.conf");
        expect(JSON.stringify(valkey)).not.toMatch(/requirepass|REDIS_PASSWORD/);
        expect(valkey.env).toBeUndefined();
        expect(valkey.volumeMounts).toContainEqual({
            name: "auth",
            mountPath: "/etc/valkey",
            readOnly: true,
        });
        const valkeyPod = at(
            rec.get("kubernetes:apps/v1:Deployment", "feast-online"),
            "spec",
            "template",
            "spec",
        ) as any;
        expect(valkeyPod.volumes).toContainEqual({
            name: "auth",
            secret: {
                secretName: "feast-online-credentials",
                items: [{ key: "valkey-auth.conf", path: "valkey-auth.conf" }],
                defaultMode: 0o440,
            },
        });
        const auth = at(
            rec.get("kubernetes:core/v1:Secret", "feast-online-credentials"),
            "stringData",
            "valkey-auth.conf",
        ) as string;
        expect(auth).toBe('requirepass "mock-password-feast-online-password"\n');
        expect(valkey.securityContext).toEqual(SECURE);
        const server = at(
            rec.get("kubernetes:apps/v1:Deployment", "feast"),
            "spec",
            "template",
            "spec",
            "containers",
            0,
        ) as any;
        expect(server.image).toBe(images.feast);
        expect([...server.command, ...server.args]).toEqual([
            "feast",
            "-c",
            "/config",
            "serve",
            "-h",
            "0.0.0.0",
            "-p",
            "6566",
            // Prometheus metrics on port 8000 (feast 0.66.0, feast/metrics.py).
            "--metrics",
        ]);
        expect(server.env).toContainEqual({
            name: "FEAST_S3_ENDPOINT_URL",
            value: "http://store.mlops.svc.cluster.local:8333",
        });
        expect(server.securityContext).toEqual(SECURE);
    });
});

describe("ModelServing", () => {
    const gpuScheduling = {
        nodeSelector: { "nvidia.com/gpu.present": "true" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
    };
    async function build(over: Partial<ModelServingArgs> = {}) {
        const rec = record();
        new ModelServing("serving", {
            namespace: "mlops",
            objectStore: store,
            router: router(),
            gpuScheduling,
            ...over,
        });
        await settled();
        return rec;
    }

    it("installs cert-manager and KServe's three charts in Standard mode, in order", async () => {
        const rec = await build();
        const release = (n: string) => rec.get("kubernetes:helm.sh/v3:Release", n);
        expect(release("serving-cert-manager").inputs).toMatchObject({
            chart: "oci://quay.io/jetstack/charts/cert-manager",
            version: charts.certManager.version,
        });
        // Its namespace is in the stack, so that `pulumi destroy` removes it (the release's
        // createNamespace made it outside the state: npm run test:e2e found it left behind).
        const certManagerNs = rec.get("kubernetes:core/v1:Namespace", "serving-cert-manager");
        expect(at(certManagerNs, "metadata", "name")).toBe("cert-manager");
        expect(at(certManagerNs, "metadata", "labels", "pod-security.kubernetes.io/enforce")).toBe(
            "baseline",
        );
        expect(release("serving-cert-manager").inputs.createNamespace).toBeUndefined();
        expect(release("serving-cert-manager").inputs.namespace).toBe("cert-manager");
        expect(release("serving-cert-manager").dependsOn).toContain(certManagerNs.urn);
        expect(at(release("serving-cert-manager"), "values", "crds")).toEqual({
            enabled: true,
            keep: true,
        });
        expect(release("serving-kserve-crd").inputs.chart).toBe(
            "oci://ghcr.io/kserve/charts/kserve-crd",
        );
        expect(at(release("serving-kserve"), "values", "kserve", "controller")).toEqual({
            // The chart's own defaults, set explicitly so that a mirror can move them (kserve
            // v0.20.0: charts/kserve-resources/values.yaml; empty tags are kserve.version).
            image: "kserve/kserve-controller",
            tag: "v0.20.0",
            rbacProxyImage: "quay.io/brancz/kube-rbac-proxy:v0.18.0",
            deploymentMode: "Standard",
            gateway: {
                domain: "ml.example.com",
                disableIstioVirtualHost: true,
                disableIngressCreation: true,
            },
            resources: {
                requests: { cpu: "50m", memory: "128Mi" },
                limits: { cpu: "1", memory: "1Gi" },
            },
            rbacProxy: {
                resources: {
                    requests: { cpu: "10m", memory: "32Mi" },
                    limits: { cpu: "100m", memory: "128Mi" },
                },
            },
        });
        expect(at(release("serving-kserve"), "values", "kserve", "storage")).toEqual({
            image: "kserve/storage-initializer",
            tag: "v0.20.0",
            containerSecurityContext: { ...SECURE, readOnlyRootFilesystem: false },
            s3: {
                endpoint: "store.mlops.svc.cluster.local:8333",
                useHttps: "0",
                region: "us-east-1",
            },
        });
        expect(release("serving-kserve-runtimes").inputs.chart).toBe(
            "oci://ghcr.io/kserve/charts/kserve-runtime-configs",
        );
        expect(release("serving-kserve-crd").dependsOn).toContain(
            release("serving-cert-manager").urn,
        );
        expect(release("serving-kserve").dependsOn).toContain(release("serving-kserve-crd").urn);
        expect(release("serving-kserve-runtimes").dependsOn).toContain(
            release("serving-kserve").urn,
        );
        expect(rec.ofType("kubernetes:serving.kserve.io/v1beta1:InferenceService")).toEqual([]);
    });

    it("serves a model with a canary as two predictors behind a real weighted split", async () => {
        const rec = await build({
            models: [
                {
                    name: "iris",
                    format: "sklearn",
                    storageUri: "s3://b-tracking/iris/v1",
                    minReplicas: 1,
                    maxReplicas: 3,
                    canary: { storageUri: "s3://b-tracking/iris/v2", trafficPercent: 20 },
                },
            ],
        });
        const isvcs = rec.ofType("kubernetes:serving.kserve.io/v1beta1:InferenceService");
        expect(isvcs.map((r) => r.name).sort()).toEqual(["iris", "iris-canary"]);
        const stable = rec.get("kubernetes:serving.kserve.io/v1beta1:InferenceService", "iris");
        expect(at(stable, "metadata", "annotations")).toEqual({
            "serving.kserve.io/deploymentMode": "Standard",
        });
        expect(at(stable, "spec", "predictor")).toEqual({
            minReplicas: 1,
            maxReplicas: 3,
            serviceAccountName: "serving-models",
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            model: {
                modelFormat: { name: "sklearn" },
                storageUri: "s3://b-tracking/iris/v1",
                resources: {
                    requests: { cpu: "100m", memory: "384Mi" },
                    limits: { cpu: "2", memory: "4Gi" },
                },
                securityContext: { ...SECURE, readOnlyRootFilesystem: false },
            },
        });
        expect(
            at(
                rec.get("kubernetes:serving.kserve.io/v1beta1:InferenceService", "iris-canary"),
                "spec",
                "predictor",
                "model",
                "storageUri",
            ),
        ).toBe("s3://b-tracking/iris/v2");
        expect(
            at(rec.get("kubernetes:traefik.io/v1alpha1:TraefikService", "iris-split"), "spec"),
        ).toEqual({
            weighted: {
                services: [
                    { name: "iris-predictor", port: 80, weight: 80 },
                    { name: "iris-canary-predictor", port: 80, weight: 20 },
                ],
            },
        });
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "serving-iris"),
                "spec",
                "routes",
                0,
            ),
        ).toEqual({
            kind: "Rule",
            match: "Host(`iris-model.ml.example.com`)",
            // The model server runs what the artifact holds: the caller's credentials stop here.
            middlewares: [
                { name: "serving-iris-auth", namespace: "mlops" },
                { name: "serving-iris-strip-credentials", namespace: "mlops" },
            ],
            services: [{ name: "iris-split", kind: "TraefikService" }],
        });
        expect(
            at(
                rec.get(
                    "kubernetes:traefik.io/v1alpha1:Middleware",
                    "serving-iris-strip-credentials",
                ),
                "spec",
            ),
        ).toEqual({ headers: { customRequestHeaders: { Cookie: "", Authorization: "" } } });
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "serving-models"), "secrets"),
        ).toEqual([{ name: "store-credentials" }]);
    });

    it("schedules a GPU model on GPU nodes and routes a plain model straight to its predictor", async () => {
        const rec = await build({
            models: [{ name: "llm", format: "huggingface", storageUri: "s3://b/llm", gpu: 1 }],
        });
        const predictor = at(
            rec.get("kubernetes:serving.kserve.io/v1beta1:InferenceService", "llm"),
            "spec",
            "predictor",
        ) as any;
        expect(predictor.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
        expect(predictor.tolerations).toEqual(gpuScheduling.tolerations);
        expect(predictor.model.resources).toEqual({
            requests: { cpu: "100m", memory: "384Mi", "nvidia.com/gpu": "1" },
            limits: { cpu: "2", memory: "4Gi", "nvidia.com/gpu": "1" },
        });
        expect(rec.ofType("kubernetes:traefik.io/v1alpha1:TraefikService")).toEqual([]);
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "serving-llm"),
                "spec",
                "routes",
                0,
                "services",
            ),
        ).toEqual([{ name: "llm-predictor", port: 80, kind: "Service" }]);
    });

    it("installs Seldon Core v2 instead when asked, with an Experiment for the canary split", async () => {
        const rec = await build({
            engine: "seldon",
            models: [
                {
                    name: "iris",
                    format: "sklearn",
                    storageUri: "s3://b/iris/v1",
                    canary: { storageUri: "s3://b/iris/v2", trafficPercent: 25 },
                },
            ],
        });
        const own = rec.childrenOf(rec.get("mlops:serving:ModelServing", "serving").urn);
        expect(
            own
                .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
                .map((r) => r.inputs.chart),
        ).toEqual([
            "seldon-core-v2-crds",
            "seldon-core-v2-setup",
            "seldon-core-v2-runtime",
            "seldon-core-v2-servers",
        ]);
        expect(rec.ofType("kubernetes:serving.kserve.io/v1beta1:InferenceService")).toEqual([]);
        expect(
            rec
                .ofType("kubernetes:mlops.seldon.io/v1alpha1:Model")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["serving-iris", "serving-iris-canary"]);
        // Models are pulled through an rclone remote for the object store.
        expect(
            rec
                .ofType("kubernetes:mlops.seldon.io/v1alpha1:Model")
                .map((m) => at(m, "spec", "secretName")),
        ).toEqual(["serving-seldon-storage", "serving-seldon-storage"]);
        const remote = rec.get("kubernetes:core/v1:Secret", "serving-seldon-storage");
        expect(remote.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(JSON.parse((at(remote, "stringData") as any).s3)).toEqual({
            type: "s3",
            name: "s3",
            parameters: {
                provider: "Other",
                env_auth: "false",
                access_key_id: "AK",
                secret_access_key: "SK",
                endpoint: "http://store.mlops.svc.cluster.local:8333",
                region: "us-east-1",
            },
        });
        expect(
            at(
                rec.get("kubernetes:mlops.seldon.io/v1alpha1:Experiment", "serving-iris-split"),
                "spec",
            ),
        ).toEqual({
            default: "iris",
            candidates: [
                { name: "iris", weight: 75 },
                { name: "iris-canary", weight: 25 },
            ],
        });
        expect(
            at(rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "serving-iris-header"), "spec"),
        ).toEqual({
            headers: { customRequestHeaders: { "Seldon-Model": "iris-split.experiment" } },
        });
        // The credentials go first, then the mesh's header.
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "serving-iris"),
                "spec",
                "routes",
                0,
                "middlewares",
            ),
        ).toEqual([
            { name: "serving-iris-auth", namespace: "seldon-mesh" },
            { name: "serving-iris-strip-credentials", namespace: "seldon-mesh" },
            { name: "iris-header", namespace: "seldon-mesh" },
        ]);
    });
});
