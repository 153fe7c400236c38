/**
 * What the platform needs of an existing cluster, checked against its API server before
 * anything is created: a StorageClass for its volume claims (the one named by
 * `mlops:cluster.storageClass`, else the cluster's default). Without one, every claim stays
 * Pending and the Kubernetes provider waits ten minutes for each before it fails; this check
 * fails in a second and says what to change. Messages name the stack config keys.
 */
import * as http from "node:http";
import * as https from "node:https";
import * as pulumi from "@pulumi/pulumi";
import {
    ApiAccess,
    kubeconfigSources,
    resolveAccess,
    runExecPlugin,
    tlsAndHeaders,
} from "./kubeconfig";
import { ClusterDaemonSet, ClusterNode, ClusterReader } from "./network-policy-preflight";

/** The annotation that marks a default StorageClass, and its beta form (still honoured). */
export const DEFAULT_CLASS_ANNOTATIONS = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
] as const;

/** What the preflight reads. */
export interface PreflightArgs {
    /** Path to, or contents of, a kubeconfig. @default the ambient `KUBECONFIG` / `~/.kube/config` */
    readonly kubeconfig?: string;
    /** @default the current context */
    readonly context?: string;
    /** The StorageClass the platform's claims name. @default the cluster's default class */
    readonly storageClass?: string;
    /** @default 15000 */
    readonly timeoutMs?: number;
    /** @default process.env */
    readonly env?: NodeJS.ProcessEnv;
}

/** The outcome when the cluster passes, or why it could not be checked. */
export type PreflightResult =
    | { readonly checked: true; readonly storageClass: string; readonly isDefault: boolean }
    | { readonly checked: false; readonly reason: string };

/** The cluster lacks what the platform needs: printed without a stack trace. */
export class ClusterPreflightError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "ClusterPreflightError";
    }
}

interface StorageClass {
    metadata: { name: string; annotations?: Record<string, string>; creationTimestamp?: string };
    provisioner?: string;
}

function isDefault(c: StorageClass): boolean {
    return DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata.annotations?.[a] === "true");
}

function get(
    access: ApiAccess,
    apiPath: string,
    timeoutMs: number,
): Promise<{ status: number; body: string }> {
    const issued = access.exec ? runExecPlugin(access.exec) : {};
    const { agent, headers } = tlsAndHeaders(access, issued);
    const url = new URL(access.server + apiPath);
    const client = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
        const req = client.request(
            url,
            {
                method: "GET",
                headers: { ...headers, accept: "application/json" },
                timeout: timeoutMs,
                ...(url.protocol === "https:" ? agent : {}),
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        body: Buffer.concat(chunks).toString(),
                    }),
                );
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000}s`)));
        req.on("error", reject);
        req.end();
    });
}

function apiMessage(body: string): string {
    try {
        const m = (JSON.parse(body) as { message?: string }).message;
        if (m) return m;
    } catch {
        // not a Status object
    }
    return body.slice(0, 200);
}

/**
 * Checks that the cluster has the StorageClass the platform's claims need. Resolves with the
 * class in use, or with the reason the check could not run (a kubeconfig that authenticates
 * through a legacy auth provider, or a proxy); rejects with a {@link ClusterPreflightError}
 * that names the key to change.
 */
export async function checkClusterStorage(args: PreflightArgs = {}): Promise<PreflightResult> {
    const env = args.env ?? process.env;
    const timeoutMs = args.timeoutMs ?? 15_000;
    let access: ApiAccess;
    try {
        access = resolveAccess(kubeconfigSources(args.kubeconfig, env), args.context);
    } catch (e) {
        throw new ClusterPreflightError(
            `mlops:cluster.kubeconfig / mlops:cluster.context: ${(e as Error).message}`,
        );
    }
    const proxy = access.proxyUrl ?? env.HTTPS_PROXY ?? env.https_proxy;
    if (access.authProvider)
        return {
            checked: false,
            reason: `the kubeconfig user of context "${access.context}" authenticates through the "${access.authProvider}" auth provider`,
        };
    if (proxy)
        return {
            checked: false,
            reason: `the API server of context "${access.context}" is reached through a proxy (${proxy})`,
        };

    const where = `the cluster of context "${access.context}" (${access.server})`;
    let res: { status: number; body: string };
    try {
        res = await get(access, "/apis/storage.k8s.io/v1/storageclasses", timeoutMs);
    } catch (e) {
        throw new ClusterPreflightError(
            `mlops:cluster.context: cannot reach the API server of ${where}: ${(e as Error).message}. ` +
                "Check that the cluster is running and that mlops:cluster.context and mlops:cluster.kubeconfig point at it.",
        );
    }
    if (res.status === 401 || res.status === 403) {
        throw new ClusterPreflightError(
            `mlops:cluster.context: the API server of ${where} refused to list StorageClasses ` +
                `(${res.status}: ${apiMessage(res.body)}); the platform installs cluster-wide objects ` +
                "(CRDs, cluster roles, storage classes) and needs a cluster administrator's credentials.",
        );
    }
    if (res.status !== 200) {
        throw new ClusterPreflightError(
            `mlops:cluster.context: listing the StorageClasses of ${where} failed (${res.status}: ${apiMessage(res.body)})`,
        );
    }
    const classes = (JSON.parse(res.body) as { items?: StorageClass[] }).items ?? [];
    const names = classes
        .map((c) => `${c.metadata.name}${isDefault(c) ? " (default)" : ""}`)
        .sort()
        .join(", ");
    if (args.storageClass !== undefined) {
        if (classes.some((c) => c.metadata.name === args.storageClass)) {
            const c = classes.find((x) => x.metadata.name === args.storageClass)!;
            return { checked: true, storageClass: args.storageClass, isDefault: isDefault(c) };
        }
        throw new ClusterPreflightError(
            `mlops:cluster.storageClass: got "${args.storageClass}"; ${where} has no StorageClass of that name ` +
                (classes.length ? `(it has: ${names})` : "(it has none)") +
                ". Set it to one the cluster has, or leave it unset to use the cluster's default.",
        );
    }
    // With several defaults, Kubernetes gives claims the newest one.
    const defaults = classes
        .filter(isDefault)
        .sort((a, b) =>
            (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? ""),
        );
    if (defaults.length > 0) {
        return { checked: true, storageClass: defaults[0].metadata.name, isDefault: true };
    }
    const fix = classes.length
        ? `Mark one as the default (kubectl patch storageclass ${classes[0].metadata.name} -p ` +
          `'{"metadata":{"annotations":{"${DEFAULT_CLASS_ANNOTATIONS[0]}":"true"}}}') ` +
          `or set mlops:cluster.storageClass to one of: ${names}.`
        : "Install a volume provisioner with a default StorageClass (kind and k3d ship one: local-path), " +
          "or set mlops:cluster.storageClass to a class the cluster will have.";
    throw new ClusterPreflightError(
        `mlops:cluster.storageClass: not set, and ${where} has no default StorageClass, so the ` +
            `platform's volume claims (database, object store, shared filesystem) would never bind. ${fix}`,
    );
}

