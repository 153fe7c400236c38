/** The reachability helper: each NetworkPolicy rule of the API, one case closed and one open. */
import {
    Network,
    Policy,
    egressAllows,
    ingressAllows,
    mayConnect,
    networkOf,
    podsOf,
    selects,
} from "./support/reachability";

const ns = (name: string, labels: Record<string, string> = {}) => ({
    type: "kubernetes:core/v1:Namespace",
    inputs: { metadata: { name, labels } },
});
const np = (namespace: string, name: string, spec: Policy["spec"]) => ({
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    inputs: { metadata: { name, namespace }, spec },
});
const net = (...resources: { type: string; inputs: any }[]): Network => networkOf(resources);
const a = { namespace: "a", labels: { app: "x" } };
const b = { namespace: "b", labels: { app: "y" } };

describe("selects", () => {
    it("matches labels and every expression operator", () => {
        expect(selects({}, {})).toBe(true);
        expect(selects(undefined, { a: "1" })).toBe(true);
        expect(selects({ matchLabels: { a: "1" } }, { a: "1", b: "2" })).toBe(true);
        expect(selects({ matchLabels: { a: "1" } }, { a: "2" })).toBe(false);
        const ex = (operator: any, values?: string[]) => ({
            matchExpressions: [{ key: "a", operator, values }],
        });
        expect(selects(ex("In", ["1", "2"]), { a: "2" })).toBe(true);
        expect(selects(ex("In", ["1"]), { a: "2" })).toBe(false);
        expect(selects(ex("In", ["1"]), {})).toBe(false);
        expect(selects(ex("NotIn", ["1"]), { a: "2" })).toBe(true);
        expect(selects(ex("NotIn", ["1"]), { a: "1" })).toBe(false);
        expect(selects(ex("NotIn", ["1"]), {})).toBe(true);
        expect(selects(ex("Exists"), { a: "" })).toBe(true);
        expect(selects(ex("Exists"), {})).toBe(false);
        expect(selects(ex("DoesNotExist"), {})).toBe(true);
        expect(selects(ex("DoesNotExist"), { a: "1" })).toBe(false);
    });
});

