/**
 * A minimal Kubernetes API client for the e2e tools: reads a kubeconfig as the program's
 * cluster preflight does (components/cluster/kubeconfig.ts: client certificate, bearer token
 * or basic auth; `KUBECONFIG` lists are merged), talks HTTPS with Node's own client. Users that authenticate through an exec or auth-provider plugin (GKE, EKS) are
 * reached through `kubectl get --raw` instead, read-only.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { kubeconfigFiles, resolveAccess, tlsAndHeaders } from "../../components/cluster/kubeconfig";

export interface ApiResponse<T = unknown> {
    status: number;
    body: T;
}

export class ApiError extends Error {
    constructor(
        public readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata: {
        name: string;
        namespace?: string;
        uid?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        creationTimestamp?: string;
        resourceVersion?: string;
        deletionTimestamp?: string;
        finalizers?: string[];
        ownerReferences?: { kind: string; name: string }[];
    };
    [key: string]: unknown;
}

export interface KubeList<T = KubeObject> {
    items: T[];
}

export { kubeconfigFiles };

export class KubeClient {
    public readonly context: string;
    public readonly server: string;
    /** Set when the user authenticates through a plugin: reads go through kubectl. */
    public readonly viaKubectl: boolean;
    private readonly agent?: https.Agent;
    private readonly headers: Record<string, string> = {};

    constructor(
        private readonly files: string[],
        context?: string,
    ) {
        const access = resolveAccess(
            files.map((file) => ({ file, text: fs.readFileSync(file, "utf8") })),
            context,
        );
        this.context = access.context;
        this.server = access.server;
        this.viaKubectl = Boolean(access.exec || access.authProvider);
        if (!this.viaKubectl) {
            const { agent, headers } = tlsAndHeaders(access);
            this.agent = new https.Agent({ ...agent, keepAlive: true });
            Object.assign(this.headers, headers);
        }
    }

    /** One API call; `body` is sent as JSON (or as the patch type given). */
    public async request<T = unknown>(
        method: string,
        apiPath: string,
        body?: unknown,
        contentType = "application/json",
    ): Promise<ApiResponse<T>> {
        if (this.viaKubectl) {
            if (method !== "GET")
                throw new Error(`${method} ${apiPath}: plugin users are read-only here`);
            try {
                const out = execFileSync(
                    "kubectl",
                    ["--context", this.context, "get", "--raw", apiPath],
                    {
                        env: { ...process.env, KUBECONFIG: this.files.join(path.delimiter) },
                        maxBuffer: 1 << 28,
                    },
                );
                return { status: 200, body: JSON.parse(out.toString()) as T };
            } catch (e) {
                const msg = String((e as { stderr?: Buffer }).stderr ?? e);
                const status = /NotFound|not found/i.test(msg) ? 404 : 500;
                return { status, body: { message: msg } as T };
            }
        }
        const url = new URL(this.server + apiPath);
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    agent: this.agent,
                    headers: {
                        ...this.headers,
                        accept: "application/json",
                        ...(payload
                            ? { "content-type": contentType, "content-length": payload.length }
                            : {}),
                    },
                    timeout: 60_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString();
                        let parsed: unknown = text;
                        try {
                            parsed = text ? JSON.parse(text) : undefined;
                        } catch {
                            // not JSON: keep the text
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed as T });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
            req.on("error", reject);
            if (payload) req.write(payload);
            req.end();
        });
    }

    /** GET that must succeed (2xx). */
    public async get<T = unknown>(apiPath: string): Promise<T> {
        const r = await this.request<T>("GET", apiPath);
        if (r.status < 200 || r.status >= 300) {
            throw new ApiError(r.status, `GET ${apiPath}: ${r.status} ${message(r.body)}`);
        }
        return r.body;
    }

    /** Every listable resource the server serves (preferred version of each group). */
    public async resources(): Promise<ApiResource[]> {
        const out: ApiResource[] = [];
        const core = await this.get<{ resources: RawResource[] }>("/api/v1");
        for (const r of core.resources) out.push(resource("", "v1", r));
        const groups = await this.get<{
            groups: { name: string; preferredVersion: { groupVersion: string } }[];
        }>("/apis");
        for (const g of groups.groups) {
            const gv = g.preferredVersion.groupVersion;
            try {
                const list = await this.get<{ resources: RawResource[] }>(`/apis/${gv}`);
                for (const r of list.resources) out.push(resource(g.name, gv, r));
            } catch {
                // an unavailable aggregated API: nothing to list there
            }
        }
        return out.filter((r) => !r.name.includes("/") && r.verbs.includes("list"));
    }
}

interface RawResource {
    name: string;
    kind: string;
    namespaced: boolean;
    verbs: string[];
}

export interface ApiResource extends RawResource {
    group: string;
    groupVersion: string;
    /** Path of the cluster-wide list. */
    listPath: string;
}

function resource(group: string, groupVersion: string, r: RawResource): ApiResource {
    const base = group === "" ? `/api/${groupVersion}` : `/apis/${groupVersion}`;
    return { ...r, group, groupVersion, listPath: `${base}/${r.name}` };
}

export function message(body: unknown): string {
    if (body && typeof body === "object" && "message" in body) {
        return String((body as { message: unknown }).message);
    }
    return typeof body === "string" ? body.slice(0, 300) : "";
}
