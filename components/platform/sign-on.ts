import * as pulumi from "@pulumi/pulumi";
import { Dex, DexConnector, DexStaticUser } from "../identity/dex";
import { JwtIssuer, OAuth2Proxy, SessionCookie } from "../identity/oauth2-proxy";
import { Mirror } from "../mirror";
import { RouteAccess, RouterAuth } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { membersOfKind, parseMember } from "../tenancy/members";
import { ArgoSignOn, argoRedirectUri } from "../workflows/argo";

/** How the platform's routes authenticate callers (`mlops:routing.auth`). */
export interface PlatformAuth {
    /** @default true */
    readonly enabled?: boolean;
    /** @default "oidc" */
    readonly mode?: "oidc" | "basic";
    /** Basic auth's user name. @default "admin" */
    readonly username?: string;
    /** Single sign-on settings (mode oidc). @default the bundled Dex, admin group mlops-admins */
    readonly oidc?: {
        /** @default the bundled Dex */
        readonly issuer?: string;
        /** @default "mlops-platform" */
        readonly clientId?: string;
        /** Required with `issuer`. */
        readonly clientSecret?: pulumi.Input<string>;
        readonly groupsClaim?: string;
        readonly emailClaim?: string;
        readonly scopes?: readonly string[];
        /** @default ["mlops-admins"] */
        readonly adminGroups?: readonly string[];
        readonly cookie?: SessionCookie;
        readonly jwtIssuers?: readonly JwtIssuer[];
    };
    /** The bundled Dex (no `oidc.issuer`). @default no connectors, static users */
    readonly dex?: {
        readonly connectors?: readonly DexConnector[];
        /** @default true */
        readonly staticUsers?: boolean;
    };
}

/** A team as sign-on sees it: its name and `members` entries. */
export interface SignOnTeam {
    readonly name: string;
    readonly members: readonly string[];
}

/** The platform's single sign-on, when mode is oidc. */
export interface SignOn {
    readonly proxy: OAuth2Proxy;
    /** The bundled issuer, when no `oidc.issuer` is given. */
    readonly dex?: Dex;
    /** The issuer's URL. */
    readonly issuer: string;
    readonly clientId: string;
    /**
     * The redirect URIs to register for `clientId` at the issuer: oauth2-proxy's and, with an
     * issuer of the organisation's and Argo running, the Argo server's, which shares the client.
     */
    readonly redirectUris: readonly string[];
    /**
     * The Argo server's sign-on, when Argo runs: its own client at the bundled Dex, else the
     * platform's client.
     */
    readonly argo?: ArgoSignOn;
}

const DEFAULT_ADMIN_GROUPS = ["mlops-admins"];
/**
 * Where kubelogin (`kubectl oidc-login`) receives the sign-in on a member's machine: its
 * default loopback address and its fallback. The bundled Dex accepts them for the platform's
 * client, so that members sign in to `kubectl` as they do in a browser (docs/identity/kubectl.md).
 */
export const KUBELOGIN_REDIRECT_URIS = ["http://localhost:8000", "http://localhost:18000"];
const DEFAULT_CLIENT_ID = "mlops-platform";
/** The Argo server's client at the bundled Dex. */
export const ARGO_DEX_CLIENT_ID = "argo-workflows";

/** The router's authentication, from the platform's auth settings. */
export function routerAuth(auth: PlatformAuth, namespace: pulumi.Input<string>): RouterAuth {
    if (auth.enabled === false) return { mode: "none" };
    if ((auth.mode ?? "oidc") === "basic")
        return { mode: "basic", username: auth.username ?? "admin" };
    return {
        mode: "oidc",
        forwardAuthUrl: OAuth2Proxy.forwardAuthUrlIn(namespace),
        adminGroups: auth.oidc?.adminGroups ?? DEFAULT_ADMIN_GROUPS,
    };
}

/** The groups a team's routes admit: its `group:` members. */
export function teamGroups(team: SignOnTeam): string[] {
    return membersOfKind(team.members, "group");
}

/** Who a team's routes admit: its groups, and its users and machines on bearer tokens. */
export function teamAccess(team: SignOnTeam): RouteAccess {
    const members = team.members.map(parseMember);
    return {
        groups: members.filter((m) => m.kind === "group").map((m) => m.value),
        subjects: members.filter((m) => m.kind !== "group").map((m) => m.value),
    };
}

/** Who the shared services' routes admit: every team. */
export function everyTeamAccess(teams: readonly SignOnTeam[]): RouteAccess {
    const all = teams.map(teamAccess);
    const unique = (xs: string[]) => [...new Set(xs)];
    return {
        groups: unique(all.flatMap((a) => a.groups)),
        subjects: unique(all.flatMap((a) => a.subjects ?? [])),
    };
}

/**
 * The bundled Dex's static users: an admin in the admin groups, one user per team that has
 * groups (`<team>@<domain>`, in the team's groups), and each `user:` member, in the groups of
 * every team that lists it.
 */
