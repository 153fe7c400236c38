/**
 * Reading a kubeconfig the way kubectl does, to reach the API server directly: the files of
 * `KUBECONFIG` merged (the first file that names a context, cluster or user wins), paths
 * relative to the file that holds them, `*-data` before file paths, client certificates,
 * bearer tokens (inline or `tokenFile`), basic auth and exec credential plugins
 * (`client.authentication.k8s.io` ExecCredential). Used by the cluster preflight and by the
 * e2e tools.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";

/** One kubeconfig document and the file it came from (relative paths resolve against it). */
export interface KubeconfigSource {
    readonly file?: string;
    readonly text: string;
}

/** An exec credential plugin, as the kubeconfig's `user.exec` declares it. */
export interface ExecPlugin {
    readonly command: string;
    readonly args: string[];
    readonly env: Record<string, string>;
    readonly apiVersion: string;
}

/** How to reach and authenticate to the API server of one context. */
export interface ApiAccess {
    readonly context: string;
    readonly server: string;
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly insecure: boolean;
    readonly servername?: string;
    readonly token?: string;
    readonly basic?: { username: string; password: string };
    readonly exec?: ExecPlugin;
    /** A legacy `auth-provider` (gcp, oidc, azure): not supported here. */
    readonly authProvider?: string;
    /** The cluster's `proxy-url`: not supported here. */
    readonly proxyUrl?: string;
}

interface Named {
    name: string;
}
interface KubeconfigFile {
    "current-context"?: string;
    clusters?: (Named & { cluster: Record<string, unknown> })[];
    users?: (Named & { user: Record<string, unknown> })[];
    contexts?: (Named & { context: { cluster: string; user: string } })[];
}

function expandHome(p: string): string {
    return p.startsWith("~") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** The kubeconfig files in effect: the explicit list, else `$KUBECONFIG`, else ~/.kube/config. */
export function kubeconfigFiles(explicit?: string, env = process.env): string[] {
    const list = explicit ?? env.KUBECONFIG ?? path.join(os.homedir(), ".kube", "config");
    return list
        .split(path.delimiter)
        .filter(Boolean)
        .map(expandHome)
        .filter((f) => fs.existsSync(f));
}

/**
 * The documents a `kubeconfig` setting stands for, read as the Kubernetes provider reads
 * it: its contents when it holds a document (a newline or a JSON object), a path otherwise,
 * the ambient files when unset.
 */
export function kubeconfigSources(kubeconfig?: string, env = process.env): KubeconfigSource[] {
    if (kubeconfig !== undefined && /[\n{]/.test(kubeconfig.trim())) return [{ text: kubeconfig }];
    return kubeconfigFiles(kubeconfig, env).map((file) => ({
        file,
        text: fs.readFileSync(file, "utf8"),
    }));
}

/** Resolves one context of merged kubeconfig documents to an {@link ApiAccess}. */
export function resolveAccess(sources: readonly KubeconfigSource[], context?: string): ApiAccess {
    if (sources.length === 0) throw new Error("no kubeconfig found ($KUBECONFIG, ~/.kube/config)");
    const docs = sources.map((s) => ({
        file: s.file,
        doc: (yaml.load(s.text) ?? {}) as KubeconfigFile,
    }));
    const where = sources.map((s) => s.file ?? "the kubeconfig contents").join(", ");
    const current = context ?? docs.find((d) => d.doc["current-context"])?.doc["current-context"];
    if (!current) throw new Error(`no current context in ${where}`);
    const find = <K extends "clusters" | "users" | "contexts">(key: K, name: string) => {
        for (const { file, doc } of docs) {
            const hit = (doc[key] ?? []).find((e) => e.name === name);
            if (hit) return { file, entry: hit as NonNullable<KubeconfigFile[K]>[number] };
        }
        throw new Error(`kubeconfig: no ${key.slice(0, -1)} named "${name}" in ${where}`);
    };
    const ctx = (find("contexts", current).entry as { context: { cluster: string; user: string } })
        .context;
    const clusterHit = find("clusters", ctx.cluster);
    const userHit = find("users", ctx.user);
    const cluster = (clusterHit.entry as { cluster: Record<string, unknown> }).cluster;
    const user = (userHit.entry as { user: Record<string, unknown> }).user ?? {};
    const rel = (file: string | undefined, p: string) =>
        path.resolve(file ? path.dirname(file) : process.cwd(), expandHome(p));
    const data = (obj: Record<string, unknown>, key: string, file?: string) => {
        const inline = obj[`${key}-data`];
        if (typeof inline === "string") return Buffer.from(inline, "base64");
        const p = obj[key];
        return typeof p === "string" ? fs.readFileSync(rel(file, p)) : undefined;
    };
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const exec = user.exec as
        | {
              command: string;
              args?: string[];
              env?: { name: string; value: string }[] | null;
              apiVersion?: string;
          }
        | undefined;
    const authProvider = user["auth-provider"] as { name?: string } | undefined;
    const tokenFile = str(user.tokenFile);
    return {
        context: current,
        server: String(cluster.server ?? "").replace(/\/$/, ""),
        ca: data(cluster, "certificate-authority", clusterHit.file),
        cert: data(user, "client-certificate", userHit.file),
        key: data(user, "client-key", userHit.file),
        insecure: cluster["insecure-skip-tls-verify"] === true,
        servername: str(cluster["tls-server-name"]),
        token:
            str(user.token) ??
            (tokenFile ? fs.readFileSync(rel(userHit.file, tokenFile), "utf8").trim() : undefined),
        basic:
            typeof user.username === "string"
                ? { username: user.username, password: str(user.password) ?? "" }
                : undefined,
        exec: exec
            ? {
                  // A command with a path separator is relative to the kubeconfig's directory.
                  command: exec.command.includes("/")
                      ? rel(userHit.file, exec.command)
                      : exec.command,
                  args: exec.args ?? [],
                  env: Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])),
                  apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1",
              }
            : undefined,
        authProvider: authProvider ? (authProvider.name ?? "unnamed") : undefined,
        proxyUrl: str(cluster["proxy-url"]),
    };
}

