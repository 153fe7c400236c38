/**
 * A team's own tracking: its databases on the platform's PostgreSQL (TeamDatabase) and its
 * MLflow in its namespace (TeamTrackingServer), child by child.
 */
import { Traefik } from "../../components/routing/traefik";
import {
    TEAM_DATABASE_COMMAND,
    TEAM_DATABASE_SQL,
    TeamDatabase,
    teamDatabaseClientPods,
    teamDatabaseEgress,
    teamDatabaseEndpoint,
    teamDatabaseNames,
    teamPgName,
} from "../../components/storage/team-database";
import {
    TEAM_TRACKING_DATABASE_CLIENTS,
    TeamTrackingServer,
    teamArtifactRoot,
    teamTrackingUrl,
} from "../../components/tracking/team-tracking";
import { images } from "../../components/versions";
import {
    SECURE_CONTAINER,
    at,
    childList,
    isSecret,
    record,
    settled,
    valueOf,
} from "../support/harness";
import { STORE } from "../support/fixtures";

const ADMIN = {
    host: "pg.mlops.svc.cluster.local",
    port: 5432,
    databaseName: "mlflow",
    username: "mlops",
    credentialsSecretName: "pg-credentials",
};

function build() {
    const rec = record();
    const router = new Traefik("router", {
        namespace: "mlops",
        domain: "ml.example.com",
        auth: { mode: "oidc", forwardAuthUrl: "http://sso.mlops:4180", adminGroups: ["admins"] },
    });
    const database = new TeamDatabase("p-vision-database", {
        team: "vision",
        platformNamespace: "mlops",
        admin: ADMIN,
    });
    const tracking = new TeamTrackingServer("p-tracking-vision", {
        team: "vision",
        database,
        objectStore: { ...STORE, credentialsSecretName: "runner-s3" },
        serviceAccountName: "runner",
        router,
        access: { groups: ["ml-vision"], subjects: [] },
    });
    return { rec, database, tracking };
}

describe("teamPgName", () => {
    it("maps dashes to underscores and keeps names PostgreSQL keeps", () => {
        expect(teamDatabaseNames("ml-vision")).toEqual({
            role: "team_ml_vision",
            mlflow: "team_ml_vision_mlflow",
            feast: "team_ml_vision_feast",
        });
    });
    it("shortens a name over 63 bytes with a hash of the team, keeping the suffix", () => {
        const team = "t".repeat(58);
        const name = teamPgName(team, "_mlflow");
        expect(name).toHaveLength(63);
        expect(name).toMatch(/^team_t+_[0-9a-f]{8}_mlflow$/);
        expect(teamPgName("t".repeat(57) + "u", "_mlflow")).not.toBe(name);
        expect(teamPgName(team)).toBe(`team_${team}`);
    });
});

