/**
 * A test OpenID Connect issuer for `identity.sh`: it stands in for Dex at the paths Dex serves
 * (`/.well-known/openid-configuration`, `/auth`, `/token`, `/keys`, `/userinfo` under the
 * issuer's path), with a fresh RSA key per run and real RS256-signed ID tokens that carry the
 * groups claim. `/auth` logs in the user named by the `login_hint` query parameter or, failing
 * that, the `verify_user` cookie (the scripted clients' shortcut); when neither names a known
 * user it answers with a login page, an HTML form of login (email or user name) and password
 * that a browser fills and posts to `/auth/login`, as Dex's password connector does. A wrong
 * password or an unknown user gets the form again with 401; a user with no `password` in the
 * configuration cannot log in through the form.
 *
 *     npx tsx tools/verify/oidc-issuer.ts CONFIG.json
 *
 * CONFIG.json: `{ "issuer": "https://dex.example.test", "listen": { "host": "10.254.0.4",
 * "port": 5556 }, "groupsClaim": "groups", "clients": [{ "id": "...", "secret": "...",
 * "redirectURIs": ["..."] }], "users": { "alice": { "email": "...", "groups": ["..."],
 * "password": "..." } } }` (`password` optional).
 * Each line of its log is one JSON object: `{event, ...}`; `{"event":"ready"}` once listening.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";

/** The issuer's configuration file. */
interface IssuerConfig {
    readonly issuer: string;
    readonly listen: { readonly host: string; readonly port: number };
    /** @default "groups" */
    readonly groupsClaim?: string;
    /** ID and access token lifetime in seconds. @default 3600 */
    readonly tokenTTL?: number;
    readonly clients: readonly {
        readonly id: string;
        readonly secret: string;
        readonly redirectURIs: readonly string[];
    }[];
    readonly users: Readonly<
        Record<
            string,
            { readonly email: string; readonly groups: string[]; readonly password?: string }
        >
    >;
}

/** What an authorization code stands for until it is redeemed. */
interface Grant {
    readonly user: string;
    readonly clientId: string;
    readonly redirectURI: string;
    readonly nonce?: string;
    readonly scope: string;
    readonly codeChallenge?: string;
    readonly codeChallengeMethod?: string;
}

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as IssuerConfig;
const issuer = config.issuer.replace(/\/$/, "");
const basePath = new URL(issuer).pathname.replace(/\/$/, "");
const groupsClaim = config.groupsClaim ?? "groups";
const ttl = config.tokenTTL ?? 3600;

const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = publicKey.export({ format: "jwk" });
const kid = crypto
    .createHash("sha256")
    .update(publicKey.export({ format: "der", type: "spki" }))
    .digest("base64url")
    .slice(0, 16);

const codes = new Map<string, Grant>();
/** Authorization requests waiting for the login form, by the form's hidden `req` field. */
const pending = new Map<string, Omit<Grant, "user"> & { state: string | null }>();
const refreshTokens = new Map<string, Omit<Grant, "redirectURI" | "codeChallenge">>();

function log(event: string, fields: Record<string, unknown> = {}): void {
    process.stdout.write(JSON.stringify({ event, ...fields }) + "\n");
}

function b64url(value: unknown): string {
    return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** An RS256 JWT signed with this run's key. */
function sign(claims: Record<string, unknown>): string {
    const input = `${b64url({ alg: "RS256", typ: "JWT", kid })}.${b64url(claims)}`;
    const signature = crypto.sign("sha256", Buffer.from(input), privateKey).toString("base64url");
    return `${input}.${signature}`;
}

/** The claims of a user's tokens, as Dex sets them. */
function userClaims(user: string, clientId: string, nonce?: string): Record<string, unknown> {
    const u = config.users[user];
    const now = Math.floor(Date.now() / 1000);
    return {
        iss: issuer,
        sub: crypto.createHash("sha256").update(user).digest("base64url").slice(0, 22),
        aud: clientId,
        exp: now + ttl,
        iat: now,
        ...(nonce ? { nonce } : {}),
        email: u.email,
        email_verified: true,
        name: user,
        preferred_username: user,
        [groupsClaim]: u.groups,
    };
}

function tokenResponse(grant: Omit<Grant, "redirectURI">): Record<string, unknown> {
    const claims = userClaims(grant.user, grant.clientId, grant.nonce);
    const accessToken = sign({ ...claims, nonce: undefined });
    const idClaims = {
        ...claims,
        // at_hash: the left half of SHA-256 of the access token (OIDC Core 3.1.3.6).
        at_hash: crypto
            .createHash("sha256")
            .update(accessToken)
            .digest()
            .subarray(0, 16)
            .toString("base64url"),
    };
    const refreshToken = crypto.randomBytes(24).toString("base64url");
    refreshTokens.set(refreshToken, {
        user: grant.user,
        clientId: grant.clientId,
        scope: grant.scope,
    });
    return {
        access_token: accessToken,
        token_type: "bearer",
        expires_in: ttl,
        id_token: sign(idClaims),
        ...(grant.scope.split(" ").includes("offline_access")
            ? { refresh_token: refreshToken }
            : {}),
    };
}

function send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
        "Content-Type": typeof body === "string" ? "text/plain" : "application/json",
        "Cache-Control": "no-store",
        ...headers,
    });
    res.end(text);
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
    for (const part of (req.headers.cookie ?? "").split(";")) {
        const [k, ...v] = part.trim().split("=");
        if (k === name) return decodeURIComponent(v.join("="));
    }
    return undefined;
}

