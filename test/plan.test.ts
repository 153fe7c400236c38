import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, planCli, shippedStackPlan, shippedStacks, writeStackConfig } from "./support/plan";

interface PlanDoc {
    stack: string;
    resources: {
        urn: string;
        type: string;
        name: string;
        parent: string | null;
        protect: boolean;
        inputs: any;
    }[];
    policies: { policy: string; level: string; urn: string; message: string }[];
    schema: { urn: string; path: string; message: string }[];
    cost: { total: Record<string, number>; lines: { item: string }[]; source: string };
}

function planJson(...args: string[]): PlanDoc {
    // A shipped stack's JSON plan is the run's one plan of it (see shippedStackPlan).
    const run =
        args.length === 2 && args[0] === "--stack"
            ? shippedStackPlan(args[1])
            : planCli(...args, "--json");
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout) as PlanDoc;
}

function byName(doc: PlanDoc, type: string, name: string) {
    const r = doc.resources.find((x) => x.type === type && x.name === name);
    if (!r) throw new Error(`no ${type} ${name} in the plan`);
    return r;
}

describe("shipped stacks plan clean", () => {
    it("ships the stacks this suite plans", () => {
        expect(shippedStacks()).toEqual([
            "aws",
            "aws-dev",
            "dev",
            "gcp",
            "gcp-dev",
            "onprem",
            "team-nlp",
            "team-vision",
        ]);
    });

    it.each(shippedStacks().filter((s) => !s.startsWith("team-")))("Pulumi.%s.yaml", (stack) => {
        const doc = planJson("--stack", stack);
        expect(doc.stack).toBe(stack);
        const types = new Set(doc.resources.map((r) => r.type));
        for (const t of [
            "pulumi:pulumi:Stack",
            "mlops:platform:MlopsPlatform",
            "mlops:routing:Traefik",
        ]) {
            expect(types).toContain(t);
        }
        // An object store and a database, in the cluster or the cloud's.
        expect(
            types.has("mlops:storage:ObjectStore") ||
                types.has("mlops:storage:GcsObjectStore") ||
                types.has("mlops:storage:S3ObjectStore"),
        ).toBe(true);
        expect(
            types.has("mlops:storage:Database") ||
                types.has("mlops:storage:CloudSqlDatabase") ||
                types.has("mlops:storage:RdsDatabase"),
        ).toBe(true);
        // gcp-dev keeps basic auth (dev only): the dev profile warns of it, finding by finding
        // (test/gcp-dev.test.ts names each). No other finding on any shipped stack.
        const basicAuthWarnings = stack === "gcp-dev" ? 14 : 0;
        expect(doc.policies.map((v) => `${v.level} ${v.policy}`)).toEqual(
            Array(basicAuthWarnings).fill("advisory sso-on-every-route"),
        );
        expect(doc.schema).toEqual([]);
        expect(doc.cost.source).toContain("2026-11-22");
        // Every resource but the stack has a parent that is in the plan.
        const urns = new Set(doc.resources.map((r) => r.urn));
        for (const r of doc.resources) {
            if (r.type !== "pulumi:pulumi:Stack") expect(urns).toContain(r.parent);
        }
    });
});

