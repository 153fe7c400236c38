import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * How the router authenticates the people and machines that use its routes: not at all, a
 * generated password per route, or single sign-on through oauth2-proxy.
 */
export type RouterAuth =
    | { readonly mode: "none" }
    | { readonly mode: "basic"; readonly username: string }
    | {
          readonly mode: "oidc";
          /** oauth2-proxy's address in the cluster, which each route's forwardAuth asks. */
          readonly forwardAuthUrl: pulumi.Input<string>;
          /** Groups that reach every route, and the only ones that reach routes with no `access`. */
          readonly adminGroups: readonly string[];
      };

/** What a route needs to know of its router; built by `Traefik`, not by callers. */
export interface RouterSettings {
    readonly domain: string;
    /** HTTPS on `websecure`; false serves plain HTTP on `web`. */
    readonly tls: boolean;
    /** ACME resolver for the route's certificate. @default the router's default certificate */
    readonly certResolver?: string;
    readonly auth: RouterAuth;
    /** The resource that installs Traefik's CRDs; routes wait for it. */
    readonly crds: pulumi.Resource;
}

/** Who may use a route under single sign-on, besides the router's admin groups. */
export interface RouteAccess {
    /** Groups, as the identity provider's groups claim names them. */
    readonly groups: readonly string[];
    /**
     * Machines and people calling with a bearer JWT, by its `email` claim, or its `sub` when it
     * has no email (a GitHub Actions workflow, a service account). @default none
     */
    readonly subjects?: readonly string[];
}

/** What to expose, and how. */
export interface ExposeArgs {
    /** Namespace of the Service (and of the route). */
    readonly namespace: pulumi.Input<string>;
    /** The backend: a Service and port, or a TraefikService such as `api@internal`. */
    readonly service: {
        readonly name: pulumi.Input<string>;
        /** The Service's port (name or number). @default none: left out, as a TraefikService takes none */
        readonly port?: pulumi.Input<number | string>;
        /** @default "Service" */
        readonly kind?: "Service" | "TraefikService";
    };
    /** Host label under the domain. @default the route's name */
    readonly subdomain?: string;
    /** Who may pass single sign-on, besides the admin groups. @default the admin groups only */
    readonly access?: RouteAccess;
    /**
     * How the backend authenticates callers itself, recorded on the route as the
     * `mlops.dev/authenticated-by` annotation. With basic auth the route relies on it and gets
     * no password; under single sign-on it is behind both. @default none
     */
    readonly authenticatedBy?: string;
    /**
     * Why the route is open to anyone, recorded as the `mlops.dev/public` annotation: only the identity
     * provider's and the sign-in pages, which are the way in. @default none: the route is authenticated
     */
    readonly publicBecause?: string;
    /** Further Middlewares (in the route's namespace), applied after auth. @default [] */
    readonly middlewares?: readonly pulumi.Input<string>[];
    /**
     * The backend is a team's own server, which the team's members can replace, or runs what a
     * team supplies (a model server loading the team's artifact): the caller's credentials (the
     * `Cookie` header, which carries the sign-on session valid on every route, and
     * `Authorization`) are removed after authentication, so that such a backend cannot replay an
     * admin's session on other routes. @default false
     */
    readonly tenantBackend?: boolean;
}

/** What a tenant's backend never receives: the caller's session cookie and bearer token. */
export const STRIPPED_FROM_TENANT_BACKENDS = ["Cookie", "Authorization"] as const;

/** Arguments of {@link ExposedService}. */
export interface ExposedServiceArgs extends ExposeArgs {
    readonly router: RouterSettings;
}

/** Headers oauth2-proxy answers with (`--set-xauthrequest`) that Traefik passes to the backend. */
export const AUTH_RESPONSE_HEADERS = [
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Groups",
] as const;

/** The route rule that takes requests carrying a bearer token (longer, so it wins). */
export function bearerRule(host: string): string {
    return `Host(\`${host}\`) && HeaderRegexp(\`Authorization\`, \`^Bearer .+\`)`;
}

