/**
 * Argo Server under single sign-on: the `sso` auth mode with RBAC delegated to the team
 * namespaces (argo-workflows v4.0.6, server/auth/gatekeeper.go), the accounts it acts as, the
 * clients it signs in with, and `client` mode unchanged without sign-on.
 */
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { ExistingCluster } from "../../components/cluster/existing";
import { MlopsPlatform, TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { ARGO_DEX_CLIENT_ID, signOn } from "../../components/platform/sign-on";
import { Traefik } from "../../components/routing/traefik";
import { Team } from "../../components/tenancy/team";
import {
    ArgoSignOn,
    ArgoWorkflows,
    argoRedirectUri,
    groupsRule,
} from "../../components/workflows/argo";
import { platformArgs, STORE } from "../support/fixtures";
import { Recording, at, childList, record, settled, valueOf } from "../support/harness";

const store = STORE;

const EXTERNAL: ArgoSignOn = {
    issuer: "https://login.example.com",
    clientId: "mlops-platform",
    clientSecret: "s3cret",
    scopes: ["email", "profile", "groups"],
    adminGroups: ["ml-admins", "sre"],
};

const ADMIN_RULES = [
    {
        apiGroups: ["argoproj.io"],
        resources: ["workflows", "workflowtemplates", "cronworkflows", "clusterworkflowtemplates"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch", "delete"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    { apiGroups: [""], resources: ["events"], verbs: ["watch"] },
    {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: ["store-credentials", "runner-s3"],
        verbs: ["get"],
    },
];

async function argo(signOnArgs?: ArgoSignOn, tls: "selfSigned" | "none" = "selfSigned") {
    const rec = record();
    const router = new Traefik("router", {
        namespace: "mlops",
        domain: "ml.example.com",
        tls: { mode: tls },
    });
    new ArgoWorkflows("argo", {
        namespace: "mlops",
        objectStore: store,
        router,
        signOn: signOnArgs,
        workflowNamespaceSecrets: ["runner-s3"],
    });
    await settled();
    return rec;
}

const server = (rec: Recording) =>
    at(rec.get("kubernetes:helm.sh/v3:Release", "argo"), "values", "server") as Record<
        string,
        unknown
    >;

describe("groupsRule", () => {
    it("selects members of any of the groups, quoted for expr-lang", () => {
        expect(groupsRule(["ml-vision"])).toBe("'ml-vision' in groups");
        expect(groupsRule(["a", "b@example.com", "a"])).toBe(
            "'a' in groups || 'b@example.com' in groups",
        );
        expect(groupsRule(["o'brien", "back\\slash"])).toBe(
            "'o\\'brien' in groups || 'back\\\\slash' in groups",
        );
    });

    it("refuses no groups: a rule that selects no one is a mistake", () => {
        expect(() => groupsRule([])).toThrow("groupsRule: no groups; an empty rule selects no one");
    });

    it("puts the server's callback under its route", () => {
        expect(argoRedirectUri("ml.example.com")).toBe(
            "https://argo.ml.example.com/oauth2/callback",
        );
    });
});

describe("ArgoWorkflows under single sign-on", () => {
    it("creates exactly its client Secret, the admins' and the login accounts with their tokens", async () => {
        const rec = await argo(EXTERNAL);
        expect(childList(rec, rec.get("mlops:workflows:ArgoWorkflows", "argo"))).toEqual([
            "kubernetes:core/v1:Secret argo-sso-admin-token",
            "kubernetes:core/v1:Secret argo-sso-client",
            "kubernetes:core/v1:Secret argo-sso-login-token",
            "kubernetes:core/v1:ServiceAccount argo-sso-admin",
            "kubernetes:core/v1:ServiceAccount argo-sso-login",
            "kubernetes:core/v1:ServiceAccount argo-workflow",
            "kubernetes:helm.sh/v3:Release argo",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole argo-sso-admin",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding argo-sso-admin",
            "kubernetes:rbac.authorization.k8s.io/v1:Role argo-workflow",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding argo-workflow",
            "mlops:routing:ExposedService argo",
        ]);
        expect(at(rec.get("kubernetes:core/v1:Secret", "argo-sso-client"), "stringData")).toEqual({
            "client-id": "mlops-platform",
            "client-secret": "s3cret",
        });
    });

    it("runs the sso mode alone, with RBAC, delegation and the server's Secret reads named", async () => {
        const rec = await argo(EXTERNAL);
        const s = server(rec);
        expect(s.authModes).toEqual(["sso"]);
        expect(s.sso).toEqual({
            enabled: true,
            issuer: "https://login.example.com",
            clientId: { name: "argo-sso-client", key: "client-id" },
            clientSecret: { name: "argo-sso-client", key: "client-secret" },
            redirectUrl: "https://argo.ml.example.com/oauth2/callback",
            scopes: ["email", "profile", "groups"],
            rbac: {
                enabled: true,
                secretWhitelist: [
                    "argo-sso-client",
                    "argo-sso-admin.service-account-token",
                    "argo-sso-login.service-account-token",
                    "argo-sso.service-account-token",
                ],
            },
        });
        expect(s.extraEnv).toEqual([
            { name: "SSO_DELEGATE_RBAC_TO_NAMESPACE", value: "true" },
            { name: "ARGO_SERVER_METRICS_AUTH", value: "false" },
        ]);
        // An issuer of the organisation's is reached by its public name.
        expect(s.hostAliases).toBeUndefined();
        expect(s.volumes).toBeUndefined();
        expect(
            at(rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "argo"), "metadata"),
        ).toEqual({
            name: "argo",
            namespace: "mlops",
            annotations: { "mlops.dev/authenticated-by": "argo-workflows sso" },
        });
    });

    it("names another groups claim to the server", async () => {
        const rec = await argo({ ...EXTERNAL, groupsClaim: "roles" });
        expect((server(rec).sso as Record<string, unknown>).customGroupClaimName).toBe("roles");
    });

    it("gives the admins' account workflows in every namespace and the login account nothing", async () => {
        const rec = await argo(EXTERNAL);
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "argo-sso-admin"), "metadata"),
        ).toEqual({
            name: "argo-sso-admin",
            namespace: "mlops",
            annotations: {
                "workflows.argoproj.io/rbac-rule": "'ml-admins' in groups || 'sre' in groups",
                "workflows.argoproj.io/rbac-rule-precedence": "2",
            },
        });
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "argo-sso-login"), "metadata"),
        ).toEqual({
            name: "argo-sso-login",
            namespace: "mlops",
            annotations: {
                "workflows.argoproj.io/rbac-rule": "true",
                "workflows.argoproj.io/rbac-rule-precedence": "0",
            },
        });
        expect(
            at(rec.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "argo-sso-admin")),
        ).toEqual({
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "argo-sso-admin" },
            rules: ADMIN_RULES,
        });
        expect(
            at(
                rec.get(
                    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                    "argo-sso-admin",
                ),
            ),
        ).toEqual({
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "argo-sso-admin" },
            roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                name: "argo-sso-admin",
            },
            subjects: [{ kind: "ServiceAccount", name: "argo-sso-admin", namespace: "mlops" }],
        });
        const bound = [
            ...rec.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"),
            ...rec.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
        ].flatMap((b) => (at(b, "subjects") as { name: string }[]).map((s) => s.name));
        expect(bound).not.toContain("argo-sso-login");
    });

    it("creates each account's token Secret under the name the server reads", async () => {
        const rec = await argo(EXTERNAL);
        expect(at(rec.get("kubernetes:core/v1:Secret", "argo-sso-admin-token"))).toEqual({
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "argo-sso-admin.service-account-token",
                namespace: "mlops",
                annotations: { "kubernetes.io/service-account.name": "argo-sso-admin" },
            },
            type: "kubernetes.io/service-account-token",
        });
        const login = rec.get("kubernetes:core/v1:Secret", "argo-sso-login-token");
        expect(at(login, "metadata", "name")).toBe("argo-sso-login.service-account-token");
        // The account first: the token controller deletes a token whose account is missing.
        const account = rec.get("kubernetes:core/v1:ServiceAccount", "argo-sso-login");
        expect(login.dependsOn).toContain(account.urn);
    });

    it("refuses a sign-on without admin groups", async () => {
        record();
        const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
        expect(
            () =>
                new ArgoWorkflows("argo", {
                    namespace: "mlops",
                    objectStore: store,
                    router,
                    signOn: { ...EXTERNAL, adminGroups: [] },
                }),
        ).toThrow("argo: signOn.adminGroups is empty; name at least one group");
        await settled();
    });
});