/**
 * Runs an exec credential plugin non-interactively and returns what it issued: a bearer
 * token or a client certificate and key.
 */
export function runExecPlugin(plugin: ExecPlugin): { token?: string; cert?: Buffer; key?: Buffer } {
    const info = {
        apiVersion: plugin.apiVersion,
        kind: "ExecCredential",
        spec: { interactive: false },
    };
    let out: string;
    try {
        out = execFileSync(plugin.command, plugin.args, {
            env: { ...process.env, ...plugin.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 60_000,
        }).toString();
    } catch (e) {
        const stderr = String((e as { stderr?: Buffer }).stderr ?? "").trim();
        throw new Error(
            `the kubeconfig's credential plugin "${plugin.command}" failed: ${stderr || (e as Error).message}`,
        );
    }
    let status: { token?: string; clientCertificateData?: string; clientKeyData?: string };
    try {
        status = (JSON.parse(out) as { status?: typeof status }).status ?? {};
    } catch {
        throw new Error(
            `the kubeconfig's credential plugin "${plugin.command}" printed no ExecCredential`,
        );
    }
    return {
        token: status.token,
        cert: status.clientCertificateData ? Buffer.from(status.clientCertificateData) : undefined,
        key: status.clientKeyData ? Buffer.from(status.clientKeyData) : undefined,
    };
}

/** Node TLS options and request headers for an access without plugins (or a plugin's result). */
export function tlsAndHeaders(
    access: ApiAccess,
    issued: { token?: string; cert?: Buffer; key?: Buffer } = {},
): { agent: https.AgentOptions; headers: Record<string, string> } {
    const token = issued.token ?? access.token;
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    else if (access.basic) {
        const { username, password: secret } = access.basic;
        const b = Buffer.from(`${username}:${secret}`);
        headers.authorization = `Basic ${b.toString("base64")}`;
    }
    return {
        agent: {
            ca: access.ca,
            cert: issued.cert ?? access.cert,
            key: issued.key ?? access.key,
            rejectUnauthorized: !access.insecure,
            servername: access.servername,
        },
        headers,
    };
}
