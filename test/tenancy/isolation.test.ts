/**
 * Team A against team B on the network, on the whole plans of a local (dev), a GKE (gcp) and
 * an EKS (aws) platform with two teams each: what a pod of one team may open, computed from the
 * NetworkPolicies the plan renders (test/support/reachability.ts). Pods get addresses in the
 * cluster's pod range, so that a policy's address blocks are held against them too.
 */
import { TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { shippedStackPlan } from "../support/plan";
import { Pod, mayConnect, networkOf, podsOf } from "../support/reachability";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}
const planOf = (stack: string): Resource[] => {
    const run = shippedStackPlan(stack);
    if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};

/** Each stack, an address in its pod range, and where its API server is. */
const STACKS = [
    // kind's default pod subnet; the API server on a kind node (the docker network).
    { stack: "dev", podIp: "10.244.1.7", apiServer: { ip: "172.18.0.2", port: 6443 } },
    // The GKE module's default pod range and control-plane /28.
    { stack: "gcp", podIp: "10.20.0.7", apiServer: { ip: "172.16.0.2", port: 443 } },
    // VPC CNI: pods take addresses of the private subnets, where the API server's ENIs are.
    { stack: "aws", podIp: "10.0.1.7", apiServer: { ip: "10.0.2.9", port: 443 } },
] as const;

/** Ports a tenant would try: web, the API server's, the platform services', databases, NFS. */
const PROBE_PORTS = [22, 80, 443, 2049, 5000, 5432, 6379, 6443, 6566, 8080, 8333, 9333];

/** Addresses on the internet (documentation ranges and well-known resolvers). */
const INTERNET = ["203.0.113.10", "198.51.100.7", "8.8.8.8", "1.1.1.1"];

