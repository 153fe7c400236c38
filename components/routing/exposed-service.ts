import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** What a route needs to know of its router; built by `Traefik`, not by callers. */
export interface RouterSettings {
    readonly domain: string;
    /** HTTPS on `websecure`; false serves plain HTTP on `web`. */
    readonly tls: boolean;
    /** ACME resolver for the route's certificate. @default the router's default certificate */
    readonly certResolver?: string;
    readonly authUsername: string;
    /** The resource that installs Traefik's CRDs; routes wait for it. */
    readonly crds: pulumi.Resource;
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
    /** Put generated basic-auth credentials in front. @default true */
    readonly auth?: boolean;
    /**
     * When `auth` is false: how the backend authenticates callers itself (recorded on the
     * route as the `mlops.dev/authenticated-by` annotation for reviewers and policies).
     * @default none: the route is public
     */
    readonly authenticatedBy?: string;
    /** Further Middlewares (in the route's namespace), applied after auth. @default [] */
    readonly middlewares?: readonly pulumi.Input<string>[];
}

/** Arguments of {@link ExposedService}. */
export interface ExposedServiceArgs extends ExposeArgs {
    readonly router: RouterSettings;
}

/** Annotation naming how a route without basic auth authenticates its callers. */
export const AUTHENTICATED_BY = "mlops.dev/authenticated-by";

/** The Traefik CRD API version. */
export const TRAEFIK_API = "traefik.io/v1alpha1";

/**
 * One service served over HTTPS at `<subdomain>.<domain>`: an IngressRoute on the `websecure`
 * entry point and, unless turned off, a basic-auth Middleware whose htpasswd Secret holds a
 * bcrypt hash of a generated password. Created by `Traefik.expose`.
 */
export class ExposedService extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:routing:ExposedService";
    /** `https://<host>`. */
    public readonly url: pulumi.Output<string>;
    public readonly host: string;
    /** Basic-auth user name, when auth is on. */
    public readonly username?: string;
    /** Basic-auth password (secret), when auth is on. */
    public readonly password?: pulumi.Output<string>;

    constructor(name: string, args: ExposedServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ExposedService.__pulumiType, name, {}, opts);
        const router = args.router;
        this.host = `${args.subdomain ?? name}.${router.domain}`;
        const scheme = router.tls ? "https" : "http";
        const child = { parent: this, dependsOn: [router.crds] };
        const middlewares: { name: pulumi.Input<string>; namespace: pulumi.Input<string> }[] = [];

        if (args.auth ?? true) {
            this.username = router.authUsername;
            const password = new random.RandomPassword(
                `${name}-auth`,
                { length: 24, special: false },
                { parent: this },
            );
            this.password = pulumi.secret(password.result);
            const htpasswd = new k8s.core.v1.Secret(
                `${name}-auth`,
                {
                    metadata: { name: `${name}-auth`, namespace: args.namespace },
                    // Traefik reads htpasswd lines from the single key of an Opaque Secret.
                    stringData: {
                        users: pulumi.secret(
                            pulumi.interpolate`${this.username}:${password.bcryptHash}`,
                        ),
                    },
                },
                { parent: this },
            );
            const middleware = new k8s.apiextensions.CustomResource(
                `${name}-auth`,
                {
                    apiVersion: TRAEFIK_API,
                    kind: "Middleware",
                    metadata: { name: `${name}-auth`, namespace: args.namespace },
                    spec: { basicAuth: { secret: htpasswd.metadata.name, removeHeader: true } },
                },
                child,
            );
            middlewares.push({ name: middleware.metadata.name, namespace: args.namespace });
        }

        for (const m of args.middlewares ?? [])
            middlewares.push({ name: m, namespace: args.namespace });

        new k8s.apiextensions.CustomResource(
            name,
            {
                apiVersion: TRAEFIK_API,
                kind: "IngressRoute",
                metadata: {
                    name,
                    namespace: args.namespace,
                    ...(args.authenticatedBy
                        ? { annotations: { [AUTHENTICATED_BY]: args.authenticatedBy } }
                        : {}),
                },
                spec: {
                    entryPoints: [router.tls ? "websecure" : "web"],
                    routes: [
                        {
                            kind: "Rule",
                            match: `Host(\`${this.host}\`)`,
                            middlewares,
                            services: [
                                {
                                    name: args.service.name,
                                    ...(args.service.port !== undefined
                                        ? { port: args.service.port }
                                        : {}),
                                    kind: args.service.kind ?? "Service",
                                },
                            ],
                        },
                    ],
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
}