describe("TeamDatabase", () => {
    it("creates its password, the Job's Secret, the team's Secret, its SQL and its Job", async () => {
        const { rec } = build();
        await settled();
        expect(childList(rec, rec.get("mlops:storage:TeamDatabase", "p-vision-database"))).toEqual([
            "kubernetes:batch/v1:Job p-vision-database",
            "kubernetes:core/v1:ConfigMap p-vision-database-sql",
            "kubernetes:core/v1:Secret p-vision-database",
            "kubernetes:core/v1:Secret p-vision-database-job",
            "random:index/randomPassword:RandomPassword p-vision-database-password",
        ]);
    });

    it("writes the team's Secret into the team's namespace only, with a secret password", async () => {
        const { rec, database } = build();
        await settled();
        const secret = rec.get("kubernetes:core/v1:Secret", "p-vision-database");
        expect(at(secret, "metadata")).toEqual({
            name: "team-database",
            namespace: "team-vision",
            labels: { "mlops.dev/team": "vision" },
        });
        expect(at(secret, "stringData")).toEqual({
            username: "team_vision",
            password: await valueOf(database.password),
            host: "pg.mlops.svc.cluster.local",
            port: "5432",
            "mlflow-database": "team_vision_mlflow",
            "feast-database": "team_vision_feast",
        });
        expect(await isSecret(database.password)).toBe(true);
        const jobSecret = rec.get("kubernetes:core/v1:Secret", "p-vision-database-job");
        expect(at(jobSecret, "metadata", "namespace")).toBe("mlops");
        expect(at(jobSecret, "metadata", "name")).toBe("team-database-vision");
    });

    it("runs the SQL as the admin in the platform namespace, the password from env only", async () => {
        const { rec } = build();
        await settled();
        const job = rec.get("kubernetes:batch/v1:Job", "p-vision-database");
        expect(at(job, "metadata", "namespace")).toBe("mlops");
        const pod = at(job, "spec", "template", "spec") as any;
        expect(pod.automountServiceAccountToken).toBe(false);
        const c = pod.containers[0];
        expect(c.image).toBe(images.postgres);
        expect(c.command).toEqual(TEAM_DATABASE_COMMAND);
        expect(c.securityContext).toEqual(SECURE_CONTAINER);
        expect(c.env).toEqual([
            { name: "PGHOST", value: "pg.mlops.svc.cluster.local" },
            { name: "PGPORT", value: "5432" },
            { name: "PGUSER", value: "mlops" },
            { name: "PGDATABASE", value: "mlflow" },
            {
                name: "PGPASSWORD",
                valueFrom: { secretKeyRef: { name: "pg-credentials", key: "password" } },
            },
            { name: "TEAM_ROLE", value: "team_vision" },
            {
                name: "TEAM_PASSWORD",
                valueFrom: { secretKeyRef: { name: "team-database-vision", key: "password" } },
            },
            { name: "MLFLOW_DATABASE", value: "team_vision_mlflow" },
            { name: "FEAST_DATABASE", value: "team_vision_feast" },
        ]);
        expect(JSON.stringify(c.command)).not.toContain("PASSWORD");
        const sql = rec.get("kubernetes:core/v1:ConfigMap", "p-vision-database-sql");
        expect(at(sql, "data")).toEqual({ "team-database.sql": TEAM_DATABASE_SQL });
        expect(pod.volumes).toEqual([{ name: "sql", configMap: { name: "team-database-vision" } }]);
    });

    it("revokes PUBLIC's CONNECT on the team's and the platform's databases", () => {
        expect(TEAM_DATABASE_SQL).toContain(
            'REVOKE ALL ON DATABASE :"mlflow_database", :"feast_database" FROM PUBLIC;',
        );
        expect(TEAM_DATABASE_SQL).toContain(
            'REVOKE CONNECT, TEMPORARY ON DATABASE :"platform_database" FROM PUBLIC;',
        );
        expect(TEAM_DATABASE_SQL).not.toMatch(/SUPERUSER|CREATEDB|CREATEROLE/);
    });

    it("caps the team role's connections, so one team cannot take the server's from the others", () => {
        expect(TEAM_DATABASE_SQL).toContain(
            `ALTER ROLE :"role" WITH LOGIN PASSWORD :'password' CONNECTION LIMIT 50;`,
        );
    });

    it("declares the Jobs' and the team servers' calls to the platform's database", () => {
        expect(teamDatabaseEndpoint(["a", "b"], [TEAM_TRACKING_DATABASE_CLIENTS])).toEqual({
            name: "team-database",
            pods: { matchLabels: { "app.kubernetes.io/name": "team-database" } },
            ports: [],
            callers: {},
            calls: [
                {
                    endpoint: "postgresql",
                    from: [
                        {
                            podSelector: {
                                matchLabels: { "app.kubernetes.io/name": "team-database" },
                            },
                        },
                        ...["a", "b"].map((t) => ({
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": `team-${t}` },
                            },
                            podSelector: TEAM_TRACKING_DATABASE_CLIENTS,
                        })),
                    ],
                },
            ],
        });
    });
});

