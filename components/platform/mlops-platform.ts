import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesCluster } from "../cluster/kubernetes-cluster";
import { ServiceEndpoint, TeamEndpoint } from "../endpoint";
import { FeastFeatureStore } from "../features/feast";
import { TEAM_FEAST, TeamFeatureStore } from "../features/team-feast";
import { Mirror } from "../mirror";
import { AlertReceiver } from "../observability/alerting";
import {
    MONITOR_LABELS,
    ManagedPrometheus,
    Monitoring,
    PROMETHEUS_SERVICE_ACCOUNT,
    QUERY_PROXY,
} from "../observability/monitoring";
import { TeamScrapes } from "../observability/team-scrape";
import { CostPrices, OpenCost } from "../observability/opencost";
import { ExposedService } from "../routing/exposed-service";
import { TlsArgs, Traefik } from "../routing/traefik";
import { podSecurityLabels } from "../security";
import { Database } from "../storage/database";
import { ObjectStore, ObjectStoreConnection } from "../storage/object-store";
import { SharedFilesystem } from "../storage/shared-filesystem";
import {
    TEAM_DATABASE_SECRET,
    TeamDatabase,
    teamDatabaseClientPods,
    teamDatabaseEgress,
    teamDatabaseEndpoint,
} from "../storage/team-database";
import { MlflowServer, TrackingDatabase } from "../tracking/mlflow";
import {
    TEAM_TRACKING_DATABASE_CLIENT_NAMES,
    TeamTrackingServer,
    teamArtifactRoot,
    teamTrackingUrl,
} from "../tracking/team-tracking";
import { ModelServing, ServedModel } from "../serving/model-serving";
import { ArgoWorkflows, WORKFLOW_SERVICE_ACCOUNT } from "../workflows/argo";
import { RUNNER, RUNNER_S3_SECRET, Team, TeamEgress, TeamQuota } from "../tenancy/team";
import { TeamFences } from "../tenancy/admission";
import { PlatformNetworkPolicies } from "./network";
import { everyTeamAccess, PlatformAuth, routerAuth, SignOn, signOn, teamAccess } from "./sign-on";

/** A database outside the cluster (Cloud SQL, RDS). */
export interface ExternalDatabase {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly databaseName: string;
    readonly username: string;
    /** Secret. */
    readonly password: pulumi.Input<string>;
    /**
     * Where it listens (CIDRs), for the egress of the teams' tracking servers.
     * @default any address, on its port
     */
    readonly cidrs?: readonly pulumi.Input<string>[];
}

/**
 * The platform services a team's pods may call: every one the platform can run that admits
 * teams, whether or not this platform runs it. A team stack cannot see which services run (no
 * platform output says so), and inline teams get the same rules; a rule to a service that
 * does not run opens nothing. A new service that admits teams adds its `forTeams` here. The
 * shared feature store is not one: each team has its own, in its namespace.
 */
export const TEAM_SERVICES: readonly TeamEndpoint[] = [ObjectStore.forTeams];

/** The platform services that read and write the object store. */
export type ServiceKey = "tracking" | "workflows" | "features" | "serving";

/**
 * The Kubernetes service accounts (`namespace/name`) each service's pods run as, so that a
 * cloud identity can be bound to them before the platform exists.
 */
export function serviceAccountsOf(name: string, namespace = "mlops"): Record<ServiceKey, string[]> {
    return {
        tracking: [`${namespace}/${name}-mlflow`],
        workflows: [
            `${namespace}/${WORKFLOW_SERVICE_ACCOUNT}`,
            `${namespace}/argo-workflows-server`,
        ],
        features: [`${namespace}/${name}-feast`],
        serving: [`${namespace}/${name}-serving-models`],
    };
}

/** The namespace of Prometheus, Grafana and the exporters: `<platform namespace>-monitoring`. */
export function monitoringNamespaceOf(namespace = "mlops"): string {
    return `${namespace}-monitoring`;
}

/**
 * The Kubernetes service accounts (`namespace/name`) a managed Prometheus backend binds cloud
 * identities to before the platform exists: Prometheus (writes) and the query signer (reads).
 */