describe("no Output is ever stringified into an object", () => {
    it.each(shippedStacks())("Pulumi.%s.yaml", (stack) => {
        const text = shippedStackPlan(stack).stdout;
        expect(text).not.toMatch(/Calling \[(toJSON|toString)\] on an \[Output/);
        expect(text.length).toBeGreaterThan(1000);
    });
});

/** The NetworkPolicies in the platform namespace, by object name. */
const platformNetworkPolicies = (doc: PlanDoc) =>
    doc.resources
        .filter(
            (r) =>
                r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                r.inputs.metadata.namespace === "mlops",
        )
        .map((r) => r.inputs.metadata.name)
        .sort();

describe("the dev plan", () => {
    const doc = planJson("--stack", "dev");
    const parentOf = (type: string, name: string) =>
        doc.resources.find((r) => r.urn === byName(doc, type, name).parent)!;

    it("installs without a load-balancer controller: the router's Service is a NodePort", () => {
        // Traefik chart 41.3.0 copies service.spec into the Service (templates/_service.tpl;
        // service.type is no value of that chart): a LoadBalancer on kind would keep Helm's
        // wait, and the release, pending for an address.
        expect(
            byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-traefik").inputs.values.service,
        ).toEqual({ spec: { type: "NodePort" } });
    });

    it("isolates the platform namespace: default-deny ingress and one rule per client", () => {
        expect(platformNetworkPolicies(doc)).toEqual([
            "allow-argo-controller",
            "allow-argo-server",
            "allow-dex",
            "allow-feast",
            "allow-mlflow",
            "allow-oauth2-proxy",
            "allow-postgresql",
            "allow-predictors",
            "allow-seaweedfs",
            "allow-traefik",
            "allow-valkey",
            "default-deny",
        ]);
    });

    it("lists Traefik's chart, the object store, NFS and PostgreSQL, each under its component", () => {
        expect(parentOf("kubernetes:helm.sh/v3:Release", "mlops-traefik").type).toBe(
            "mlops:routing:Traefik",
        );
        expect(byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-traefik").inputs.chart).toBe(
            "traefik",
        );
        expect(parentOf("kubernetes:apps/v1:StatefulSet", "mlops-objectstore").type).toBe(
            "mlops:storage:ObjectStore",
        );
        expect(parentOf("kubernetes:helm.sh/v3:Release", "mlops-nfs").type).toBe(
            "mlops:storage:SharedFilesystem",
        );
        expect(byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-nfs").inputs.chart).toBe(
            "nfs-server-provisioner",
        );
        expect(parentOf("kubernetes:apps/v1:StatefulSet", "mlops-postgres").type).toBe(
            "mlops:storage:Database",
        );
        for (const component of [
            "mlops:routing:Traefik",
            "mlops:storage:ObjectStore",
            "mlops:storage:SharedFilesystem",
            "mlops:storage:Database",
        ]) {
            const c = doc.resources.find((r) => r.type === component)!;
            expect(doc.resources.find((r) => r.urn === c.parent)!.type).toBe(
                "mlops:platform:MlopsPlatform",
            );
        }
    });

    it("shows every password and key as a secret", () => {
        for (const name of [
            "mlops-postgres-credentials",
            "mlops-objectstore-credentials",
            "mlops-objectstore-s3-config",
            "mlops-traefik-default-cert",
            // Single sign-on: the client and cookie secrets, Dex's config with its client
            // secret and password hashes (basic auth's Secrets: test/gcp-dev.test.ts).
            "mlops-sso-client",
            "mlops-dex-config",
        ]) {
            expect(byName(doc, "kubernetes:core/v1:Secret", name).inputs.stringData).toBe(
                "[secret]",
            );
        }
        expect(JSON.stringify(doc)).not.toContain("mock-password");
    });

    it("exports every URL, the object store endpoint, and credentials as secrets", () => {
        const outputs = (doc as any).outputs;
        expect(outputs.urls).toEqual({
            dashboard: "https://traefik.mlops.localtest.me",
            tracking: "https://mlflow.mlops.localtest.me",
            workflows: "https://argo.mlops.localtest.me",
            featureStore: "https://features.mlops.localtest.me",
            models: { iris: "https://iris-model.mlops.localtest.me" },
            grafana: "https://grafana.mlops.localtest.me",
            teams: {
                nlp: {
                    featureStore: "https://feast-nlp.mlops.localtest.me",
                    tracking: "https://mlflow-nlp.mlops.localtest.me",
                },
                vision: {
                    featureStore: "https://feast-vision.mlops.localtest.me",
                    tracking: "https://mlflow-vision.mlops.localtest.me",
                },
            },
        });
        expect(outputs.credentials).toBe("[secret]");
        // Single sign-on through the bundled Dex: what to register, and its users' passwords.
        expect(outputs.auth).toEqual({
            mode: "oidc",
            issuer: "https://dex.mlops.localtest.me",
            clientId: "mlops-platform",
            redirectUris: ["https://auth.mlops.localtest.me/oauth2/callback"],
            signInUrl: "https://auth.mlops.localtest.me",
        });
        expect(outputs.logins).toBe("[secret]");
        // No route has a password: the dashboard's output is its URL.
        expect(outputs.dashboard).toEqual({ url: "https://traefik.mlops.localtest.me" });
        expect(outputs.objectStore).toEqual({
            scheme: "s3",
            endpoint: "http://mlops-objectstore.mlops.svc.cluster.local:8333",
            region: "us-east-1",
            buckets: {
                tracking: "mlops-objectstore-tracking",
                workflows: "mlops-objectstore-workflows",
                features: "mlops-objectstore-features",
                datasets: "mlops-objectstore-datasets",
            },
            credentialsSecret: "mlops-objectstore-credentials",
        });
        expect(outputs.database).toMatchObject({
            host: "mlops-postgres.mlops.svc.cluster.local",
            port: 5432,
        });
        expect(outputs.trackingInternalUrl).toBe(
            "http://mlops-mlflow.mlops.svc.cluster.local:5000",
        );
    });

    it("does not protect dev data", () => {
        expect(doc.resources.filter((r) => r.protect)).toEqual([]);
    });
});

describe("the dev plan's services", () => {
    const doc = planJson("--stack", "dev");
    const k8sWorkloads = doc.resources.filter((r) =>
        [
            "kubernetes:apps/v1:Deployment",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:batch/v1:Job",
        ].includes(r.type),
    );

    it("runs MLflow against PostgreSQL and the object store, after a migration", () => {
        const deployment = byName(doc, "kubernetes:apps/v1:Deployment", "mlops-mlflow");
        const args: string[] = deployment.inputs.spec.template.spec.containers[0].args;
        expect(args).toContain(
            "--backend-store-uri=postgresql+psycopg2://mlops@mlops-postgres.mlops.svc.cluster.local:5432/mlflow",
        );
        expect(args).toContain("--artifacts-destination=s3://mlops-objectstore-tracking/");
        const migration = byName(doc, "kubernetes:batch/v1:Job", "mlops-mlflow-db-upgrade");
        expect(migration.inputs.spec.template.spec.containers[0].command.slice(0, 3)).toEqual([
            "mlflow",
            "db",
            "upgrade",
        ]);
        // The plan's JSON has no dependsOn; the order is asserted in the component test, and the
        // Job is part of the same component here.
        expect(migration.parent).toBe(deployment.parent);
    });

    it("points Argo's artifact repository at the object store", () => {
        const argo = byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-argo");
        expect(argo.inputs.values.artifactRepository.s3).toMatchObject({
            bucket: "mlops-objectstore-workflows",
            endpoint: "mlops-objectstore.mlops.svc.cluster.local:8333",
        });
    });

    it("names Redis as Feast's online store", () => {
        const config = byName(doc, "kubernetes:core/v1:ConfigMap", "mlops-feast");
        expect(config.inputs.data["feature_store.yaml"]).toMatch(
            /online_store:\n {2}type: redis\n/,
        );
    });

    it("installs KServe's charts in Standard mode", () => {
        const kserve = byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-serving-kserve");
        expect(kserve.inputs.values.kserve.controller.deploymentMode).toBe("Standard");
        for (const n of [
            "mlops-serving-kserve-crd",
            "mlops-serving-kserve-runtimes",
            "mlops-serving-cert-manager",
        ]) {
            expect(byName(doc, "kubernetes:helm.sh/v3:Release", n).inputs.version).toMatch(/^v\d/);
        }
    });

    it("splits the iris model's traffic 90/10 between two predictors", () => {
        const isvcs = doc.resources.filter(
            (r) => r.type === "kubernetes:serving.kserve.io/v1beta1:InferenceService",
        );
        expect(isvcs.map((r) => r.name).sort()).toEqual(["iris", "iris-canary"]);
        expect(
            byName(doc, "kubernetes:traefik.io/v1alpha1:TraefikService", "iris-split").inputs.spec
                .weighted.services,
        ).toEqual([
            { name: "iris-predictor", port: 80, weight: 90 },
            { name: "iris-canary-predictor", port: 80, weight: 10 },
        ]);
    });

    it("gives every workload it defines limits and a non-root user", () => {
        expect(k8sWorkloads.map((w) => w.name).sort()).toEqual([
            "mlops-feast",
            "mlops-feast-nlp",
            "mlops-feast-online",
            "mlops-feast-vision",
            "mlops-mlflow",
            "mlops-mlflow-db-upgrade",
            "mlops-nlp-database",
            "mlops-objectstore",
            "mlops-objectstore-buckets",
            "mlops-postgres",
            "mlops-tracking-nlp",
            "mlops-tracking-nlp-db-upgrade",
            "mlops-tracking-vision",
            "mlops-tracking-vision-db-upgrade",
            "mlops-vision-database",
        ]);
        for (const w of k8sWorkloads) {
            const pod = w.inputs.spec.template.spec;
            for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
                const where = `${w.type} ${w.name} container ${c.name}`;
                expect(
                    [where, c.resources?.limits?.cpu, c.resources?.limits?.memory].every(Boolean),
                ).toBe(true);
                expect([
                    where,
                    c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot,
                ]).toEqual([where, true]);
                expect([where, c.securityContext?.allowPrivilegeEscalation]).toEqual([
                    where,
                    false,
                ]);
                expect([where, c.securityContext?.capabilities?.drop]).toEqual([where, ["ALL"]]);
            }
        }
    });

    it("sets resources in the values of every chart it installs", () => {
        const releases = doc.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
        const withoutResources = releases
            .filter((r) => !JSON.stringify(r.inputs.values ?? {}).includes('"limits"'))
            .map((r) => r.name);
        // The KServe CRD and runtime-config charts install no workloads.
        expect(withoutResources.sort()).toEqual([
            "mlops-serving-kserve-crd",
            "mlops-serving-kserve-runtimes",
        ]);
    });
});

