import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { derivedName } from "../cluster/derived-names";
import { PodSelector, ServiceEndpoint, podsWith, tcpPorts } from "../endpoint";
import { Mirror, mirrorImage } from "../mirror";
import { containerSecurityContext, podSecurityContext, withLocalDisk } from "../security";
import { images } from "../versions";
import { DATABASE_ENDPOINT } from "./database";

/** The platform's PostgreSQL as its administrator reaches it (in-cluster, Cloud SQL or RDS). */
export interface AdminDatabase {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    /** The platform's own database, which the Job connects to. */
    readonly databaseName: string;
    /** A role that may create roles and databases (the in-cluster owner, the cloud's admin). */
    readonly username: string;
    /** Secret in the platform namespace holding its password under the key `password`. */
    readonly credentialsSecretName: pulumi.Input<string>;
}

/** Arguments of {@link TeamDatabase}. */
export interface TeamDatabaseArgs {
    /** The team's name; its namespace is `team-<name>`. */
    readonly team: string;
    /** The platform namespace, where the Job runs with the administrator's credentials. */
    readonly platformNamespace: pulumi.Input<string>;
    readonly admin: AdminDatabase;
    /** What the Job waits for (the in-cluster database). @default none */
    readonly databaseReady?: pulumi.Resource[];
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The Secret each team namespace gets: its role's credentials and its databases' names. */
export const TEAM_DATABASE_SECRET = "team-database";
/** Labels of the Jobs' pods, which call the platform's database. */
export const TEAM_DATABASE_JOB_LABELS = { "app.kubernetes.io/name": "team-database" };
/** The uid of the `postgres` user in the official Debian-based image. */
const POSTGRES_UID = 999;
/** PostgreSQL's identifier limit (NAMEDATALEN - 1). */
const PG_NAME_MAX = 63;

/**
 * A PostgreSQL name for a team: `team_<name>` plus a suffix, with `-` as `_` (team names are
 * DNS labels, so the mapping is one to one). A name longer than PostgreSQL keeps (63 bytes)
 * is cut and ends in 8 hex digits of SHA-256 of the team name, so that it stays unique.
 */
export function teamPgName(team: string, suffix = ""): string {
    const base = `team_${team.replace(/-/g, "_")}`;
    const full = `${base}${suffix}`;
    if (full.length <= PG_NAME_MAX) return full;
    const hash = createHash("sha256").update(team).digest("hex").slice(0, 8);
    return `${base.slice(0, PG_NAME_MAX - suffix.length - 9)}_${hash}${suffix}`;
}

/** The role and the two databases of a team. */
export function teamDatabaseNames(team: string): {
    role: string;
    mlflow: string;
    feast: string;
} {
    return {
        role: teamPgName(team),
        mlflow: teamPgName(team, "_mlflow"),
        feast: teamPgName(team, "_feast"),
    };
}

/** A Kubernetes object name (DNS label) made of parts, shortened with a hash when too long. */
function kubernetesName(parts: readonly string[]): string {
    return derivedName(
        {
            what: "Kubernetes object name",
            min: 1,
            max: 63,
            pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
            disallowed: /[^a-z0-9-]/g,
            letterFirst: false,
            source: "Kubernetes DNS-1123 label",
        },
        parts,
        { noun: "name", filler: "team" },
    );
}

/**
 * What the Job runs with `psql`, as the platform's administrator, connected to the platform's
 * database. Idempotent: the role and the databases are created when missing, the password set
 * on every run. The team's role owns its two databases and nothing else: no superuser, no
 * CREATEDB or CREATEROLE (CREATE ROLE's defaults). CONNECT and TEMPORARY are revoked from
 * PUBLIC on the team's databases and on the platform's own, so a team's role opens only its
 * own databases (a superuser still opens any). The administrator is made a member of the role
 * because PostgreSQL 16 and later let a non-superuser (RDS's and Cloud SQL's administrators)
 * create a database for an owner only when it may `SET ROLE` to it. The role opens at most
 * {@link TEAM_DATABASE_CONNECTIONS} connections, so that one team cannot take the server's
 * `max_connections` from the others.
 *
 * The values come from the environment through psql's `\getenv` (psql 15 and later), so
 * the password is in no argument: TEAM_ROLE, TEAM_PASSWORD, MLFLOW_DATABASE, FEAST_DATABASE
 * and PGDATABASE.
 */
/**
 * The connections a team's role may hold at once: its MLflow's pool (SQLAlchemy's 5 and 10
 * overflow), its Feast server's registry pool and online-store pool (10), the schema Job, and
 * room for a rolling update.
 */
export const TEAM_DATABASE_CONNECTIONS = 50;

export const TEAM_DATABASE_SQL = `\\getenv role TEAM_ROLE
\\getenv password TEAM_PASSWORD
\\getenv mlflow_database MLFLOW_DATABASE
\\getenv feast_database FEAST_DATABASE
\\getenv platform_database PGDATABASE
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec
ALTER ROLE :"role" WITH LOGIN PASSWORD :'password' CONNECTION LIMIT ${TEAM_DATABASE_CONNECTIONS};
GRANT :"role" TO CURRENT_USER;
SELECT format('CREATE DATABASE %I OWNER %I', db, :'role')
  FROM unnest(ARRAY[:'mlflow_database', :'feast_database']) AS db
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = db) \\gexec
REVOKE ALL ON DATABASE :"mlflow_database", :"feast_database" FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE :"platform_database" FROM PUBLIC;
`;

const SQL_SHA256 = createHash("sha256").update(TEAM_DATABASE_SQL).digest("hex");

/** The Job's command: wait until the database answers, then run the SQL file. */
export const TEAM_DATABASE_COMMAND = [
    "sh",
    "-c",
    'until pg_isready -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" -t 5; do sleep 2; done; ' +
        "exec psql -X -v ON_ERROR_STOP=1 -f /sql/team-database.sql",
];

/**
 * The platform's database endpoint's callers for team databases, for the platform namespace's
 * policies: the Jobs, and in each team's namespace the pods that `clients` selects (the
 * team's tracking server and feature server). It admits nobody itself, so it makes no policy
 * of its own.
 */
export function teamDatabaseEndpoint(
    teams: readonly string[],
    clients: readonly PodSelector[],
): ServiceEndpoint {
    return {
        name: "team-database",
        pods: { matchLabels: TEAM_DATABASE_JOB_LABELS },
        ports: [],
        callers: {},
        calls: [
            {
                endpoint: DATABASE_ENDPOINT,
                from: [
                    podsWith(TEAM_DATABASE_JOB_LABELS),
                    ...teams.flatMap((team) =>
                        clients.map((podSelector) => ({
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": `team-${team}` },
                            },
                            podSelector,
                        })),
                    ),
                ],
            },
        ],
    };
}