describe("TeamTrackingServer", () => {
    it("creates the team's MLflow (its egress to the database is the database's)", async () => {
        const { rec } = build();
        await settled();
        const parent = rec.get("mlops:tracking:TeamTrackingServer", "p-tracking-vision");
        expect(childList(rec, parent)).toEqual(["mlops:tracking:MlflowServer p-tracking-vision"]);
        // No account of its own: it runs as the team's runner.
        expect(childList(rec, rec.get("mlops:tracking:MlflowServer", "p-tracking-vision"))).toEqual(
            [
                "kubernetes:apps/v1:Deployment p-tracking-vision",
                "kubernetes:batch/v1:Job p-tracking-vision-db-upgrade",
                "kubernetes:core/v1:Service p-tracking-vision",
                "mlops:routing:ExposedService p-tracking-vision",
            ],
        );
    });

    it("serves the team's database and prefix, as the runner, in the team's namespace", async () => {
        const { rec, tracking } = build();
        await settled();
        const deployment = rec.get("kubernetes:apps/v1:Deployment", "p-tracking-vision");
        expect(at(deployment, "metadata", "namespace")).toBe("team-vision");
        expect(at(deployment, "metadata", "name")).toBe("mlflow");
        const pod = at(deployment, "spec", "template", "spec") as any;
        expect(pod.serviceAccountName).toBe("runner");
        expect(pod.automountServiceAccountToken).toBe(false);
        const c = pod.containers[0];
        expect(c.image).toBe(images.mlflow);
        expect(c.args).toEqual([
            "server",
            "--host=0.0.0.0",
            "--port=5000",
            "--backend-store-uri=postgresql+psycopg2://team_vision@pg.mlops.svc.cluster.local:5432/team_vision_mlflow",
            "--serve-artifacts",
            "--artifacts-destination=s3://b-tracking/teams/vision/mlflow/",
            "--allowed-hosts=mlflow-vision.ml.example.com,mlflow-vision.ml.example.com:*,mlflow.team-vision.svc.cluster.local:5000,mlflow:5000,mlflow.team-vision:5000,[0-9]*.[0-9]*.[0-9]*.[0-9]*:5000,localhost:*,127.0.0.1:*",
            "--cors-allowed-origins=https://mlflow-vision.ml.example.com,https://mlflow-vision.ml.example.com:*",
            "--workers=1",
            "--expose-prometheus=/tmp/prometheus-metrics",
        ]);
        const env = Object.fromEntries(
            (c.env as any[]).map((e) => [e.name, e.valueFrom?.secretKeyRef ?? e.value]),
        );
        expect(env.PGPASSWORD).toEqual({ name: "team-database", key: "password" });
        expect(env.AWS_ACCESS_KEY_ID).toEqual({ name: "runner-s3", key: "AWS_ACCESS_KEY_ID" });
        expect(env.AWS_SECRET_ACCESS_KEY).toEqual({
            name: "runner-s3",
            key: "AWS_SECRET_ACCESS_KEY",
        });
        // Small: it counts against the team's quota.
        expect(c.resources).toEqual({
            requests: { cpu: "50m", memory: "384Mi", "ephemeral-storage": "32Mi" },
            limits: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "1536Mi" },
        });
        expect(await valueOf(tracking.internalUrl)).toBe(teamTrackingUrl("vision"));
        expect(teamTrackingUrl("vision")).toBe("http://mlflow.team-vision.svc.cluster.local:5000");
        expect(await valueOf(tracking.url)).toBe("https://mlflow-vision.ml.example.com");
        expect(teamArtifactRoot(STORE, "vision")).toBe("s3://b-tracking/teams/vision/mlflow/");
    });

    it("admits the team's group and the admins on its route, nobody else", async () => {
        const { rec } = build();
        await settled();
        const route = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "p-tracking-vision");
        expect(at(route, "metadata", "namespace")).toBe("team-vision");
        expect(at(route, "spec", "routes", 0, "match")).toBe(
            "Host(`mlflow-vision.ml.example.com`)",
        );
        const sso = rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "p-tracking-vision-sso");
        expect(at(sso, "spec", "forwardAuth", "address")).toBe(
            "http://sso.mlops:4180/?allowed_groups=admins,ml-vision",
        );
    });

    it("keeps the caller's session cookie and token from the server, which the team can replace", async () => {
        // A member can point the route at a pod of its own; an admin who opens it must not hand
        // that pod the sign-on cookie every other route accepts.
        const { rec } = build();
        await settled();
        const route = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "p-tracking-vision");
        expect(at(route, "spec", "routes", 0, "middlewares")).toEqual([
            { name: "p-tracking-vision-sso", namespace: "team-vision" },
            { name: "p-tracking-vision-strip-credentials", namespace: "team-vision" },
        ]);
        const strip = rec.get(
            "kubernetes:traefik.io/v1alpha1:Middleware",
            "p-tracking-vision-strip-credentials",
        );
        expect(at(strip, "metadata")).toEqual({
            name: "p-tracking-vision-strip-credentials",
            namespace: "team-vision",
        });
        expect(at(strip, "spec")).toEqual({
            headers: { customRequestHeaders: { Cookie: "", Authorization: "" } },
        });
    });
});

