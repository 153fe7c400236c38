/** Guardrails for single sign-on: who each route admits, and who is bound in the cluster. */
import { ofType, resourcePolicy, stackPolicy } from "./policy-builders";
import { PUBLIC_ROUTE } from "./routing";

const INGRESS_ROUTE = "kubernetes:traefik.io/v1alpha1:IngressRoute";
const MIDDLEWARE = "kubernetes:traefik.io/v1alpha1:Middleware";
const RELEASE = "kubernetes:helm.sh/v3:Release";
/**
 * Kubernetes groups that hold every caller (or every anonymous one, or every service account
 * of every namespace, or the cluster's superusers).
 */
const EVERYONE: Readonly<Record<string, string>> = {
    "system:authenticated": "every caller",
    "system:unauthenticated": "every caller",
    "system:serviceaccounts": "every service account of every namespace",
    "system:masters": "the cluster's superusers, beyond RBAC",
};

/** The `allowed_groups` and `allowed_emails` a forwardAuth address asks oauth2-proxy to check. */
export function admittedBy(address: string): { groups: string[]; emails: string[] } {
    const query = new URL(address, "http://placeholder").searchParams;
    const list = (key: string) =>
        query
            .getAll(key)
            .flatMap((v) => v.split(","))
            .filter((v) => v !== "");
    return { groups: list("allowed_groups"), emails: list("allowed_emails") };
}

export const ssoRouteGroupRule = resourcePolicy({
    name: "sso-route-group-rule",
    description:
        "Every forwardAuth Middleware names the groups (allowed_groups) or bearer-token subjects (allowed_emails) it admits.",
    enforcementLevel: "mandatory",
    types: [MIDDLEWARE],
    validate: (props, report) => {
        const address = props?.spec?.forwardAuth?.address;
        if (address === undefined) return;
        if (typeof address !== "string") throw new Error("forwardAuth.address is not known yet");
        const { groups, emails } = admittedBy(address);
        if (groups.length === 0 && emails.length === 0) {
            report(
                `forwardAuth address '${address}' names no allowed_groups or allowed_emails: it admits anyone who can sign in`,
            );
        }
    },
});

export const ssoOnEveryRoute = stackPolicy({
    name: "sso-on-every-route",
    description:
        "Every route that is not a sign-in page asks oauth2-proxy (forwardAuth), none uses basic auth, and the session cookie is secure.",
    enforcementLevel: "advisory",
    validate: (args, report) => {
        const proxies = ofType(args, RELEASE).filter((r) =>
            /(^|\/)oauth2-proxy$/.test(String(r.props?.chart ?? "")),
        );
        const guarded = ofType(args, INGRESS_ROUTE).filter(
            (r) => !r.props?.metadata?.annotations?.[PUBLIC_ROUTE],
        );
        // A stack with no route to guard (a team stack) needs no proxy of its own.
        if (proxies.length === 0 && guarded.length > 0) {
            report(
                "no oauth2-proxy release: routes are not behind single sign-on (routing.auth.mode oidc)",
            );
        }
        for (const p of proxies) {
            if (p.props?.values?.extraArgs?.["cookie-secure"] !== "true")
                report(
                    "oauth2-proxy's session cookie is not secure (cookie-secure is not true)",
                    p.urn,
                );
        }
        const middlewares = ofType(args, MIDDLEWARE);
        for (const m of middlewares.filter((x) => x.props?.spec?.basicAuth)) {
            report(
                `Middleware '${m.props?.metadata?.name}' is basic auth: one shared password, no user`,
                m.urn,
            );
        }
        const forwardAuth = new Set(
            middlewares
                .filter((m) => m.props?.spec?.forwardAuth)
                .map((m) => `${m.props?.metadata?.namespace}/${m.props?.metadata?.name}`),
        );
        for (const r of guarded) {
            const ns = r.props?.metadata?.namespace;
            for (const route of r.props?.spec?.routes ?? []) {
                const asks = (route.middlewares ?? []).some((m: any) =>
                    forwardAuth.has(`${m.namespace ?? ns}/${m.name}`),
                );
                if (!asks) report(`route '${route.match}' is not behind single sign-on`, r.urn);
            }
        }
    },
});

export const noEveryoneBindings = resourcePolicy({
    name: "no-everyone-bindings",
    description:
        "No RoleBinding or ClusterRoleBinding grants a role to a cluster-wide group: system:authenticated, system:unauthenticated, system:serviceaccounts or system:masters.",
    enforcementLevel: "advisory",
    types: [
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    ],
    validate: (props, report) => {
        for (const s of props?.subjects ?? []) {
            if (s?.kind === "Group" && Object.prototype.hasOwnProperty.call(EVERYONE, s?.name))
                report(
                    `binds role '${props?.roleRef?.name}' to group '${s.name}': ${EVERYONE[s.name]}`,
                );
        }
    },
});

export const identityPolicies = [ssoRouteGroupRule, ssoOnEveryRoute, noEveryoneBindings];
