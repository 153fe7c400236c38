/**
 * kubectl for members against a real kube-apiserver: the OIDC flags docs/identity/kubectl.md
 * gives, a test issuer that signs real RS256 ID tokens with a groups claim (served over HTTPS
 * with a self-signed certificate shaped like the platform's, as the bundled Dex is), and the
 * team RoleBinding the program renders (Team under the plan's recording mocks). Each check
 * sends a token with `kubectl --token` and compares what the API server says.
 *
 * Run as root from the repository root, with an etcd and a kube-apiserver binary of your own
 * (no defaults):
 *
 *     ETCD=/path/to/etcd KUBE_APISERVER=/path/to/kube-apiserver npx tsx tools/verify/kubectl-oidc.ts
 *
 * Needs `openssl` and `kubectl` on PATH. Listens on 127.0.0.1 ports 24379, 24380, 24443 and
 * 24643 only; everything it starts it stops, and its files are in a temporary folder it
 * removes. Exit status 0 only when every check holds.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { TeamFences } from "../../components/tenancy/admission";
import { Team } from "../../components/tenancy/team";
import { reveal, settle, startRecording } from "../plan/recorder";
import { kubectlAt, waitFor as waitForIn } from "./loopback-kubectl";

const ETCD = process.env.ETCD;
const KUBE_APISERVER = process.env.KUBE_APISERVER;
const ETCD_CLIENT = 24379;
const ETCD_PEER = 24380;
const ISSUER_PORT = 24443;
const API_PORT = 24643;
const ISSUER = `https://127.0.0.1:${ISSUER_PORT}`;
const CLIENT_ID = "mlops-platform";
/** The prefix the docs give both flags, and the platform's default member prefix. */
const PREFIX = "oidc:";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-oidc-"));
const started: ChildProcess[] = [];
let failures = 0;

