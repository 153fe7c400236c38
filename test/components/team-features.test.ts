import { ExistingCluster } from "../../components/cluster/existing";
import { FeastFeatureStore } from "../../components/features/feast";
import {
    TeamFeatureStore,
    teamFeastProject,
    teamFeatureStoreYaml,
} from "../../components/features/team-feast";
import { MlopsPlatform, TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { TEAM_DATABASE_SECRET } from "../../components/storage/team-database";
import { Traefik } from "../../components/routing/traefik";
import { images } from "../../components/versions";
import { admittedBy } from "../../policies/identity";
import { platformArgs } from "../support/fixtures";
import { SECURE_CONTAINER, at, childList, record, settled, valueOf } from "../support/harness";

const TEAM_QUOTA = { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 };

const dbEnv = (secret: string) =>
    [
        ["PGHOST", "host"],
        ["PGPORT", "port"],
        ["PGUSER", "username"],
        ["PGPASSWORD", "password"],
        ["PGDATABASE", "feast-database"],
    ].map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } }));

describe("teamFeastProject", () => {
    it("names a team's project team_<name>, hyphens as underscores", () => {
        expect(teamFeastProject("nlp")).toBe("team_nlp");
        expect(teamFeastProject("speech-2")).toBe("team_speech_2");
    });
});

describe("teamFeatureStoreYaml", () => {
    it("puts the SQL registry and the PostgreSQL online store in the team's database", () => {
        expect(teamFeatureStoreYaml({ project: "team_a", sslmode: "disable" })).toBe(
            [
                "project: team_a",
                "provider: local",
                "registry:",
                "  registry_type: sql",
                "  path: postgresql+psycopg://${PGUSER}@${PGHOST}:${PGPORT}/${PGDATABASE}?sslmode=disable",
                "  cache_ttl_seconds: 60",
                "  sqlalchemy_config_kwargs:",
                "    echo: false",
                "    pool_pre_ping: true",
                "online_store:",
                "  type: postgres",
                "  host: ${PGHOST}",
                "  port: ${PGPORT}",
                "  database: ${PGDATABASE}",
                "  user: ${PGUSER}",
                "  password: |2-",
                "    ${PGPASSWORD}",
                "  sslmode: disable",
                "offline_store:",
                "  type: file",
                "entity_key_serialization_version: 3",
                "",
            ].join("\n"),
        );
    });
});