describe("the onprem plan", () => {
    const doc = planJson("--stack", "onprem");

    it("protects both data volumes in prod and uses the configured storage class", () => {
        const pvcs = doc.resources.filter(
            (r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim",
        );
        expect(pvcs.map((r) => [r.name, r.protect, r.inputs.spec.storageClassName]).sort()).toEqual(
            [
                ["mlops-objectstore-data", true, "ceph-rbd"],
                ["mlops-postgres-data", true, "ceph-rbd"],
            ],
        );
    });

    it("installs the device plugin and uses ACME certificates", () => {
        expect(
            byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-nvidia-device-plugin").inputs.chart,
        ).toBe("nvidia-device-plugin");
        const traefik = byName(doc, "kubernetes:helm.sh/v3:Release", "mlops-traefik");
        expect(traefik.inputs.values.certificatesResolvers.letsencrypt.acme.email).toBe(
            "platform-team@example.com",
        );
        expect(
            doc.resources.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert"),
        ).toEqual([]);
    });
});

describe("plan exit codes", () => {
    it("prints the resource tree without --json", () => {
        // Over 120 resources (every team's fences): the whole tree with --tree.
        const run = planCli("--stack", "dev", "--tree");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("└─ mlops:platform:MlopsPlatform  mlops");
        expect(run.stdout).toContain("│  ├─ kubernetes:apps/v1:StatefulSet  mlops-objectstore");
    });

    it("exits 2 naming every bad key, before any resource is registered", () => {
        const file = writeStackConfig(
            "bad",
            [
                "config:",
                "  mlops:cloud: azure",
                "  mlops:cluster:",
                "    gpuPools:",
                "      - name: a",
                "        gpuType: nvidia-l4",
                "        maxNodes: -1",
                "",
            ].join("\n"),
        );
        const run = planCli("--config", file, "--json");
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr).toBe(
            [
                "Invalid stack config (2 problems):",
                '  - mlops:cloud: got "azure"; must be one of "local", "gcp", "aws"',
                "  - mlops:cluster.gpuPools[0].maxNodes: got -1; must be an integer ≥ 1: a pool of at most 0 nodes never runs a pod",
                "",
            ].join("\n"),
        );
    });

    it("treats secure values as placeholders and needs no passphrase", () => {
        const file = writeStackConfig(
            "secure",
            [
                "config:",
                "  mlops:cluster:",
                "    kubeconfig:",
                "      secure: v1:AAAABBBBCCCC",
                "",
            ].join("\n"),
        );
        const doc = planJson("--config", file);
        const provider = byName(doc, "pulumi:providers:kubernetes", "mlops");
        expect(provider.inputs.kubeconfig).toBe("[secret]");
    });

    it("exits 1 on a failure that is not the config's", () => {
        const run = planCli("--stack", "does-not-exist");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("no such stack config");
    });
});