describe("ArgoWorkflows with the issuer behind its router (the bundled Dex)", () => {
    const DEX: ArgoSignOn = {
        ...EXTERNAL,
        issuer: "https://dex.ml.example.com",
        clientId: "argo-workflows",
        issuerOnRouter: true,
    };

    it("maps the issuer's host to a Service in front of the router's HTTPS entry point", async () => {
        const rec = await argo(DEX);
        expect(childList(rec, rec.get("mlops:workflows:ArgoWorkflows", "argo"))).toEqual([
            "kubernetes:core/v1:ConfigMap argo-router-ca",
            "kubernetes:core/v1:Secret argo-sso-admin-token",
            "kubernetes:core/v1:Secret argo-sso-client",
            "kubernetes:core/v1:Secret argo-sso-login-token",
            "kubernetes:core/v1:Service argo-issuer",
            "kubernetes:core/v1:ServiceAccount argo-sso-admin",
            "kubernetes:core/v1:ServiceAccount argo-sso-login",
            "kubernetes:core/v1:ServiceAccount argo-workflow",
            "kubernetes:helm.sh/v3:Release argo",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole argo-sso-admin",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding argo-sso-admin",
            "kubernetes:rbac.authorization.k8s.io/v1:Role argo-workflow",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding argo-workflow",
            "mlops:routing:ExposedService argo",
        ]);
        expect(at(rec.get("kubernetes:core/v1:Service", "argo-issuer"))).toEqual({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "argo-issuer", namespace: "mlops" },
            spec: {
                type: "ClusterIP",
                selector: {
                    "app.kubernetes.io/name": "traefik",
                    "app.kubernetes.io/instance": "traefik-mlops",
                },
                ports: [{ name: "https", port: 443, targetPort: "websecure" }],
            },
        });
        const s = server(rec);
        // The mocks' stand-in for the address the API server gives the Service.
        expect(s.hostAliases).toEqual([{ ip: "192.0.2.96", hostnames: ["dex.ml.example.com"] }]);
        expect((s.sso as Record<string, unknown>).issuer).toBe("https://dex.ml.example.com");
    });

    it("trusts the router's self-signed certificate beside the system roots", async () => {
        const rec = await argo(DEX);
        const cert = "-----BEGIN CERTIFICATE-----\nmock-router-tls\n-----END CERTIFICATE-----\n";
        expect(at(rec.get("kubernetes:core/v1:ConfigMap", "argo-router-ca"))).toEqual({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "argo-router-ca", namespace: "mlops" },
            data: { "router.pem": cert },
        });
        const s = server(rec);
        expect(s.volumes).toEqual([{ name: "router-ca", configMap: { name: "argo-router-ca" } }]);
        expect(s.volumeMounts).toEqual([
            { name: "router-ca", mountPath: "/etc/ssl/mlops-router", readOnly: true },
        ]);
        expect(s.extraEnv).toEqual([
            { name: "SSO_DELEGATE_RBAC_TO_NAMESPACE", value: "true" },
            { name: "SSL_CERT_DIR", value: "/etc/ssl/mlops-router" },
            { name: "ARGO_SERVER_METRICS_AUTH", value: "false" },
        ]);
    });

    it("goes to the plain HTTP entry point, with no certificate, for an http issuer", async () => {
        const rec = await argo({ ...DEX, issuer: "http://dex.ml.example.com" }, "none");
        expect(at(rec.get("kubernetes:core/v1:Service", "argo-issuer"), "spec", "ports")).toEqual([
            { name: "http", port: 80, targetPort: "web" },
        ]);
        expect(rec.ofType("kubernetes:core/v1:ConfigMap")).toEqual([]);
        expect(server(rec).extraEnv).toEqual([
            { name: "SSO_DELEGATE_RBAC_TO_NAMESPACE", value: "true" },
            { name: "ARGO_SERVER_METRICS_AUTH", value: "false" },
        ]);
    });
});