describe("mayConnect", () => {
    it("allows everything without policies", () => {
        expect(mayConnect(net(ns("a"), ns("b")), a, b, 80)).toBe(true);
        expect(mayConnect(net(), a, { ip: "203.0.113.1" }, 443)).toBe(true);
    });

    it("denies by default where a policy selects the pod, in its direction only", () => {
        const deny = np("a", "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        expect(mayConnect(net(ns("a"), ns("b"), deny), a, b, 80)).toBe(false);
        expect(mayConnect(net(ns("a"), ns("b"), deny), b, a, 80)).toBe(false);
        const ingressOnly = np("a", "deny", { podSelector: {}, policyTypes: ["Ingress"] });
        expect(mayConnect(net(ns("a"), ns("b"), ingressOnly), a, b, 80)).toBe(true);
        expect(mayConnect(net(ns("a"), ns("b"), ingressOnly), b, a, 80)).toBe(false);
    });

    it("reads policyTypes from the rules when it is unset", () => {
        // No policyTypes and no egress: Ingress only.
        const p = np("a", "p", { podSelector: {}, ingress: [] });
        expect(egressAllows(net(ns("a"), p), a, b, 80)).toBe(true);
        expect(ingressAllows(net(ns("a"), p), b, a, 80)).toBe(false);
        const e = np("a", "p", { podSelector: {}, egress: [] });
        expect(egressAllows(net(ns("a"), e), a, b, 80)).toBe(false);
    });

    it("selects the pods a policy applies to by its podSelector", () => {
        const deny = np("a", "deny", {
            podSelector: { matchLabels: { app: "other" } },
            policyTypes: ["Egress"],
        });
        expect(mayConnect(net(ns("a"), ns("b"), deny), a, b, 80)).toBe(true);
        expect(
            mayConnect(
                net(ns("a"), ns("b"), deny),
                { namespace: "a", labels: { app: "other" } },
                b,
                80,
            ),
        ).toBe(false);
    });

    it("a podSelector peer alone means the policy's own namespace", () => {
        const p = np("a", "p", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ podSelector: { matchLabels: { app: "y" } } }] }],
        });
        const n = net(ns("a"), ns("b"), p);
        expect(mayConnect(n, a, { namespace: "a", labels: { app: "y" } }, 80)).toBe(true);
        expect(mayConnect(n, a, b, 80)).toBe(false);
    });

    it("a namespaceSelector peer with and without a podSelector", () => {
        const p = (peer: any) =>
            np("a", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [peer] }] });
        const byName = { matchLabels: { "kubernetes.io/metadata.name": "b" } };
        const b2 = { namespace: "b", labels: { app: "z" } };
        const only = net(ns("a"), ns("b"), p({ namespaceSelector: byName }));
        expect(mayConnect(only, a, b, 80)).toBe(true);
        expect(mayConnect(only, a, b2, 80)).toBe(true);
        const both = net(
            ns("a"),
            ns("b"),
            p({ namespaceSelector: byName, podSelector: { matchLabels: { app: "y" } } }),
        );
        expect(mayConnect(both, a, b, 80)).toBe(true);
        expect(mayConnect(both, a, b2, 80)).toBe(false);
        // By a namespace label other than the name.
        const labelled = net(
            ns("a"),
            ns("b", { tier: "platform" }),
            ns("c"),
            p({ namespaceSelector: { matchLabels: { tier: "platform" } } }),
        );
        expect(mayConnect(labelled, a, b, 80)).toBe(true);
        expect(mayConnect(labelled, a, { namespace: "c", labels: {} }, 80)).toBe(false);
        // An empty namespaceSelector: every namespace.
        expect(mayConnect(net(ns("a"), ns("c"), p({ namespaceSelector: {} })), a, b, 80)).toBe(
            true,
        );
    });

    it("an ipBlock selects addresses in its CIDR, minus its exceptions, and no pod without one", () => {
        const p = np("a", "p", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }] }],
        });
        const n = net(ns("a"), ns("b"), p);
        expect(mayConnect(n, a, { ip: "10.2.3.4" }, 443)).toBe(true);
        expect(mayConnect(n, a, { ip: "10.1.3.4" }, 443)).toBe(false);
        expect(mayConnect(n, a, { ip: "192.0.2.1" }, 443)).toBe(false);
        expect(mayConnect(n, a, b, 443)).toBe(false);
        expect(mayConnect(n, a, { ...b, ip: "10.2.0.9" }, 443)).toBe(true);
        const v6 = np("a", "p", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "2001:db8::/32" } }] }],
        });
        expect(mayConnect(net(ns("a"), v6), a, { ip: "2001:db8::1" }, 443)).toBe(true);
        expect(mayConnect(net(ns("a"), v6), a, { ip: "2001:db9::1" }, 443)).toBe(false);
    });

    it("ports: number, protocol, range, none named, and an empty list", () => {
        const p = (ports: any) =>
            net(
                ns("a"),
                np("a", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports }] }),
            );
        const out = { ip: "192.0.2.1" };
        expect(mayConnect(p([{ port: 443 }]), a, out, 443)).toBe(true);
        expect(mayConnect(p([{ port: 443 }]), a, out, 80)).toBe(false);
        expect(mayConnect(p([{ protocol: "UDP", port: 53 }]), a, out, 53)).toBe(false);
        expect(mayConnect(p([{ protocol: "UDP", port: 53 }]), a, out, 53, "UDP")).toBe(true);
        expect(mayConnect(p([{ port: 8000, endPort: 8100 }]), a, out, 8050)).toBe(true);
        expect(mayConnect(p([{ port: 8000, endPort: 8100 }]), a, out, 8101)).toBe(false);
        expect(mayConnect(p([{ protocol: "TCP" }]), a, out, 1)).toBe(true);
        expect(mayConnect(p([{ port: "http" }]), a, out, 80)).toBe(false);
        expect(mayConnect(p([]), a, out, 9)).toBe(true);
    });

    it("needs the destination's ingress too, and any one policy allowing is enough", () => {
        const openA = np("a", "open", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{}],
        });
        const denyB = np("b", "deny", { podSelector: {}, policyTypes: ["Ingress"] });
        const fromA = np("b", "from-a", {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": "a" },
                            },
                        },
                    ],
                    ports: [{ port: 80 }],
                },
            ],
        });
        expect(mayConnect(net(ns("a"), ns("b"), openA, denyB), a, b, 80)).toBe(false);
        expect(mayConnect(net(ns("a"), ns("b"), openA, denyB, fromA), a, b, 80)).toBe(true);
        expect(mayConnect(net(ns("a"), ns("b"), openA, denyB, fromA), a, b, 81)).toBe(false);
        // Traffic to an address outside needs no ingress.
        expect(mayConnect(net(ns("a"), ns("b"), openA, denyB), a, { ip: "192.0.2.1" }, 1)).toBe(
            true,
        );
    });
});

describe("networkOf and podsOf", () => {
    it("label each namespace with its name, add kube-system, and read policies and pods", () => {
        const n = networkOf([
            ns("a", { x: "1" }),
            np("a", "p", { podSelector: {} }),
            { type: "kubernetes:core/v1:Service", inputs: {} },
        ]);
        expect(n.namespaces).toEqual({
            "kube-system": { "kubernetes.io/metadata.name": "kube-system" },
            default: { "kubernetes.io/metadata.name": "default" },
            a: { x: "1", "kubernetes.io/metadata.name": "a" },
        });
        expect(n.policies).toEqual([{ name: "p", namespace: "a", spec: { podSelector: {} } }]);
        expect(
            podsOf([
                {
                    type: "kubernetes:apps/v1:StatefulSet",
                    name: "db",
                    inputs: {
                        metadata: { namespace: "a" },
                        spec: {
                            template: {
                                metadata: { labels: { app: "db" } },
                                spec: { containers: [{ ports: [{ containerPort: 5432 }] }, {}] },
                            },
                        },
                    },
                },
            ]),
        ).toEqual([{ workload: "db", namespace: "a", labels: { app: "db" }, ports: [5432] }]);
    });
});