export function monitoringServiceAccountsOf(namespace = "mlops") {
    const ns = monitoringNamespaceOf(namespace);
    return { writer: `${ns}/${PROMETHEUS_SERVICE_ACCOUNT}`, reader: `${ns}/${QUERY_PROXY}` };
}

/** Arguments of {@link MlopsPlatform}. */
export interface MlopsPlatformArgs {
    /** The cluster to install into. */
    readonly cluster: KubernetesCluster;
    /**
     * `prod`: `protect` on every data store (object store, database, the ReadWriteMany volumes)
     * and two replicas of the router and of each stateless server.
     */
    readonly environment: "dev" | "prod";
    /** Base domain of every route. */
    readonly domain: string;
    /** Namespace of the platform services. @default "mlops" */
    readonly namespace?: string;
    /**
     * Annotations of the platform namespace (the stack puts the GPU capacity that the
     * guardrails read there). @default none
     */
    readonly namespaceAnnotations?: Readonly<Record<string, string>>;
    readonly storage: {
        readonly objectStore: {
            readonly size: string;
            /** Anonymous read and list (experiments only). @default false */
            readonly publicRead?: boolean;
        };
        readonly sharedFilesystem: {
            readonly enabled: boolean;
            readonly size: string;
            /** Ranges the nodes mount NFS from. @default none: the server's node only */
            readonly nodeCidrs?: readonly string[];
        };
    };
    readonly database: {
        readonly size: string;
        /** A LoadBalancer Service for the database (experiments only). @default false */
        readonly publicAccess?: boolean;
    };
    readonly routing: {
        readonly tls: TlsArgs;
        readonly serviceType: "LoadBalancer" | "NodePort" | "ClusterIP";
        /** @default single sign-on through the bundled Dex */
        readonly auth?: PlatformAuth;
    };
    /**
     * A cloud object store (GCS, S3) instead of the in-cluster one. Workloads reach it through
     * `identities`. @default the in-cluster store
     */
    readonly externalObjectStore?: ObjectStoreConnection;
    /** A managed database instead of the in-cluster PostgreSQL. @default in-cluster */
    readonly externalDatabase?: ExternalDatabase;
    /** Annotations binding each service's Kubernetes service accounts to a cloud identity. @default none */
    readonly identities?: Partial<Record<ServiceKey, pulumi.Input<Record<string, string>>>>;
    /** Teams that live in this stack (inline teams). @default [] */
    readonly teams?: readonly {
        readonly name: string;
        /**
         * Its workloads (the reference pipeline) live in its own team stack; its fences
         * (namespace, quota, members, network policies, identity) are still created here.
         * @default false
         */
        readonly stack?: boolean;
        /** `group:<name>`, `user:<email>` (or a bare email), `sub:<JWT subject>`. */
        readonly members: readonly string[];
        readonly quota: TeamQuota;
        /** Addresses beyond the cluster its pods may open. @default none */
        readonly egress?: readonly TeamEgress[];
        /** Reference pipeline settings. @default 4 trials, 2 at once, no GPU */
        readonly pipeline?: {
            /** Training runs at once. @default 2 */
            readonly parallelism?: number;
            /** GPUs per training run. @default 0 */
            readonly gpu?: number;
            /** Hyperparameter values tried, one run each. @default [0.01, 0.1, 1, 10] */
            readonly trials?: readonly number[];
        };
    }[];
    /** Cloud identity annotations of each inline team's runner, by team. @default none */
    readonly teamIdentities?: Readonly<Record<string, pulumi.Input<Record<string, string>>>>;
    /** Egress team pods need to reach the cloud's APIs. @default none */
    readonly teamCloudEgress?: readonly k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
    /** The API server's addresses, for team network policies. @default unknown: its ports only */
    readonly apiServerCidrs?: readonly string[];
    /** MLflow: a server for the admins, and one per team in its namespace. @default enabled */
    readonly tracking?: { readonly enabled: boolean };
    /** Argo Workflows. @default enabled */
    readonly workflows?: { readonly enabled: boolean };
    /**
     * Feast: the shared store for the admin groups, and a {@link TeamFeatureStore} per team.
     * @default enabled
     */
    readonly featureStore?: { readonly enabled: boolean };
    /** KServe (or Seldon Core) and the models to serve. @default enabled, KServe, no models */
    readonly serving?: {
        readonly enabled: boolean;
        readonly engine: "kserve" | "seldon";
        readonly models: readonly (ServedModel & {
            /** The team that owns the model: only its members and the admins call it. @default every team */
            readonly team?: string;
        })[];
    };
    /**
     * Prometheus, Alertmanager, Grafana and the exporters, in the namespace
     * `<namespace>-monitoring`. @default enabled, 7 days, 10Gi
     */
    readonly observability?: {
        readonly enabled: boolean;
        /** @default "7d" */
        readonly retention?: string;
        /** @default "10Gi" */
        readonly storage?: string;
        /** Where alerts are sent. @default none: alerts stay in Alertmanager */
        readonly alerting?: { readonly receivers: readonly AlertReceiver[] };
        /**
         * The cloud's managed Prometheus (`backend: managed`), which the cloud's stack creates.
         * @default the in-cluster Prometheus alone
         */
        readonly managed?: ManagedPrometheus;
        /**
         * OpenCost's prices, hourly (the plan's price table, `components/prices.ts`): with them,
         * OpenCost allocates what each namespace costs. @default no OpenCost
         */
        readonly costPrices?: CostPrices;
    };
    /** Every chart and image from a mirror (`mlops:mirror`). @default upstream */
    readonly mirror?: Mirror;
}

