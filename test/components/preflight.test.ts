/**
 * The cluster preflight against a real HTTPS server that answers as the API server does
 * (StorageClassList, Status on refusal), with client-certificate, token and exec-plugin
 * users, and wired into ExistingCluster's provider under mocks.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { ExistingCluster } from "../../components/cluster/existing";
import { kubeconfigSources, resolveAccess } from "../../components/cluster/kubeconfig";
import { NETWORK_POLICY_ADVICE } from "../../components/cluster/network-policy-preflight";
import { ClusterPreflightError, checkClusterStorage } from "../../components/cluster/preflight";
import { record, settled } from "../support/harness";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
const f = (n: string) => path.join(dir, n);
const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });

interface Answer {
    status: number;
    body: unknown;
}
let answer: Answer;
/** What the server answers for DaemonSets and Nodes (the network policy check). */
let daemonSets: Answer;
let nodes: Answer;
const seen: { authorization?: string; clientCert: boolean; url?: string }[] = [];
let server: https.Server;
let url: string;

const sc = (
    name: string,
    annotations: Record<string, string> = {},
    created = "2026-01-01T00:00:00Z",
) => ({
    metadata: { name, annotations, creationTimestamp: created },
    provisioner: "rancher.io/local-path",
});
const list = (...items: unknown[]): Answer => ({
    status: 200,
    body: { kind: "StorageClassList", apiVersion: "storage.k8s.io/v1", items },
});
const DEFAULT = { "storageclass.kubernetes.io/is-default-class": "true" };

beforeAll(async () => {
    // A CA, a server certificate for 127.0.0.1 and a client certificate it signed.
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.crt"),
    );
    for (const [n, subj] of [
        ["server", "/CN=127.0.0.1"],
        ["client", "/CN=admin/O=system:masters"],
    ]) {
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            subj,
            "-keyout",
            f(`${n}.key`),
            "-out",
            f(`${n}.csr`),
        );
        fs.writeFileSync(
            f(`${n}.ext`),
            n === "server" ? "subjectAltName=IP:127.0.0.1\n" : "extendedKeyUsage=clientAuth\n",
        );
        openssl(
            "x509",
            "-req",
            "-in",
            f(`${n}.csr`),
            "-CA",
            f("ca.crt"),
            "-CAkey",
            f("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f(`${n}.ext`),
            "-out",
            f(`${n}.crt`),
        );
    }
    server = https.createServer(
        {
            key: fs.readFileSync(f("server.key")),
            cert: fs.readFileSync(f("server.crt")),
            ca: fs.readFileSync(f("ca.crt")),
            requestCert: true,
            rejectUnauthorized: false,
        },
        (req, res) => {
            const tls = req.socket as import("node:tls").TLSSocket;
            seen.push({
                authorization: req.headers.authorization,
                clientCert: tls.authorized,
                url: req.url,
            });
            const unauthenticated = !tls.authorized && !req.headers.authorization;
            const a = unauthenticated
                ? { status: 401, body: { kind: "Status", message: "Unauthorized" } }
                : req.url === "/apis/apps/v1/daemonsets"
                  ? daemonSets
                  : req.url === "/api/v1/nodes"
                    ? nodes
                    : answer;
            res.writeHead(a.status, { "content-type": "application/json" });
            res.end(JSON.stringify(a.body));
        },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
    seen.length = 0;
    answer = list(sc("local-path", DEFAULT));
    daemonSets = { status: 200, body: { kind: "DaemonSetList", items: [] } };
    nodes = { status: 200, body: { kind: "NodeList", items: [] } };
});

/** A kubeconfig file for `user`, context `test` (current) plus `other`. */
function kubeconfig(user: Record<string, unknown>, server = url, file = "kubeconfig"): string {
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": "test",
        clusters: [
            { name: "c", cluster: { server, "certificate-authority": "ca.crt" } },
            {
                name: "down",
                cluster: { server: "https://127.0.0.1:1", "certificate-authority": "ca.crt" },
            },
        ],
        users: [{ name: "u", user }],
        contexts: [
            { name: "test", context: { cluster: "c", user: "u" } },
            { name: "stopped", context: { cluster: "down", user: "u" } },
        ],
    };
    fs.writeFileSync(f(file), yaml.dump(doc));
    return f(file);
}
const certUser = { "client-certificate": "client.crt", "client-key": "client.key" };