describe("deliberately insecure configs fail with the policy they target, or the config refuses them", () => {
    const dir = path.join(__dirname, "insecure");
    const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort();

    it("has one config per experiment knob and more", () => {
        expect(files).toEqual([
            "prod-no-tls.yaml",
            "prod-public-bucket.yaml",
            "prod-public-database.yaml",
            "prod-routes-without-auth.yaml",
        ]);
    });

    const header = (file: string, key: "expect" | "refused") =>
        new RegExp(`^# ${key}: (.+)$`, "m").exec(
            fs.readFileSync(path.join(dir, file), "utf8"),
        )?.[1];
    const targeted = files.filter((f) => header(f, "expect") !== undefined);
    const refused = files.filter((f) => header(f, "refused") !== undefined);

    it("each names the policy it targets or the problem the config reports", () => {
        expect(targeted).toEqual(["prod-public-bucket.yaml", "prod-public-database.yaml"]);
        // Single sign-on needs HTTPS and auth in prod: the config stops these first.
        expect(refused).toEqual(["prod-no-tls.yaml", "prod-routes-without-auth.yaml"]);
    });

    it.each(targeted)("%s: the plan fails naming the policy", (file) => {
        const run = planCli("--config", path.join(dir, file), "--json");
        expect(run.status).toBe(1);
        const doc = JSON.parse(run.stdout) as PlanDoc;
        const hits = doc.policies.filter((v) => v.policy === header(file, "expect"));
        expect(hits.length).toBeGreaterThan(0);
        expect(hits.every((v) => v.level === "mandatory")).toBe(true);
    });

    it.each(refused)("%s: the config refuses it, before any resource", (file) => {
        const run = planCli("--config", path.join(dir, file), "--json");
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr.trim().split("\n")).toEqual([
            "Invalid stack config (1 problem):",
            `  - ${header(file, "refused")}`,
        ]);
    });

    it("only warns about the same knob in a dev stack", () => {
        const text = fs
            .readFileSync(path.join(dir, "prod-public-bucket.yaml"), "utf8")
            .replace("prod", "dev");
        const run = planCli("--config", writeStackConfig("dev-public-bucket", text), "--json");
        expect(run.status).toBe(0);
        expect((JSON.parse(run.stdout) as PlanDoc).policies).toEqual([
            {
                policy: "object-store-no-anonymous-access",
                level: "advisory",
                urn: "urn:pulumi:dev-public-bucket::mlops-platform::mlops:storage:ObjectStore$kubernetes:core/v1:Secret::mlops-objectstore-s3-config",
                message: "anonymous callers may Read, List",
            },
        ]);
    });

    it("prints the violations, the schema result and the cost table in text mode", () => {
        const run = planCli("--config", path.join(dir, "prod-public-database.yaml"));
        expect(run.status).toBe(1);
        expect(run.stdout).toContain("Policies: 53 checked (prod profile), 1 violation\n");
        expect(run.stdout).toContain(
            [
                "  mandatory (fails the plan) database-not-public: 1 finding",
                "      to change: mlops:database.publicAccess (false)",
                "      - PostgreSQL Service is of type LoadBalancer",
                "          kubernetes:core/v1:Service mlops-postgres",
                "",
            ].join("\n"),
        );
        expect(run.stdout).toMatch(/Schema: \d+ Kubernetes objects validated, 0 invalid/);
        expect(run.stdout).toContain("Estimated monthly cost (USD, 730 h;");
    });
});