/**
 * The whole platform on one cluster: its namespace, object store, shared filesystem,
 * database and router. The cluster comes in through args and its provider travels to every
 * Kubernetes child through the `providers` option.
 *
 * ```ts
 * const cluster = new ExistingCluster("mlops", {});
 * const platform = new MlopsPlatform("mlops", { cluster, environment: "dev", ... },
 *     { providers: { kubernetes: cluster.provider } });
 * ```
 */
export class MlopsPlatform extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:platform:MlopsPlatform";
    public readonly namespace: pulumi.Output<string>;
    /** The in-cluster object store, when no external one is given. */
    public readonly objectStore?: ObjectStore;
    /** How services reach the object store, in-cluster or cloud. */
    public readonly objectStoreConnection: ObjectStoreConnection;
    public readonly sharedFilesystem?: SharedFilesystem;
    /** The in-cluster PostgreSQL, when no external database is given. */
    public readonly database?: Database;
    /** The tracking database, in-cluster or managed. */
    public readonly trackingDatabase: TrackingDatabase;
    public readonly router: Traefik;
    /** The router's dashboard, for the admin groups. */
    public readonly dashboard: ExposedService;
    /** Single sign-on (oauth2-proxy, and Dex without an issuer of the organisation's), in mode oidc. */
    public readonly signOn?: SignOn;
    /** ReadWriteMany StorageClass, from the cluster or the platform's NFS. */
    public readonly readWriteManyStorageClass?: pulumi.Output<string>;
    /** The admins' tracking server (teams each have their own: `teamTracking`). */
    public readonly tracking?: MlflowServer;
    /** Each team's databases on the platform's PostgreSQL, by team. */
    public readonly teamDatabases: Record<string, TeamDatabase> = {};
    /** Each team's tracking server, in its namespace, by team. */
    public readonly teamTracking: Record<string, TeamTrackingServer> = {};
    public readonly workflows?: ArgoWorkflows;
    /** The shared feature store, for the admin groups only. */
    public readonly featureStore?: FeastFeatureStore;
    /** Each team's own feature store, by team. */
    public readonly teamFeatureStores: Record<string, TeamFeatureStore> = {};
    public readonly serving?: ModelServing;
    /** Every team's fences, by name: inline teams and teams with a stack of their own. */
    public readonly teams: Record<string, Team> = {};
    /** The members' role and the admission policies of every team namespace. */
    public readonly teamFences: TeamFences;
    /** OpenCost, when monitoring runs and prices are given. */
    public readonly cost?: OpenCost;
    /** Ingress isolation of the platform namespace. */
    public readonly networkPolicies: PlatformNetworkPolicies;
    /** The endpoints of every in-cluster service that runs, the router first. */
    public readonly serviceEndpoints: readonly ServiceEndpoint[];
    /** Metrics, alerts and dashboards, when enabled. */
    public readonly monitoring?: Monitoring;
    /** Prometheus's scrapes of each team's tracking and feature servers, by team. */
    public readonly teamScrapes: Record<string, TeamScrapes> = {};

    constructor(name: string, args: MlopsPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MlopsPlatform.__pulumiType, name, {}, opts);
        const prod = args.environment === "prod";

        this.namespace = this.platformNamespace(name, args).metadata.name;
        const store = this.objectStoreOf(name, args, prod);
        this.objectStore = store.objectStore;
        this.objectStoreConnection = store.connection;
        const rwx = this.readWriteMany(name, args, prod);
        this.sharedFilesystem = rwx.sharedFilesystem;
        this.readWriteManyStorageClass = rwx.storageClass;
        const db = this.databaseOf(name, args, prod);
        this.database = db.database;
        this.trackingDatabase = db.tracking;
        this.router = this.routerOf(name, args, prod);
        this.signOn = signOn(this, name, {
            auth: args.routing.auth ?? {},
            namespace: this.namespace,
            router: this.router,
            teams: args.teams ?? [],
            replicas: prod ? 2 : 1,
            workflows: args.workflows?.enabled ?? true,
            mirror: args.mirror,
        });
        this.dashboard = this.router.expose(
            `${name}-traefik-dashboard`,
            {
                namespace: this.namespace,
                subdomain: "traefik",
                service: { name: "api@internal", kind: "TraefikService" },
            },
            { parent: this },
        );
        this.tracking = this.trackingServer(name, args, prod);
        this.workflows = this.workflowEngine(name, args);
        this.featureStore = this.featureStoreOf(name, args, prod);
        this.serving = this.modelServing(name, args);
        const services = [
            ...(this.signOn?.dex ? [this.signOn.dex.serviceEndpoint] : []),
            ...(this.signOn ? [this.signOn.proxy.serviceEndpoint] : []),
            ...this.runningServiceEndpoints(),
            ...this.teamDatabaseEndpoints(args),
        ];
        this.serviceEndpoints = [this.router.serviceEndpoint, ...services];
        this.monitoring = this.monitoringOf(name, args);
        this.cost = this.costOf(name, args);
        this.networkPolicies = new PlatformNetworkPolicies(
            `${name}-network`,
            {
                namespace: this.namespace,
                router: this.router.serviceEndpoint,
                services,
                scrapers: this.monitoring?.scrapers,
            },
            { parent: this },
        );
        this.teamFences = new TeamFences(`${name}-fences`, {}, { parent: this });
        this.inlineTeams(args);
        this.teamTrackingServers(name, args);
        this.teamFeatureStoresOf(name, args);
        this.teamScrapesOf(name);

        this.registerOutputs({ namespace: this.namespace });
    }

    private platformNamespace(name: string, args: MlopsPlatformArgs) {
        return new k8s.core.v1.Namespace(
            name,
            {
                metadata: {
                    name: args.namespace ?? "mlops",
                    labels: { ...podSecurityLabels("baseline"), "mlops.dev/role": "platform" },
                    ...(args.namespaceAnnotations
                        ? { annotations: { ...args.namespaceAnnotations } }
                        : {}),
                },
            },
            { parent: this },
        );
    }

    /** The cloud object store if given, else the in-cluster one with a user per inline team. */
    private objectStoreOf(
        name: string,
        args: MlopsPlatformArgs,
        prod: boolean,
    ): { objectStore?: ObjectStore; connection: ObjectStoreConnection } {
        if (args.externalObjectStore) return { connection: args.externalObjectStore };
        const objectStore = new ObjectStore(
            `${name}-objectstore`,
            {
                namespace: this.namespace,
                size: args.storage.objectStore.size,
                publicRead: args.storage.objectStore.publicRead,
                users: (args.teams ?? []).map((t) => ({
                    name: `team-${t.name}`,
                    prefix: `teams/${t.name}`,
                })),
                storageClass: args.cluster.storageClasses.readWriteOnce,
                protect: prod,
                mirror: args.mirror,
            },
            { parent: this },
        );
        return { objectStore, connection: objectStore.connection };
    }

    /** The cluster's ReadWriteMany class if it has one, else the platform's NFS if enabled. */
    private readWriteMany(
        name: string,
        args: MlopsPlatformArgs,
        prod: boolean,
    ): { sharedFilesystem?: SharedFilesystem; storageClass?: pulumi.Output<string> } {
        if (args.cluster.storageClasses.readWriteMany !== undefined) {
            return { storageClass: pulumi.output(args.cluster.storageClasses.readWriteMany) };
        }
        if (!args.storage.sharedFilesystem.enabled) return {};
        const sharedFilesystem = new SharedFilesystem(
            `${name}-nfs`,
            {
                size: args.storage.sharedFilesystem.size,
                nodeCidrs: args.storage.sharedFilesystem.nodeCidrs,
                storageClass: args.cluster.storageClasses.readWriteOnce,
                protect: prod,
                mirror: args.mirror,
            },
            { parent: this },
        );
        return { sharedFilesystem, storageClass: sharedFilesystem.storageClassName };
    }

    /** The managed database's credentials as a Secret if given, else the in-cluster PostgreSQL. */
    private databaseOf(
        name: string,
        args: MlopsPlatformArgs,
        prod: boolean,
    ): { database?: Database; tracking: TrackingDatabase } {
        if (args.externalDatabase) {
            const db = args.externalDatabase;
            // The same Secret shape as the in-cluster Database's, for the same consumers.
            const credentials = new k8s.core.v1.Secret(
                `${name}-database-credentials`,
                {
                    metadata: { name: `${name}-database-credentials`, namespace: this.namespace },
                    stringData: {
                        username: db.username,
                        password: pulumi.secret(db.password),
                        host: db.host,
                        port: String(db.port),
                        database: db.databaseName,
                    },
                },
                { parent: this },
            );
            return { tracking: { ...db, credentialsSecretName: credentials.metadata.name } };
        }
        const database = new Database(
            `${name}-postgres`,
            {
                namespace: this.namespace,
                size: args.database.size,
                publicAccess: args.database.publicAccess,
                storageClass: args.cluster.storageClasses.readWriteOnce,
                protect: prod,
                mirror: args.mirror,
            },
            { parent: this },
        );
        return { database, tracking: database };
    }

    private routerOf(name: string, args: MlopsPlatformArgs, prod: boolean) {
        return new Traefik(
            `${name}-traefik`,
            {
                namespace: this.namespace,
                domain: args.domain,
                tls: args.routing.tls,
                serviceType: args.routing.serviceType,
                replicas: prod ? 2 : 1,
                auth: routerAuth(args.routing.auth ?? {}, this.namespace),
                mirror: args.mirror,
            },
            { parent: this },
        );
    }

    /** What every platform service is given: namespace, router, object store, mirror. */
    private serviceArgs(args: MlopsPlatformArgs) {
        return {
            namespace: this.namespace,
            router: this.router,
            objectStore: this.objectStoreConnection,
            mirror: args.mirror,
        };
    }

    private trackingServer(name: string, args: MlopsPlatformArgs, prod: boolean) {
        if (!(args.tracking?.enabled ?? true)) return undefined;
        return new MlflowServer(
            `${name}-mlflow`,
            {
                ...this.serviceArgs(args),
                database: this.trackingDatabase,
                // A managed database is created before its host is known; the in-cluster
                // one must also be ready (its StatefulSet).
                databaseReady: this.database ? [this.database] : undefined,
                // Stateless servers: two in prod, so that a node drain keeps them up.
                replicas: prod ? 2 : 1,
                // The admins' server: teams track on their own (teamTrackingServers).
                serviceAccountAnnotations: args.identities?.tracking,
            },
            { parent: this },
        );
    }

    private workflowEngine(name: string, args: MlopsPlatformArgs) {
        if (!(args.workflows?.enabled ?? true)) return undefined;
        return new ArgoWorkflows(
            `${name}-argo`,
            {
                ...this.serviceArgs(args),
                serviceAccountAnnotations: args.identities?.workflows,
                access: everyTeamAccess(args.teams ?? []),
                signOn: this.signOn?.argo,
                workflowNamespaceSecrets: this.objectStore ? [RUNNER_S3_SECRET] : [],
                // Team namespaces by name: the teams come after Argo, whose CRDs they use.
                workflowNamespaces: (args.teams ?? []).map((t) => `team-${t.name}`),
            },
            { parent: this },
        );
    }

    private featureStoreOf(name: string, args: MlopsPlatformArgs, prod: boolean) {
        if (!(args.featureStore?.enabled ?? true)) return undefined;
        return new FeastFeatureStore(
            `${name}-feast`,
            {
                ...this.serviceArgs(args),
                // The admin groups only: each team has its own store (teamFeatureStoresOf).
                serviceAccountAnnotations: args.identities?.features,
                replicas: prod ? 2 : 1,
            },
            { parent: this },
        );
    }

    /**
     * A {@link TeamFeatureStore} in each team's namespace, with the team's database login from
     * its `team-database` Secret, offline data under the team's prefix of the datasets bucket
     * (its runner identity's), and a route for the team's members.
     */
    private teamFeatureStoresOf(name: string, args: MlopsPlatformArgs) {
        if (!(args.featureStore?.enabled ?? true)) return;
        const store = this.objectStoreConnection;
        for (const t of args.teams ?? []) {
            const team = this.teams[t.name];
            if (!team) continue;
            this.teamFeatureStores[t.name] = new TeamFeatureStore(
                `${name}-feast-${t.name}`,
                {
                    team: t.name,
                    namespace: team.namespace,
                    databaseSecret: TEAM_DATABASE_SECRET,
                    // The in-cluster PostgreSQL serves no TLS; Cloud SQL and RDS require it.
                    databaseSslMode: this.database ? "disable" : "require",
                    router: this.router,
                    access: teamAccess(t),
                    offlineRoot: `${store.scheme}://${store.buckets.datasets}/teams/${t.name}/features/`,
                    mirror: args.mirror,
                },
                // Its login is the team's database Secret.
                {
                    parent: this,
                    dependsOn: this.teamDatabases[t.name] ? [this.teamDatabases[t.name]] : [],
                },
            );
        }
    }

    private modelServing(name: string, args: MlopsPlatformArgs) {
        if (!(args.serving?.enabled ?? true)) return undefined;
        const teams = args.teams ?? [];
        return new ModelServing(
            `${name}-serving`,
            {
                ...this.serviceArgs(args),
                engine: args.serving?.engine ?? "kserve",
                models: (args.serving?.models ?? []).map(({ team, ...model }) => {
                    const owner = teams.find((t) => t.name === team);
                    return owner ? { ...model, access: teamAccess(owner) } : model;
                }),
                access: everyTeamAccess(teams),
                gpuScheduling: args.cluster.gpuScheduling(),
                serviceAccountAnnotations: args.identities?.serving,
            },
            { parent: this },
        );
    }

    /**
     * The endpoints of the services that run behind the router: the services, then the stores
     * they use (the order of the platform namespace's policies).
     */
    private runningServiceEndpoints(): ServiceEndpoint[] {
        return [
            ...(this.tracking ? [this.tracking.serviceEndpoint] : []),
            ...(this.featureStore ? this.featureStore.serviceEndpoints : []),
            ...(this.workflows
                ? [this.workflows.serviceEndpoint, this.workflows.controllerEndpoint]
                : []),
            ...(this.serving ? [this.serving.serviceEndpoint] : []),
            ...(this.database ? [this.database.serviceEndpoint] : []),
            ...(this.objectStore ? [this.objectStore.serviceEndpoint] : []),
        ];
    }

    /**
     * The callers of the platform's database for the teams' databases: the Jobs that create
     * them, and in each team's namespace the team's clients of its databases.
     */
    private teamDatabaseEndpoints(args: MlopsPlatformArgs) {
        const teams = (args.teams ?? []).map((t) => t.name);
        if (teams.length === 0) return [];
        const clients = teamDatabaseClients(args);
        return [teamDatabaseEndpoint(teams, clients ? [clients] : [])];
    }

    /**
     * For each team: its databases on the platform's PostgreSQL, the egress to them of the
     * team's clients of them (teamDatabaseClients) and, with tracking on, its own
     * MLflow in its namespace, reached with the team's identity, at `mlflow-<team>.<domain>`
     * for its members.
     */
    private teamTrackingServers(name: string, args: MlopsPlatformArgs) {
        const store = this.objectStoreConnection;
        for (const [team, resource] of Object.entries(this.teams)) {
            const t = (args.teams ?? []).find((x) => x.name === team)!;
            const database = new TeamDatabase(
                `${name}-${team}-database`,
                {
                    team,
                    platformNamespace: this.namespace,
                    admin: this.trackingDatabase,
                    databaseReady: this.database ? [this.database] : undefined,
                    mirror: args.mirror,
                },
                { parent: this, dependsOn: [resource] },
            );
            this.teamDatabases[team] = database;
            const clients = teamDatabaseClients(args);
            if (clients) {
                teamDatabaseEgress(
                    `${name}-${team}-database-egress`,
                    {
                        team,
                        clients,
                        at: this.database
                            ? { inCluster: true, platformNamespace: this.namespace }
                            : { inCluster: false, cidrs: args.externalDatabase?.cidrs },
                        port: database.port,
                    },
                    {
                        parent: database,
                        // Where it was when the tracking server made it.
                        aliases: [
                            {
                                name: `${name}-tracking-${team}-database`,
                                parent: pulumi.createUrn(
                                    `${name}-tracking-${team}`,
                                    TeamTrackingServer.__pulumiType,
                                    this,
                                ),
                            },
                        ],
                    },
                );
            }
            if (!this.tracking) continue;
            this.teamTracking[team] = new TeamTrackingServer(
                `${name}-tracking-${team}`,
                {
                    team,
                    database,
                    // The team's own store identity: its keys on the in-cluster store, its
                    // runner's cloud identity (teamIdentities) on GCS and S3.
                    objectStore: this.objectStore
                        ? {
                              ...store,
                              credentialsSecretName: RUNNER_S3_SECRET,
                              credentials: undefined,
                          }
                        : store,
                    serviceAccountName: RUNNER,
                    router: this.router,
                    access: teamAccess(t),
                    mirror: args.mirror,
                },
                { parent: this, dependsOn: [resource] },
            );
        }
    }

    /** Prometheus and Grafana scraping every endpoint that declares metrics; DCGM on GPU nodes. */
    private monitoringOf(name: string, args: MlopsPlatformArgs) {
        if (!(args.observability?.enabled ?? true)) return undefined;
        return new Monitoring(
            `${name}-monitoring`,
            {
                namespace: monitoringNamespaceOf(args.namespace),
                platformNamespace: this.namespace,
                endpoints: this.serviceEndpoints,
                router: this.router,
                signOn: this.signOn !== undefined,
                retention: args.observability?.retention,
                storage: args.observability?.storage,
                alertReceivers: args.observability?.alerting?.receivers,
                managed: args.observability?.managed,
                storageClass: args.cluster.storageClasses.readWriteOnce,
                gpuNodes: args.cluster.gpuScheduling(),
                mirror: args.mirror,
            },
            { parent: this },
        );
    }

    /**
     * Prometheus scraping each team's own servers in the team's namespace, derived from their
     * endpoints: a PodMonitor each, and the one scrape rule each needs in the team's namespace.
     */
    private teamScrapesOf(name: string) {
        const monitoring = this.monitoring;
        if (!monitoring) return;
        for (const team of Object.keys(this.teams)) {
            const endpoints = [
                ...(this.teamTracking[team] ? [this.teamTracking[team].serviceEndpoint] : []),
                ...(this.teamFeatureStores[team]
                    ? [this.teamFeatureStores[team].serviceEndpoint]
                    : []),
            ];
            if (endpoints.length === 0) continue;
            this.teamScrapes[team] = new TeamScrapes(
                `${name}-scrape-${team}`,
                {
                    team,
                    endpoints,
                    monitoringNamespace: monitoring.namespace,
                    scrapers: monitoring.scrapers,
                },
                // The PodMonitor kind comes with the chart; the team's namespace with its Team.
                { parent: this, dependsOn: [monitoring.release, this.teams[team]] },
            );
        }
    }

    /** OpenCost beside Prometheus, which it reads and which scrapes it. */
    private costOf(name: string, args: MlopsPlatformArgs) {
        const prices = args.observability?.costPrices;
        if (!this.monitoring || !prices) return undefined;
        return new OpenCost(
            `${name}-opencost`,
            {
                namespace: this.monitoring.namespace,
                prices,
                clusterId: name,
                prometheus: {
                    name: "prometheus-operated",
                    namespace: this.monitoring.namespace,
                    port: 9090,
                    endpoint: "prometheus",
                },
                serviceMonitorLabels: { ...MONITOR_LABELS },
                mirror: args.mirror,
            },
            { parent: this, dependsOn: [this.monitoring.release] },
        );
    }

    /**
     * A {@link Team} for every team: the platform issues each team's fences (namespace, quota,
     * members, network policies, runner identity and store keys, and the facts its stack reads)
     * whether or not it has a stack of its own; only an inline team's reference pipeline is
     * created here.
     */
    private inlineTeams(args: MlopsPlatformArgs) {
        const store = this.objectStoreConnection;
        for (const t of args.teams ?? []) {
            this.teams[t.name] = new Team(
                t.name,
                {
                    members: t.members,
                    memberPrefix: args.cluster.memberPrefix,
                    quota: t.quota,
                    readWriteManyStorageClass: this.readWriteManyStorageClass,
                    platformNamespace: this.namespace,
                    platformServices: TEAM_SERVICES,
                    cloudEgress: args.teamCloudEgress,
                    apiServerCidrs: args.apiServerCidrs,
                    egress: t.egress,
                    runnerAnnotations: args.teamIdentities?.[t.name],
                    argoSignOn: this.workflows?.signOn ?? false,
                    objectStoreCredentials: this.objectStore?.userCredentials[`team-${t.name}`],
                    // What the team's stack reads, in its namespace (`mlops-team`).
                    facts: {
                        trackingUrl: this.tracking ? teamTrackingUrl(t.name) : undefined,
                        objectStore: {
                            scheme: store.scheme,
                            endpoint: store.endpoint,
                            region: store.region,
                            buckets: store.buckets,
                        },
                        gpuScheduling: args.cluster.gpuScheduling(),
                        stack: t.stack ?? false,
                    },
                    pipeline:
                        this.tracking && !t.stack
                            ? {
                                  // The team's own server (teamTrackingServers).
                                  trackingUri: teamTrackingUrl(t.name),
                                  artifactRoot: teamArtifactRoot(store, t.name),
                                  gpuScheduling: args.cluster.gpuScheduling(),
                                  ...t.pipeline,
                                  dependsOn: this.workflows ? [this.workflows.release] : [],
                                  mirror: args.mirror,
                              }
                            : undefined,
                    artifactRepository: pulumi.output(store.endpoint).apply((endpoint) => ({
                        scheme: store.scheme,
                        bucket: store.buckets.workflows,
                        endpoint,
                        insecure: store.insecure,
                        region: store.region,
                    })),
                },
                { parent: this },
            );
        }
    }
}

/**
 * The pods in a team's namespace that call its databases: its tracking server and schema Job
 * with tracking on, its feature server with features on; undefined when neither runs.
 */
function teamDatabaseClients(args: MlopsPlatformArgs) {
    const names = [
        ...((args.tracking?.enabled ?? true) ? TEAM_TRACKING_DATABASE_CLIENT_NAMES : []),
        ...((args.featureStore?.enabled ?? true) ? [TEAM_FEAST] : []),
    ];
    return names.length > 0 ? teamDatabaseClientPods(names) : undefined;
}