/** The client a token request authenticates as (HTTP Basic or form fields), or undefined. */
function tokenClient(req: http.IncomingMessage, form: URLSearchParams) {
    let id = form.get("client_id") ?? "";
    let secret = form.get("client_secret") ?? "";
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
    if (basic) {
        const [u, ...p] = Buffer.from(basic[1], "base64").toString().split(":");
        id = decodeURIComponent(u);
        secret = decodeURIComponent(p.join(":"));
    }
    return config.clients.find((c) => c.id === id && c.secret === secret);
}

function authorize(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const q = url.searchParams;
    const client = config.clients.find((c) => c.id === q.get("client_id"));
    const redirectURI = q.get("redirect_uri") ?? "";
    if (!client || !client.redirectURIs.includes(redirectURI)) {
        log("authorize-refused", { client: q.get("client_id"), redirectURI });
        return send(res, 400, "unknown client or redirect_uri");
    }
    if (q.get("response_type") !== "code")
        return send(res, 400, "only response_type=code is served");
    const request = {
        clientId: client.id,
        redirectURI,
        nonce: q.get("nonce") ?? undefined,
        scope: q.get("scope") ?? "openid",
        codeChallenge: q.get("code_challenge") ?? undefined,
        codeChallengeMethod: q.get("code_challenge_method") ?? undefined,
        state: q.get("state"),
    };
    const user = q.get("login_hint") ?? cookie(req, "verify_user");
    if (user && config.users[user]) return grantCode(res, user, request);
    const id = crypto.randomBytes(16).toString("base64url");
    pending.set(id, request);
    log("login-form", { client: client.id });
    loginPage(res, 200, id);
}

/** Issues a code for `user` and sends the browser back to the client with it. */
function grantCode(
    res: http.ServerResponse,
    user: string,
    request: Omit<Grant, "user"> & { state: string | null },
): void {
    const { state, ...grant } = request;
    const code = crypto.randomBytes(16).toString("base64url");
    codes.set(code, { ...grant, user });
    const target = new URL(grant.redirectURI);
    target.searchParams.set("code", code);
    if (state !== null) target.searchParams.set("state", state);
    log("authorize", { user, client: grant.clientId, redirectURI: grant.redirectURI });
    send(res, 302, "", { Location: target.toString() });
}

