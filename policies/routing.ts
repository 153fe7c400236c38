/** Guardrails for what the router exposes. */
import { resourcePolicy, stackPolicy, ofType } from "./policy-builders";

const INGRESS_ROUTE = "kubernetes:traefik.io/v1alpha1:IngressRoute";
const MIDDLEWARE = "kubernetes:traefik.io/v1alpha1:Middleware";
/** Annotation by which a route declares that its backend authenticates callers itself. */
export const AUTHENTICATED_BY = "mlops.dev/authenticated-by";
/** Annotation by which a route declares why it is open to anyone (the sign-in pages). */
export const PUBLIC_ROUTE = "mlops.dev/public";

export const routeHttpsOnly = resourcePolicy({
    name: "traefik-route-https-only",
    description: "Every IngressRoute is served only on the HTTPS entry point, with TLS.",
    enforcementLevel: "advisory",
    types: [INGRESS_ROUTE],
    validate: (props, report) => {
        const entryPoints: string[] = props?.spec?.entryPoints ?? [];
        if (entryPoints.length === 0 || entryPoints.some((e) => e !== "websecure")) {
            report(`entry points [${entryPoints.join(", ")}] are not only 'websecure'`);
        }
        if (!props?.spec?.tls) report("no TLS section");
    },
});

export const redirectHttpToHttps = resourcePolicy({
    name: "traefik-redirects-http-to-https",
    description: "The Traefik chart redirects every plain-HTTP request to HTTPS.",
    enforcementLevel: "advisory",
    types: ["kubernetes:helm.sh/v3:Release"],
    validate: (props, report) => {
        if (!/(^|\/)traefik$/.test(String(props?.chart ?? ""))) return;
        const redirect = props?.values?.ports?.web?.http?.redirections?.entryPoint;
        if (redirect?.to !== "websecure" || redirect?.scheme !== "https") {
            report(
                "ports.web.http.redirections.entryPoint does not send HTTP to websecure over https",
            );
        }
        if (props?.values?.ports?.websecure?.http?.tls?.enabled === false)
            report("websecure has TLS turned off");
    },
});

export const uiRouteAuthenticated = stackPolicy({
    name: "traefik-route-authenticated",
    description:
        "Every IngressRoute has an authentication middleware (basic or forward auth) or names the backend's own authentication.",
    enforcementLevel: "advisory",
    validate: (args, report) => {
        const authMiddlewares = new Set(
            ofType(args, MIDDLEWARE)
                .filter(
                    (m) =>
                        m.props?.spec?.basicAuth ||
                        m.props?.spec?.forwardAuth ||
                        m.props?.spec?.digestAuth,
                )
                .map((m) => `${m.props?.metadata?.namespace}/${m.props?.metadata?.name}`),
        );
        for (const r of ofType(args, INGRESS_ROUTE)) {
            const annotations = r.props?.metadata?.annotations ?? {};
            if (annotations[AUTHENTICATED_BY] || annotations[PUBLIC_ROUTE]) continue;
            const ns = r.props?.metadata?.namespace;
            for (const route of r.props?.spec?.routes ?? []) {
                const ok = (route.middlewares ?? []).some((m: any) =>
                    authMiddlewares.has(`${m.namespace ?? ns}/${m.name}`),
                );
                if (!ok) report(`route '${route.match}' has no authentication middleware`, r.urn);
            }
        }
    },
});

export const ingressTls = resourcePolicy({
    name: "k8s-ingress-tls",
    description: "Every Kubernetes Ingress terminates TLS.",
    enforcementLevel: "advisory",
    types: ["kubernetes:networking.k8s.io/v1:Ingress"],
    validate: (props, report) => {
        if (!(props?.spec?.tls ?? []).length) report("Ingress has no tls section");
    },
});

/** ACME directories whose certificates no browser trusts (Let's Encrypt's staging, and others'). */
const STAGING_ACME = /staging/i;

export const trustedCertificates = resourcePolicy({
    name: "routes-trusted-certificate",
    description:
        "The router serves certificates clients trust: no self-signed certificate, no ACME staging directory.",
    enforcementLevel: "advisory",
    types: ["tls:index/selfSignedCert:SelfSignedCert", "kubernetes:helm.sh/v3:Release"],
    validate: (props, report, args) => {
        if (args.type === "tls:index/selfSignedCert:SelfSignedCert") {
            report(`self-signed certificate for ${(props?.dnsNames ?? []).join(", ")}`);
            return;
        }
        for (const [name, r] of Object.entries<any>(props?.values?.certificatesResolvers ?? {})) {
            const server = r?.acme?.caServer;
            if (typeof server === "string" && STAGING_ACME.test(server))
                report(`certificate resolver '${name}' uses the staging ACME directory ${server}`);
        }
    },
});

export const helmRepositoryHttps = resourcePolicy({
    name: "helm-repository-https",
    description: "Charts come from an https:// or oci:// repository, never over plain HTTP.",
    enforcementLevel: "advisory",
    types: ["kubernetes:helm.sh/v3:Release"],
    validate: (props, report) => {
        const repo = props?.repositoryOpts?.repo;
        const chart = props?.chart;
        for (const url of [repo, chart]) {
            if (typeof url === "string" && url.startsWith("http://"))
                report(`chart '${props?.name ?? chart}' is fetched over plain HTTP from ${url}`);
        }
    },
});

export const routingPolicies = [
    routeHttpsOnly,
    redirectHttpToHttps,
    uiRouteAuthenticated,
    ingressTls,
    trustedCertificates,
    helmRepositoryHttps,
];