describe("ArgoWorkflows without single sign-on", () => {
    it("keeps the client mode and no sign-on object", async () => {
        const rec = await argo(undefined);
        const s = server(rec);
        expect(s.authModes).toEqual(["client"]);
        expect(s.sso).toBeUndefined();
        // Only the metrics switch: /metrics answers Prometheus without a token.
        expect(s.extraEnv).toEqual([{ name: "ARGO_SERVER_METRICS_AUTH", value: "false" }]);
        expect(rec.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toEqual([]);
        expect(
            rec.ofType("kubernetes:core/v1:ServiceAccount").map((r) => at(r, "metadata", "name")),
        ).toEqual(["argo-workflow"]);
    });
});

describe("Team's account for Argo's single sign-on", () => {
    const quota = { cpu: "16", memory: "64Gi", gpu: 4, storage: "500Gi", pods: 50 };
    async function team(members: string[], argoSignOn: boolean, credentials = true) {
        const rec = record();
        new Team("vision", {
            members,
            quota,
            platformNamespace: "mlops",
            platformServices: TEAM_SERVICES,
            argoSignOn,
            objectStoreCredentials: credentials
                ? { accessKeyId: "AK", secretAccessKey: "SK" }
                : undefined,
        });
        await settled();
        return rec;
    }
    const ARGO_CHILDREN = [
        "kubernetes:core/v1:Secret vision-argo-sso-token",
        "kubernetes:core/v1:ServiceAccount vision-argo-sso",
        "kubernetes:rbac.authorization.k8s.io/v1:Role vision-argo-sso",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding vision-argo-sso",
    ];
    const argoChildren = (rec: Recording) =>
        childList(rec, rec.get("mlops:tenancy:Team", "vision")).filter((c) =>
            c.includes("argo-sso"),
        );

    it("creates exactly the account, its token, its Role and binding for the team's groups", async () => {
        const rec = await team(["alice@example.com", "group:ml-vision", "group:cv"], true);
        expect(argoChildren(rec)).toEqual(ARGO_CHILDREN);
        const labels = { "mlops.dev/team": "vision" };
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "vision-argo-sso"), "metadata"),
        ).toEqual({
            name: "argo-sso",
            namespace: "team-vision",
            labels,
            annotations: {
                "workflows.argoproj.io/rbac-rule": "'ml-vision' in groups || 'cv' in groups",
                "workflows.argoproj.io/rbac-rule-precedence": "1",
            },
        });
        expect(at(rec.get("kubernetes:core/v1:Secret", "vision-argo-sso-token"))).toEqual({
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
                name: "argo-sso.service-account-token",
                namespace: "team-vision",
                labels,
                annotations: { "kubernetes.io/service-account.name": "argo-sso" },
            },
            type: "kubernetes.io/service-account-token",
        });
    });

    it("grants the team's workflows, templates and cron workflows in its namespace only", async () => {
        const rec = await team(["group:ml-vision"], true);
        const role = rec.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "vision-argo-sso");
        expect(at(role, "metadata")).toEqual({
            name: "argo-sso",
            namespace: "team-vision",
            labels: { "mlops.dev/team": "vision" },
        });
        expect(at(role, "rules")).toEqual([
            {
                apiGroups: ["argoproj.io"],
                resources: ["workflows", "workflowtemplates", "cronworkflows"],
                verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
            { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch", "delete"] },
            { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
            { apiGroups: [""], resources: ["events"], verbs: ["watch"] },
            {
                apiGroups: [""],
                resources: ["secrets"],
                resourceNames: ["runner-s3"],
                verbs: ["get"],
            },
        ]);
        expect(
            at(
                rec.get("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "vision-argo-sso"),
                "subjects",
            ),
        ).toEqual([{ kind: "ServiceAccount", name: "argo-sso", namespace: "team-vision" }]);
    });

    it("reads no Secret when the team has no store keys (cloud identity)", async () => {
        const rec = await team(["group:ml-vision"], true, false);
        const rules = at(
            rec.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "vision-argo-sso"),
            "rules",
        ) as { resources: string[] }[];
        expect(rules.map((r) => r.resources[0])).toEqual([
            "workflows",
            "pods",
            "pods/log",
            "events",
        ]);
    });

    it("creates none without sign-on, or without a group to select", async () => {
        expect(argoChildren(await team(["group:ml-vision"], false))).toEqual([]);
        expect(argoChildren(await team(["alice@example.com", "sub:repo:x"], true))).toEqual([]);
    });
});