/**
 * oauth2-proxy's addresses for a route: its root (no session: a redirect to the issuer;
 * signed in but in none of `allowed_groups`: 403; else 202), and `/oauth2/auth` for bearer
 * tokens (invalid, expired or for another audience: 401; not in `allowed_emails`: 403).
 */
export function forwardAuthAddresses(
    base: pulumi.Input<string>,
    groups: readonly string[],
    subjects: readonly string[],
): { groups: pulumi.Output<string>; subjects: pulumi.Output<string> } {
    const list = (xs: readonly string[]) => [...new Set(xs)].map(encodeURIComponent).join(",");
    return {
        groups: pulumi.interpolate`${base}/?allowed_groups=${list(groups)}`,
        subjects: pulumi.interpolate`${base}/oauth2/auth?allowed_emails=${list(subjects)}`,
    };
}

/** Annotation naming why a route is open to anyone (the identity provider's own pages). */
export const PUBLIC_ROUTE = "mlops.dev/public";

/** Annotation naming how a route's backend authenticates its callers itself. */
export const AUTHENTICATED_BY = "mlops.dev/authenticated-by";

/** The Traefik CRD API version. */
export const TRAEFIK_API = "traefik.io/v1alpha1";

/**
 * One service served over HTTPS at `<subdomain>.<domain>`: an IngressRoute on the `websecure`
 * entry point behind the router's authentication. Under single sign-on a forwardAuth
 * Middleware asks oauth2-proxy whether the caller is in one of the route's groups, and, when
 * the route admits bearer-token subjects, a second rule takes requests carrying a bearer
 * token to a Middleware that checks the token's subject. With basic auth, a Middleware whose
 * htpasswd Secret holds a bcrypt hash of a generated password. Created by `Traefik.expose`.
 */
