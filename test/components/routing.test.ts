import { ACME_RESOLVER, Traefik } from "../../components/routing/traefik";
import { charts } from "../../components/versions";
import { SecretValue, at, childList, isSecret, record, settled, valueOf } from "../support/harness";

describe("Traefik", () => {
    it("installs the pinned chart with HTTPS, an HTTP→HTTPS redirect and a self-signed wildcard certificate", async () => {
        const rec = record();
        new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
        await settled();
        const self = rec.get("mlops:routing:Traefik", "router");
        expect(childList(rec, self)).toEqual([
            "kubernetes:core/v1:Secret router-default-cert",
            "kubernetes:helm.sh/v3:Release router",
            "tls:index/privateKey:PrivateKey router-tls",
            "tls:index/selfSignedCert:SelfSignedCert router-tls",
        ]);
        const cert = rec.get("tls:index/selfSignedCert:SelfSignedCert", "router-tls");
        expect(at(cert, "dnsNames")).toEqual(["ml.example.com", "*.ml.example.com"]);
        const secret = rec.get("kubernetes:core/v1:Secret", "router-default-cert");
        expect(secret.inputs.type).toBe("kubernetes.io/tls");
        expect(secret.inputs.stringData).toBeInstanceOf(SecretValue);

        const release = rec.get("kubernetes:helm.sh/v3:Release", "router");
        expect(release.inputs).toMatchObject({
            chart: "traefik",
            version: charts.traefik.version,
            repositoryOpts: { repo: "https://traefik.github.io/charts" },
            namespace: "mlops",
        });
        expect(at(release, "values")).toEqual({
            // The chart's own default, set explicitly so that a mirror can move it
            // (traefik-helm-chart v41.3.0: traefik/values.yaml image.*, Chart.yaml appVersion).
            image: { registry: "docker.io", repository: "traefik", tag: "v3.7.11" },
            deployment: { replicas: 1 },
            global: { checkNewVersion: false, sendAnonymousUsage: false },
            ports: {
                web: {
                    http: {
                        redirections: {
                            entryPoint: { to: "websecure", scheme: "https", permanent: true },
                        },
                    },
                },
                websecure: { http: { tls: { enabled: true } } },
            },
            service: { spec: { type: "LoadBalancer" } },
            ingressRoute: { dashboard: { enabled: false } },
            providers: {
                kubernetesCRD: { enabled: true, allowCrossNamespace: false },
                kubernetesIngress: { enabled: false },
            },
            resources: {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "1", memory: "512Mi" },
            },
            tlsStore: { default: { defaultCertificate: { secretName: "router-default-cert" } } },
        });
    });

    it("uses an ACME resolver with persistent storage instead when asked", async () => {
        const rec = record();
        new Traefik("router", {
            namespace: "mlops",
            domain: "ml.example.com",
            tls: { mode: "acme", email: "ops@example.com" },
            serviceType: "NodePort",
            replicas: 2,
        });
        await settled();
        expect(rec.ofType("tls:index/selfSignedCert:SelfSignedCert")).toHaveLength(0);
        const values = at(rec.get("kubernetes:helm.sh/v3:Release", "router"), "values") as Record<
            string,
            unknown
        >;
        expect(values.tlsStore).toBeUndefined();
        expect(values.certificatesResolvers).toEqual({
            [ACME_RESOLVER]: {
                acme: {
                    email: "ops@example.com",
                    caServer: "https://acme-v02.api.letsencrypt.org/directory",
                    storage: "/data/acme.json",
                    tlsChallenge: true,
                },
            },
        });
        expect(values.persistence).toEqual({
            enabled: true,
            size: "128Mi",
            path: "/data",
            accessMode: "ReadWriteOnce",
        });
        expect(values.ports).toMatchObject({
            websecure: { http: { tls: { enabled: true, certResolver: ACME_RESOLVER } } },
        });
        expect(values.service).toEqual({ spec: { type: "NodePort" } });
        // One replica with ACME whatever was asked, and acme.json kept at 600.
        expect((values.deployment as any).replicas).toBe(1);
        expect((values.deployment as any).initContainers[0]).toMatchObject({
            name: "acme-permissions",
            image: "busybox:1.37.0",
            command: ["sh", "-c", "touch /data/acme.json && chmod 600 /data/acme.json"],
            securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
        });
        expect((values.podSecurityContext as any).fsGroupChangePolicy).toBe("OnRootMismatch");
    });
});

describe("Traefik.expose", () => {
    it("serves a service at <name>.<domain> over HTTPS behind generated basic auth", async () => {
        const rec = record();
        const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
        const route = router.expose("mlflow", {
            namespace: "mlops",
            service: { name: "mlflow", port: 5000 },
        });
        await settled();
        const self = rec.get("mlops:routing:ExposedService", "mlflow");
        expect(childList(rec, self)).toEqual([
            "kubernetes:core/v1:Secret mlflow-auth",
            "kubernetes:traefik.io/v1alpha1:IngressRoute mlflow",
            "kubernetes:traefik.io/v1alpha1:Middleware mlflow-auth",
            "random:index/randomPassword:RandomPassword mlflow-auth",
        ]);
        const htpasswd = rec.get("kubernetes:core/v1:Secret", "mlflow-auth");
        expect(htpasswd.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(at(htpasswd, "stringData")).toEqual({
            users: "admin:$2a$10$mockbcrypthashofmlflow-auth",
        });
        expect(
            at(rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "mlflow-auth"), "spec"),
        ).toEqual({
            basicAuth: { secret: "mlflow-auth", removeHeader: true },
        });
        const ingress = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "mlflow");
        expect(at(ingress, "spec")).toEqual({
            entryPoints: ["websecure"],
            routes: [
                {
                    kind: "Rule",
                    match: "Host(`mlflow.ml.example.com`)",
                    middlewares: [{ name: "mlflow-auth", namespace: "mlops" }],
                    services: [{ name: "mlflow", port: 5000, kind: "Service" }],
                },
            ],
            tls: {},
        });
        // CRs wait for the chart that installs their CRDs.
        expect(ingress.dependsOn).toContain(rec.get("kubernetes:helm.sh/v3:Release", "router").urn);
        expect(await valueOf(route.url)).toBe("https://mlflow.ml.example.com");
        expect(route.username).toBe("admin");
        expect(await isSecret(route.password!)).toBe(true);
    });

    it("can expose without auth, on a chosen subdomain, with the ACME resolver", async () => {
        const rec = record();
        const router = new Traefik("router", {
            namespace: "mlops",
            domain: "ml.example.com",
            tls: { mode: "acme", email: "ops@example.com" },
            auth: { mode: "none" },
        });
        const route = router.expose("api", {
            namespace: "mlops",
            subdomain: "models",
            service: { name: "predictor", port: 80 },
        });
        await settled();
        expect(childList(rec, rec.get("mlops:routing:ExposedService", "api"))).toEqual([
            "kubernetes:traefik.io/v1alpha1:IngressRoute api",
        ]);
        const ingress = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "api");
        expect(at(ingress, "spec", "routes", 0, "match")).toBe("Host(`models.ml.example.com`)");
        expect(at(ingress, "spec", "routes", 0, "middlewares")).toEqual([]);
        expect(at(ingress, "spec", "tls")).toEqual({ certResolver: ACME_RESOLVER });
        expect(route.password).toBeUndefined();
    });
});