describe("kubeconfig access", () => {
    it("merges KUBECONFIG files (first wins) and resolves paths against each file", () => {
        const a = kubeconfig(certUser, url, "a.yaml");
        fs.writeFileSync(
            f("b.yaml"),
            yaml.dump({
                "current-context": "ignored",
                clusters: [{ name: "c", cluster: { server: "https://elsewhere" } }],
                users: [{ name: "t", user: { token: "tkn" } }],
                contexts: [{ name: "token", context: { cluster: "c", user: "t" } }],
            }),
        );
        const sources = kubeconfigSources(undefined, {
            KUBECONFIG: `${a}${path.delimiter}${f("b.yaml")}`,
        });
        expect(sources.map((s) => s.file)).toEqual([a, f("b.yaml")]);
        const current = resolveAccess(sources);
        expect(current).toMatchObject({ context: "test", server: url, insecure: false });
        expect(current.ca).toEqual(fs.readFileSync(f("ca.crt")));
        expect(current.cert).toEqual(fs.readFileSync(f("client.crt")));
        const token = resolveAccess(sources, "token");
        expect(token).toMatchObject({ server: url, token: "tkn" });
        expect(() => resolveAccess(sources, "nope")).toThrow(
            `kubeconfig: no context named "nope" in ${a}, ${f("b.yaml")}`,
        );
    });

    it("reads a kubeconfig's contents as contents and anything else as a path", () => {
        const file = kubeconfig({ token: "x" });
        const text = fs.readFileSync(file, "utf8");
        expect(kubeconfigSources(text)).toEqual([{ text }]);
        expect(kubeconfigSources(file)).toEqual([{ file, text }]);
        expect(kubeconfigSources(f("missing"))).toEqual([]);
    });
});