/**
 * The pods of a team's clients of its databases, by `app.kubernetes.io/name` (e.g. the
 * tracking server and its schema Job, the feature server), as one selector.
 */
export function teamDatabaseClientPods(names: readonly string[]): PodSelector {
    return {
        matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: [...names] }],
    };
}

/**
 * Where a team's pods reach the platform's database: the platform namespace's PostgreSQL pods,
 * or, for a managed database (Cloud SQL, RDS), addresses (none: any address on its port).
 */
export type TeamDatabaseLocation =
    | { readonly inCluster: true; readonly platformNamespace: pulumi.Input<string> }
    | { readonly inCluster: false; readonly cidrs?: readonly pulumi.Input<string>[] };

/** Arguments of {@link teamDatabaseEgress}. */
export interface TeamDatabaseEgressArgs {
    /** The team's name; the policy is in `team-<name>`. */
    readonly team: string;
    /** The team's pods that call its databases: {@link teamDatabaseClientPods}. */
    readonly clients: PodSelector;
    readonly at: TeamDatabaseLocation;
    /** The database's port. */
    readonly port: number;
}

/**
 * The egress of a team's database clients (its tracking server, its feature server) to the
 * platform's database, in the team's namespace, whose default deny holds for every other pod.
 * The object keeps its first name, `allow-tracking-database`. Parent it to the team's
 * {@link TeamDatabase}: it exists whenever the team has a client of its databases, whichever.
 *
 * ```ts
 * teamDatabaseEgress("mlops-vision-database-egress", { team: "vision",
 *     clients: teamDatabaseClientPods(["feast"]),
 *     at: { inCluster: true, platformNamespace: "mlops" }, port: 5432 }, { parent: db });
 * ```
 */
export function teamDatabaseEgress(
    name: string,
    args: TeamDatabaseEgressArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
    const at = args.at;
    return new k8s.networking.v1.NetworkPolicy(
        name,
        {
            metadata: {
                name: "allow-tracking-database",
                namespace: `team-${args.team}`,
                labels: { "mlops.dev/team": args.team },
            },
            spec: {
                podSelector: args.clients,
                policyTypes: ["Egress"],
                egress: [
                    {
                        ...(at.inCluster
                            ? {
                                  to: [
                                      {
                                          namespaceSelector: {
                                              matchLabels: {
                                                  "kubernetes.io/metadata.name":
                                                      at.platformNamespace,
                                              },
                                          },
                                          podSelector: {
                                              matchLabels: {
                                                  "app.kubernetes.io/name": "postgresql",
                                              },
                                          },
                                      },
                                  ],
                              }
                            : at.cidrs?.length
                              ? { to: at.cidrs.map((cidr) => ({ ipBlock: { cidr } })) }
                              : {}),
                        ports: tcpPorts([args.port]),
                    },
                ],
            },
        },
        opts,
    );
}

/**
 * A team's own databases on the platform's PostgreSQL (in-cluster, Cloud SQL or RDS): a role
 * `team_<name>` with a generated password, owning `team_<name>_mlflow` (the team's tracking
 * server) and `team_<name>_feast` (its feature store), which no other team's role can open.
 * A Job in the platform namespace creates them with the administrator's credentials, which
 * never leave that namespace; the team's namespace gets the Secret `team-database` (username,
 * password, host, port, `mlflow-database`, `feast-database`).
 *
 * Pass the team's namespace in `dependsOn`: the Secret is written there.
 *
 * ```ts
 * const db = new TeamDatabase("mlops-vision-database", { team: "vision",
 *     platformNamespace: "mlops", admin: platform.trackingDatabase },
 *     { parent: platform, dependsOn: [team] });
 * ```
 */