export class ExposedService extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:routing:ExposedService";
    /** `https://<host>`. */
    public readonly url: pulumi.Output<string>;
    public readonly host: string;
    /** Basic-auth user name, with basic auth. */
    public readonly username?: string;
    /** Basic-auth password (secret), with basic auth. */
    public readonly password?: pulumi.Output<string>;

    constructor(name: string, args: ExposedServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ExposedService.__pulumiType, name, {}, opts);
        const router = args.router;
        this.host = `${args.subdomain ?? name}.${router.domain}`;
        const scheme = router.tls ? "https" : "http";
        const child = { parent: this, dependsOn: [router.crds] };
        type MiddlewareRef = { name: pulumi.Input<string>; namespace: pulumi.Input<string> };
        const ref = (m: k8s.apiextensions.CustomResource): MiddlewareRef => ({
            name: m.metadata.name,
            namespace: args.namespace,
        });
        const extra = (args.middlewares ?? []).map((m) => ({ name: m, namespace: args.namespace }));
        if (args.tenantBackend) {
            // Traefik removes a request header that customRequestHeaders sets to "".
            const strip = new k8s.apiextensions.CustomResource(
                `${name}-strip-credentials`,
                {
                    apiVersion: TRAEFIK_API,
                    kind: "Middleware",
                    metadata: { name: `${name}-strip-credentials`, namespace: args.namespace },
                    spec: {
                        headers: {
                            customRequestHeaders: Object.fromEntries(
                                STRIPPED_FROM_TENANT_BACKENDS.map((h) => [h, ""]),
                            ),
                        },
                    },
                },
                child,
            );
            extra.unshift(ref(strip));
        }
        const auth = router.auth;
        const guarded = args.publicBecause === undefined;

        /** The route's rules: the browser's, then the bearer token's when it has one. */
        const rules: { match: string; middlewares: MiddlewareRef[] }[] = [];
        const hostRule = `Host(\`${this.host}\`)`;
        if (guarded && auth.mode === "oidc") {
            const groups = [...auth.adminGroups, ...(args.access?.groups ?? [])];
            const subjects = args.access?.subjects ?? [];
            const address = forwardAuthAddresses(auth.forwardAuthUrl, groups, subjects);
            const sso = this.forwardAuth(`${name}-sso`, args.namespace, address.groups, child);
            rules.push({ match: hostRule, middlewares: [ref(sso), ...extra] });
            if (subjects.length > 0) {
                const jwt = this.forwardAuth(
                    `${name}-jwt`,
                    args.namespace,
                    address.subjects,
                    child,
                );
                rules.push({ match: bearerRule(this.host), middlewares: [ref(jwt), ...extra] });
            }
        } else if (guarded && auth.mode === "basic" && args.authenticatedBy === undefined) {
            this.username = auth.username;
            const basic = this.basicAuth(name, args.namespace, auth.username, child);
            this.password = basic.password;
            rules.push({ match: hostRule, middlewares: [ref(basic.middleware), ...extra] });
        } else {
            rules.push({ match: hostRule, middlewares: extra });
        }

        new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: TRAEFIK_API,
                kind: "IngressRoute",
                metadata: {
                    name,
                    namespace: args.namespace,
                    ...(args.publicBecause || args.authenticatedBy
                        ? {
                              annotations: {
                                  ...(args.publicBecause
                                      ? { [PUBLIC_ROUTE]: args.publicBecause }
                                      : {}),
                                  ...(args.authenticatedBy
                                      ? { [AUTHENTICATED_BY]: args.authenticatedBy }
                                      : {}),
                              },
                          }
                        : {}),
                },
                spec: {
                    entryPoints: [router.tls ? "websecure" : "web"],
                    routes: rules.map((r) => ({
                        kind: "Rule",
                        match: r.match,
                        middlewares: r.middlewares,
                        services: [
                            {
                                name: args.service.name,
                                ...(args.service.port !== undefined
                                    ? { port: args.service.port }
                                    : {}),
                                kind: args.service.kind ?? "Service",
                            },
                        ],
                    })),
                    ...(router.tls
                        ? { tls: router.certResolver ? { certResolver: router.certResolver } : {} }
                        : {}),
                },
            },
            child,
        );

        this.url = pulumi.output(`${scheme}://${this.host}`);
        this.registerOutputs({ url: this.url });
    }

    /** A forwardAuth Middleware that asks oauth2-proxy at `address`. */
    private forwardAuth(
        name: string,
        namespace: pulumi.Input<string>,
        address: pulumi.Input<string>,
        opts: pulumi.CustomResourceOptions,
    ) {
        return new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: TRAEFIK_API,
                kind: "Middleware",
                metadata: { name, namespace },
                spec: {
                    forwardAuth: {
                        address,
                        // X-Forwarded-* come from Traefik, never from the caller.
                        trustForwardHeader: false,
                        authResponseHeaders: [...AUTH_RESPONSE_HEADERS],
                    },
                },
            },
            opts,
        );
    }

    /** A basicAuth Middleware and its generated password, kept hashed in an htpasswd Secret. */
    private basicAuth(
        name: string,
        namespace: pulumi.Input<string>,
        username: string,
        opts: pulumi.CustomResourceOptions,
    ) {
        const password = new random.RandomPassword(
            `${name}-auth`,
            { length: 24, special: false },
            { parent: this },
        );
        const htpasswd = new k8s.core.v1.Secret(
            `${name}-auth`,
            {
                metadata: { name: `${name}-auth`, namespace },
                // Traefik reads htpasswd lines from the single key of an Opaque Secret.
                stringData: {
                    users: pulumi.secret(pulumi.interpolate`${username}:${password.bcryptHash}`),
                },
            },
            { parent: this },
        );
        const middleware = new k8s.apiextensions.CustomResource(
            `${name}-auth`,
            {
                apiVersion: TRAEFIK_API,
                kind: "Middleware",
                metadata: { name: `${name}-auth`, namespace },
                spec: { basicAuth: { secret: htpasswd.metadata.name, removeHeader: true } },
            },
            opts,
        );
        return { middleware, password: pulumi.secret(password.result) };
    }
}