function check(what: string, ok: boolean, detail = ""): void {
    console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}`);
    if (!ok) failures++;
}

function start(cmd: string, args: string[], log: string): ChildProcess {
    const out = fs.openSync(path.join(dir, log), "w");
    const child = spawn(cmd, args, { stdio: ["ignore", out, out] });
    started.push(child);
    return child;
}

/** Stops what this script started, the API server first; SIGKILL after 10 s. */
async function stopAll(): Promise<void> {
    for (const c of started.reverse()) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
    }
}

/** The platform's self-signed certificate, in shape: ECDSA P-256, not a CA, server auth. */
function selfSignedCert(stem: string): { cert: string; key: string } {
    const key = path.join(dir, `${stem}.key`);
    const cert = path.join(dir, `${stem}.crt`);
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "1",
            "-subj",
            "/CN=*.mlops.localtest.me/O=mlops-platform",
            "-addext",
            "subjectAltName=DNS:mlops.localtest.me,DNS:*.mlops.localtest.me,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ],
        { stdio: "ignore" },
    );
    return { cert: fs.readFileSync(cert, "utf8"), key: fs.readFileSync(key, "utf8") };
}

/** An OpenID Connect issuer: discovery, JWKS, and tokens signed with its RSA key. */
function testIssuer(tlsPair: { cert: string; key: string }) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", use: "sig", alg: "RS256" };
    const server = https.createServer(tlsPair, (req, res) => {
        const body =
            req.url === "/.well-known/openid-configuration"
                ? {
                      issuer: ISSUER,
                      jwks_uri: `${ISSUER}/keys`,
                      authorization_endpoint: `${ISSUER}/auth`,
                      token_endpoint: `${ISSUER}/token`,
                      response_types_supported: ["code"],
                      subject_types_supported: ["public"],
                      id_token_signing_alg_values_supported: ["RS256"],
                  }
                : req.url === "/keys"
                  ? { keys: [jwk] }
                  : undefined;
        res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
        res.end(body ? JSON.stringify(body) : "");
    });
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const token = (claims: Record<string, unknown>) => {
        const now = Math.floor(Date.now() / 1000);
        const head = b64({ alg: "RS256", kid: "k1", typ: "JWT" });
        const payload = b64({ iss: ISSUER, aud: CLIENT_ID, iat: now, exp: now + 600, ...claims });
        const sig = crypto.sign("sha256", Buffer.from(`${head}.${payload}`), privateKey);
        return `${head}.${payload}.${sig.toString("base64url")}`;
    };
    return { server, token };
}

/** The team's Namespace and member RoleBinding as the program renders them. */
async function renderTeam(team: string, members: string[]): Promise<object[]> {
    const rec = startRecording({ stack: "verify" });
    new Team(team, {
        members,
        quota: { cpu: "1", memory: "1Gi", gpu: 0, storage: "1Gi", pods: 1 },
        platformNamespace: "mlops",
        platformServices: TEAM_SERVICES,
    });
    await settle();
    const obj = (type: string, name: string) =>
        reveal(rec.get(type, name).inputs) as Record<string, unknown>;
    return [
        obj("kubernetes:core/v1:Namespace", team),
        obj("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", `${team}-members`),
    ];
}

/** The members' ClusterRole as the platform renders it. */
async function renderMemberRole(): Promise<object> {
    const rec = startRecording({ stack: "verify" });
    new TeamFences("mlops-fences");
    await settle();
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        ...(reveal(
            rec.get("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "mlops-fences-member")
                .inputs,
        ) as object),
    };
}

const kubectl = kubectlAt(API_PORT);
const waitFor = (what: string, ok: () => Promise<boolean>, seconds: number) =>
    waitForIn(what, ok, seconds, dir);

async function main(): Promise<void> {
    if (!ETCD || !KUBE_APISERVER) throw new Error("set ETCD and KUBE_APISERVER");
    // The documented order on kind and k3d: the cluster starts with the flags and a placeholder
    // certificate in the CA file, before the platform (and its issuer) exists.
    const tlsPair = selfSignedCert("issuer");
    const caFile = path.join(dir, "oidc-ca.crt");
    fs.writeFileSync(caFile, selfSignedCert("placeholder").cert);

    start(
        ETCD,
        [
            `--data-dir=${path.join(dir, "etcd")}`,
            `--listen-client-urls=http://127.0.0.1:${ETCD_CLIENT}`,
            `--advertise-client-urls=http://127.0.0.1:${ETCD_CLIENT}`,
            `--listen-peer-urls=http://127.0.0.1:${ETCD_PEER}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${ETCD_PEER}`,
            `--initial-cluster=default=http://127.0.0.1:${ETCD_PEER}`,
        ],
        "etcd.log",
    );

    const admin = crypto.randomBytes(16).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${admin},admin,admin,system:masters\n`);
    execFileSync("openssl", ["genrsa", "-out", path.join(dir, "sa.key"), "2048"], {
        stdio: "ignore",
    });
    // The flags of docs/identity/kubectl.md, with this issuer's URL.
    const oidcFlags = [
        `--oidc-issuer-url=${ISSUER}`,
        `--oidc-client-id=${CLIENT_ID}`,
        "--oidc-username-claim=email",
        `--oidc-username-prefix=${PREFIX}`,
        "--oidc-groups-claim=groups",
        `--oidc-groups-prefix=${PREFIX}`,
        `--oidc-ca-file=${caFile}`,
    ];
    const apiServer = async (log: string) => {
        const proc = start(
            KUBE_APISERVER,
            [
                `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT}`,
                "--bind-address=127.0.0.1",
                `--secure-port=${API_PORT}`,
                `--cert-dir=${path.join(dir, "pki")}`,
                `--token-auth-file=${path.join(dir, "tokens.csv")}`,
                "--authorization-mode=RBAC",
                "--service-cluster-ip-range=10.96.0.0/16",
                `--service-account-issuer=https://kubernetes.default.svc`,
                `--service-account-key-file=${path.join(dir, "sa.key")}`,
                `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
                ...oidcFlags,
            ],
            log,
        );
        await waitFor(
            "kube-apiserver",
            async () => (await kubectl(["get", "--raw=/readyz"], admin)).out === "ok",
            120,
        );
        return proc;
    };
    const first = await apiServer("kube-apiserver-1.log");
    const version = JSON.parse((await kubectl(["get", "--raw=/version"], admin)).out).gitVersion;
    console.log(`kube-apiserver ${version}, flags: ${oidcFlags.join(" ")}`);
    check("the API server starts with the flags before the issuer exists", true);

    // The platform comes up: its issuer serves, behind a certificate the CA file lacks.
    const issuer = testIssuer(tlsPair);
    await new Promise<void>((r) => issuer.server.listen(ISSUER_PORT, "127.0.0.1", r));
    const person = (email: string, groups: string[], more: Record<string, unknown> = {}) =>
        issuer.token({ sub: email.split("@")[0], email, email_verified: true, groups, ...more });
    const bob = person("bob@example.com", ["ml-vision"]);
    await new Promise((r) => setTimeout(r, 15_000));
    const early = await kubectl(["auth", "whoami"], bob);
    check(
        "with the placeholder CA file, a valid token is refused (401)",
        early.status !== 0 && /Unauthorized/.test(early.out),
        early.out,
    );

    // The documented fix: the platform's certificate into the CA file, then restart the API
    // server (it reads the file at start only).
    fs.copyFileSync(path.join(dir, "issuer.crt"), caFile);
    const exited = new Promise((r) => first.once("exit", r));
    first.kill("SIGTERM");
    await exited;
    await apiServer("kube-apiserver-2.log");

    // Two teams as the program binds them (default prefix oidc:).
    const objects = [
        await renderMemberRole(),
        ...(await renderTeam("vision", ["group:ml-vision", "alice@example.com", "sub:ci"])),
        ...(await renderTeam("nlp", ["group:ml-nlp"])),
    ];
    // The `edit` ClusterRole aggregates its rules from the roles labelled aggregate-to-edit, which
    // kube-controller-manager's aggregation controller copies in; with no controller manager
    // here, copy them the same way.
    const parts = await kubectl(
        [
            "get",
            "clusterroles",
            "-l",
            "rbac.authorization.k8s.io/aggregate-to-edit=true",
            "-o",
            "json",
        ],
        admin,
    );
    const rules = (JSON.parse(parts.out).items as { rules?: unknown[] }[]).flatMap(
        (r) => r.rules ?? [],
    );
    const patched = await kubectl(
        ["patch", "clusterrole", "edit", "--type=merge", `-p=${JSON.stringify({ rules })}`],
        admin,
    );
    check("edit aggregates its rules", patched.status === 0 && rules.length > 0, patched.out);
    const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
    const applied = await kubectl(["apply", "-f", "-"], admin, list);
    check(
        "the rendered member role, Namespaces and RoleBindings apply",
        applied.status === 0,
        applied.out,
    );
    const jsonpath = "jsonpath={.subjects[*].name}";
    const subjects = await kubectl(
        ["get", "rolebinding", "team-members", "-n", "team-vision", "-o", jsonpath],
        admin,
    );
    check(
        "team-vision's binding names oidc:ml-vision and oidc:alice@example.com, not sub:ci",
        subjects.out === "oidc:ml-vision oidc:alice@example.com",
        subjects.out,
    );

    // The API server fetches the issuer's keys in the background once it starts.
    await waitFor(
        "the OIDC authenticator",
        async () => (await kubectl(["auth", "whoami", "-o", "json"], bob)).status === 0,
        60,
    );
    const who = JSON.parse((await kubectl(["auth", "whoami", "-o", "json"], bob)).out).status
        .userInfo;
    check(
        "a member of ml-vision is oidc:bob@example.com in oidc:ml-vision",
        who.username === "oidc:bob@example.com" &&
            who.groups.includes("oidc:ml-vision") &&
            who.groups.includes("system:authenticated"),
        JSON.stringify(who),
    );
    const can = async (token: string, ns: string, verb = "create", what = "deployments") =>
        (await kubectl(["auth", "can-i", verb, what, "-n", ns], token)).out;
    check(
        "ml-vision member: create deployments in team-vision",
        (await can(bob, "team-vision")) === "yes",
    );
    check("ml-vision member: not in team-nlp", (await can(bob, "team-nlp")) === "no");
    const alice = person("alice@example.com", []);
    check(
        "user member alice@example.com, in no group: create deployments in team-vision",
        (await can(alice, "team-vision")) === "yes",
    );
    const carol = person("carol@example.com", ["ml-nlp"]);
    check(
        "ml-nlp member: in team-nlp, not in team-vision",
        (await can(carol, "team-nlp")) === "yes" && (await can(carol, "team-vision")) === "no",
    );
    // The binding as it was named before prefixes (Group "ml-vision"): matches no one.
    const before = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "unprefixed", namespace: "team-nlp" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "Group", name: "ml-vision", apiGroup: "rbac.authorization.k8s.io" }],
    };
    await kubectl(["apply", "-f", "-"], admin, JSON.stringify(before));
    check(
        "control: a binding of Group ml-vision, unprefixed, gives bob nothing in team-nlp",
        (await can(bob, "team-nlp")) === "no",
    );
    const mallory = person("mallory@example.com", ["system:masters"]);
    check(
        "a groups claim of system:masters is oidc:system:masters: no secrets in kube-system",
        (await can(mallory, "kube-system", "list", "secrets")) === "no",
    );
    const refused = async (what: string, token: string) => {
        const r = await kubectl(["auth", "whoami"], token);
        check(`${what}: 401`, r.status !== 0 && /Unauthorized/.test(r.out), r.out);
    };
    await refused(
        "a token for another client",
        person("bob@example.com", ["ml-vision"], { aud: "other" }),
    );
    await refused(
        "an expired token",
        person("bob@example.com", ["ml-vision"], { iat: 1_000_000_000, exp: 1_000_000_600 }),
    );
    await refused(
        "email_verified false (the username claim is email)",
        person("bob@example.com", ["ml-vision"], { email_verified: false }),
    );
}

main()
    .catch((e: Error) => {
        console.error(e.message);
        failures++;
    })
    .finally(async () => {
        await stopAll();
        if (failures === 0) fs.rmSync(dir, { recursive: true, force: true });
        else console.log(`logs kept in ${dir}`);
        console.log(failures === 0 ? "all checks passed" : `${failures} check(s) failed`);
        process.exit(failures === 0 ? 0 : 1);
    });