export class TeamDatabase extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:TeamDatabase";
    /** The team's role. */
    public readonly username: string;
    public readonly mlflowDatabase: string;
    public readonly feastDatabase: string;
    public readonly host: pulumi.Output<string>;
    public readonly port: number;
    /** The generated password (secret). */
    public readonly password: pulumi.Output<string>;
    /** The Secret in the team's namespace, {@link TEAM_DATABASE_SECRET}. */
    public readonly secretName: pulumi.Output<string>;
    /** The Job that creates the role and the databases; clients wait for it. */
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: TeamDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TeamDatabase.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const names = teamDatabaseNames(args.team);
        this.username = names.role;
        this.mlflowDatabase = names.mlflow;
        this.feastDatabase = names.feast;
        this.host = pulumi.output(args.admin.host);
        this.port = args.admin.port;
        const objectName = kubernetesName(["team-database", args.team]);
        const meta = (suffix = "") => ({
            name: `${objectName}${suffix}`,
            namespace: args.platformNamespace,
            labels: TEAM_DATABASE_JOB_LABELS,
        });

        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false },
            child,
        );
        this.password = pulumi.secret(password.result);

        // The Job's copy, in the platform namespace.
        const jobSecret = new k8s.core.v1.Secret(
            `${name}-job`,
            { metadata: meta(), stringData: { password: this.password } },
            child,
        );
        this.secretName = this.teamSecret(name, args.team).metadata.name;
        const sql = new k8s.core.v1.ConfigMap(
            `${name}-sql`,
            { metadata: meta(), data: { "team-database.sql": TEAM_DATABASE_SQL } },
            child,
        );

        const admin = args.admin;
        this.job = new k8s.batch.v1.Job(
            name,
            {
                metadata: meta(),
                spec: {
                    backoffLimit: 6,
                    template: {
                        metadata: {
                            labels: TEAM_DATABASE_JOB_LABELS,
                            // A new SQL replaces the Job, so that it runs again.
                            annotations: { "mlops.dev/sql-sha256": SQL_SHA256 },
                        },
                        spec: {
                            restartPolicy: "OnFailure",
                            automountServiceAccountToken: false,
                            securityContext: podSecurityContext(POSTGRES_UID),
                            containers: [
                                {
                                    name: "create",
                                    image: mirrorImage(images.postgres, args.mirror),
                                    command: [...TEAM_DATABASE_COMMAND],
                                    env: [
                                        { name: "PGHOST", value: admin.host },
                                        { name: "PGPORT", value: String(admin.port) },
                                        { name: "PGUSER", value: admin.username },
                                        { name: "PGDATABASE", value: admin.databaseName },
                                        {
                                            name: "PGPASSWORD",
                                            valueFrom: {
                                                secretKeyRef: {
                                                    name: admin.credentialsSecretName,
                                                    key: "password",
                                                },
                                            },
                                        },
                                        { name: "TEAM_ROLE", value: this.username },
                                        {
                                            name: "TEAM_PASSWORD",
                                            valueFrom: {
                                                secretKeyRef: {
                                                    name: jobSecret.metadata.name,
                                                    key: "password",
                                                },
                                            },
                                        },
                                        { name: "MLFLOW_DATABASE", value: this.mlflowDatabase },
                                        { name: "FEAST_DATABASE", value: this.feastDatabase },
                                    ],
                                    resources: withLocalDisk(
                                        {
                                            requests: { cpu: "10m", memory: "32Mi" },
                                            limits: { cpu: "200m", memory: "128Mi" },
                                        },
                                        "64Mi",
                                    ),
                                    securityContext: containerSecurityContext(),
                                    volumeMounts: [{ name: "sql", mountPath: "/sql" }],
                                },
                            ],
                            volumes: [{ name: "sql", configMap: { name: sql.metadata.name } }],
                        },
                    },
                },
            },
            {
                ...child,
                dependsOn: [jobSecret, sql, ...(args.databaseReady ?? [])],
                deleteBeforeReplace: true,
            },
        );
        this.registerOutputs({ secretName: this.secretName, host: this.host });
    }

    /** The team's copy of its login, in its own namespace: the Secret `team-database`. */
    private teamSecret(name: string, team: string) {
        return new k8s.core.v1.Secret(
            name,
            {
                metadata: {
                    name: TEAM_DATABASE_SECRET,
                    namespace: `team-${team}`,
                    labels: { "mlops.dev/team": team },
                },
                stringData: {
                    username: this.username,
                    password: this.password,
                    host: this.host,
                    port: String(this.port),
                    "mlflow-database": this.mlflowDatabase,
                    "feast-database": this.feastDatabase,
                },
            },
            { parent: this },
        );
    }
}
