/**
 * Which connections the NetworkPolicies of a plan allow, computed from the rendered policies as
 * the Kubernetes NetworkPolicy API defines them: a pod is isolated for egress (ingress) when a
 * policy of its namespace selects it and lists Egress (Ingress) in its policyTypes; an isolated
 * pod may connect (be connected to) only where some rule of such a policy allows the peer and
 * the port; a connection needs both the source's egress and the destination's ingress.
 *
 * Peers: `podSelector` alone selects pods of the policy's namespace, `namespaceSelector` alone
 * every pod of the selected namespaces, both together the selected pods of the selected
 * namespaces; `ipBlock` selects addresses (and a pod by its address when the caller gives one,
 * as Calico and Cilium do for pod addresses in the block). Selectors honour `matchLabels` and
 * `matchExpressions` (In, NotIn, Exists, DoesNotExist); every namespace carries the label
 * `kubernetes.io/metadata.name`. An absent or empty `to`/`from` allows every peer, an absent
 * or empty `ports` every port; a port entry matches its protocol (TCP when unset), its number
 * or its range to `endPort`, or every port when it names none.
 */
import { cidrContains } from "../../stacks/cidr";

/** A label selector as Kubernetes writes it. */
export interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly {
        readonly key: string;
        readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        readonly values?: readonly string[];
    }[];
}

interface PolicyPeer {
    readonly podSelector?: LabelSelector;
    readonly namespaceSelector?: LabelSelector;
    readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

interface PolicyPort {
    readonly protocol?: string;
    readonly port?: number | string;
    readonly endPort?: number;
}

interface PolicyRule {
    readonly to?: readonly PolicyPeer[];
    readonly from?: readonly PolicyPeer[];
    readonly ports?: readonly PolicyPort[];
}

/** A NetworkPolicy as the plan renders it: its namespace and its spec. */
export interface Policy {
    readonly name: string;
    readonly namespace: string;
    readonly spec: {
        readonly podSelector: LabelSelector;
        readonly policyTypes?: readonly ("Ingress" | "Egress")[];
        readonly ingress?: readonly PolicyRule[];
        readonly egress?: readonly PolicyRule[];
    };
}

/** The namespaces (with their labels) and the NetworkPolicies of a cluster. */
export interface Network {
    readonly namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>;
    readonly policies: readonly Policy[];
}

/** A pod: its namespace and labels, and its address if the test gives one. */
export interface Pod {
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly ip?: string;
}

/** An address outside the cluster. */
export interface External {
    readonly ip: string;
}

/** Where a connection goes: a pod, or an address outside the cluster. */
export type Destination = Pod | External;

const NAMESPACE_KEY = "kubernetes.io/metadata.name";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NAMESPACE = "kubernetes:core/v1:Namespace";

/** Whether `labels` satisfy `selector` (an empty selector selects everything). */
export function selects(
    selector: LabelSelector | undefined,
    labels: Readonly<Record<string, string>>,
): boolean {
    if (!selector) return true;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) return false;
    }
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const ok =
            e.operator === "In"
                ? has && (e.values ?? []).includes(labels[e.key])
                : e.operator === "NotIn"
                  ? !has || !(e.values ?? []).includes(labels[e.key])
                  : e.operator === "Exists"
                    ? has
                    : !has;
        if (!ok) return false;
    }
    return true;
}

/**
 * The Network of a plan's resources (`{type, inputs}` as `npm run plan -- --json` prints them),
 * with `extraNamespaces` that exist on every cluster but not in the plan (kube-system).
 */
export function networkOf(
    resources: readonly { readonly type: string; readonly inputs: any }[],
    extraNamespaces: Readonly<Record<string, Readonly<Record<string, string>>>> = {
        "kube-system": {},
        default: {},
    },
): Network {
    const namespaces: Record<string, Record<string, string>> = {};
    for (const [n, labels] of Object.entries(extraNamespaces))
        namespaces[n] = { ...labels, [NAMESPACE_KEY]: n };
    for (const r of resources.filter((x) => x.type === NAMESPACE)) {
        const n = r.inputs.metadata.name as string;
        namespaces[n] = { ...(r.inputs.metadata.labels ?? {}), [NAMESPACE_KEY]: n };
    }
    const policies = resources
        .filter((r) => r.type === NETWORK_POLICY)
        .map((r) => ({
            name: r.inputs.metadata.name as string,
            namespace: r.inputs.metadata.namespace as string,
            spec: r.inputs.spec as Policy["spec"],
        }));
    return { namespaces, policies };
}

