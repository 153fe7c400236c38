import * as pulumi from "@pulumi/pulumi";
import { MlopsPlatform } from "../components/platform/mlops-platform";
import { unitPrices, weightedGpuPrice } from "../components/prices";
import { capacityAnnotations } from "../policies/capacity";
import { TlsArgs } from "../components/routing/traefik";
import { cloudFoundation } from "./cloud";
import { PlatformConfig } from "./config";

function tlsArgs(config: PlatformConfig): TlsArgs {
    const t = config.routing.tls;
    // parseConfig guarantees acme settings when the mode is acme.
    if (t.mode === "acme") return { mode: "acme", email: t.acme!.email, server: t.acme!.server };
    return { mode: t.mode };
}

/** The platform stack: cluster, storage, routing. Returns the stack outputs. */
export function platformStack(config: PlatformConfig) {
    const foundation = cloudFoundation(config);
    const cluster = foundation.cluster;
    const platform = new MlopsPlatform(
        config.cluster.name,
        {
            cluster,
            environment: config.environment,
            domain: config.domain,
            // The GPU capacity the guardrail and the plan compare team quotas with; an
            // existing cluster's GPU nodes are not in the stack, so its declared pools are.
            namespaceAnnotations: capacityAnnotations(
                config.cluster.gpuOversubscription,
                config.cloud === "local"
                    ? config.cluster.gpuPools.map((p) => ({
                          maxNodes: p.maxNodes,
                          gpusPerNode: p.gpusPerNode,
                      }))
                    : undefined,
            ),
            storage: config.storage,
            database: config.database,
            routing: {
                tls: tlsArgs(config),
                serviceType: config.routing.serviceType,
                auth: config.routing.auth,
            },
            tracking: config.tracking,
            workflows: config.workflows,
            featureStore: config.featureStore,
            observability: {
                ...config.observability,
                managed: foundation.managedPrometheus,
                // OpenCost prices with the plan's own table (docs/cost.md).
                costPrices: {
                    ...unitPrices[config.cloud],
                    gpu: weightedGpuPrice(config.cloud, config.cluster.gpuPools) ?? 0,
                },
            },
            serving: config.serving,
            teams: config.teams,
            teamIdentities: foundation.teamIdentities,
            teamCloudEgress: foundation.teamCloudEgress,
            apiServerCidrs: foundation.apiServerCidrs,
            externalObjectStore: foundation.objectStore,
            externalDatabase: foundation.database,
            identities: foundation.identities,
            mirror: config.mirror,
        },
        { providers: { kubernetes: cluster.provider } },
    );
    const store = platform.objectStore;
    const connection = platform.objectStoreConnection;
    const db = platform.trackingDatabase;
    return {
        namespace: platform.namespace,
        domain: config.domain,
        objectStore: {
            scheme: connection.scheme,
            endpoint: connection.endpoint,
            region: connection.region,
            buckets: connection.buckets,
            credentialsSecret: connection.credentialsSecretName,
        },
        database: {
            host: db.host,
            port: db.port,
            database: db.databaseName,
            username: db.username,
            credentialsSecret: db.credentialsSecretName,
        },
        ...foundation.outputs,
        readWriteManyStorageClass: platform.readWriteManyStorageClass,
        urls: {
            dashboard: platform.dashboard.url,
            tracking: platform.tracking?.url,
            workflows: platform.workflows?.url,
            featureStore: platform.featureStore?.url,
            models: platform.serving?.urls,
            /** Each team's own tracking server and feature store. */
            teams: Object.fromEntries(
                Object.keys(platform.teams).map((n) => [
                    n,
                    {
                        tracking: platform.teamTracking[n]?.url,
                        featureStore: platform.teamFeatureStores[n]?.url,
                    },
                ]),
            ),
            grafana: platform.monitoring?.grafana.url,
        },
        /**
         * Every generated secret a person may need: each route's basic-auth password, the
         * database password, the in-cluster object store's keys.
         */
        credentials: pulumi.secret(
            pulumi.output({
                dashboard: platform.dashboard.password,
                tracking: platform.tracking?.route.password,
                featureStore: platform.featureStore?.route.password,
                teamFeatureStores: pulumi.all(
                    Object.fromEntries(
                        Object.entries(platform.teamFeatureStores).map(([n, f]) => [
                            n,
                            f.route.password,
                        ]),
                    ),
                ),
                models: pulumi.all(platform.serving?.passwords ?? {}),
                // Grafana's own admin, and its route's password under basic auth.
                grafana: platform.monitoring
                    ? {
                          admin: platform.monitoring.grafanaAdminPassword,
                          route: platform.monitoring.grafana.password,
                      }
                    : undefined,
                database: platform.database?.password ?? foundation.database?.password,
                // In-cluster store only; cloud stores are reached through workload identity.
                objectStore: store
                    ? { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey }
                    : undefined,
            }),
        ),
        /**
         * How people sign in: in mode oidc the issuer, the client and the redirect URI to
         * register for it at the identity provider.
         */
        auth: platform.signOn
            ? {
                  mode: "oidc",
                  issuer: platform.signOn.issuer,
                  clientId: platform.signOn.clientId,
                  redirectUris: platform.signOn.redirectUris,
                  signInUrl: platform.signOn.proxy.route.url,
              }
            : { mode: config.routing.auth.enabled ? config.routing.auth.mode : "none" },
        /** The bundled Dex's static users and their generated passwords (no output with another issuer). */
        ...(platform.signOn?.dex ? { logins: platform.signOn.dex.logins } : {}),
        /** The admins' tracking server; each team's is `teamTrackingUrl(<team>)`. */
        trackingInternalUrl: platform.tracking?.internalUrl,
        /**
         * Each team's non-secret facts, one entry per team, for the administrators: team stacks
         * do not read this stack (its outputs decrypt to every admin secret); each reads the
         * same facts from the `mlops-team` ConfigMap in its namespace.
         */
        teams: Object.fromEntries(
            config.teams.map((t) => [
                t.name,
                {
                    namespace: platform.teams[t.name].namespace,
                    runnerServiceAccount: platform.teams[t.name].runnerServiceAccount,
                    trackingUrl: platform.teamTracking[t.name]?.internalUrl,
                    quota: t.quota,
                    stack: t.stack ?? false,
                },
            ]),
        ),
        gpuScheduling: cluster.gpuScheduling(),
        cloud: config.cloud,
        dashboard: {
            url: platform.dashboard.url,
            username: platform.dashboard.username,
            password: platform.dashboard.password,
        },
    } satisfies Record<string, unknown>;
}
