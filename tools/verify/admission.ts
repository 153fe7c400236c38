/**
 * The team role and the admission policies on a real kube-apiserver: the Namespaces,
 * ResourceQuotas, NetworkPolicies, facts (`mlops-team`) and member RoleBindings of two teams (`Team`), and the
 * `mlops-team-member` ClusterRole and the ValidatingAdmissionPolicies with their bindings
 * (`TeamFences`), all as the program renders them under the plan's recording mocks, applied
 * as a cluster admin. Then members act with their own credentials (a static token file names
 * them as the OIDC authenticator would: `oidc:<email>` in `oidc:<group>`), and each check
 * compares what the API server answers.
 *
 * Run from the repository root, with an etcd and a kube-apiserver binary of your own (no
 * defaults):
 *
 *     ETCD=/path/to/etcd KUBE_APISERVER=/path/to/kube-apiserver npx tsx tools/verify/admission.ts
 *
 * Needs `openssl` and `kubectl` on PATH. Listens on 127.0.0.1 ports 25379, 25380 and 25643
 * only; everything it starts it stops, and its files are in a temporary folder it removes.
 * Exit status 0 only when every check holds.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GPU_TOLERATIONS } from "../../components/cluster/kubernetes-cluster";
import { TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { TeamFences } from "../../components/tenancy/admission";
import { Team, TeamQuota } from "../../components/tenancy/team";
import { reveal, settle, startRecording } from "../plan/recorder";
import { kubectlAt, waitFor as waitForIn } from "./loopback-kubectl";

const ETCD = process.env.ETCD;
const KUBE_APISERVER = process.env.KUBE_APISERVER;
const ETCD_CLIENT = 25379;
const ETCD_PEER = 25380;
const API_PORT = 25643;
/** The ReadWriteMany class of the rendered quota (a Filestore class on GKE). */
const SHARED_CLASS = "mlops-filestore";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "admission-"));
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

type Obj = Record<string, unknown>;

/** Two teams and the platform's fences, as the program renders them. */
async function render(): Promise<Obj[]> {
    const rec = startRecording({ stack: "verify" });
    const quota: TeamQuota = {
        cpu: "4",
        memory: "8Gi",
        gpu: 0,
        storage: "2Ti",
        pods: 10,
        claims: 3,
        sharedClaims: 1,
        sharedStorage: "1Ti",
    };
    const team = (name: string, gpu: number) =>
        new Team(name, {
            members: [`group:team-${name}`],
            quota: { ...quota, gpu },
            readWriteManyStorageClass: SHARED_CLASS,
            platformNamespace: "mlops",
            platformServices: TEAM_SERVICES,
            facts: {
                objectStore: {
                    scheme: "s3",
                    region: "us-east-1",
                    buckets: { tracking: "tracking", workflows: "workflows" },
                },
                gpuScheduling: { nodeSelector: {}, tolerations: [] },
                stack: true,
            },
        });
    team("a", 0);
    team("b", 2);
    new TeamFences("mlops-fences");
    await settle();
    const objects: Obj[] = [];
    for (const r of rec.resources) {
        const m = /^kubernetes:([^:]+):(.+)$/.exec(r.type);
        if (!m) continue;
        const [groupVersion, kind] = [m[1].replace(/^core\//, ""), m[2]];
        objects.push({ apiVersion: groupVersion, kind, ...(reveal(r.inputs) as Obj) });
    }
    return objects;
}

const kubectl = kubectlAt(API_PORT);
const waitFor = (what: string, ok: () => Promise<boolean>, seconds: number) =>
    waitForIn(what, ok, seconds, dir);

/** A container that passes Pod Security `restricted`, with requests and limits for the quota. */
const container = {
    name: "main",
    image: "registry.k8s.io/pause:3.10",
    resources: {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "100m", memory: "64Mi" },
    },
    securityContext: {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        runAsUser: 65532,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    },
};
const podSpec = (more: Obj = {}) => ({ containers: [container], ...more });
const pod = (name: string, ns: string, more: Obj = {}) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: podSpec(more),
});
const service = (name: string, ns: string, type: string, more: Obj = {}) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { type, selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...more },
});
const claim = (name: string, ns: string, size: string, storageClassName?: string) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: ns },
    spec: {
        accessModes: [storageClassName ? "ReadWriteMany" : "ReadWriteOnce"],
        resources: { requests: { storage: size } },
        ...(storageClassName ? { storageClassName } : {}),
    },
});