describe("the gcp plan", () => {
    const doc = planJson("--stack", "gcp");
    const ofType = (t: string) => doc.resources.filter((r) => r.type === t);

    it("isolates the platform namespace; no rules for stores or an issuer that live outside the cluster", () => {
        expect(platformNetworkPolicies(doc)).toEqual([
            "allow-argo-controller",
            "allow-argo-server",
            "allow-feast",
            "allow-mlflow",
            "allow-oauth2-proxy",
            "allow-predictors",
            "allow-traefik",
            "allow-valkey",
            "default-deny",
        ]);
    });

    it("signs people in at the organisation's issuer: no Dex, no logins, the client secret kept secret", () => {
        expect((doc as any).outputs.auth).toEqual({
            mode: "oidc",
            issuer: "https://login.example.com/realms/mlops",
            clientId: "mlops-platform",
            // The platform's callback and Argo's, which signs people in with the same client.
            redirectUris: [
                "https://auth.ml.example.com/oauth2/callback",
                "https://argo.ml.example.com/oauth2/callback",
            ],
            signInUrl: "https://auth.ml.example.com",
        });
        expect(Object.keys((doc as any).outputs)).not.toContain("logins");
        expect(ofType("mlops:identity:Dex")).toEqual([]);
        expect(byName(doc, "kubernetes:core/v1:Secret", "mlops-sso-client").inputs.stringData).toBe(
            "[secret]",
        );
    });

    it("confines each team's reads and writes to its prefix; listing through its managed folder", () => {
        const grants = ofType("gcp:storage/bucketIAMMember:BucketIAMMember")
            .filter((r) => r.name.includes("-team-"))
            .map((r) => [r.name, r.inputs.role, r.inputs.condition?.expression ?? null])
            .sort();
        const prefixed = (team: string, bucket: string) => [
            `mlops-team-${team}-${bucket}`,
            "roles/storage.objectAdmin",
            `resource.name.startsWith("projects/_/buckets/my-ml-project-mlops-${bucket}/objects/teams/${team}/")`,
        ];
        expect(grants).toEqual(
            ["nlp", "vision"]
                .flatMap((t) => ["datasets", "tracking", "workflows"].map((b) => prefixed(t, b)))
                .sort(),
        );
        // No team grant on a bucket without a condition: nothing bucket-wide.
        expect(grants.filter((g) => g[2] === null)).toEqual([]);
    });

    it("has a private GKE cluster with Workload Identity", () => {
        const [cluster] = ofType("gcp:container/cluster:Cluster");
        expect(cluster.inputs.privateClusterConfig.enablePrivateNodes).toBe(true);
        expect(cluster.inputs.workloadIdentityConfig.workloadPool).toBe(
            "my-ml-project.svc.id.goog",
        );
    });

    it("gives each GPU pool min 0, the taint, the managed driver and spot as configured", () => {
        const pools = ofType("gcp:container/nodePool:NodePool").filter(
            (p) => p.inputs.nodeConfig.guestAccelerators,
        );
        expect(
            pools
                .map((p) => [p.name, p.inputs.autoscaling.minNodeCount, p.inputs.nodeConfig.spot])
                .sort(),
        ).toEqual([
            ["mlops-a100", 0, false],
            ["mlops-l4", 0, true],
        ]);
        for (const p of pools) {
            expect(p.inputs.nodeConfig.taints).toEqual([
                { key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" },
            ]);
            expect(p.inputs.nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig).toEqual({
                gpuDriverVersion: "LATEST",
            });
        }
    });

    it("keeps Cloud SQL off the public internet and every bucket closed to the public", () => {
        const [sql] = ofType("gcp:sql/databaseInstance:DatabaseInstance");
        expect(sql.inputs.settings.ipConfiguration.ipv4Enabled).toBe(false);
        const buckets = ofType("gcp:storage/bucket:Bucket");
        expect(buckets).toHaveLength(4);
        for (const b of buckets) expect(b.inputs.publicAccessPrevention).toBe("enforced");
    });

    it("binds every service to its own Google service account, with no keys", () => {
        expect(
            ofType("mlops:identity:GcpWorkloadIdentity")
                .map((r) => r.name)
                .sort(),
        ).toEqual([
            "mlops-features",
            "mlops-serving",
            "mlops-team-nlp",
            "mlops-team-vision",
            "mlops-tracking",
            "mlops-workflows",
        ]);
        expect(ofType("gcp:serviceaccount/key:Key")).toEqual([]);
        const mlflowSa = doc.resources.find(
            (r) => r.type === "kubernetes:core/v1:ServiceAccount" && r.name === "mlops-mlflow",
        )!;
        expect(mlflowSa.inputs.metadata.annotations).toEqual({
            "iam.gke.io/gcp-service-account":
                "mlops-tracking@my-ml-project.iam.gserviceaccount.com",
        });
        const argo = doc.resources.find(
            (r) => r.name === "mlops-argo" && r.type === "kubernetes:helm.sh/v3:Release",
        )!;
        expect(argo.inputs.values.artifactRepository.gcs).toEqual({
            bucket: "my-ml-project-mlops-workflows",
            keyFormat: '{{ "{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}" }}',
        });
    });

    it("costs $0 for its GPU pools when idle (min 0), and prices them at max scale", () => {
        const gpuLines = (doc.cost as any).lines.filter((l: any) => l.item.startsWith("GPU pool"));
        expect(gpuLines.map((l: any) => [l.item, l.idleOnDemand, l.idleSpot])).toEqual([
            ["GPU pool l4 (g2-standard-8, nvidia-l4, spot)", 0, 0],
            ["GPU pool a100 (a2-highgpu-1g, nvidia-tesla-a100)", 0, 0],
        ]);
        for (const l of gpuLines) expect(l.maxOnDemand).toBeGreaterThan(0);
    });

    it("stores MLflow artifacts in GCS and runs against Cloud SQL", () => {
        const mlflow = doc.resources.find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "mlops-mlflow",
        )!;
        const args: string[] = mlflow.inputs.spec.template.spec.containers[0].args;
        expect(args).toContain("--artifacts-destination=gs://my-ml-project-mlops-tracking/");
        expect(args).toContain(
            "--backend-store-uri=postgresql+psycopg2://mlops@10.100.0.3:5432/mlflow",
        );
    });
});