describe("teamDatabaseEgress", () => {
    const egress = (at: Parameters<typeof teamDatabaseEgress>[1]["at"], names: string[]) => {
        const rec = record();
        const database = new TeamDatabase("p-vision-database", {
            team: "vision",
            platformNamespace: "mlops",
            admin: ADMIN,
        });
        teamDatabaseEgress(
            "p-vision-database-egress",
            { team: "vision", clients: teamDatabaseClientPods(names), at, port: database.port },
            { parent: database },
        );
        return { rec, database };
    };

    it("opens the clients' egress to the in-cluster database's pods on its port", async () => {
        const { rec } = egress({ inCluster: true, platformNamespace: "mlops" }, [
            "mlflow",
            "mlflow-db-upgrade",
            "feast",
        ]);
        await settled();
        expect(
            childList(rec, rec.get("mlops:storage:TeamDatabase", "p-vision-database")),
        ).toContain("kubernetes:networking.k8s.io/v1:NetworkPolicy p-vision-database-egress");
        const policy = rec.get(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "p-vision-database-egress",
        );
        expect(at(policy, "metadata")).toEqual({
            name: "allow-tracking-database",
            namespace: "team-vision",
            labels: { "mlops.dev/team": "vision" },
        });
        expect(at(policy, "spec")).toEqual({
            podSelector: TEAM_TRACKING_DATABASE_CLIENTS,
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        {
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": "mlops" },
                            },
                            podSelector: {
                                matchLabels: { "app.kubernetes.io/name": "postgresql" },
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 5432 }],
                },
            ],
        });
    });

    it("admits exactly the clients named: the feature server alone", async () => {
        const { rec } = egress({ inCluster: true, platformNamespace: "mlops" }, ["feast"]);
        await settled();
        const policy = rec.get(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "p-vision-database-egress",
        );
        expect(at(policy, "spec", "podSelector")).toEqual({
            matchExpressions: [
                { key: "app.kubernetes.io/name", operator: "In", values: ["feast"] },
            ],
        });
    });

    it("opens the clients' egress to a managed database's addresses on its port", async () => {
        const { rec } = egress({ inCluster: false, cidrs: ["10.0.0.0/16"] }, ["feast"]);
        await settled();
        const policy = rec.get(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "p-vision-database-egress",
        );
        expect(at(policy, "spec", "egress")).toEqual([
            {
                to: [{ ipBlock: { cidr: "10.0.0.0/16" } }],
                ports: [{ protocol: "TCP", port: 5432 }],
            },
        ]);
    });
});
