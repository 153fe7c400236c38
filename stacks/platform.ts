import * as pulumi from "@pulumi/pulumi";
import { ExistingCluster } from "../components/cluster/existing";
import { KubernetesCluster } from "../components/cluster/types";
import { MlopsPlatform } from "../components/platform/mlops-platform";
import { TlsArgs } from "../components/routing/traefik";
import { PlatformConfig } from "./config";

/** Creates the cluster of the configured cloud. */
function createCluster(config: PlatformConfig): KubernetesCluster {
    const c = config.cluster;
    switch (config.cloud) {
        case "local":
            return new ExistingCluster(c.name, {
                kubeconfig: c.kubeconfig,
                context: c.context,
                storageClass: c.storageClass,
                nvidiaDevicePlugin: c.nvidiaDevicePlugin,
            });
        case "gcp":
        case "aws":
            throw new Error(
                `mlops:cloud: got "${config.cloud}"; this version provisions "local" clusters only ` +
                    `(an existing cluster from a kubeconfig)`,
            );
    }
}

function tlsArgs(config: PlatformConfig): TlsArgs {
    const t = config.routing.tls;
    // parseConfig guarantees acme settings when the mode is acme.
    if (t.mode === "acme") return { mode: "acme", email: t.acme!.email, server: t.acme!.server };
    return { mode: t.mode };
}

/** The platform stack: cluster, storage, routing. Returns the stack outputs. */
export function platformStack(config: PlatformConfig) {
    const cluster = createCluster(config);
    const platform = new MlopsPlatform(
        config.cluster.name,
        {
            cluster,
            environment: config.environment,
            domain: config.domain,
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
            serving: config.serving,
        },
        { providers: { kubernetes: cluster.provider } },
    );
    const store = platform.objectStore;
    return {
        namespace: platform.namespace,
        domain: config.domain,
        objectStore: {
            endpoint: store.endpoint,
            region: store.region,
            buckets: store.buckets,
            credentialsSecret: store.credentialsSecretName,
            accessKeyId: store.accessKeyId,
            secretAccessKey: store.secretAccessKey,
        },
        database: {
            host: platform.database.host,
            port: platform.database.port,
            database: platform.database.databaseName,
            username: platform.database.username,
            password: platform.database.password,
            credentialsSecret: platform.database.credentialsSecretName,
        },
        readWriteManyStorageClass: platform.readWriteManyStorageClass,
        urls: {
            dashboard: platform.dashboard.url,
            tracking: platform.tracking?.url,
            workflows: platform.workflows?.url,
            featureStore: platform.featureStore?.url,
            models: platform.serving?.urls,
        },
        /** Basic-auth credentials of every route that has it (one generated password each). */
        credentials: pulumi.secret(
            pulumi.all({
                dashboard: platform.dashboard.password,
                tracking: platform.tracking?.route.password,
                featureStore: platform.featureStore?.route.password,
            }),
        ),
        trackingInternalUrl: platform.tracking?.internalUrl,
        dashboard: {
            url: platform.dashboard.url,
            username: platform.dashboard.username,
            password: platform.dashboard.password,
        },
    } satisfies Record<string, unknown>;
}

/** The platform stack's outputs. */
export type PlatformOutputs = ReturnType<typeof platformStack>;
