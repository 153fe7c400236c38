import * as pulumi from "@pulumi/pulumi";
import { PodSelector, ServiceEndpoint } from "../endpoint";
import { Mirror } from "../mirror";
import { RouteAccess } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { ContainerResources } from "../security";
import { ObjectStoreConnection } from "../storage/object-store";
import {
    TEAM_DATABASE_SECRET,
    TeamDatabase,
    teamDatabaseClientPods,
} from "../storage/team-database";
import { MlflowServer, mlflowArtifactsDestination } from "./mlflow";

/** The name of a team's tracking server's Service (and Deployment) in its namespace. */
export const TEAM_TRACKING_NAME = "mlflow";
const PORT = 5000;

/**
 * A team's tracking server's in-cluster URL, known from the team's name alone (a team stack
 * computes it without reading the platform): `http://mlflow.team-<team>.svc.cluster.local:5000`.
 */
export function teamTrackingUrl(team: string): string {
    return `http://${TEAM_TRACKING_NAME}.team-${team}.svc.cluster.local:${PORT}`;
}

/** Where a team's server keeps artifacts in the tracking bucket: under the team's prefix. */
export function teamArtifactsPrefix(team: string): string {
    return `teams/${team}/mlflow`;
}

/**
 * The artifacts root a team's clients see (`s3://<tracking>/teams/<team>/mlflow/`), for the
 * pipeline's `ARTIFACT_ROOT`: `mlflow-artifacts:/<path>` is `<root><path>` in the store.
 */
export function teamArtifactRoot(
    store: { readonly scheme: string; readonly buckets: { readonly tracking: string } },
    team: string,
): string {
    return mlflowArtifactsDestination(store, teamArtifactsPrefix(team));
}

/** The `app.kubernetes.io/name` of a team's tracking server's pods and its schema Job's. */
export const TEAM_TRACKING_DATABASE_CLIENT_NAMES: readonly string[] = [
    TEAM_TRACKING_NAME,
    `${TEAM_TRACKING_NAME}-db-upgrade`,
];

/**
 * The pods of a team's tracking server and its schema Job, and of its feature store (`feast`),
 * which call the platform's database, when both run.
 */
export const TEAM_TRACKING_DATABASE_CLIENTS: PodSelector = teamDatabaseClientPods([
    ...TEAM_TRACKING_DATABASE_CLIENT_NAMES,
    "feast",
]);

/** Arguments of {@link TeamTrackingServer}. */
export interface TeamTrackingServerArgs {
    /** The team's name; the server runs in `team-<name>`. */
    readonly team: string;
    /** The team's database (its `team-database` Secret is in the team's namespace). */
    readonly database: TeamDatabase;
    /**
     * The object store, reached with the team's own identity: on the in-cluster store
     * `credentialsSecretName` is the team's `runner-s3` Secret.
     */
    readonly objectStore: ObjectStoreConnection;
    /** The team's runner service account: its cloud identity is confined to `teams/<team>/`. */
    readonly serviceAccountName: pulumi.Input<string>;
    readonly router: Traefik;
    /** Who may use its route besides the admin groups: the team's members. */
    readonly access: RouteAccess;
    /** @default requests 50m/384Mi, limits 500m/1Gi (they count against the team's quota) */
    readonly resources?: ContainerResources;
    /** Images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/**
 * A team's own MLflow: the official image in the team's namespace, its runs and registry in
 * the team's database, its artifacts under `teams/<team>/mlflow` of the tracking bucket,
 * reached with the team's own identity (so the prefix confinement of that identity is the
 * boundary), and its route `mlflow-<team>.<domain>` open to the team's members and the
 * admins. Team pods reach it in their namespace at {@link teamTrackingUrl}.
 *
 * ```ts
 * new TeamTrackingServer("mlops-tracking-vision", { team: "vision", database, objectStore,
 *     serviceAccountName: "runner", router, access: teamAccess(team) },
 *     { parent: platform, dependsOn: [team] });
 * ```
 */
export class TeamTrackingServer extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:tracking:TeamTrackingServer";
    public readonly server: MlflowServer;
    /** The public URL, `https://mlflow-<team>.<domain>`. */
    public readonly url: pulumi.Output<string>;
    /** {@link teamTrackingUrl}. */
    public readonly internalUrl: pulumi.Output<string>;
    /**
     * The server in the team's namespace, as the platform's monitoring scrapes it: its pods,
     * its port, and `/metrics` on that port (`--expose-prometheus`). Its callers are the
     * team's own NetworkPolicies' business, and it calls nothing the platform namespace admits
     * by endpoint: no `calls`.
     */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(
        name: string,
        args: TeamTrackingServerArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(TeamTrackingServer.__pulumiType, name, {}, opts);
        const namespace = `team-${args.team}`;
        const db = args.database;
        this.server = new MlflowServer(
            name,
            {
                namespace,
                kubernetesName: TEAM_TRACKING_NAME,
                subdomain: `mlflow-${args.team}`,
                database: {
                    host: db.host,
                    port: db.port,
                    databaseName: db.mlflowDatabase,
                    username: db.username,
                    credentialsSecretName: TEAM_DATABASE_SECRET,
                },
                databaseReady: [db],
                objectStore: args.objectStore,
                artifactsPrefix: teamArtifactsPrefix(args.team),
                serviceAccountName: args.serviceAccountName,
                router: args.router,
                access: args.access,
                tenantBackend: true,
                replicas: 1,
                workers: 1,
                resources: args.resources ?? {
                    requests: { cpu: "50m", memory: "384Mi" },
                    limits: { cpu: "500m", memory: "1Gi" },
                },
                mirror: args.mirror,
            },
            { parent: this },
        );
        this.url = this.server.url;
        this.internalUrl = this.server.internalUrl;
        const { name: app, pods, ports, callers, metrics } = this.server.serviceEndpoint;
        this.serviceEndpoint = { name: app, pods, ports, callers, metrics };

        this.registerOutputs({ url: this.url, internalUrl: this.internalUrl });
    }
}