async function main(): Promise<void> {
    if (!ETCD || !KUBE_APISERVER) throw new Error("set ETCD and KUBE_APISERVER");
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
    const token = () => crypto.randomBytes(16).toString("hex");
    const admin = token();
    const deployer = token();
    const alice = token();
    const bob = token();
    // As the OIDC authenticator names members with the platform's default prefix.
    fs.writeFileSync(
        path.join(dir, "tokens.csv"),
        [
            `${admin},admin,admin,system:masters`,
            `${deployer},platform-ci,platform-ci`,
            `${alice},oidc:alice@example.com,alice,oidc:team-a`,
            `${bob},oidc:bob@example.com,bob,oidc:team-b`,
        ].join("\n") + "\n",
    );
    execFileSync("openssl", ["genrsa", "-out", path.join(dir, "sa.key"), "2048"], {
        stdio: "ignore",
    });
    start(
        KUBE_APISERVER,
        [
            `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${API_PORT}`,
            `--cert-dir=${path.join(dir, "pki")}`,
            `--token-auth-file=${path.join(dir, "tokens.csv")}`,
            "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--service-account-issuer=https://kubernetes.default.svc",
            `--service-account-key-file=${path.join(dir, "sa.key")}`,
            `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        ],
        "kube-apiserver.log",
    );
    await waitFor(
        "kube-apiserver",
        async () => (await kubectl(["get", "--raw=/readyz"], admin)).out === "ok",
        120,
    );
    const version = JSON.parse((await kubectl(["get", "--raw=/version"], admin)).out).gitVersion;
    const client = (await kubectl(["version", "--client", "-o", "json"], admin)).out;
    console.log(
        `kube-apiserver ${version}, kubectl ${JSON.parse(client).clientVersion.gitVersion}, ` +
            `etcd ${execFileSync(ETCD, ["--version"]).toString().split("\n")[0].replace("etcd Version: ", "")}`,
    );

    // What the platform's deployer applies: the rendered objects, namespaces first.
    const objects = await render();
    const order = (o: Obj) => (o.kind === "Namespace" ? 0 : o.kind === "ClusterRole" ? 1 : 2);
    objects.sort((x, y) => order(x) - order(y));
    const kinds = objects.map((o) => `${o.kind}/${(o.metadata as Obj).name}`);
    console.log(`rendered: ${kinds.join(" ")}`);
    const applied = await kubectl(
        ["apply", "--server-side", "-f", "-"],
        admin,
        JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    );
    check("the rendered objects apply", applied.status === 0, applied.status ? applied.out : "");

    // No controller manager runs: compute the quotas' status as its quota controller would
    // (nothing is used yet), else quota admission refuses everything ("status unknown").
    for (const [ns, name] of ["team-a", "team-b"].flatMap((n) =>
        ["team-quota", "team-system-priority"].map((q) => [n, q]),
    )) {
        const q = JSON.parse(
            (await kubectl(["get", "resourcequota", name, "-n", ns, "-o", "json"], admin)).out,
        );
        const hard = q.spec.hard as Record<string, string>;
        const used = Object.fromEntries(Object.keys(hard).map((k) => [k, "0"]));
        const r = await kubectl(
            [
                "patch",
                "resourcequota",
                name,
                "-n",
                ns,
                "--subresource=status",
                "--type=merge",
                `-p=${JSON.stringify({ status: { hard, used } })}`,
            ],
            admin,
        );
        check(`${ns}: quota ${name} status initialised`, r.status === 0, r.status ? r.out : "");
    }
    // And each namespace's `default` service account, as its service account controller would.
    for (const ns of ["team-a", "team-b"]) {
        const r = await kubectl(["create", "serviceaccount", "default", "-n", ns], admin);
        check(`${ns}: default service account`, r.status === 0, r.status ? r.out : "");
    }
    // The API server type-checks each policy's CEL in the background.
    await new Promise((r) => setTimeout(r, 3000));
    const policies = JSON.parse(
        (await kubectl(["get", "validatingadmissionpolicies", "-o", "json"], admin)).out,
    ).items as { metadata: { name: string }; status?: { typeChecking?: unknown } }[];
    for (const p of policies) {
        const warnings = (p.status?.typeChecking as { expressionWarnings?: unknown[] })
            ?.expressionWarnings;
        check(
            `policy ${p.metadata.name}: no type-checking warnings`,
            !warnings?.length,
            warnings?.length ? JSON.stringify(warnings) : "",
        );
    }

    const as = (who: string, args: string[], input?: Obj) =>
        kubectl(args, who, input ? JSON.stringify(input) : undefined);
    const create = (who: string, obj: Obj) => as(who, ["create", "-f", "-"], obj);
    const allowed = async (what: string, r: Promise<{ status: number | null; out: string }>) => {
        const res = await r;
        check(what, res.status === 0, res.status ? res.out : "");
    };
    const denied = async (
        what: string,
        r: Promise<{ status: number | null; out: string }>,
        expected: string,
    ) => {
        const res = await r;
        check(what, res.status !== 0 && res.out.includes(expected), res.out);
    };

    // A member with the platform's role.
    await denied(
        "member: delete NetworkPolicy default-deny: RBAC refuses",
        as(alice, ["delete", "networkpolicy", "default-deny", "-n", "team-a"]),
        'cannot delete resource "networkpolicies"',
    );
    const lbMessage =
        "mlops: a Service of type LoadBalancer would expose team-a outside the cluster; team Services are ClusterIP. Ask the platform team for a route through the platform router.";
    await denied(
        "member: a LoadBalancer Service: the admission policy refuses",
        create(alice, service("lb", "team-a", "LoadBalancer")),
        `ValidatingAdmissionPolicy 'mlops-team-services' with binding 'mlops-team-services' denied request: ${lbMessage}`,
    );
    await denied(
        "member: a NodePort Service: the admission policy refuses",
        create(alice, service("np", "team-a", "NodePort")),
        "mlops: a Service of type NodePort would expose team-a outside the cluster",
    );
    await denied(
        "member: a ClusterIP Service with externalIPs: refused",
        create(alice, service("ext", "team-a", "ClusterIP", { externalIPs: ["203.0.113.7"] })),
        "mlops: Services in team namespaces may not set externalIPs",
    );
    await allowed(
        "member: a ClusterIP Service",
        create(alice, service("web", "team-a", "ClusterIP")),
    );
    await allowed(
        "member: a Job",
        create(alice, {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "train", namespace: "team-a" },
            spec: { template: { spec: podSpec({ restartPolicy: "Never" }) } },
        }),
    );
    await allowed("member: a Pod", create(alice, pod("debug", "team-a")));
    await denied(
        "member: a Pod at system-node-critical priority: the team's scoped quota refuses",
        create(alice, pod("preempt", "team-a", { priorityClassName: "system-node-critical" })),
        "exceeded quota: team-system-priority",
    );
    const limited = await kubectl(
        ["get", "pod", "debug", "-n", "team-a", "-o", "jsonpath={.spec.containers[0].resources}"],
        admin,
    );
    check(
        "member's Pod: the team's defaults add an ephemeral-storage request and limit",
        limited.out.includes('"ephemeral-storage":"1Gi"') &&
            limited.out.includes('"ephemeral-storage":"64Mi"'),
        limited.out,
    );
    const tokenSecret = (name: string) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
            name,
            namespace: "team-a",
            annotations: { "kubernetes.io/service-account.name": "runner" },
        },
        type: "kubernetes.io/service-account-token",
    });
    await denied(
        "member: a service-account-token Secret for runner: the admission policy refuses",
        create(alice, tokenSecret("runner-forever")),
        "ValidatingAdmissionPolicy 'mlops-team-tokens' with binding 'mlops-team-tokens' denied request: mlops: Secrets of type kubernetes.io/service-account-token",
    );
    await allowed(
        "member: an Opaque Secret",
        create(alice, {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "mine", namespace: "team-a" },
            stringData: { k: "v" },
        }),
    );
    await allowed(
        "cluster admin: a service-account-token Secret in a team namespace",
        create(admin, tokenSecret("runner-admin")),
    );
    await denied(
        "member of team-a: a Pod in team-b: RBAC refuses",
        create(alice, pod("intruder", "team-b")),
        'cannot create resource "pods"',
    );
    await denied(
        "member: a ResourceQuota change: RBAC refuses",
        as(alice, ["delete", "resourcequota", "team-quota", "-n", "team-a"]),
        'cannot delete resource "resourcequotas"',
    );
    const canI = async (verb: string, what: string) =>
        (await as(alice, ["auth", "can-i", verb, what, "-n", "team-a"])).out;
    check(
        "member: may read the quota, the limits and the network policies",
        (await canI("get", "resourcequotas")) === "yes" &&
            (await canI("get", "limitranges")) === "yes" &&
            (await canI("list", "networkpolicies")) === "yes",
    );
    check(
        "member: may not create serviceaccount tokens, nor impersonate",
        (await canI("create", "serviceaccounts/token")) === "no" &&
            (await canI("impersonate", "serviceaccounts")) === "no",
    );

    // The team's facts (mlops-team): members read their own, not another team's, and change
    // them in no way.
    const facts = await as(alice, ["get", "configmap", "mlops-team", "-n", "team-a", "-o", "json"]);
    check(
        "member: reads the team's facts (mlops-team) in its namespace",
        facts.status === 0 && JSON.parse(facts.out).data.team === "a",
        facts.status ? facts.out : "",
    );
    await denied(
        "member of team-a: team-b's facts: RBAC refuses",
        as(alice, ["get", "configmap", "mlops-team", "-n", "team-b"]),
        'cannot get resource "configmaps"',
    );
    const factsMessage = (verb: string) =>
        `ValidatingAdmissionPolicy 'mlops-team-facts' with binding 'mlops-team-facts' denied request: mlops: the ConfigMap mlops-team in team-a holds the team facts, which the platform stack writes; team members may not ${verb} it. Ask the platform team to change the team (mlops:teams).`;
    await denied(
        "member: raise the quota in its facts: the admission policy refuses",
        as(alice, [
            "patch",
            "configmap",
            "mlops-team",
            "-n",
            "team-a",
            "--type=merge",
            `-p=${JSON.stringify({ data: { quota: JSON.stringify({ ...JSON.parse(JSON.parse(facts.out).data.quota), gpu: 8 }) } })}`,
        ]),
        factsMessage("update"),
    );
    await denied(
        "member: delete its facts: the admission policy refuses",
        as(alice, ["delete", "configmap", "mlops-team", "-n", "team-a"]),
        factsMessage("delete"),
    );
    await allowed(
        "member: a ConfigMap of its own",
        create(alice, {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "settings", namespace: "team-a" },
            data: { lr: "0.1" },
        }),
    );
    // A DeleteCollection of every ConfigMap: the API server admits each item on its own.
    await as(alice, ["delete", "--raw=/api/v1/namespaces/team-a/configmaps"]);
    const left = await as(admin, ["get", "configmap", "-n", "team-a", "-o", "name"]);
    check(
        "member: deleting every ConfigMap at once leaves the facts",
        left.out.split("\n").includes("configmap/mlops-team"),
        left.out,
    );
    const kept = await as(admin, ["get", "configmap", "mlops-team", "-n", "team-a", "-o", "json"]);
    check(
        "the facts are as the platform wrote them",
        kept.status === 0 && JSON.parse(kept.out).data.quota === JSON.parse(facts.out).data.quota,
    );
    await allowed(
        "the platform's deployer (cluster-wide rights) changes the facts",
        as(admin, ["label", "configmap", "mlops-team", "-n", "team-a", "mlops.dev/checked=true"]),
    );

    // Quota: claims, and claims and storage of the ReadWriteMany class.
    await allowed(
        "quota: a 1Ti claim of the shared class",
        create(alice, claim("shared-1", "team-a", "1Ti", SHARED_CLASS)),
    );
    await denied(
        "quota: a second claim of the shared class (sharedClaims 1)",
        create(alice, claim("shared-2", "team-a", "100Gi", SHARED_CLASS)),
        `exceeded quota: team-quota, requested: ${SHARED_CLASS}.storageclass.storage.k8s.io/persistentvolumeclaims=1`,
    );
    await allowed("quota: a second claim", create(alice, claim("data-1", "team-a", "10Gi")));
    await allowed("quota: a third claim", create(alice, claim("data-2", "team-a", "10Gi")));
    await denied(
        "quota: a fourth claim (claims 3)",
        create(alice, claim("data-3", "team-a", "10Gi")),
        "exceeded quota: team-quota, requested: count/persistentvolumeclaims=1",
    );

    // Control: the same member with the built-in edit role, bound by hand in the namespace.
    // The `edit` ClusterRole aggregates its rules from the aggregate-to-edit roles, which
    // kube-controller-manager's aggregation controller copies in; with no controller manager
    // here, copy them the same way (and likewise for admin).
    for (const role of ["edit", "admin"]) {
        const parts = await kubectl(
            [
                "get",
                "clusterroles",
                "-l",
                `rbac.authorization.k8s.io/aggregate-to-${role}=true`,
                "-o",
                "json",
            ],
            admin,
        );
        const rules = (JSON.parse(parts.out).items as { rules?: unknown[] }[]).flatMap(
            (r) => r.rules ?? [],
        );
        const patched = await kubectl(
            ["patch", "clusterrole", role, "--type=merge", `-p=${JSON.stringify({ rules })}`],
            admin,
        );
        check(
            `${role} aggregates its rules`,
            patched.status === 0 && rules.length > 0,
            patched.out,
        );
    }
    const handBinding = (role: string) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: `by-hand-${role}`, namespace: "team-a" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: [{ kind: "Group", name: "oidc:team-a", apiGroup: "rbac.authorization.k8s.io" }],
    });
    await allowed(
        "control: an admin binds edit to oidc:team-a in team-a by hand",
        create(admin, handBinding("edit")),
    );
    check(
        "control: with edit, RBAC now allows deleting NetworkPolicies",
        (await canI("delete", "networkpolicies")) === "yes",
    );
    const npMessage =
        "mlops: networkpolicies in team namespaces belong to the platform; team members may not delete them (team-a). Ask the platform team for the network path you need.";
    await denied(
        "control: with edit, delete NetworkPolicy default-deny: the admission policy refuses",
        as(alice, ["delete", "networkpolicy", "default-deny", "-n", "team-a"]),
        `ValidatingAdmissionPolicy 'mlops-team-fences' with binding 'mlops-team-fences' denied request: ${npMessage}`,
    );
    await denied(
        "control: with edit, delete the team's facts: the admission policy refuses",
        as(alice, ["delete", "configmap", "mlops-team", "-n", "team-a"]),
        factsMessage("delete"),
    );
    await denied(
        "control: with edit, a LoadBalancer Service: the admission policy refuses",
        create(alice, service("lb", "team-a", "LoadBalancer")),
        lbMessage,
    );
    await denied(
        "control: with edit, an Ingress: the admission policy refuses",
        create(alice, {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name: "bypass", namespace: "team-a" },
            spec: {
                rules: [
                    {
                        http: {
                            paths: [
                                {
                                    path: "/",
                                    pathType: "Prefix",
                                    backend: { service: { name: "web", port: { number: 80 } } },
                                },
                            ],
                        },
                    },
                ],
            },
        }),
        "mlops: ingresses in team namespaces belong to the platform; team members may not create them (team-a). Routes go through the platform router and its sign-on: ask the platform team for one.",
    );
    await allowed(
        "control: an admin binds admin to oidc:team-a in team-a by hand",
        create(admin, handBinding("admin")),
    );
    await denied(
        "control: with admin, a RoleBinding: the admission policy refuses",
        create(alice, { ...handBinding("admin"), metadata: { name: "more", namespace: "team-a" } }),
        "mlops: rolebindings in team namespaces belong to the platform; team members may not create them (team-a). Ask the platform team to change the team members (mlops:teams[].members).",
    );
    await denied(
        "control: with admin, a NetworkPolicy: the admission policy refuses",
        create(alice, {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-all", namespace: "team-a" },
            spec: { podSelector: {}, ingress: [{}], egress: [{}] },
        }),
        "mlops: networkpolicies in team namespaces belong to the platform; team members may not create them (team-a).",
    );
    await allowed(
        "control: an admin binds cluster-admin to oidc:team-a in team-a by hand",
        create(admin, handBinding("cluster-admin")),
    );
    await denied(
        "control: with cluster-admin bound in the namespace, delete NetworkPolicy default-deny: refused",
        as(alice, ["delete", "networkpolicy", "default-deny", "-n", "team-a"]),
        npMessage,
    );

    // The platform's own identities pass: whoever holds the right cluster-wide.
    await allowed(
        "platform: a ClusterRoleBinding makes platform-ci a cluster admin",
        as(admin, [
            "create",
            "clusterrolebinding",
            "platform-ci",
            "--clusterrole=cluster-admin",
            "--user=platform-ci",
        ]),
    );
    await allowed(
        "platform: platform-ci creates a NetworkPolicy in team-a",
        create(deployer, {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-metrics", namespace: "team-a" },
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
        }),
    );
    await allowed(
        "platform: system:masters deletes it",
        as(admin, ["delete", "networkpolicy", "allow-metrics", "-n", "team-a"]),
    );
    await allowed(
        "platform: the namespace controller (a kube-system service account) deletes a NetworkPolicy",
        as(admin, [
            "delete",
            "networkpolicy",
            "allow-dns",
            "-n",
            "team-b",
            "--as=system:serviceaccount:kube-system:namespace-controller",
            "--as-group=system:serviceaccounts:kube-system",
        ]),
    );

    // GPUs: the toleration of the GPU taint only where the namespace has a GPU quota.
    const gpuMessage =
        "mlops: team-a has no GPU quota, so its pods may not tolerate the GPU taint (nvidia.com/gpu). Remove the toleration, or ask the platform team for GPUs (mlops:teams[].quota.gpu).";
    const tolerations = [...GPU_TOLERATIONS];
    await denied(
        "gpu: a Pod tolerating the GPU taint in team-a (no GPU quota): refused",
        create(alice, pod("gpu", "team-a", { tolerations })),
        `ValidatingAdmissionPolicy 'mlops-team-gpu' with binding 'mlops-team-gpu' denied request: ${gpuMessage}`,
    );
    await denied(
        "gpu: a Pod tolerating every taint (empty key, Exists) in team-a: refused",
        create(alice, pod("any", "team-a", { tolerations: [{ operator: "Exists" }] })),
        gpuMessage,
    );
    await denied(
        "gpu: a Deployment whose template tolerates the GPU taint in team-a: refused",
        create(alice, {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "gpu", namespace: "team-a" },
            spec: {
                selector: { matchLabels: { app: "gpu" } },
                template: { metadata: { labels: { app: "gpu" } }, spec: podSpec({ tolerations }) },
            },
        }),
        gpuMessage,
    );
    await denied(
        "gpu: a CronJob whose job template tolerates the GPU taint in team-a: refused",
        create(alice, {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: "gpu", namespace: "team-a" },
            spec: {
                schedule: "0 * * * *",
                jobTemplate: {
                    spec: { template: { spec: podSpec({ restartPolicy: "Never", tolerations }) } },
                },
            },
        }),
        gpuMessage,
    );
    await denied(
        "gpu: the same Pod from a cluster admin (a controller) in team-a: refused",
        create(admin, pod("gpu", "team-a", { tolerations })),
        gpuMessage,
    );
    await allowed(
        "gpu: a Pod tolerating a taint of another key in team-a",
        create(
            alice,
            pod("other", "team-a", {
                tolerations: [
                    { key: "example.com/spot", operator: "Exists", effect: "NoSchedule" },
                ],
            }),
        ),
    );
    await allowed(
        "gpu: a Pod tolerating the GPU taint in team-b (GPU quota 2)",
        create(bob, pod("gpu", "team-b", { tolerations })),
    );
    await denied(
        "a Pod naming its node in team-b: refused",
        create(bob, pod("pinned", "team-b", { nodeName: "gpu-node-1" })),
        "mlops: pods in team namespaces are placed by the scheduler; remove spec.nodeName.",
    );
    await allowed(
        "gpu: a label change on team-b's GPU Pod",
        as(bob, ["label", "pod", "gpu", "-n", "team-b", "checked=yes"]),
    );
    // The GPU quota is withdrawn: running pods may still be updated, new ones are refused.
    await allowed(
        "gpu: the platform removes team-b's GPU label",
        as(admin, ["label", "namespace", "team-b", "mlops.dev/gpu-"]),
    );
    await allowed(
        "gpu: then an update of the GPU Pod that keeps its toleration passes",
        as(bob, ["label", "pod", "gpu", "-n", "team-b", "checked=again", "--overwrite"]),
    );
    await denied(
        "gpu: then a new GPU Pod in team-b: refused",
        create(bob, pod("gpu-2", "team-b", { tolerations })),
        "mlops: team-b has no GPU quota, so its pods may not tolerate the GPU taint",
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
