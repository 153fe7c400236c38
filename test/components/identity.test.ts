import * as yaml from "js-yaml";
import { Dex } from "../../components/identity/dex";
import { OAuth2Proxy } from "../../components/identity/oauth2-proxy";
import {
    everyTeamAccess,
    routerAuth,
    staticUsers,
    teamAccess,
} from "../../components/platform/sign-on";
import { Traefik } from "../../components/routing/traefik";
import { charts } from "../../components/versions";
import { SecretValue, at, childList, isSecret, record, settled, valueOf } from "../support/harness";

const ADDRESS = "http://oauth2-proxy.mlops.svc.cluster.local";
const ssoRouter = () =>
    new Traefik("router", {
        namespace: "mlops",
        domain: "ml.example.com",
        auth: { mode: "oidc", forwardAuthUrl: ADDRESS, adminGroups: ["admins"] },
    });

describe("routes under single sign-on", () => {
    it("ask oauth2-proxy for the admins and the route's groups; bearer tokens by subject", async () => {
        const rec = record();
        const route = ssoRouter().expose("mlflow", {
            namespace: "mlops",
            service: { name: "mlflow", port: 5000 },
            access: {
                groups: ["ml-vision@example.com", "admins"],
                subjects: ["repo:acme/vision:ref:refs/heads/main"],
            },
        });
        await settled();
        expect(childList(rec, rec.get("mlops:routing:ExposedService", "mlflow"))).toEqual([
            "kubernetes:traefik.io/v1alpha1:IngressRoute mlflow",
            "kubernetes:traefik.io/v1alpha1:Middleware mlflow-jwt",
            "kubernetes:traefik.io/v1alpha1:Middleware mlflow-sso",
        ]);
        const sso = rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "mlflow-sso");
        expect(at(sso, "spec")).toEqual({
            forwardAuth: {
                // Admin groups first, each group once, URL-encoded.
                address: `${ADDRESS}/?allowed_groups=admins,ml-vision%40example.com`,
                trustForwardHeader: false,
                authResponseHeaders: [
                    "X-Auth-Request-User",
                    "X-Auth-Request-Email",
                    "X-Auth-Request-Groups",
                ],
            },
        });
        const jwt = rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "mlflow-jwt");
        expect(at(jwt, "spec", "forwardAuth", "address")).toBe(
            `${ADDRESS}/oauth2/auth?allowed_emails=repo%3Aacme%2Fvision%3Aref%3Arefs%2Fheads%2Fmain`,
        );
        const ingress = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "mlflow");
        expect(at(ingress, "spec", "routes")).toEqual([
            {
                kind: "Rule",
                match: "Host(`mlflow.ml.example.com`)",
                middlewares: [{ name: "mlflow-sso", namespace: "mlops" }],
                services: [{ name: "mlflow", port: 5000, kind: "Service" }],
            },
            {
                kind: "Rule",
                match: "Host(`mlflow.ml.example.com`) && HeaderRegexp(`Authorization`, `^Bearer .+`)",
                middlewares: [{ name: "mlflow-jwt", namespace: "mlops" }],
                services: [{ name: "mlflow", port: 5000, kind: "Service" }],
            },
        ]);
        expect(at(ingress, "metadata", "annotations")).toBeUndefined();
        expect(route.password).toBeUndefined();
        expect(route.username).toBeUndefined();
    });

    it("admit only the admin groups by default, with no bearer rule", async () => {
        const rec = record();
        ssoRouter().expose("dash", {
            namespace: "mlops",
            service: { name: "api@internal", kind: "TraefikService" },
        });
        await settled();
        expect(childList(rec, rec.get("mlops:routing:ExposedService", "dash"))).toEqual([
            "kubernetes:traefik.io/v1alpha1:IngressRoute dash",
            "kubernetes:traefik.io/v1alpha1:Middleware dash-sso",
        ]);
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "dash-sso"),
                "spec",
                "forwardAuth",
                "address",
            ),
        ).toBe(`${ADDRESS}/?allowed_groups=admins`);
        const ingress = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "dash");
        expect((at(ingress, "spec", "routes") as unknown[]).length).toBe(1);
    });

    it("leave the sign-in pages public, annotated, and keep SSO on a self-authenticating backend", async () => {
        const rec = record();
        const router = ssoRouter();
        router.expose("dex", {
            namespace: "mlops",
            service: { name: "dex", port: 5556 },
            publicBecause: "the identity provider",
        });
        router.expose("argo", {
            namespace: "mlops",
            service: { name: "argo", port: 2746 },
            authenticatedBy: "argo-workflows client token",
        });
        await settled();
        const dex = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "dex");
        expect(at(dex, "metadata", "annotations")).toEqual({
            "mlops.dev/public": "the identity provider",
        });
        expect(at(dex, "spec", "routes", 0, "middlewares")).toEqual([]);
        const argo = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "argo");
        expect(at(argo, "metadata", "annotations")).toEqual({
            "mlops.dev/authenticated-by": "argo-workflows client token",
        });
        expect(at(argo, "spec", "routes", 0, "middlewares")).toEqual([
            { name: "argo-sso", namespace: "mlops" },
        ]);
    });

    it("with basic auth, keep a self-authenticating backend free of the password", async () => {
        const rec = record();
        const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
        router.expose("argo", {
            namespace: "mlops",
            service: { name: "argo", port: 2746 },
            authenticatedBy: "argo-workflows client token",
            access: { groups: ["ignored-in-basic-mode"] },
        });
        await settled();
        expect(childList(rec, rec.get("mlops:routing:ExposedService", "argo"))).toEqual([
            "kubernetes:traefik.io/v1alpha1:IngressRoute argo",
        ]);
    });
});