describe("cloud SDK isolation", () => {
    // The run's one plan of the stack (test/support/plan.ts records the cloud SDKs in its
    // module cache when it exits).
    const loaded = (stack: string) => shippedStackPlan(stack).loadedSdks;

    it("a local stack loads no cloud SDK", () => {
        expect(loaded("dev")).toEqual([]);
    });

    it("a gcp stack loads Google Cloud's SDK and not AWS's", () => {
        expect(loaded("gcp")).toEqual(["@pulumi/gcp"]);
    });
});

describe("inline teams in the onprem plan", () => {
    const doc = planJson("--stack", "onprem");
    const byUrn = new Map(doc.resources.map((r) => [r.urn, r]));

    it("gives each team its namespace, GPU quota, limits, RBAC and network policies, under its Team", () => {
        for (const team of ["vision", "nlp"]) {
            const component = doc.resources.find(
                (r) => r.type === "mlops:tenancy:Team" && r.name === team,
            )!;
            const kids = doc.resources.filter((r) => r.parent === component.urn).map((r) => r.type);
            for (const t of [
                "kubernetes:core/v1:Namespace",
                "kubernetes:core/v1:ResourceQuota",
                "kubernetes:core/v1:LimitRange",
                "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "kubernetes:core/v1:ServiceAccount",
            ]) {
                expect([team, kids.includes(t)]).toEqual([team, true]);
            }
            const quota = doc.resources.find(
                (r) => r.type === "kubernetes:core/v1:ResourceQuota" && r.name === team,
            )!;
            expect(quota.inputs.spec.hard["requests.nvidia.com/gpu"]).toBe("8");
            expect(byUrn.get(component.parent!)!.type).toBe("mlops:platform:MlopsPlatform");
        }
    });

    it("confines each team's store identity to its own prefix", () => {
        const s3 = doc.resources.find((r) => r.name === "mlops-objectstore-s3-config")!;
        expect(s3.inputs.stringData).toBe("[secret]");
        const secret = doc.resources.find((r) => r.name === "vision-runner-s3")!;
        expect(secret.inputs.stringData).toBe("[secret]");
    });

    it("reports GPU capacity against the team quotas", () => {
        expect((doc as any).capacity).toEqual({
            capacity: 16,
            demand: 16,
            factor: 1,
            ratio: 1,
            oversubscribed: false,
        });
    });

    it("lets Argo's controller watch the team namespaces", () => {
        const argo = doc.resources.find(
            (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === "mlops-argo",
        )!;
        expect(argo.inputs.values.controller.workflowNamespaces).toEqual([
            "mlops",
            "team-vision",
            "team-nlp",
        ]);
    });
});

describe("team stacks", () => {
    it.each(["vision", "nlp"])(
        "Pulumi.team-%s.yaml: only its workloads, under its TeamWorkloads, clean and schema-valid",
        (team) => {
            const doc = planJson("--stack", `team-${team}`);
            expect(doc.policies).toEqual([]);
            expect(doc.schema).toEqual([]);
            expect((doc as any).schemaUnchecked).toEqual({});
            const component = doc.resources.find((r) => r.type === "mlops:tenancy:TeamWorkloads")!;
            expect(component.name).toBe(team);
            expect(
                doc.resources
                    .filter((r) => r.type !== "pulumi:pulumi:Stack")
                    .map((r) => [r.type, r.name, r.parent === component.urn]),
            ).toEqual([
                ["pulumi:providers:kubernetes", "platform", false],
                ["mlops:tenancy:TeamWorkloads", team, false],
                ["kubernetes:core/v1:ConfigMap", `${team}-pipeline-scripts`, true],
                [
                    "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate",
                    `${team}-reference-pipeline`,
                    true,
                ],
            ]);
        },
    );

    it("reads its own entry of the platform's teams output: namespace, runner, tracking", () => {
        const doc = planJson("--stack", "team-nlp");
        const wt = doc.resources.find(
            (r) => r.type === "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate",
        )!;
        expect(wt.inputs.metadata.namespace).toBe("team-nlp");
        expect(wt.inputs.spec.serviceAccountName).toBe("runner");
        const train = wt.inputs.spec.templates.find((t: any) => t.name === "train");
        expect(train.container.env).toContainEqual({
            name: "MLFLOW_TRACKING_URI",
            // The team's own server, in its namespace.
            value: "http://mlflow.team-nlp.svc.cluster.local:5000",
        });
        expect(wt.inputs.spec.parallelism).toBe(4);
        const deploy = wt.inputs.spec.templates.find((t: any) => t.name === "deploy");
        const manifest = JSON.parse(deploy.resource.manifest);
        expect(manifest.kind).toBe("InferenceService");
        expect(manifest.spec.predictor.serviceAccountName).toBe("runner");
        expect(wt.inputs.spec.templates[0].dag.tasks.map((t: any) => t.name)).toEqual([
            "train",
            "select-and-register",
            "deploy",
            "smoke-test",
        ]);
    });

    it("the platform stack creates the fences of its stack teams", () => {
        const doc = planJson("--stack", "dev");
        const byN = (t: string, n: string) =>
            doc.resources.find((r) => r.type === t && r.name === n)!;
        expect(
            byN("kubernetes:networking.k8s.io/v1:NetworkPolicy", "vision-allow-from-router").inputs
                .spec.ingress[0].from[0].namespaceSelector,
        ).toEqual({ matchLabels: { "kubernetes.io/metadata.name": "mlops" } });
        const repo = JSON.parse(
            byN("kubernetes:core/v1:ConfigMap", "vision-artifact-repositories").inputs.data.default,
        );
        expect(repo.s3).toMatchObject({
            bucket: "mlops-objectstore-workflows",
            endpoint: "mlops-objectstore.mlops.svc.cluster.local:8333",
            insecure: true,
            keyFormat: "teams/vision/{{workflow.name}}/{{pod.name}}",
        });
        expect(byN("kubernetes:core/v1:Secret", "vision-runner-s3").inputs.stringData).toBe(
            "[secret]",
        );
        expect(
            byN("kubernetes:core/v1:ResourceQuota", "nlp").inputs.spec.hard[
                "requests.nvidia.com/gpu"
            ],
        ).toBe("0");
        // No pipeline of a stack team in the platform stack.
        expect(
            doc.resources
                .filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate")
                .map((r) => r.name),
        ).toEqual([]);
    });

    it("refuses a team the platform stack does not have, before the run (exit 2)", () => {
        const file = writeStackConfig(
            "team-unknown",
            ["config:", "  mlops:kind: team", "  mlops:teams:", "    - name: robotics", ""].join(
                "\n",
            ),
        );
        fs.copyFileSync(
            path.join(ROOT, "Pulumi.dev.yaml"),
            path.join(path.dirname(file), "Pulumi.dev.yaml"),
        );
        const run = planCli("--config", file);
        expect(run.status).toBe(2);
        expect(run.stderr).toContain(
            'mlops:teams[0].name: got "robotics"; the platform stack has no such team and issues it no namespace, quota or identity (no ConfigMap mlops-team in team-robotics): ask the platform team to add {name: robotics, stack: true, members, quota} to its mlops:teams',
        );
    });

    it("refuses a team stack for an inline team, with advice that deletes nothing (exit 2)", () => {
        const file = writeStackConfig(
            "team-vision-inline",
            ["config:", "  mlops:kind: team", "  mlops:teams:", "    - name: vision", ""].join(
                "\n",
            ),
        );
        // The dev platform with vision as an inline team (no `stack: true`).
        const platform = fs
            .readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")
            .replace(/(- name: vision\n)\s+stack: true\n/, "$1");
        expect(platform).not.toMatch(/- name: vision\n\s+stack: true/);
        fs.writeFileSync(path.join(path.dirname(file), "Pulumi.dev.yaml"), platform);
        const run = planCli("--config", file);
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr).toContain(
            "mlops:teams[0].name: got \"vision\"; the platform stack runs team vision's workloads itself (an inline team in its mlops:teams), and a team stack of the same name would create its pipeline in team-vision a second time: give this stack's team another name, or set stack: true on vision in the platform stack's mlops:teams",
        );
    });
});