interface PodSpecLike {
    containers?: { image?: string; command?: string[]; args?: string[] }[];
    initContainers?: { image?: string; command?: string[]; args?: string[] }[];
}

/**
 * The cluster's DaemonSets and Nodes through its API server, for the network policy check
 * (`checkNetworkPolicyEnforcement`). Each read rejects with what went wrong (no such context,
 * unreachable, refused); the check turns that into a warning.
 */
export function kubeApiReader(args: PreflightArgs = {}): ClusterReader {
    const timeoutMs = args.timeoutMs ?? 15_000;
    let access: ApiAccess | undefined;
    const list = async <T>(apiPath: string, what: string): Promise<T[]> => {
        access ??= resolveAccess(
            kubeconfigSources(args.kubeconfig, args.env ?? process.env),
            args.context,
        );
        const res = await get(access, apiPath, timeoutMs);
        if (res.status !== 200) {
            throw new Error(`listing ${what} failed (${res.status}: ${apiMessage(res.body)})`);
        }
        return (JSON.parse(res.body) as { items?: T[] }).items ?? [];
    };
    return {
        daemonSets: async (): Promise<ClusterDaemonSet[]> =>
            (
                await list<{
                    metadata: { name: string; namespace: string };
                    spec?: { template?: { spec?: PodSpecLike } };
                }>("/apis/apps/v1/daemonsets", "DaemonSets")
            ).map((d) => {
                const pod = d.spec?.template?.spec ?? {};
                const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
                return {
                    namespace: d.metadata.namespace,
                    name: d.metadata.name,
                    images: containers.flatMap((c) => (c.image ? [c.image] : [])),
                    args: containers.flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]),
                };
            }),
        nodes: async (): Promise<ClusterNode[]> =>
            (
                await list<{
                    metadata: { name: string; annotations?: Record<string, string> };
                    spec?: { providerID?: string };
                }>("/api/v1/nodes", "Nodes")
            ).map((n) => ({
                name: n.metadata.name,
                providerID: n.spec?.providerID,
                annotations: n.metadata.annotations ?? {},
            })),
    };
}