/** A ServiceAccount the Argo server may act as: where, its rule and its precedence. */
interface SsoAccount {
    readonly namespace: string;
    readonly name: string;
    readonly rule: string;
    readonly precedence: number;
}

/**
 * Whether a rule selects a caller with these groups: `true`, or `'g' in groups` joined by
 * `||`, the only forms the program writes; anything else fails the test.
 */
function selects(rule: string, groups: readonly string[]): boolean {
    if (rule === "true") return true;
    return rule.split(" || ").some((term) => {
        const m = /^'((?:[^'\\]|\\.)*)' in groups$/.exec(term);
        if (!m) throw new Error(`a rule the program does not write: ${rule}`);
        return groups.includes(m[1].replace(/\\(.)/g, "$1"));
    });
}

/**
 * The account Argo's server acts as (server/auth/gatekeeper.go:237-311, v4.0.6): the highest
 * precedence account whose rule matches, in the server's namespace; for a request in another
 * namespace, that namespace's match instead when there is no login account or its precedence
 * is higher.
 */
function accountFor(
    accounts: readonly SsoAccount[],
    serverNamespace: string,
    groups: readonly string[],
    requestNamespace?: string,
): string | undefined {
    const pick = (ns: string) =>
        accounts
            .filter((a) => a.namespace === ns)
            .sort((a, b) => b.precedence - a.precedence)
            .find((a) => selects(a.rule, groups));
    const login = pick(serverNamespace);
    let chosen = login;
    if (requestNamespace && requestNamespace !== serverNamespace) {
        const delegated = pick(requestNamespace);
        if (delegated && (!login || delegated.precedence > login.precedence)) chosen = delegated;
    }
    return chosen && `${chosen.namespace}/${chosen.name}`;
}

