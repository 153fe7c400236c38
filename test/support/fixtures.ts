/** Inputs several test files build on. */
import { ExistingCluster } from "../../components/cluster/existing";
import { MlopsPlatformArgs } from "../../components/platform/mlops-platform";
import { ObjectStoreConnection } from "../../components/storage/object-store";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../../stacks/config";

/** The problems parseConfig reports for `raw`, or [] if it is valid. */
export function configProblems(raw: Record<string, unknown>): string[] {
    try {
        parseConfig(raw);
        return [];
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return [...e.problems];
    }
}

/** A dev platform on `cluster` with every service at its default; `over` replaces keys. */
export function platformArgs(
    cluster: ExistingCluster,
    over: Partial<MlopsPlatformArgs> = {},
): MlopsPlatformArgs {
    return {
        cluster,
        environment: "dev",
        domain: "ml.example.com",
        storage: {
            objectStore: { size: "20Gi" },
            sharedFilesystem: { enabled: true, size: "50Gi" },
        },
        database: { size: "10Gi" },
        routing: {
            tls: { mode: "selfSigned" },
            serviceType: "LoadBalancer",
            // Single sign-on; no issuer, so the bundled Dex is the issuer.
            auth: { mode: "oidc" },
        },
        ...over,
    };
}

/**
 * `mlops:routing` with single sign-on through an issuer of the organisation's: what a gcp or
 * aws config needs (the bundled Dex runs on local only).
 */
export const SSO = {
    auth: { oidc: { issuer: "https://login.example.com", clientSecret: "s" } },
} as const;

/** An in-cluster S3 store as services see it, for component tests. */
export const STORE: ObjectStoreConnection = {
    scheme: "s3",
    endpoint: "http://store.mlops.svc.cluster.local:8333",
    insecure: true,
    region: "us-east-1",
    credentialsSecretName: "store-credentials",
    credentials: { accessKeyId: pulumi.output("AK"), secretAccessKey: pulumi.secret("SK") },
    buckets: {
        tracking: "b-tracking",
        workflows: "b-workflows",
        features: "b-features",
        datasets: "b-datasets",
    },
};