describe("TeamFeatureStore", () => {
    async function build() {
        const rec = record();
        const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
        const store = new TeamFeatureStore("p-feast-a", {
            team: "a",
            namespace: "team-a",
            databaseSecret: "team-database",
            router,
            access: { groups: ["ml-a"] },
            offlineRoot: "s3://b-datasets/teams/a/features/",
        });
        await settled();
        return { rec, store };
    }

    it("runs the official feature server in the team's namespace with its own config", async () => {
        const { rec, store } = await build();
        expect(childList(rec, rec.get("mlops:features:TeamFeatureStore", "p-feast-a"))).toEqual([
            "kubernetes:apps/v1:Deployment p-feast-a",
            "kubernetes:core/v1:ConfigMap p-feast-a",
            "kubernetes:core/v1:Service p-feast-a",
            "kubernetes:core/v1:ServiceAccount p-feast-a",
            "mlops:routing:ExposedService p-feast-a",
        ]);
        for (const type of [
            "kubernetes:apps/v1:Deployment",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:Service",
            "kubernetes:core/v1:ServiceAccount",
        ]) {
            expect(at(rec.get(type, "p-feast-a"), "metadata")).toEqual({
                name: "feast",
                namespace: "team-a",
                labels: {
                    "app.kubernetes.io/name": "feast",
                    "app.kubernetes.io/instance": "feast",
                },
            });
        }
        expect(at(rec.get("kubernetes:core/v1:ConfigMap", "p-feast-a"), "data")).toEqual({
            "feature_store.yaml": teamFeatureStoreYaml({ project: "team_a", sslmode: "require" }),
            "offline-root": "s3://b-datasets/teams/a/features/",
        });
        expect(store.project).toBe("team_a");
        expect(await valueOf(store.url)).toBe("https://feast-a.ml.example.com");
        expect(await valueOf(store.internalUrl)).toBe("http://feast.team-a.svc.cluster.local:6566");
    });

    it("reads the team's login from its Secret and holds no other credential", async () => {
        const { rec } = await build();
        const pod = at(
            rec.get("kubernetes:apps/v1:Deployment", "p-feast-a"),
            "spec",
            "template",
            "spec",
        ) as any;
        expect(pod.serviceAccountName).toBe("feast");
        expect(pod.automountServiceAccountToken).toBe(false);
        const server = pod.containers[0];
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
            "--metrics",
        ]);
        expect(server.env).toEqual([
            ...dbEnv("team-database"),
            { name: "HOME", value: "/tmp" },
            { name: "FEAST_USAGE", value: "False" },
        ]);
        expect(server.securityContext).toEqual(SECURE_CONTAINER);
        expect(pod.volumes).toEqual([
            { name: "config", configMap: { name: "feast" } },
            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
        ]);
        // No cloud identity on its account: it calls the team's database only.
        expect(
            at(
                rec.get("kubernetes:core/v1:ServiceAccount", "p-feast-a"),
                "metadata",
                "annotations",
            ),
        ).toBeUndefined();
    });

    it("routes feast-<team> to it, behind sign-on for the team's groups", async () => {
        const { rec } = await build();
        expect(
            at(rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "p-feast-a"), "metadata"),
        ).toEqual({ name: "p-feast-a", namespace: "team-a" });
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "p-feast-a"),
                "spec",
                "routes",
                0,
                "match",
            ),
        ).toBe("Host(`feast-a.ml.example.com`)");
    });

    it("refuses a team whose host label would be longer than 63 characters", () => {
        record();
        const router = new Traefik("router", { namespace: "mlops", domain: "ml.example.com" });
        const team = "t".repeat(58);
        expect(
            () =>
                new TeamFeatureStore("long", {
                    team,
                    namespace: `team-${team}`,
                    databaseSecret: "team-database",
                    router,
                    access: { groups: [] },
                }),
        ).toThrow(
            `TeamFeatureStore long: team ${team} makes the host label feast-${team}, longer than 63 characters`,
        );
    });
});