describe("checkClusterStorage", () => {
    it("passes with the cluster's default class, over a client certificate", async () => {
        const kc = kubeconfig(certUser);
        await expect(checkClusterStorage({ kubeconfig: kc })).resolves.toEqual({
            checked: true,
            storageClass: "local-path",
            isDefault: true,
        });
        expect(seen).toEqual([
            {
                authorization: undefined,
                clientCert: true,
                url: "/apis/storage.k8s.io/v1/storageclasses",
            },
        ]);
    });

    it("takes the newest of several defaults, as Kubernetes does, and the beta annotation", async () => {
        answer = list(
            sc("old", DEFAULT, "2025-01-01T00:00:00Z"),
            sc(
                "new",
                { "storageclass.beta.kubernetes.io/is-default-class": "true" },
                "2026-06-01T00:00:00Z",
            ),
        );
        await expect(
            checkClusterStorage({ kubeconfig: kubeconfig(certUser) }),
        ).resolves.toMatchObject({
            storageClass: "new",
        });
    });

    it("passes with the named class, and sends a bearer token", async () => {
        answer = list(sc("fast"), sc("local-path", DEFAULT));
        await expect(
            checkClusterStorage({
                kubeconfig: kubeconfig({ token: "s3cret" }),
                storageClass: "fast",
            }),
        ).resolves.toEqual({ checked: true, storageClass: "fast", isDefault: false });
        expect(seen[0]).toMatchObject({ authorization: "Bearer s3cret", clientCert: false });
    });

    it("runs an exec credential plugin and uses the token it issues", async () => {
        const plugin = f("plugin.sh");
        fs.writeFileSync(
            plugin,
            '#!/bin/sh\necho "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"from-$MODE\\"}}"\n',
            { mode: 0o755 },
        );
        const kc = kubeconfig({
            exec: {
                apiVersion: "client.authentication.k8s.io/v1",
                command: "./plugin.sh",
                env: [{ name: "MODE", value: "plugin" }],
                interactiveMode: "Never",
            },
        });
        await expect(checkClusterStorage({ kubeconfig: kc })).resolves.toMatchObject({
            checked: true,
        });
        expect(seen[0].authorization).toBe("Bearer from-plugin");
    });

    it("fails fast without a default class, naming the key, the classes and the fix", async () => {
        answer = list(sc("slow"), sc("fast"));
        await expect(checkClusterStorage({ kubeconfig: kubeconfig(certUser) })).rejects.toThrow(
            new ClusterPreflightError(
                `mlops:cluster.storageClass: not set, and the cluster of context "test" (${url}) has no default ` +
                    "StorageClass, so the platform's volume claims (database, object store, shared filesystem) " +
                    "would never bind. Mark one as the default (kubectl patch storageclass slow -p " +
                    `'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}') ` +
                    "or set mlops:cluster.storageClass to one of: fast, slow.",
            ),
        );
    });

    it("fails fast when the cluster has no class at all", async () => {
        answer = list();
        await expect(checkClusterStorage({ kubeconfig: kubeconfig(certUser) })).rejects.toThrow(
            /has no default StorageClass, .* Install a volume provisioner with a default StorageClass/,
        );
    });

    it("fails fast when the named class does not exist", async () => {
        answer = list(sc("local-path", DEFAULT));
        const err = checkClusterStorage({ kubeconfig: kubeconfig(certUser), storageClass: "ssd" });
        await expect(err).rejects.toBeInstanceOf(ClusterPreflightError);
        await expect(err).rejects.toThrow(
            `mlops:cluster.storageClass: got "ssd"; the cluster of context "test" (${url}) has no StorageClass ` +
                "of that name (it has: local-path (default)). Set it to one the cluster has, or leave it unset " +
                "to use the cluster's default.",
        );
    });

    it("says the credentials were refused", async () => {
        await expect(checkClusterStorage({ kubeconfig: kubeconfig({}) })).rejects.toThrow(
            `mlops:cluster.context: the API server of the cluster of context "test" (${url}) refused to list ` +
                "StorageClasses (401: Unauthorized); the platform installs cluster-wide objects",
        );
        answer = {
            status: 403,
            body: {
                kind: "Status",
                message: 'storageclasses.storage.k8s.io is forbidden: User "dev"',
            },
        };
        await expect(checkClusterStorage({ kubeconfig: kubeconfig(certUser) })).rejects.toThrow(
            '(403: storageclasses.storage.k8s.io is forbidden: User "dev")',
        );
    });

    it("says the API server cannot be reached", async () => {
        await expect(
            checkClusterStorage({ kubeconfig: kubeconfig(certUser), context: "stopped" }),
        ).rejects.toThrow(
            /^mlops:cluster.context: cannot reach the API server of the cluster of context "stopped" \(https:\/\/127\.0\.0\.1:1\): connect ECONNREFUSED 127\.0\.0\.1:1\. Check that the cluster is running/,
        );
    });

    it("skips, saying why, for auth providers and proxies it cannot follow", async () => {
        await expect(
            checkClusterStorage({ kubeconfig: kubeconfig({ "auth-provider": { name: "oidc" } }) }),
        ).resolves.toEqual({
            checked: false,
            reason: 'the kubeconfig user of context "test" authenticates through the "oidc" auth provider',
        });
        await expect(
            checkClusterStorage({
                kubeconfig: kubeconfig(certUser),
                env: { HTTPS_PROXY: "http://proxy:3128" },
            }),
        ).resolves.toEqual({
            checked: false,
            reason: `the API server of context "test" is reached through a proxy (http://proxy:3128)`,
        });
        expect(seen).toEqual([]);
    });

    it("names the key when the kubeconfig has no such context", async () => {
        await expect(
            checkClusterStorage({ kubeconfig: kubeconfig(certUser), context: "kind-x" }),
        ).rejects.toThrow(
            `mlops:cluster.kubeconfig / mlops:cluster.context: kubeconfig: no context named "kind-x" in ${f("kubeconfig")}`,
        );
    });
});

