import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as yaml from "js-yaml";
import { ServiceEndpoint } from "../endpoint";
import { helmRelease } from "../helm-release";
import { Mirror, mirrorImageName, imageTag } from "../mirror";
import { ContainerResources, containerSecurityContext, podSecurityContext } from "../security";
import { Traefik } from "../routing/traefik";
import { chartImages, charts } from "../versions";

/** A Dex connector, passed to Dex as written (https://dexidp.io/docs/connectors/). */
export interface DexConnector {
    readonly type: string;
    readonly id: string;
    readonly name: string;
    readonly config: Readonly<Record<string, unknown>>;
}

/** A person who signs in with a password Dex keeps (for a laptop). */
export interface DexStaticUser {
    readonly email: string;
    /** Groups in the ID token's `groups` claim. */
    readonly groups: readonly string[];
}

/** A client registered at Dex. */
export interface DexClient {
    readonly id: string;
    readonly name: string;
    readonly redirectUris: readonly string[];
}

/** Arguments of {@link Dex}. */
export interface DexArgs {
    readonly namespace: pulumi.Input<string>;
    /** Serves Dex at `https://dex.<domain>`, its issuer URL. */
    readonly router: Traefik;
    /** The clients that sign people in through Dex; each gets a generated secret. */
    readonly clients: readonly DexClient[];
    /** Upstream identity providers. @default none */
    readonly connectors?: readonly DexConnector[];
    /** Users with generated passwords. @default none */
    readonly staticUsers?: readonly DexStaticUser[];
    /** @default requests 50m/64Mi, limits 500m/256Mi */
    readonly resources?: ContainerResources;
    /** Chart and image from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The release name, and so the Service's name. */
const RELEASE = "dex";
/** Dex's HTTP port: `service.ports.http.port` and the container's `http` port (dex chart 0.24.0). */
export const DEX_PORT = 5556;
/**
 * Dex's telemetry port: the chart's deployment.yaml (0.24.0) runs `dex serve --telemetry-addr
 * 0.0.0.0:5558` and declares container port 5558 (`telemetry`, its probes' port too); Dex
 * serves Prometheus metrics at `/metrics` there (cmd/dex/serve.go, v2.45.1).
 */
export const DEX_TELEMETRY_PORT = 5558;
/** The name of Dex's service endpoint, which its clients' `calls` name. */
export const DEX_ENDPOINT = "dex";
/** Dex's subdomain: its issuer is `https://dex.<domain>`. */
export const DEX_SUBDOMAIN = "dex";
/** Dex's image user (its Dockerfile's `USER 1001:1001`). */
const DEX_UID = 1001;

/**
 * Dex from its upstream chart as the platform's own OpenID Connect issuer, for clusters
 * without an identity provider of their own: clients are registered with generated secrets,
 * upstream providers (GitHub, LDAP, SAML, another OIDC issuer) come in as connectors, and
 * for a laptop static users with generated passwords carry their groups in the ID token.
 * Dex keeps its state in memory: a restart signs everyone out.
 */
export class Dex extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:identity:Dex";
    public readonly release: k8s.helm.v3.Release;
    /** `https://dex.<domain>`: the `iss` of the tokens it signs. */
    public readonly issuer: string;
    /** Dex's HTTP address in the cluster. */
    public readonly internalUrl: pulumi.Output<string>;
    /** Each client's generated secret, by client id. */
    public readonly clientSecrets: Readonly<Record<string, pulumi.Output<string>>>;
    /** Each static user's email, groups and generated password (secret). */
    public readonly logins: pulumi.Output<
        { email: string; password: string; groups: readonly string[] }[]
    >;
    /** Dex's pods, reached by the router and the clients that redeem codes in the cluster. */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: DexArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Dex.__pulumiType, name, {}, opts);
        const child = { parent: this };
        this.issuer = `https://${DEX_SUBDOMAIN}.${args.router.domain}`;
        this.internalUrl = pulumi.interpolate`http://${RELEASE}.${args.namespace}.svc.cluster.local:${DEX_PORT}`;

        const clientSecrets: Record<string, pulumi.Output<string>> = {};
        for (const { id } of args.clients) {
            clientSecrets[id] = new random.RandomPassword(
                `${name}-client-${id}`,
                { length: 32, special: false },
                child,
            ).result;
        }
        this.clientSecrets = clientSecrets;
        const users = (args.staticUsers ?? []).map((u) => ({
            ...u,
            password: new random.RandomPassword(
                `${name}-user-${u.email}`,
                { length: 20, special: false },
                child,
            ),
        }));
        this.logins = pulumi.secret(
            pulumi
                .all(users.map((u) => u.password.result))
                .apply((pw) =>
                    users.map((u, i) => ({ email: u.email, password: pw[i], groups: u.groups })),
                ),
        );

        const config = dexConfig(
            this.issuer,
            args,
            pulumi.all(clientSecrets),
            pulumi.all(users.map((u) => u.password.bcryptHash)),
        );
        // The config holds the client secrets and password hashes: a Secret of ours, not
        // chart values (which Helm keeps in its release record).
        const configSecret = new k8s.core.v1.Secret(
            `${name}-config`,
            {
                metadata: { name: `${name}-config`, namespace: args.namespace },
                stringData: { "config.yaml": pulumi.secret(config) },
            },
            child,
        );

        this.release = helmRelease(
            name,
            {
                pin: charts.dex,
                mirror: args.mirror,
                releaseName: RELEASE,
                namespace: args.namespace,
                values: {
                    image: {
                        repository: mirrorImageName(chartImages.dex.dex, args.mirror),
                        tag: imageTag(chartImages.dex.dex),
                    },
                    configSecret: { create: false, name: configSecret.metadata.name },
                    // Memory storage: no CRDs, so no cluster-wide rights.
                    rbac: { create: false },
                    // The image's entrypoint renders the config into /tmp before Dex starts
                    // (cmd/docker-entrypoint in dexidp/dex v2.45.1); the root stays read-only.
                    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                    podSecurityContext: podSecurityContext(DEX_UID),
                    securityContext: containerSecurityContext(),
                    resources: args.resources ?? {
                        requests: { cpu: "50m", memory: "64Mi" },
                        limits: { cpu: "500m", memory: "256Mi" },
                    },
                },
            },
            child,
        );

        args.router.expose(
            name,
            {
                namespace: args.namespace,
                subdomain: DEX_SUBDOMAIN,
                service: { name: RELEASE, port: DEX_PORT },
                publicBecause: "dex: the identity provider's own sign-in pages",
            },
            child,
        );
        this.serviceEndpoint = {
            name: DEX_ENDPOINT,
            // dex.selectorLabels in the chart's _helpers.tpl (0.24.0).
            pods: {
                matchLabels: {
                    "app.kubernetes.io/name": "dex",
                    "app.kubernetes.io/instance": RELEASE,
                },
            },
            ports: [DEX_PORT],
            callers: { router: true },
            metrics: { port: DEX_TELEMETRY_PORT, path: "/metrics" },
        };
        this.registerOutputs({ issuer: this.issuer });
    }
}

