/**
 * What `mlops:routing.auth` refuses, one case per refusal of stacks/config.ts's `authCheck` and
 * `authModeScope`, each the exact message from a config valid but for that one value; and that
 * the values each refusal turns away pass where they are used.
 */
import { configProblems, SSO } from "./support/fixtures";

const GCP = { project: "my-project", region: "us-central1" };
const AWS = { region: "us-east-1", accountId: "123456789012" };
const ACME = { mode: "acme", acme: { email: "ops@example.com" } };
const ISSUER = "https://login.example.com";
/** A local platform (the bundled Dex) with these `routing.auth` settings. */
const local = (auth: object, routing: object = {}) => ({ routing: { ...routing, auth } });
/** A prod gcp platform with these `routing.auth` settings. */
const prodGcp = (auth: object) => ({
    cloud: "gcp",
    environment: "prod",
    cluster: { gcp: GCP },
    routing: { tls: ACME, auth },
});

describe("routing.auth refuses", () => {
    it.each<[string, Record<string, unknown>, string]>([
        [
            "single sign-on off in prod",
            prodGcp({ enabled: false }),
            "mlops:routing.auth.enabled: got false; prod stacks put single sign-on in front of every route: remove it",
        ],
        [
            "no issuer on gcp (the bundled Dex runs on local only)",
            { cloud: "gcp", cluster: { gcp: GCP } },
            "mlops:routing.auth.oidc.issuer: got nothing; required on gcp when mode is oidc (the bundled Dex runs on local only): your identity provider's issuer URL, see docs/identity/",
        ],
        [
            "no issuer on aws",
            { cloud: "aws", cluster: { aws: AWS } },
            "mlops:routing.auth.oidc.issuer: got nothing; required on aws when mode is oidc (the bundled Dex runs on local only): your identity provider's issuer URL, see docs/identity/",
        ],
        [
            "an issuer without its client's secret",
            local({ oidc: { issuer: ISSUER } }),
            'mlops:routing.auth.oidc.clientSecret: got nothing; required with oidc.issuer: the secret of client "mlops-platform" at https://login.example.com (pulumi config set --secret --path mlops:routing.auth.oidc.clientSecret)',
        ],
        [
            "a client secret for the bundled Dex, which generates its own",
            local({ oidc: { clientSecret: "s" } }),
            "mlops:routing.auth.oidc.clientSecret: got a value; the bundled Dex's client secret is generated: remove it, or set oidc.issuer to use your own identity provider",
        ],
        [
            "Dex settings beside an issuer of the organisation's, on local",
            local({ oidc: { issuer: ISSUER, clientSecret: "s" }, dex: { connectors: [] } }),
            "mlops:routing.auth.dex: got a value; the bundled Dex runs only when oidc.issuer is not set: remove it, or remove oidc.issuer",
        ],
        [
            "a secure cookie over plain HTTP, where sign-in would loop",
            local({ mode: "oidc" }, { tls: { mode: "none" } }),
            "mlops:routing.auth.oidc.cookie.secure: got true; tls.mode is none (plain HTTP), where browsers never send a secure cookie and sign-in loops: set it false (dev only) or turn TLS on",
        ],
        [
            "an insecure cookie in prod",
            prodGcp({ oidc: { issuer: ISSUER, clientSecret: "s", cookie: { secure: false } } }),
            "mlops:routing.auth.oidc.cookie.secure: got false; prod stacks send the session cookie over HTTPS only: remove it",
        ],
        [
            "SameSite=None without secure",
            local(
                { oidc: { cookie: { secure: false, sameSite: "none" } } },
                { tls: { mode: "none" } },
            ),
            'mlops:routing.auth.oidc.cookie.sameSite: got "none"; browsers refuse SameSite=None without secure: set cookie.secure true or sameSite lax',
        ],
        [
            "SameSite=Strict, which drops the cookie on the issuer's redirect back",
            local({ oidc: { cookie: { sameSite: "strict" } } }),
            'mlops:routing.auth.oidc.cookie.sameSite: got "strict"; must be one of "lax", "none"',
        ],
        [
            "no admin group: the platform's routes would admit no one",
            local({ oidc: { adminGroups: [] } }),
            "mlops:routing.auth.oidc.adminGroups: got []; must list at least one group",
        ],
        [
            "a JWT issuer without the audience its tokens must carry",
            local({
                oidc: { jwtIssuers: [{ issuer: "https://token.actions.githubusercontent.com" }] },
            }),
            "mlops:routing.auth.oidc.jwtIssuers[0].audience: got nothing; must be a string",
        ],
        [
            "a JWT issuer over plain HTTP",
            local({ oidc: { jwtIssuers: [{ issuer: "http://x.example.com", audience: "a" }] } }),
            'mlops:routing.auth.oidc.jwtIssuers[0].issuer: got "http://x.example.com"; must be an https URL of a JWT issuer, e.g. https://login.example.com',
        ],
        [
            "a Dex connector type Dex does not build in",
            local({ dex: { connectors: [{ type: "kerberos", id: "k", name: "K", config: {} }] } }),
            'mlops:routing.auth.dex.connectors[0].type: got "kerberos"; must be one of "oidc", "github", "gitlab", "google", "ldap", "saml", "microsoft", "keystone", "bitbucket-cloud", "openshift", "oauth", "authproxy", "linkedin", "gitea", "atlassian-crowd"',
        ],
        [
            "basic auth's user name under single sign-on",
            local({ username: "bob" }),
            'mlops:routing.auth.username: got "bob"; not used when routing.auth.mode is "oidc": remove it',
        ],
    ])("%s", (_what, raw, message) => {
        expect(configProblems(raw)).toEqual([message]);
    });

    it("the sign-on keys under basic auth, each by name", () => {
        expect(
            configProblems(
                local({ mode: "basic", oidc: { adminGroups: ["x"] }, dex: { connectors: [] } }),
            ),
        ).toEqual([
            'mlops:routing.auth.oidc: got {"adminGroups":["x"]}; not used when routing.auth.mode is "basic": remove it',
            'mlops:routing.auth.dex: got {"connectors":[]}; not used when routing.auth.mode is "basic": remove it',
        ]);
    });
});

describe("routing.auth takes, where each is used", () => {
    it.each<[string, Record<string, unknown>]>([
        ["the bundled Dex on local, with its own settings", local({ dex: { connectors: [] } })],
        [
            "an issuer of the organisation's on gcp",
            { cloud: "gcp", cluster: { gcp: GCP }, routing: SSO },
        ],
        [
            "an insecure cookie over plain HTTP in dev",
            local({ oidc: { cookie: { secure: false } } }, { tls: { mode: "none" } }),
        ],
        ["SameSite=None with secure", local({ oidc: { cookie: { sameSite: "none" } } })],
        [
            "basic auth's user name under basic auth in dev",
            local({ mode: "basic", username: "bob" }),
        ],
        ["single sign-on off in dev", local({ enabled: false })],
        ["prod's defaults: oidc, a secure cookie", prodGcp(SSO.auth)],
    ])("%s", (_what, raw) => {
        expect(configProblems(raw)).toEqual([]);
    });
});