function escapeHtml(text: string): string {
    return text.replace(
        /[&<>"']/g,
        (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
    );
}

/** The login form, posting to `/auth/login` with the pending request's ID. */
function loginPage(res: http.ServerResponse, status: number, id: string, error?: string): void {
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in to the test issuer</title>
<style>body{font-family:sans-serif;margin:4em auto;max-width:28em}label{display:block;margin:1em 0 .3em}
input{width:100%;padding:.4em;font-size:1em}button{margin-top:1.5em;padding:.5em 2em;font-size:1em}
.error{color:#b00020}</style></head>
<body><h1>Log in</h1><p>Test OpenID Connect issuer at ${escapeHtml(issuer)}</p>
${error ? `<p class="error" id="login-error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${escapeHtml(basePath)}/auth/login">
<input type="hidden" name="req" value="${escapeHtml(id)}">
<label for="login">Email address</label><input id="login" name="login" type="text" autocomplete="username" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button id="submit-login" type="submit">Login</button>
</form></body></html>
`;
    res.writeHead(status, {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
    });
    res.end(html);
}

/** The login form's post: the user by email or name, with the configured password. */
function login(res: http.ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const id = form.get("req") ?? "";
    const request = pending.get(id);
    if (!request) return send(res, 400, "unknown or used login request");
    const login = form.get("login") ?? "";
    const user = Object.keys(config.users).find(
        (u) => u === login || config.users[u].email === login,
    );
    const password = user ? config.users[user].password : undefined;
    if (!user || password === undefined || password !== (form.get("password") ?? "")) {
        log("login-refused", { login });
        return loginPage(res, 401, id, "Invalid email address and password.");
    }
    pending.delete(id);
    grantCode(res, user, request);
}

function token(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const client = tokenClient(req, form);
    if (!client) return send(res, 401, { error: "invalid_client" });
    const grantType = form.get("grant_type");
    if (grantType === "authorization_code") {
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        if (
            !grant ||
            grant.clientId !== client.id ||
            grant.redirectURI !== form.get("redirect_uri")
        )
            return send(res, 400, { error: "invalid_grant" });
        if (grant.codeChallenge) {
            const verifier = form.get("code_verifier") ?? "";
            const expected =
                grant.codeChallengeMethod === "S256"
                    ? crypto.createHash("sha256").update(verifier).digest("base64url")
                    : verifier;
            if (expected !== grant.codeChallenge)
                return send(res, 400, { error: "invalid_grant", error_description: "PKCE" });
        }
        log("token", { user: grant.user, client: client.id, grantType });
        return send(res, 200, tokenResponse(grant));
    }
    if (grantType === "refresh_token") {
        const grant = refreshTokens.get(form.get("refresh_token") ?? "");
        refreshTokens.delete(form.get("refresh_token") ?? "");
        if (!grant || grant.clientId !== client.id)
            return send(res, 400, { error: "invalid_grant" });
        log("token", { user: grant.user, client: client.id, grantType });
        return send(res, 200, tokenResponse(grant));
    }
    send(res, 400, { error: "unsupported_grant_type" });
}

function userinfo(req: http.IncomingMessage, res: http.ServerResponse): void {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "");
    const [header, payload, signature] = (bearer?.[1] ?? "").split(".");
    const valid =
        signature !== undefined &&
        crypto.verify(
            "sha256",
            Buffer.from(`${header}.${payload}`),
            publicKey,
            Buffer.from(signature, "base64url"),
        );
    if (!valid) return send(res, 401, { error: "invalid_token" });
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<
        string,
        unknown
    >;
    send(res, 200, {
        sub: claims.sub,
        email: claims.email,
        email_verified: true,
        [groupsClaim]: claims[groupsClaim],
    });
}

const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    const path = url.pathname.startsWith(basePath)
        ? url.pathname.slice(basePath.length)
        : url.pathname;
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
        try {
            if (req.method === "GET" && path === "/.well-known/openid-configuration") {
                return send(res, 200, {
                    issuer,
                    authorization_endpoint: `${issuer}/auth`,
                    token_endpoint: `${issuer}/token`,
                    jwks_uri: `${issuer}/keys`,
                    userinfo_endpoint: `${issuer}/userinfo`,
                    response_types_supported: ["code"],
                    subject_types_supported: ["public"],
                    id_token_signing_alg_values_supported: ["RS256"],
                    code_challenge_methods_supported: ["S256", "plain"],
                    scopes_supported: ["openid", "email", "groups", "profile", "offline_access"],
                    token_endpoint_auth_methods_supported: [
                        "client_secret_basic",
                        "client_secret_post",
                    ],
                    claims_supported: ["iss", "sub", "aud", "iat", "exp", "email", groupsClaim],
                });
            }
            if (req.method === "GET" && path === "/keys")
                return send(res, 200, { keys: [{ ...jwk, kid, use: "sig", alg: "RS256" }] });
            if (req.method === "GET" && path === "/auth") return authorize(req, res, url);
            if (req.method === "POST" && path === "/auth/login") return login(res, body);
            if (req.method === "POST" && path === "/token") return token(req, res, body);
            if (path === "/userinfo") return userinfo(req, res);
            send(res, 404, "not found");
        } catch (e) {
            log("error", { message: String(e) });
            send(res, 500, "internal error");
        }
    });
});

server.listen(config.listen.port, config.listen.host, () =>
    log("ready", { issuer, listen: config.listen, kid }),
);