describe("who a route admits", () => {
    const vision = {
        name: "vision",
        members: ["group:ml-vision", "alice@example.com", "sub:repo:acme/cv:ref:refs/heads/main"],
    };
    const nlp = {
        name: "nlp",
        members: ["group:ml-nlp", "user:bob@example.com", "group:ml-vision"],
    };

    it("a team: its groups; its users and machines on bearer tokens", () => {
        expect(teamAccess(vision)).toEqual({
            groups: ["ml-vision"],
            subjects: ["alice@example.com", "repo:acme/cv:ref:refs/heads/main"],
        });
        expect(teamAccess(nlp)).toEqual({
            groups: ["ml-nlp", "ml-vision"],
            subjects: ["bob@example.com"],
        });
    });

    it("the shared services: every team, each group once", () => {
        expect(everyTeamAccess([vision, nlp])).toEqual({
            groups: ["ml-vision", "ml-nlp"],
            subjects: ["alice@example.com", "repo:acme/cv:ref:refs/heads/main", "bob@example.com"],
        });
        expect(everyTeamAccess([])).toEqual({ groups: [], subjects: [] });
    });

    it("the router's mode follows routing.auth", () => {
        expect(routerAuth({ enabled: false, mode: "oidc" }, "mlops")).toEqual({ mode: "none" });
        expect(routerAuth({ mode: "basic", username: "ops" }, "mlops")).toEqual({
            mode: "basic",
            username: "ops",
        });
        const oidc = routerAuth({}, "mlops");
        expect(oidc).toMatchObject({ mode: "oidc", adminGroups: ["mlops-admins"] });
    });

    it("the bundled Dex's users: an admin, one per team with groups, each user: member", () => {
        expect(
            staticUsers(
                "ml.example.com",
                ["mlops-admins"],
                [vision, nlp, { name: "solo", members: ["carol@example.com"] }],
            ),
        ).toEqual([
            { email: "admin@ml.example.com", groups: ["mlops-admins"] },
            { email: "vision@ml.example.com", groups: ["ml-vision"] },
            { email: "nlp@ml.example.com", groups: ["ml-nlp", "ml-vision"] },
            { email: "alice@example.com", groups: ["ml-vision"] },
            { email: "bob@example.com", groups: ["ml-nlp", "ml-vision"] },
            // A team without groups: its users sign in but reach no team route.
            { email: "carol@example.com", groups: [] },
        ]);
    });
});