/** Dex's config file: the issuer, memory storage, the clients, the static users, the connectors. */
function dexConfig(
    issuer: string,
    args: DexArgs,
    secrets: pulumi.Output<Record<string, string>>,
    hashes: pulumi.Output<string[]>,
): pulumi.Output<string> {
    const users = args.staticUsers ?? [];
    return pulumi.all([secrets, hashes]).apply(([clientSecrets, passwordHashes]) =>
        yaml.dump(
            {
                issuer,
                // Sessions, keys and refresh tokens in memory: one replica, a laptop.
                storage: { type: "memory" },
                web: { http: `0.0.0.0:${DEX_PORT}` },
                oauth2: { skipApprovalScreen: true },
                enablePasswordDB: users.length > 0,
                staticPasswords: users.map((u, i) => ({
                    email: u.email,
                    hash: passwordHashes[i],
                    username: u.email.split("@")[0],
                    userID: u.email,
                    groups: [...u.groups],
                })),
                staticClients: args.clients.map((c) => ({
                    id: c.id,
                    name: c.name,
                    secret: clientSecrets[c.id],
                    redirectURIs: [...c.redirectUris],
                })),
                connectors: (args.connectors ?? []).map((c) => ({ ...c })),
            },
            { lineWidth: -1, noRefs: true },
        ),
    );
}
