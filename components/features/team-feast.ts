import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceEndpoint } from "../endpoint";
import { Mirror } from "../mirror";
import { ExposedService, RouteAccess } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { ContainerResources } from "../security";
import { serviceHost, workload } from "../service-workload";
import { FEAST_METRICS_PORT, FEAST_PORT, featureServerDeployment } from "./server";

/** TLS to the team's database, as libpq's `sslmode`. */
export type DatabaseSslMode = "require" | "disable";

/** Arguments of {@link TeamFeatureStore}. */
export interface TeamFeatureStoreArgs {
    /** The team's name (a DNS label): its Feast project is {@link teamFeastProject} of it. */
    readonly team: string;
    /** The team's namespace, `team-<name>`: the server, its config and its route live there. */
    readonly namespace: pulumi.Input<string>;
    /**
     * A Secret in the team's namespace with the team's own PostgreSQL login: keys `username`,
     * `password`, `host`, `port` and `feast-database` (the database of its registry and online
     * store). The store reads it by reference and never creates it.
     */
    readonly databaseSecret: pulumi.Input<string>;
    /**
     * libpq's `sslmode` to the database: `require` for a managed one (Cloud SQL, RDS),
     * `disable` for the platform's in-cluster PostgreSQL, which serves no TLS.
     * @default "require"
     */
    readonly databaseSslMode?: DatabaseSslMode;
    /** The router that serves the feature server at `feast-<team>.<domain>`. */
    readonly router: Traefik;
    /** Who may use its route besides the router's admin groups: the team's members. */
    readonly access: RouteAccess;
    /**
     * Where the team's offline data lives (its prefix of the datasets bucket, which its runner
     * identity reaches), written beside `feature_store.yaml` as `offline-root` for its jobs.
     * @default none
     */
    readonly offlineRoot?: pulumi.Input<string>;
    /** @default requests 100m/256Mi, limits 1/2Gi */
    readonly resources?: ContainerResources;
    /** Feature server replicas. @default 1 */
    readonly replicas?: number;
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The Kubernetes name of the team store's objects in the team's namespace. */
export const TEAM_FEAST = "feast";

/**
 * The Feast project of a team: `team_<name>`, hyphens as underscores (Feast allows hyphens in
 * project names, but its stores use the name in table names).
 */
export function teamFeastProject(team: string): string {
    return `team_${team.replace(/-/g, "_")}`;
}

/**
 * A team's `feature_store.yaml`: the SQL registry and the PostgreSQL online store, both in the
 * team's own database, and the `file` offline store. Feast expands `${VAR}` from the
 * environment when it reads the file (`os.path.expandvars`, feast/repo_config.py), so the login
 * stays in the team's Secret. No character of the password needs escaping: the registry
 * takes it from libpq's `PGPASSWORD` rather than from its URL, and the online store's is a
 * literal block scalar (`|2-`: the line as it is, without its line break), so only a line
 * break would end it.
 */
export function teamFeatureStoreYaml(settings: {
    project: string;
    sslmode: DatabaseSslMode;
}): string {
    return [
        `project: ${settings.project}`,
        "provider: local",
        "registry:",
        "  registry_type: sql",
        `  path: postgresql+psycopg://\${PGUSER}@\${PGHOST}:\${PGPORT}/\${PGDATABASE}?sslmode=${settings.sslmode}`,
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
        `  sslmode: ${settings.sslmode}`,
        "offline_store:",
        "  type: file",
        "entity_key_serialization_version: 3",
        "",
    ].join("\n");
}

/**
 * A team's own Feast feature store, in the team's namespace: its own project, its registry
 * (Feast's SQL registry) and its online store (Feast's PostgreSQL store) in the team's own
 * database, read with the team's login from a Secret it is given, and the feature server from
 * the official image (which carries `psycopg`: its `minimal` extra includes `postgres-c`). Its
 * route, `feast-<team>.<domain>`, admits the team's members and the admin groups; the team's
 * pods reach it in their namespace, and no other team's pods do (the team's default-deny
 * NetworkPolicy). The server holds no object-store identity: the team's jobs read offline data
 * under the team's prefix with the team's runner identity.
 *
 * ```ts
 * const feast = new TeamFeatureStore("mlops-feast-nlp", { team: "nlp", namespace: "team-nlp",
 *     databaseSecret: "team-database", router, access: teamAccess(team) });
 * export const nlpFeatures = feast.url;
 * ```
 */
export class TeamFeatureStore extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:features:TeamFeatureStore";
    /** `https://feast-<team>.<domain>`. */
    public readonly url: pulumi.Output<string>;
    public readonly route: ExposedService;
    /** The feature server as the team's pods reach it. */
    public readonly internalUrl: pulumi.Output<string>;
    /** The team's Feast project. */
    public readonly project: string;
    /** Name of the ConfigMap holding `feature_store.yaml`, for the team's jobs. */
    public readonly configMapName: pulumi.Output<string>;
    /**
     * The feature server in the team's namespace, as the platform's monitoring scrapes it:
     * its pods, its port, and Prometheus on `--metrics`' port.
     */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: TeamFeatureStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TeamFeatureStore.__pulumiType, name, {}, opts);
        this.project = teamFeastProject(args.team);
        const subdomain = `feast-${args.team}`;
        if (subdomain.length > 63) {
            throw new Error(
                `TeamFeatureStore ${name}: team ${args.team} makes the host label ${subdomain}, longer than 63 characters`,
            );
        }
        // Named `feast` in the team's namespace, which makes it unique: the instance label stays
        // a short, valid label value whatever the platform's name.
        const w = workload(this, TEAM_FEAST, {
            app: TEAM_FEAST,
            namespace: args.namespace,
            resources: args.resources,
            defaultResources: {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { cpu: "1", memory: "2Gi" },
            },
        });
        const meta = w.meta();
        const config = new k8s.core.v1.ConfigMap(
            name,
            {
                metadata: meta,
                data: {
                    "feature_store.yaml": teamFeatureStoreYaml({
                        project: this.project,
                        sslmode: args.databaseSslMode ?? "require",
                    }),
                    ...(args.offlineRoot ? { "offline-root": args.offlineRoot } : {}),
                },
            },
            w.child,
        );
        this.configMapName = config.metadata.name;
        // Its own account, without a token or a cloud identity: the server calls only the
        // team's database.
        const account = new k8s.core.v1.ServiceAccount(
            name,
            { metadata: meta, automountServiceAccountToken: false },
            w.child,
        );
        const service = new k8s.core.v1.Service(
            name,
            {
                metadata: meta,
                spec: {
                    selector: w.labels,
                    ports: [{ name: "http", port: FEAST_PORT, targetPort: "http" }],
                },
            },
            w.child,
        );
        this.internalUrl = pulumi.interpolate`http://${serviceHost(service)}:${FEAST_PORT}`;
        featureServerDeployment(name, w, {
            meta: { name: TEAM_FEAST, namespace: args.namespace },
            config,
            account,
            env: teamFeastEnv(args.databaseSecret),
            replicas: args.replicas ?? 1,
            mirror: args.mirror,
        });
        this.route = args.router.expose(
            name,
            {
                namespace: args.namespace,
                subdomain,
                service: { name: service.metadata.name, port: FEAST_PORT },
                access: args.access,
                // Members can replace the server behind it: it gets no session cookie.
                tenantBackend: true,
            },
            w.child,
        );
        this.url = this.route.url;
        this.serviceEndpoint = {
            name: TEAM_FEAST,
            pods: { matchLabels: w.labels },
            ports: [FEAST_PORT],
            callers: { router: true },
            metrics: { port: FEAST_METRICS_PORT },
        };
        this.registerOutputs({ url: this.url, internalUrl: this.internalUrl });
    }
}

/** libpq's variables from the team's database Secret, and Feast's settings. */
export function teamFeastEnv(secret: pulumi.Input<string>): k8s.types.input.core.v1.EnvVar[] {
    const fromSecret = (env: string, key: string) => ({
        name: env,
        valueFrom: { secretKeyRef: { name: secret, key } },
    });
    return [
        fromSecret("PGHOST", "host"),
        fromSecret("PGPORT", "port"),
        fromSecret("PGUSER", "username"),
        fromSecret("PGPASSWORD", "password"),
        fromSecret("PGDATABASE", "feast-database"),
        { name: "HOME", value: "/tmp" },
        { name: "FEAST_USAGE", value: "False" },
    ];
}