describe("OAuth2Proxy", () => {
    it("installs the pinned chart as Traefik's forwardAuth, with secrets in a Secret of its own", async () => {
        const rec = record();
        const proxy = new OAuth2Proxy("sso", {
            namespace: "mlops",
            router: ssoRouter(),
            issuer: "https://login.example.com",
            clientId: "mlops-platform",
            clientSecret: "client-secret",
            jwtIssuers: [
                { issuer: "https://token.actions.githubusercontent.com", audience: "mlops" },
                { issuer: "https://k8s.example.com", audience: "mlops-platform" },
            ],
        });
        await settled();
        expect(childList(rec, rec.get("mlops:identity:OAuth2Proxy", "sso"))).toEqual([
            "kubernetes:core/v1:Secret sso-client",
            "kubernetes:helm.sh/v3:Release sso",
            "mlops:routing:ExposedService sso-sign-in",
            "random:index/randomPassword:RandomPassword sso-cookie-secret",
        ]);
        const secret = rec.get("kubernetes:core/v1:Secret", "sso-client");
        expect(secret.inputs.stringData).toBeInstanceOf(SecretValue);
        expect(at(secret, "stringData")).toEqual({
            "client-id": "mlops-platform",
            "client-secret": "client-secret",
            "cookie-secret": "mock-password-sso-cookie-secret",
        });
        expect(
            at(
                rec.get("random:index/randomPassword:RandomPassword", "sso-cookie-secret"),
                "length",
            ),
        ).toBe(32);

        const release = rec.get("kubernetes:helm.sh/v3:Release", "sso");
        expect(release.inputs).toMatchObject({
            chart: "oauth2-proxy",
            version: charts.oauth2Proxy.version,
            repositoryOpts: { repo: "https://oauth2-proxy.github.io/manifests" },
            name: "oauth2-proxy",
            namespace: "mlops",
        });
        expect(at(release, "values")).toEqual({
            image: { registry: "quay.io", repository: "oauth2-proxy/oauth2-proxy", tag: "v7.15.3" },
            replicaCount: 1,
            config: {
                existingSecret: "sso-client",
                emailDomains: ["*"],
                upstreams: ["static://202"],
            },
            extraArgs: {
                provider: "oidc",
                "oidc-issuer-url": "https://login.example.com",
                "redirect-url": "https://auth.ml.example.com/oauth2/callback",
                scope: "openid email profile groups",
                "oidc-groups-claim": "groups",
                "oidc-email-claim": "email",
                "reverse-proxy": "true",
                "skip-provider-button": "true",
                "set-xauthrequest": "true",
                "cookie-domain": ".ml.example.com",
                "whitelist-domain": ".ml.example.com",
                "cookie-secure": "true",
                "cookie-httponly": "true",
                "cookie-samesite": "lax",
                "cookie-expire": "12h",
                "cookie-refresh": "1h",
                "silence-ping-logging": "true",
                "skip-jwt-bearer-tokens": "true",
                "extra-jwt-issuers":
                    "https://token.actions.githubusercontent.com=mlops,https://k8s.example.com=mlops-platform",
            },
            // Its metrics server (--metrics-address 0.0.0.0:44180), scraped by a PodMonitor.
            metrics: { enabled: true, serviceMonitor: { enabled: false } },
            podDisruptionBudget: { enabled: false },
            resources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "500m", memory: "256Mi" },
            },
        });
        const signIn = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "sso-sign-in");
        expect(at(signIn, "metadata", "annotations")).toEqual({
            "mlops.dev/public": "oauth2-proxy: the sign-in and callback pages",
        });
        expect(at(signIn, "spec", "routes", 0, "match")).toBe("Host(`auth.ml.example.com`)");
        expect(await valueOf(proxy.forwardAuthUrl)).toBe(ADDRESS);
        expect(proxy.redirectUri).toBe("https://auth.ml.example.com/oauth2/callback");
        expect(proxy.serviceEndpoint).toEqual({
            name: "oauth2-proxy",
            pods: {
                matchLabels: {
                    "app.kubernetes.io/name": "oauth2-proxy",
                    "app.kubernetes.io/instance": "oauth2-proxy",
                },
            },
            ports: [4180],
            callers: { router: true },
            metrics: { port: 44180, path: "/metrics" },
        });
    });
});

