import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { podsWith, ServiceEndpoint } from "../endpoint";
import { DEX_ENDPOINT } from "./dex";
import { helmRelease } from "../helm-release";
import { Mirror, mirrorImageParts } from "../mirror";
import { ContainerResources } from "../security";
import { ExposedService } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { chartImages, charts } from "../versions";

/** Session cookie settings. */
export interface SessionCookie {
    /** How long a session lasts (a Go duration). @default "12h" */
    readonly expire?: string;
    /** How often the session is refreshed at the issuer. @default "1h" */
    readonly refresh?: string;
    /** @default "lax" */
    readonly sameSite?: "lax" | "none";
    /** HTTPS only. @default true */
    readonly secure?: boolean;
}

/** A JWT issuer whose bearer tokens are accepted (keyless machine identity). */
export interface JwtIssuer {
    readonly issuer: string;
    /** The audience (`aud`) its tokens must carry. */
    readonly audience: string;
}

/**
 * Where oauth2-proxy finds the issuer when the issuer's public URL is not reachable from the
 * cluster (the bundled Dex, whose public name resolves to the user's own machine): the
 * browser goes to `loginUrl`, oauth2-proxy redeems codes and reads keys in the cluster.
 */
export interface IssuerEndpoints {
    /** The authorization endpoint as the browser reaches it. */
    readonly loginUrl: pulumi.Input<string>;
    /** The token endpoint, in the cluster. */
    readonly redeemUrl: pulumi.Input<string>;
    /** The JWKS endpoint, in the cluster. */
    readonly jwksUrl: pulumi.Input<string>;
}

/** Arguments of {@link OAuth2Proxy}. */
export interface OAuth2ProxyArgs {
    readonly namespace: pulumi.Input<string>;
    /** The router: serves the sign-in route at `auth.<domain>`. */
    readonly router: Traefik;
    /** The OpenID Connect issuer (`iss` of its ID tokens). */
    readonly issuer: pulumi.Input<string>;
    /** The issuer's endpoints, when discovery from the cluster cannot work. @default discovery */
    readonly issuerEndpoints?: IssuerEndpoints;
    readonly clientId: string;
    readonly clientSecret: pulumi.Input<string>;
    /** @default "groups" */
    readonly groupsClaim?: string;
    /** @default "email" */
    readonly emailClaim?: string;
    /** @default ["openid", "email", "profile", "groups"] */
    readonly scopes?: readonly string[];
    /** @default secure, httpOnly, SameSite lax, 12h, refreshed hourly */
    readonly cookie?: SessionCookie;
    /** Bearer JWTs accepted from these issuers. @default none */
    readonly jwtIssuers?: readonly JwtIssuer[];
    /** The proxy redeems codes at the bundled Dex in the cluster (its network policy admits it). @default false */
    readonly callsIssuerInCluster?: boolean;
    /** @default 1 */
    readonly replicas?: number;
    /** @default requests 50m/64Mi, limits 500m/256Mi */
    readonly resources?: ContainerResources;
    /** Chart and image from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The release name the chart is installed under, and so its Service's name. */
const RELEASE = "oauth2-proxy";
/** The proxy's pods: oauth2-proxy.selectorLabels in the chart's _helpers.tpl (10.7.0). */
const POD_LABELS = {
    "app.kubernetes.io/name": "oauth2-proxy",
    "app.kubernetes.io/instance": RELEASE,
};
/** The proxy's HTTP port: `--http-address=0.0.0.0:4180` in the chart's deployment.yaml (10.7.0). */
const PORT = 4180;
/**
 * Its Prometheus port: with `metrics.enabled` the chart's deployment.yaml (10.7.0) passes
 * `--metrics-address=0.0.0.0:44180` and declares container port 44180 (`metrics`); oauth2-proxy
 * v7.15.3 serves its registry there on any path (oauthproxy.go, the metrics server's handler).
 */
const METRICS_PORT = 44180;

/** The sign-in route's subdomain: oauth2-proxy's callback lives at `https://auth.<domain>/oauth2/callback`. */
export const SIGN_IN_SUBDOMAIN = "auth";

/**
 * oauth2-proxy from its upstream chart as the router's single sign-on: Traefik asks it about
 * every request (a `forwardAuth` Middleware per route, made by `Traefik.expose`), and it
 * answers 202 for a signed-in member of one of the route's groups, 403 for anyone else signed
 * in, and a redirect to the issuer for someone not signed in. Its own route at
 * `auth.<domain>` serves the callback. The session lives in an encrypted cookie for the whole
 * domain, so one sign-in serves every route.
 *
 * ```ts
 * const sso = new OAuth2Proxy("sso", { namespace: "mlops", router, issuer: "https://login.example.com",
 *     clientId: "mlops-platform", clientSecret: config.requireSecret("clientSecret") });
 * ```
 */
export class OAuth2Proxy extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:identity:OAuth2Proxy";
    public readonly release: k8s.helm.v3.Release;
    /** The address Traefik's forwardAuth Middlewares ask, in the cluster. */
    public readonly forwardAuthUrl: pulumi.Output<string>;
    /** The redirect URI to register at the issuer. */
    public readonly redirectUri: string;
    /** The sign-in route (`auth.<domain>`), public: it is the way in. */
    public readonly route: ExposedService;
    /** The proxy's pods, reached by the router only. */
    public readonly serviceEndpoint: ServiceEndpoint;

    /** The redirect URI of the platform's client at the issuer, for a domain. */
    public static redirectUriFor(domain: string): string {
        return `https://${SIGN_IN_SUBDOMAIN}.${domain}/oauth2/callback`;
    }