/** The policy types a policy has: as written, else Ingress, and Egress when it has egress rules. */
function typesOf(p: Policy): readonly ("Ingress" | "Egress")[] {
    if (p.spec.policyTypes?.length) return p.spec.policyTypes;
    return p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"];
}

const isPod = (d: Destination): d is Pod => "namespace" in d;

/** Whether `peer`, in a policy of namespace `policyNs`, selects the endpoint `other`. */
function peerSelects(net: Network, policyNs: string, peer: PolicyPeer, other: Destination) {
    if (peer.ipBlock) {
        if (!other.ip || !cidrContains(peer.ipBlock.cidr, other.ip)) return false;
        return !(peer.ipBlock.except ?? []).some((c) => cidrContains(c, other.ip!));
    }
    if (!isPod(other)) return false;
    if (peer.namespaceSelector) {
        const nsLabels = net.namespaces[other.namespace] ?? { [NAMESPACE_KEY]: other.namespace };
        if (!selects(peer.namespaceSelector, nsLabels)) return false;
    } else if (other.namespace !== policyNs) return false;
    return selects(peer.podSelector, other.labels);
}

function portMatches(ports: readonly PolicyPort[] | undefined, port: number, protocol: string) {
    if (!ports?.length) return true;
    return ports.some((p) => {
        if ((p.protocol ?? "TCP") !== protocol) return false;
        if (p.port === undefined) return true;
        // A named port resolves on the destination pod's containers, which the helper does not
        // know: it matches no number.
        if (typeof p.port === "string") return false;
        return p.endPort === undefined ? p.port === port : port >= p.port && port <= p.endPort;
    });
}

/** The policies that isolate `pod` in `direction`. */
export function isolating(net: Network, pod: Pod, direction: "Ingress" | "Egress"): Policy[] {
    return net.policies.filter(
        (p) =>
            p.namespace === pod.namespace &&
            typesOf(p).includes(direction) &&
            selects(p.spec.podSelector, pod.labels),
    );
}

/** Whether `from`'s egress policies let it open `to` on `port`. */
export function egressAllows(
    net: Network,
    from: Pod,
    to: Destination,
    port: number,
    protocol = "TCP",
): boolean {
    const policies = isolating(net, from, "Egress");
    if (policies.length === 0) return true;
    return policies.some((p) =>
        (p.spec.egress ?? []).some(
            (rule) =>
                (!rule.to?.length ||
                    rule.to.some((peer) => peerSelects(net, p.namespace, peer, to))) &&
                portMatches(rule.ports, port, protocol),
        ),
    );
}

/** Whether `to`'s ingress policies admit `from` on `port`. */
export function ingressAllows(
    net: Network,
    from: Destination,
    to: Pod,
    port: number,
    protocol = "TCP",
): boolean {
    const policies = isolating(net, to, "Ingress");
    if (policies.length === 0) return true;
    return policies.some((p) =>
        (p.spec.ingress ?? []).some(
            (rule) =>
                (!rule.from?.length ||
                    rule.from.some((peer) => peerSelects(net, p.namespace, peer, from))) &&
                portMatches(rule.ports, port, protocol),
        ),
    );
}

/**
 * Whether `from` may open a connection to `to` on `port`: its own egress policies allow it
 * and, for a pod, the destination's ingress policies admit it.
 */
export function mayConnect(
    net: Network,
    from: Pod,
    to: Destination,
    port: number,
    protocol = "TCP",
): boolean {
    if (!egressAllows(net, from, to, port, protocol)) return false;
    return isPod(to) ? ingressAllows(net, from, to, port, protocol) : true;
}

/** A workload's pods as the plan renders them: namespace, labels and container ports. */
export interface WorkloadPods extends Pod {
    readonly workload: string;
    readonly ports: readonly number[];
}

const WORKLOADS = new Set([
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
]);

/** The pods of every Deployment, StatefulSet and DaemonSet of a plan. */
export function podsOf(
    resources: readonly { readonly type: string; readonly name: string; readonly inputs: any }[],
): WorkloadPods[] {
    return resources
        .filter((r) => WORKLOADS.has(r.type))
        .map((r) => ({
            workload: r.name,
            namespace: r.inputs.metadata.namespace as string,
            labels: r.inputs.spec.template.metadata.labels as Record<string, string>,
            ports: (r.inputs.spec.template.spec.containers as any[]).flatMap((c) =>
                (c.ports ?? []).map((p: any) => p.containerPort as number),
            ),
        }));
}