describe("MlopsPlatform: Argo's sign-on accounts for admins and teams", () => {
    const quota = { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 };
    const teams = [
        { name: "vision", members: ["group:ml-vision"], quota },
        { name: "nlp", members: ["group:ml-nlp", "carol@example.com"], quota },
    ];
    let rec: Recording;
    let accounts: SsoAccount[];
    let platform: MlopsPlatform;
    beforeAll(async () => {
        rec = record();
        const cluster = new ExistingCluster("c", {});
        platform = new MlopsPlatform(
            "p",
            platformArgs(cluster, {
                teams,
                routing: {
                    tls: { mode: "selfSigned" },
                    serviceType: "LoadBalancer",
                    auth: { oidc: { adminGroups: ["mlops-admins"] } },
                },
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        accounts = rec
            .ofType("kubernetes:core/v1:ServiceAccount")
            .filter((r) => at(r, "metadata", "annotations", "workflows.argoproj.io/rbac-rule"))
            .map((r) => ({
                namespace: at(r, "metadata", "namespace") as string,
                name: at(r, "metadata", "name") as string,
                rule: at(r, "metadata", "annotations", "workflows.argoproj.io/rbac-rule") as string,
                precedence: Number(
                    at(r, "metadata", "annotations", "workflows.argoproj.io/rbac-rule-precedence"),
                ),
            }));
    }, 120_000);

    it("has the admins', the login and one account per team namespace", () => {
        expect(accounts.map((a) => `${a.namespace}/${a.name}`).sort()).toEqual([
            "mlops/argo-sso-admin",
            "mlops/argo-sso-login",
            "team-nlp/argo-sso",
            "team-vision/argo-sso",
        ]);
    });

    it("maps a member of team A to A's account in A's namespace, never to B's", () => {
        const vision = ["ml-vision"];
        expect(accountFor(accounts, "mlops", vision, "team-vision")).toBe("team-vision/argo-sso");
        expect(accountFor(accounts, "mlops", vision, "team-nlp")).toBe("mlops/argo-sso-login");
        expect(accountFor(accounts, "mlops", ["ml-nlp"], "team-vision")).toBe(
            "mlops/argo-sso-login",
        );
        expect(accountFor(accounts, "mlops", ["ml-nlp"], "team-nlp")).toBe("team-nlp/argo-sso");
        // Requests that name no namespace (the UI's info) land on the login account.
        expect(accountFor(accounts, "mlops", vision)).toBe("mlops/argo-sso-login");
        // No team's rule selects another team's members.
        for (const a of accounts.filter((x) => x.namespace.startsWith("team-"))) {
            const owner = teams.find((t) => `team-${t.name}` === a.namespace)!;
            for (const other of teams.filter((t) => t !== owner)) {
                const groups = other.members
                    .filter((m) => m.startsWith("group:"))
                    .map((m) => m.slice(6));
                expect(selects(a.rule, groups)).toBe(false);
            }
        }
    });

    it("keeps an admin on the admins' account everywhere, even one who is also in a team", () => {
        for (const ns of [undefined, "mlops", "team-vision", "team-nlp"]) {
            expect(accountFor(accounts, "mlops", ["mlops-admins"], ns)).toBe(
                "mlops/argo-sso-admin",
            );
            expect(accountFor(accounts, "mlops", ["mlops-admins", "ml-vision"], ns)).toBe(
                "mlops/argo-sso-admin",
            );
        }
    });

    it("binds a team's account only to a Role of its own namespace", () => {
        for (const team of ["vision", "nlp"]) {
            const binding = rec.get(
                "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
                `${team}-argo-sso`,
            );
            expect(at(binding, "metadata", "namespace")).toBe(`team-${team}`);
            expect(at(binding, "roleRef")).toEqual({
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: "argo-sso",
            });
            expect(at(binding, "subjects")).toEqual([
                { kind: "ServiceAccount", name: "argo-sso", namespace: `team-${team}` },
            ]);
        }
    });

    it("registers Argo's own client at the bundled Dex and signs the server in with it", async () => {
        const config = yaml.load(
            at(
                rec.get("kubernetes:core/v1:Secret", "p-dex-config"),
                "stringData",
                "config.yaml",
            ) as string,
        ) as { staticClients: { id: string; redirectURIs: string[]; secret: string }[] };
        expect(config.staticClients.map((c) => [c.id, c.redirectURIs])).toEqual([
            // kubelogin's loopback callbacks, for kubectl (docs/identity/kubectl.md).
            [
                "mlops-platform",
                [
                    "https://auth.ml.example.com/oauth2/callback",
                    "http://localhost:8000",
                    "http://localhost:18000",
                ],
            ],
            [ARGO_DEX_CLIENT_ID, ["https://argo.ml.example.com/oauth2/callback"]],
        ]);
        expect(at(rec.get("kubernetes:core/v1:Secret", "p-argo-sso-client"), "stringData")).toEqual(
            {
                "client-id": "argo-workflows",
                "client-secret": "mock-password-p-dex-client-argo-workflows",
            },
        );
        const sso = at(
            rec.get("kubernetes:helm.sh/v3:Release", "p-argo"),
            "values",
            "server",
            "sso",
        );
        expect(sso).toMatchObject({
            issuer: "https://dex.ml.example.com",
            scopes: ["email", "profile", "groups"],
        });
        expect(platform.signOn!.redirectUris).toEqual([
            "https://auth.ml.example.com/oauth2/callback",
        ]);
        expect(platform.workflows!.signOn).toBe(true);
    });
});

describe("MlopsPlatform with basic auth: Argo as before", () => {
    it("keeps client mode and creates no sign-on account anywhere", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        new MlopsPlatform(
            "p",
            platformArgs(cluster, {
                teams: [
                    {
                        name: "vision",
                        members: ["group:ml-vision"],
                        quota: { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 },
                    },
                ],
                routing: {
                    tls: { mode: "selfSigned" },
                    serviceType: "LoadBalancer",
                    auth: { mode: "basic", username: "admin" },
                },
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        const s = at(rec.get("kubernetes:helm.sh/v3:Release", "p-argo"), "values", "server");
        expect((s as Record<string, unknown>).authModes).toEqual(["client"]);
        expect((s as Record<string, unknown>).sso).toBeUndefined();
        const annotated = rec
            .ofType("kubernetes:core/v1:ServiceAccount")
            .filter((r) => at(r, "metadata", "annotations", "workflows.argoproj.io/rbac-rule"));
        expect(annotated).toEqual([]);
    }, 120_000);
});

describe("signOn with an issuer of the organisation's", () => {
    it("signs Argo in with the platform's client and lists its redirect URI to register", async () => {
        record();
        const router = new Traefik("r", { namespace: "mlops", domain: "ml.example.com" });
        const sso = signOn(router, "p", {
            auth: {
                oidc: {
                    issuer: "https://login.example.com",
                    clientSecret: "s3cret",
                    scopes: ["openid", "email", "groups", "offline_access"],
                    groupsClaim: "roles",
                    adminGroups: ["ml-admins"],
                },
            },
            namespace: "mlops",
            router,
            teams: [],
            replicas: 1,
            workflows: true,
        })!;
        await settled();
        expect(sso.dex).toBeUndefined();
        expect(sso.redirectUris).toEqual([
            "https://auth.ml.example.com/oauth2/callback",
            "https://argo.ml.example.com/oauth2/callback",
        ]);
        const { clientSecret, ...argoSignOn } = sso.argo!;
        expect(argoSignOn).toEqual({
            issuer: "https://login.example.com",
            clientId: "mlops-platform",
            scopes: ["email", "groups"],
            groupsClaim: "roles",
            adminGroups: ["ml-admins"],
        });
        expect(await valueOf(pulumi.output(clientSecret))).toBe("s3cret");
    });

    it("gives Argo nothing when Argo does not run", async () => {
        record();
        const router = new Traefik("r", { namespace: "mlops", domain: "ml.example.com" });
        const sso = signOn(router, "p", {
            auth: {},
            namespace: "mlops",
            router,
            teams: [],
            replicas: 1,
        })!;
        await settled();
        expect(sso.argo).toBeUndefined();
        expect(sso.redirectUris).toEqual(["https://auth.ml.example.com/oauth2/callback"]);
    });
});