describe.each(STACKS)("the plan of $stack, team vision against team nlp", (s) => {
    const resources = planOf(s.stack);
    const net = networkOf(resources);
    const workloads = podsOf(resources);
    const ip = (last: number) => s.podIp.replace(/\d+$/, String(last));
    const pod = (team: string, labels: Record<string, string>, last: number): Pod => ({
        namespace: `team-${team}`,
        labels,
        ip: ip(last),
    });
    const a = pod("vision", { "workflows.argoproj.io/workflow": "search-1" }, 10);
    const a2 = pod("vision", { "serving.kserve.io/inferenceservice": "iris" }, 11);
    const b = pod("nlp", { "workflows.argoproj.io/workflow": "search-2" }, 20);
    // What team B runs that A would want: its model server, and its own tracking server.
    const bServices = [
        pod("nlp", { "serving.kserve.io/inferenceservice": "iris" }, 21),
        pod("nlp", { "app.kubernetes.io/name": "mlflow" }, 22),
        pod("nlp", { "app.kubernetes.io/name": "feast" }, 23),
    ];
    const open = (from: Pod, to: Pod | { ip: string }) =>
        PROBE_PORTS.filter((port) => mayConnect(net, from, to, port));

    it("has both teams' namespaces under default deny", () => {
        for (const team of ["vision", "nlp"]) {
            expect(
                net.policies
                    .filter((p) => p.namespace === `team-${team}` && p.name === "default-deny")
                    .map((p) => p.spec),
            ).toEqual([{ podSelector: {}, policyTypes: ["Ingress", "Egress"] }]);
        }
    });

    it("lets A's pods reach each other on any port", () => {
        expect(open(a, a2)).toEqual(PROBE_PORTS);
        expect(open(a2, a)).toEqual(PROBE_PORTS);
    });

    it("closes B's pods and services to A, and A's to B, on every port", () => {
        for (const target of [b, ...bServices])
            expect([target, open(a, target)]).toEqual([target, []]);
        expect(open(b, a)).toEqual([]);
        expect(open(b, a2)).toEqual([]);
    });

    it("opens the platform services teams use, on their ports only", () => {
        const teamApps = new Map(TEAM_SERVICES.map((t) => [t.app, t.ports]));
        const used = workloads.filter(
            (w) => w.namespace === "mlops" && teamApps.has(w.labels["app.kubernetes.io/name"]),
        );
        // The in-cluster store on local only: tracking and features run in each team's own
        // namespace, not the platform's.
        expect(used.map((w) => w.labels["app.kubernetes.io/name"]).sort()).toEqual(
            s.stack === "dev" ? ["seaweedfs"] : [],
        );
        for (const w of used) {
            const target = { ...w, ip: ip(100) };
            const ports = teamApps.get(w.labels["app.kubernetes.io/name"])!;
            expect([w.workload, open(a, target)]).toEqual([
                w.workload,
                PROBE_PORTS.filter((p) => ports.includes(p)),
            ]);
        }
    });

    it("closes the database, the online store and every other platform pod", () => {
        const teamApps = new Set(TEAM_SERVICES.map((t) => t.app));
        const others = workloads.filter(
            (w) =>
                !teamApps.has(w.labels["app.kubernetes.io/name"]) &&
                !w.namespace.startsWith("team-"),
        );
        expect(others.length).toBeGreaterThan(0);
        for (const w of others) {
            expect([w.workload, open(a, { ...w, ip: ip(101) })]).toEqual([w.workload, []]);
        }
        // The in-cluster store's master port, beside the S3 port teams use.
        const store = workloads.find((w) => w.labels["app.kubernetes.io/name"] === "seaweedfs");
        if (store) expect(mayConnect(net, a, { ...store, ip: ip(102) }, 9333)).toBe(false);
    });

    it("closes the NFS server and kube-system, except DNS", () => {
        // Where the API server's addresses include pod addresses (local: the private ranges;
        // EKS: the private subnets, which VPC CNI gives pods too), A's egress opens the API
        // server's ports on every pod there: a pod outside the teams is closed on them only by
        // its own namespace's ingress policies. On GKE the control plane has a range of its own.
        const apiPortsOnPods = s.stack === "gcp" ? [] : [443, 6443];
        const nfs = { namespace: "mlops-nfs", labels: { app: "nfs-server-provisioner" } };
        expect(open(a, nfs)).toEqual([]);
        // Where the in-cluster NFS server runs (dev), its namespace denies every pod; elsewhere
        // there is no such namespace, and the API-server residual above applies.
        expect(open(a, { ...nfs, ip: ip(50) })).toEqual(s.stack === "dev" ? [] : apiPortsOnPods);
        const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, ip: ip(53) };
        expect(mayConnect(net, a, dns, 53, "UDP")).toBe(true);
        expect(mayConnect(net, a, dns, 53, "TCP")).toBe(true);
        const other = { namespace: "kube-system", labels: { "k8s-app": "metrics-server" } };
        expect(open(a, other)).toEqual([]);
        expect(open(a, { ...other, ip: ip(51) })).toEqual(apiPortsOnPods);
    });

    it("opens the API server and nothing on the internet, on 443 or any port", () => {
        expect(mayConnect(net, a, { ip: s.apiServer.ip }, s.apiServer.port)).toBe(true);
        for (const address of [...INTERNET, "0.0.0.0"])
            expect([address, open(a, { ip: address })]).toEqual([address, []]);
    });
});

describe("the cloud's endpoints a team's pods reach", () => {
    const netOf = (stack: string) => networkOf(planOf(stack));
    const a: Pod = { namespace: "team-vision", labels: {} };

    it("on GKE: the metadata server for Workload Identity, Google APIs' private addresses", () => {
        const net = netOf("gcp");
        expect(mayConnect(net, a, { ip: "169.254.169.254" }, 80)).toBe(true);
        expect(mayConnect(net, a, { ip: "169.254.169.252" }, 988)).toBe(true);
        expect(mayConnect(net, a, { ip: "169.254.169.254" }, 22)).toBe(false);
        // private.googleapis.com, which the cluster's DNS zone resolves *.googleapis.com to.
        for (const last of [8, 9, 10, 11])
            expect(mayConnect(net, a, { ip: `199.36.153.${last}` }, 443)).toBe(true);
        expect(mayConnect(net, a, { ip: "199.36.153.12" }, 443)).toBe(false);
    });

    it("nowhere else: no metadata server on local or AWS (IRSA needs none)", () => {
        for (const stack of ["dev", "aws"]) {
            expect([stack, mayConnect(netOf(stack), a, { ip: "169.254.169.254" }, 80)]).toEqual([
                stack,
                false,
            ]);
        }
    });
});