    /** The proxy's address in the cluster, for a namespace: known before the proxy exists. */
    public static forwardAuthUrlIn(namespace: pulumi.Input<string>): pulumi.Output<string> {
        return pulumi.interpolate`http://${RELEASE}.${namespace}.svc.cluster.local`;
    }

    constructor(name: string, args: OAuth2ProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super(OAuth2Proxy.__pulumiType, name, {}, opts);
        const child = { parent: this };
        this.redirectUri = OAuth2Proxy.redirectUriFor(args.router.domain);

        // oauth2-proxy takes a 32-byte AES key for the cookie; 32 URL-safe characters are one.
        const cookieSecret = new random.RandomPassword(
            `${name}-cookie-secret`,
            { length: 32, special: false },
            child,
        );
        const secret = new k8s.core.v1.Secret(
            `${name}-client`,
            {
                metadata: { name: `${name}-client`, namespace: args.namespace },
                // The keys the chart's Deployment reads from `config.existingSecret`.
                stringData: {
                    "client-id": args.clientId,
                    "client-secret": pulumi.secret(args.clientSecret),
                    "cookie-secret": pulumi.secret(cookieSecret.result),
                },
            },
            child,
        );

        const replicas = args.replicas ?? 1;
        this.release = helmRelease(
            name,
            {
                pin: charts.oauth2Proxy,
                mirror: args.mirror,
                releaseName: RELEASE,
                namespace: args.namespace,
                values: {
                    image: mirrorImageParts(chartImages.oauth2Proxy.proxy, args.mirror),
                    replicaCount: replicas,
                    config: {
                        existingSecret: secret.metadata.name,
                        emailDomains: ["*"],
                        // Traefik only asks; nothing is proxied: a signed-in request gets 202.
                        upstreams: ["static://202"],
                    },
                    extraArgs: pulumi.output(oauth2ProxyFlags(args, this.redirectUri)),
                    // Scraped through the endpoint's PodMonitor, not the chart's ServiceMonitor.
                    metrics: { enabled: true, serviceMonitor: { enabled: false } },
                    podDisruptionBudget: { enabled: replicas > 1 },
                    resources: args.resources ?? {
                        requests: { cpu: "50m", memory: "64Mi" },
                        limits: { cpu: "500m", memory: "256Mi" },
                    },
                },
            },
            child,
        );

        this.forwardAuthUrl = OAuth2Proxy.forwardAuthUrlIn(args.namespace);
        this.route = args.router.expose(
            `${name}-sign-in`,
            {
                namespace: args.namespace,
                subdomain: SIGN_IN_SUBDOMAIN,
                service: { name: RELEASE, port: 80 },
                publicBecause: "oauth2-proxy: the sign-in and callback pages",
            },
            child,
        );
        this.serviceEndpoint = {
            name: RELEASE,
            pods: { matchLabels: POD_LABELS },
            ports: [PORT],
            callers: { router: true },
            metrics: { port: METRICS_PORT, path: "/metrics" },
            ...(args.callsIssuerInCluster
                ? { calls: [{ endpoint: DEX_ENDPOINT, from: [podsWith(POD_LABELS)] }] }
                : {}),
        };
        this.registerOutputs({ forwardAuthUrl: this.forwardAuthUrl });
    }
}

/**
 * The flags oauth2-proxy runs with (the chart's `extraArgs`, rendered `--key=value`), beside
 * the chart's own `--http-address` and `--config` (email domains, the static upstream).
 */
export function oauth2ProxyFlags(
    args: Pick<
        OAuth2ProxyArgs,
        | "issuer"
        | "issuerEndpoints"
        | "groupsClaim"
        | "emailClaim"
        | "scopes"
        | "cookie"
        | "jwtIssuers"
        | "router"
    >,
    redirectUri: string,
): pulumi.Input<Record<string, pulumi.Input<string>>> {
    const cookie = args.cookie ?? {};
    const domain = args.router.domain;
    const ends = args.issuerEndpoints;
    const jwt = args.jwtIssuers ?? [];
    return {
        provider: "oidc",
        "oidc-issuer-url": args.issuer,
        "redirect-url": redirectUri,
        scope: (args.scopes ?? ["openid", "email", "profile", "groups"]).join(" "),
        "oidc-groups-claim": args.groupsClaim ?? "groups",
        "oidc-email-claim": args.emailClaim ?? "email",
        // Behind Traefik: the original host and path come in X-Forwarded-* headers, and the
        // user goes straight to the issuer (no intermediate button page). oauth2-proxy warns
        // that no --trusted-proxy-ip is set: the pod CIDR is not known here, and the
        // platform's network policy admits the router alone to the proxy's port.
        "reverse-proxy": "true",
        "skip-provider-button": "true",
        "set-xauthrequest": "true",
        // One session for every route under the domain; redirects back stay inside it.
        "cookie-domain": `.${domain}`,
        "whitelist-domain": `.${domain}`,
        "cookie-secure": String(cookie.secure ?? true),
        "cookie-httponly": "true",
        "cookie-samesite": cookie.sameSite ?? "lax",
        "cookie-expire": cookie.expire ?? "12h",
        "cookie-refresh": cookie.refresh ?? "1h",
        "silence-ping-logging": "true",
        ...(ends
            ? {
                  "skip-oidc-discovery": "true",
                  "login-url": ends.loginUrl,
                  "redeem-url": ends.redeemUrl,
                  "oidc-jwks-url": ends.jwksUrl,
              }
            : {}),
        // Bearer JWTs are sessions too: the issuer's own ID tokens (audience: the client), so
        // that `user:` members reach their routes from scripts, and those of `jwtIssuers`.
        "skip-jwt-bearer-tokens": "true",
        ...(jwt.length > 0
            ? { "extra-jwt-issuers": jwt.map((j) => `${j.issuer}=${j.audience}`).join(",") }
            : {}),
    };
}