export function staticUsers(
    domain: string,
    adminGroups: readonly string[],
    teams: readonly SignOnTeam[],
): DexStaticUser[] {
    const users: DexStaticUser[] = [{ email: `admin@${domain}`, groups: [...adminGroups] }];
    for (const t of teams) {
        const groups = teamGroups(t);
        if (groups.length > 0) users.push({ email: `${t.name}@${domain}`, groups });
    }
    const byEmail = new Map<string, Set<string>>();
    for (const t of teams) {
        for (const m of t.members.map(parseMember).filter((x) => x.kind === "user")) {
            const groups = byEmail.get(m.value) ?? new Set<string>();
            teamGroups(t).forEach((g) => groups.add(g));
            byEmail.set(m.value, groups);
        }
    }
    for (const [email, groups] of byEmail) {
        if (!users.some((u) => u.email === email)) users.push({ email, groups: [...groups] });
    }
    return users;
}

/**
 * oauth2-proxy in front of every route and, without an issuer of the organisation's, Dex as
 * the issuer. Returns nothing unless the mode is oidc.
 */
export function signOn(
    parent: pulumi.Resource,
    name: string,
    args: {
        readonly auth: PlatformAuth;
        readonly namespace: pulumi.Input<string>;
        readonly router: Traefik;
        readonly teams: readonly SignOnTeam[];
        readonly replicas: number;
        /** Argo Workflows runs: its server signs people in too. @default false */
        readonly workflows?: boolean;
        readonly mirror?: Mirror;
    },
): SignOn | undefined {
    const auth = args.auth;
    if (auth.enabled === false || (auth.mode ?? "oidc") !== "oidc") return undefined;
    const oidc = auth.oidc ?? {};
    const clientId = oidc.clientId ?? DEFAULT_CLIENT_ID;
    const redirectUri = OAuth2Proxy.redirectUriFor(args.router.domain);
    const argoRedirect = argoRedirectUri(args.router.domain);
    const adminGroups = oidc.adminGroups ?? DEFAULT_ADMIN_GROUPS;
    const common = { namespace: args.namespace, router: args.router, mirror: args.mirror };
    let dex: Dex | undefined;
    if (!oidc.issuer) {
        dex = new Dex(
            `${name}-dex`,
            {
                ...common,
                clients: [
                    {
                        id: clientId,
                        name: "MLOps platform",
                        redirectUris: [redirectUri, ...KUBELOGIN_REDIRECT_URIS],
                    },
                    ...(args.workflows
                        ? [
                              {
                                  id: ARGO_DEX_CLIENT_ID,
                                  name: "Argo Workflows",
                                  redirectUris: [argoRedirect],
                              },
                          ]
                        : []),
                ],
                connectors: auth.dex?.connectors,
                staticUsers:
                    (auth.dex?.staticUsers ?? true)
                        ? staticUsers(args.router.domain, adminGroups, args.teams)
                        : [],
            },
            { parent },
        );
    }
    const proxy = new OAuth2Proxy(
        `${name}-sso`,
        {
            ...common,
            issuer: dex?.issuer ?? oidc.issuer!,
            issuerEndpoints: dex
                ? {
                      loginUrl: `${dex.issuer}/auth`,
                      redeemUrl: pulumi.interpolate`${dex.internalUrl}/token`,
                      jwksUrl: pulumi.interpolate`${dex.internalUrl}/keys`,
                  }
                : undefined,
            clientId,
            clientSecret: dex ? dex.clientSecrets[clientId] : oidc.clientSecret!,
            groupsClaim: oidc.groupsClaim,
            emailClaim: oidc.emailClaim,
            // Dex issues refresh tokens only for offline_access.
            scopes:
                oidc.scopes ??
                (dex
                    ? ["openid", "email", "profile", "groups", "offline_access"]
                    : ["openid", "email", "profile", "groups"]),
            cookie: oidc.cookie,
            jwtIssuers: oidc.jwtIssuers,
            replicas: args.replicas,
            callsIssuerInCluster: dex !== undefined,
        },
        { parent, dependsOn: dex ? [dex.release] : [] },
    );
    const issuer = dex?.issuer ?? oidc.issuer!;
    // Argo adds `openid` itself and never refreshes (server/auth/sso/sso.go:191).
    const argoScopes = (oidc.scopes ?? ["email", "profile", "groups"]).filter(
        (s) => s !== "openid" && s !== "offline_access",
    );
    const argo: ArgoSignOn | undefined = !args.workflows
        ? undefined
        : dex
          ? {
                issuer,
                clientId: ARGO_DEX_CLIENT_ID,
                clientSecret: dex.clientSecrets[ARGO_DEX_CLIENT_ID],
                scopes: argoScopes,
                groupsClaim: oidc.groupsClaim,
                adminGroups,
                issuerOnRouter: true,
            }
          : {
                issuer,
                clientId,
                clientSecret: oidc.clientSecret!,
                scopes: argoScopes,
                groupsClaim: oidc.groupsClaim,
                adminGroups,
            };
    const redirectUris = [redirectUri, ...(argo && !dex ? [argoRedirect] : [])];
    return { proxy, dex, issuer, clientId, redirectUris, argo };
}