describe("MlopsPlatform's feature stores, team a against team b", () => {
    let built: Promise<{ rec: ReturnType<typeof record>; platform: MlopsPlatform }> | undefined;
    /** One platform for the tests that only read it. */
    const build = () => (built ??= buildOnce());
    async function buildOnce() {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const platform = new MlopsPlatform(
            "p",
            platformArgs(cluster, {
                teams: [
                    { name: "a", members: ["group:ml-a"], quota: TEAM_QUOTA },
                    { name: "b", members: ["group:ml-b", "sub:repo:acme/b"], quota: TEAM_QUOTA },
                ],
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        return { rec, platform };
    }
    const sso = (rec: ReturnType<typeof record>, name: string) =>
        admittedBy(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:Middleware", name),
                "spec",
                "forwardAuth",
                "address",
            ) as string,
        );

    it("gives each team its own store, in its namespace, with its own project", async () => {
        const { rec, platform } = await build();
        expect(Object.keys(platform.teamFeatureStores).sort()).toEqual(["a", "b"]);
        expect(
            rec
                .ofType("mlops:features:TeamFeatureStore")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["p-feast-a", "p-feast-b"]);
        for (const t of ["a", "b"]) {
            expect(
                at(
                    rec.get("kubernetes:apps/v1:Deployment", `p-feast-${t}`),
                    "metadata",
                    "namespace",
                ),
            ).toBe(`team-${t}`);
            expect(at(rec.get("kubernetes:core/v1:ConfigMap", `p-feast-${t}`), "data")).toEqual({
                // The in-cluster PostgreSQL serves no TLS.
                "feature_store.yaml": teamFeatureStoreYaml({
                    project: `team_${t}`,
                    sslmode: "disable",
                }),
                "offline-root": `s3://p-objectstore-datasets/teams/${t}/features/`,
            });
        }
    });

    it("reads only the team's own Secret, in the team's own namespace", async () => {
        const { rec } = await build();
        const pod = at(
            rec.get("kubernetes:apps/v1:Deployment", "p-feast-a"),
            "spec",
            "template",
            "spec",
        ) as any;
        const refs: unknown[] = [];
        const walk = (v: unknown): void => {
            if (Array.isArray(v)) v.forEach(walk);
            else if (v && typeof v === "object") {
                for (const [k, x] of Object.entries(v)) {
                    if (k === "secretKeyRef" || k === "secretRef" || k === "secret") refs.push(x);
                    else walk(x);
                }
            }
        };
        walk(pod);
        expect(refs).toEqual(
            ["host", "port", "username", "password", "feast-database"].map((key) => ({
                name: TEAM_DATABASE_SECRET,
                key,
            })),
        );
        // A secretKeyRef names a Secret of the pod's own namespace: team-a's.
        expect(
            at(rec.get("kubernetes:apps/v1:Deployment", "p-feast-a"), "metadata", "namespace"),
        ).toBe("team-a");
    });

    it("admits team a's group to a's route and not b's, and b's to b's only", async () => {
        const { rec } = await build();
        expect(sso(rec, "p-feast-a-sso")).toEqual({ groups: ["mlops-admins", "ml-a"], emails: [] });
        expect(sso(rec, "p-feast-b-sso")).toEqual({ groups: ["mlops-admins", "ml-b"], emails: [] });
        expect(sso(rec, "p-feast-b-jwt")).toEqual({ groups: [], emails: ["repo:acme/b"] });
        expect(
            rec.ofType("kubernetes:traefik.io/v1alpha1:Middleware").map((m) => m.name),
        ).not.toContain("p-feast-a-jwt");
    });

    it("strips the caller's cookie and token before a team's server, on both of b's rules; the shared store keeps them", async () => {
        const { rec } = await build();
        const route = rec.get("kubernetes:traefik.io/v1alpha1:IngressRoute", "p-feast-b");
        expect(
            (at(route, "spec", "routes") as { middlewares: { name: string }[] }[]).map((r) =>
                r.middlewares.map((m) => m.name),
            ),
        ).toEqual([
            ["p-feast-b-sso", "p-feast-b-strip-credentials"],
            ["p-feast-b-jwt", "p-feast-b-strip-credentials"],
        ]);
        expect(
            at(
                rec.get("kubernetes:traefik.io/v1alpha1:Middleware", "p-feast-b-strip-credentials"),
                "spec",
            ),
        ).toEqual({ headers: { customRequestHeaders: { Cookie: "", Authorization: "" } } });
        expect(
            rec.ofType("kubernetes:traefik.io/v1alpha1:Middleware").map((m) => m.name),
        ).not.toContain("p-feast-strip-credentials");
    });

    it("keeps the shared store for the admin groups: no team on its route or its endpoint", async () => {
        const { rec, platform } = await build();
        expect(sso(rec, "p-feast-sso")).toEqual({ groups: ["mlops-admins"], emails: [] });
        expect(platform.featureStore!.serviceEndpoints[0]).toMatchObject({
            name: "feast",
            callers: { router: true },
        });
        expect(platform.featureStore!.serviceEndpoints[0].callers.teams).toBeUndefined();
        expect(TEAM_SERVICES.map((s) => s.app)).toEqual(["seaweedfs"]);
        expect("forTeams" in FeastFeatureStore).toBe(false);
        // The platform namespace's policy for the shared server admits the router only.
        const allow = at(
            rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "p-network-allow-feast"),
            "spec",
            "ingress",
        ) as any[];
        expect(JSON.stringify(allow)).not.toContain("mlops.dev/team");
    });

    it("runs no team store when the feature store is disabled", async () => {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const platform = new MlopsPlatform(
            "p",
            platformArgs(cluster, {
                featureStore: { enabled: false },
                teams: [{ name: "a", members: ["group:ml-a"], quota: TEAM_QUOTA }],
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        expect(platform.teamFeatureStores).toEqual({});
        expect(rec.ofType("mlops:features:TeamFeatureStore")).toEqual([]);
    });
});