describe("Dex", () => {
    it("signs in static users with their groups and the platform's client; config in a Secret", async () => {
        const rec = record();
        const dex = new Dex("dex", {
            namespace: "mlops",
            router: ssoRouter(),
            clients: [
                {
                    id: "mlops-platform",
                    name: "MLOps platform",
                    redirectUris: ["https://auth.ml.example.com/oauth2/callback"],
                },
            ],
            staticUsers: [
                { email: "admin@ml.example.com", groups: ["admins"] },
                { email: "vision@ml.example.com", groups: ["ml-vision"] },
            ],
            connectors: [
                {
                    type: "github",
                    id: "github",
                    name: "GitHub",
                    config: { orgs: [{ name: "acme" }] },
                },
            ],
        });
        await settled();
        expect(childList(rec, rec.get("mlops:identity:Dex", "dex"))).toEqual([
            "kubernetes:core/v1:Secret dex-config",
            "kubernetes:helm.sh/v3:Release dex",
            "mlops:routing:ExposedService dex",
            "random:index/randomPassword:RandomPassword dex-client-mlops-platform",
            "random:index/randomPassword:RandomPassword dex-user-admin@ml.example.com",
            "random:index/randomPassword:RandomPassword dex-user-vision@ml.example.com",
        ]);
        const secret = rec.get("kubernetes:core/v1:Secret", "dex-config");
        expect(secret.inputs.stringData).toBeInstanceOf(SecretValue);
        const config = yaml.load(at(secret, "stringData", "config.yaml") as string);
        expect(config).toEqual({
            issuer: "https://dex.ml.example.com",
            storage: { type: "memory" },
            web: { http: "0.0.0.0:5556" },
            oauth2: { skipApprovalScreen: true },
            enablePasswordDB: true,
            staticPasswords: [
                {
                    email: "admin@ml.example.com",
                    hash: "$2a$10$mockbcrypthashofdex-user-admin@ml.example.com",
                    username: "admin",
                    userID: "admin@ml.example.com",
                    groups: ["admins"],
                },
                {
                    email: "vision@ml.example.com",
                    hash: "$2a$10$mockbcrypthashofdex-user-vision@ml.example.com",
                    username: "vision",
                    userID: "vision@ml.example.com",
                    groups: ["ml-vision"],
                },
            ],
            staticClients: [
                {
                    id: "mlops-platform",
                    name: "MLOps platform",
                    secret: "mock-password-dex-client-mlops-platform",
                    redirectURIs: ["https://auth.ml.example.com/oauth2/callback"],
                },
            ],
            connectors: [
                {
                    type: "github",
                    id: "github",
                    name: "GitHub",
                    config: { orgs: [{ name: "acme" }] },
                },
            ],
        });
        const release = rec.get("kubernetes:helm.sh/v3:Release", "dex");
        expect(release.inputs).toMatchObject({
            chart: "dex",
            version: charts.dex.version,
            name: "dex",
        });
        expect(at(release, "values")).toMatchObject({
            image: { repository: "ghcr.io/dexidp/dex", tag: "v2.45.1" },
            configSecret: { create: false, name: "dex-config" },
            rbac: { create: false },
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        });
        expect(dex.issuer).toBe("https://dex.ml.example.com");
        expect(await isSecret(dex.logins)).toBe(true);
        expect(await valueOf(dex.logins)).toEqual([
            {
                email: "admin@ml.example.com",
                password: "mock-password-dex-user-admin@ml.example.com",
                groups: ["admins"],
            },
            {
                email: "vision@ml.example.com",
                password: "mock-password-dex-user-vision@ml.example.com",
                groups: ["ml-vision"],
            },
        ]);
    });
});