describe("ExistingCluster with the preflight", () => {
    it("gives the provider its context once the check passed", async () => {
        const rec = record();
        new ExistingCluster("ok", {
            kubeconfig: kubeconfig(certUser),
            context: "test",
            preflight: true,
        });
        await settled();
        expect(rec.get("pulumi:providers:kubernetes", "ok").inputs.context).toBe("test");
        expect(seen.map((s) => s.url).sort()).toEqual([
            "/api/v1/nodes",
            "/apis/apps/v1/daemonsets",
            "/apis/storage.k8s.io/v1/storageclasses",
        ]);
    });

    describe("warns when the network plugin does not enforce NetworkPolicy", () => {
        let warn: jest.SpyInstance;
        beforeEach(() => {
            warn = jest.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
        });
        afterEach(() => warn.mockRestore());
        const kindnet = (tag: string) => ({
            status: 200,
            body: {
                kind: "DaemonSetList",
                items: [
                    {
                        metadata: { name: "kindnet", namespace: "kube-system" },
                        spec: {
                            template: {
                                spec: {
                                    containers: [
                                        {
                                            name: "kindnet-cni",
                                            image: `docker.io/kindest/kindnetd:${tag}`,
                                        },
                                    ],
                                },
                            },
                        },
                    },
                ],
            },
        });
        const warnings = () => warn.mock.calls.map((c) => c[0] as string);

        it("on kind before v0.24.0: a warning on the cluster, and the provider still gets its context", async () => {
            daemonSets = kindnet("v20240513-cd2ac642");
            const rec = record();
            const cluster = new ExistingCluster("old-kind", {
                kubeconfig: kubeconfig(certUser),
                context: "test",
                preflight: true,
            });
            await settled();
            expect(rec.get("pulumi:providers:kubernetes", "old-kind").inputs.context).toBe("test");
            expect(warnings()).toEqual([
                "cluster preflight: the cluster's network plugin does not enforce NetworkPolicy: found " +
                    "kindnet (DaemonSet kube-system/kindnet, image docker.io/kindest/kindnetd:v20240513-cd2ac642, " +
                    `older than kind v0.24.0). ${NETWORK_POLICY_ADVICE}`,
            ]);
            expect(warn.mock.calls[0][1]).toBe(cluster);
        });

        it("on kind v0.24.0 and k3s: nothing", async () => {
            daemonSets = kindnet("v20240813-c6f155d6");
            record();
            new ExistingCluster("kind", { kubeconfig: kubeconfig(certUser), preflight: true });
            await settled();
            daemonSets = { status: 200, body: { items: [] } };
            nodes = {
                status: 200,
                body: {
                    items: [
                        {
                            metadata: {
                                name: "k3d-mlops-server-0",
                                annotations: { "k3s.io/node-args": '["server"]' },
                            },
                            spec: { providerID: "k3s://k3d-mlops-server-0" },
                        },
                    ],
                },
            };
            new ExistingCluster("k3d", { kubeconfig: kubeconfig(certUser), preflight: true });
            await settled();
            expect(warnings()).toEqual([]);
        });

        it("when the API server refuses the read: a warning that says so, not a failure", async () => {
            nodes = {
                status: 403,
                body: { kind: "Status", message: 'nodes is forbidden: User "dev"' },
            };
            const rec = record();
            new ExistingCluster("refused", {
                kubeconfig: kubeconfig(certUser),
                context: "test",
                preflight: true,
            });
            await settled();
            expect(rec.get("pulumi:providers:kubernetes", "refused").inputs.context).toBe("test");
            expect(warnings()).toEqual([
                "cluster preflight: could not tell whether the cluster's network plugin enforces " +
                    `NetworkPolicy (listing Nodes failed (403: nodes is forbidden: User "dev")). ${NETWORK_POLICY_ADVICE}`,
            ]);
        });
    });

    it("asks nothing of the cluster without it", async () => {
        const rec = record();
        new ExistingCluster("off", { kubeconfig: kubeconfig(certUser), context: "test" });
        await settled();
        expect(rec.get("pulumi:providers:kubernetes", "off").inputs.context).toBe("test");
        expect(seen).toEqual([]);
    });
});
