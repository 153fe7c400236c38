/**
 * Whether an existing cluster's network plugin enforces NetworkPolicy, told from what runs in
 * it: the teams' isolation (each team namespace's default deny, the platform namespace's
 * policies) is NetworkPolicy, which the API server stores and only the plugin enforces. A
 * plugin that ignores them (flannel alone, kindnet before kind v0.24.0) leaves every pod open
 * to every other, silently. The check only warns: the platform still works, without fences.
 */

/** A DaemonSet as the check sees it: where it runs, and its containers' images and args. */
export interface ClusterDaemonSet {
    readonly namespace: string;
    readonly name: string;
    /** Every container's image (init containers included). */
    readonly images: readonly string[];
    /** Every container's command and args, flattened. */
    readonly args: readonly string[];
}

/** A Node as the check sees it. */
export interface ClusterNode {
    readonly name: string;
    readonly providerID?: string;
    readonly annotations: Readonly<Record<string, string>>;
}

/** What the check reads from the cluster; the preflight reads it from the API server. */
export interface ClusterReader {
    /** The DaemonSets of every namespace (plugins run in kube-system, calico-system, ...). */
    daemonSets(): Promise<readonly ClusterDaemonSet[]>;
    nodes(): Promise<readonly ClusterNode[]>;
}

/** A network plugin found in the cluster, whether it enforces NetworkPolicy, and why we think so. */
export interface NetworkPlugin {
    /** e.g. `Calico`, `kindnet`, `k3s network policy controller`. */
    readonly name: string;
    readonly enforces: boolean;
    /** Where it was seen, e.g. `DaemonSet kube-system/kindnet, image ...`. */
    readonly evidence: string;
}

/**
 * The kindnetd image (kind's default plugin) enforces NetworkPolicy from the build of
 * 2024-07-19 on: kind commit e7903573 ("implement network policies"), image
 * `kindest/kindnetd:v20240719-e7903573`, first released with kind v0.24.0 (whose default
 * image is `v20240813-c6f155d6`); kind v0.23.0 shipped `v20240513-cd2ac642`, without.
 */
export const KINDNETD_NETWORK_POLICY_SINCE = "20240719";
/**
 * The standalone kindnet project (versioned images, e.g. minikube's) enforces NetworkPolicy
 * from v1.3.0, as its maintainer states (kubernetes/minikube#19871).
 */
export const KINDNET_NETWORK_POLICY_SINCE: readonly [number, number, number] = [1, 3, 0];
/** The annotation k3s writes on each node with the arguments it was started with. */
export const K3S_NODE_ARGS_ANNOTATION = "k3s.io/node-args";

/** Plugins recognised by an image, all of which enforce NetworkPolicy in their default setup. */
const ENFORCING: readonly { readonly name: string; readonly image: RegExp }[] = [
    // Canal runs calico-node beside flannel: Calico enforces.
    { name: "Calico", image: /(^|\/)(calico\/node|calico-node|node-calico)(:|@|$)/ },
    { name: "Cilium", image: /(^|\/)cilium(\/cilium)?(:|@|$)/ },
    { name: "Antrea", image: /(^|\/)antrea-(agent-)?(ubuntu|ubi)(:|@|$)/ },
    { name: "Weave Net", image: /(^|\/)weave-npc(:|@|$)/ },
    { name: "kube-network-policies", image: /(^|\/)kube-network-policies(:|@|$)/ },
];
const KUBE_ROUTER = /(^|\/)kube-router(:|@|$)/;
const KINDNET = /(^|\/)kindnetd?(:|@|$)/;
const FLANNEL = /(^|\/)flannel(:|@|$)/;

/** The tag of an image reference, without registry, name or digest. */
function imageTag(image: string): string | undefined {
    const last = image.split("@")[0].split("/").pop() ?? "";
    const colon = last.indexOf(":");
    return colon < 0 ? undefined : last.slice(colon + 1);
}

/** Whether a kindnet image enforces NetworkPolicy, or undefined when its tag does not say. */
export function kindnetEnforces(image: string): boolean | undefined {
    const tag = imageTag(image);
    if (!tag) return undefined;
    const dated = /^v(\d{8})(-|$)/.exec(tag);
    if (dated) return dated[1] >= KINDNETD_NETWORK_POLICY_SINCE;
    const semver = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag);
    if (semver) {
        const v = semver.slice(1, 4).map(Number);
        const since = KINDNET_NETWORK_POLICY_SINCE;
        for (let i = 0; i < 3; i++) if (v[i] !== since[i]) return v[i] > since[i];
        return true;
    }
    return undefined;
}

/** The value of a `--flag` in a list of arguments (`--flag=v` or `--flag v`), or `""` alone. */
function flagValue(args: readonly string[], flag: string): string | undefined {
    for (let i = 0; i < args.length; i++) {
        if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
        if (args[i] === flag) {
            const next = args[i + 1];
            return next === "true" || next === "false" ? next : "";
        }
    }
    return undefined;
}

function daemonSetPlugins(ds: ClusterDaemonSet): NetworkPlugin[] {
    const where = `DaemonSet ${ds.namespace}/${ds.name}`;
    const found: NetworkPlugin[] = [];
    for (const image of ds.images) {
        const seen = `${where}, image ${image}`;
        const known = ENFORCING.find((p) => p.image.test(image));
        if (known) {
            found.push({ name: known.name, enforces: true, evidence: seen });
        } else if (KUBE_ROUTER.test(image)) {
            // kube-router's firewall (its policy controller) is on unless turned off.
            const off = flagValue(ds.args, "--run-firewall") === "false";
            found.push({
                name: "kube-router",
                enforces: !off,
                evidence: off ? `${seen}, with --run-firewall=false` : seen,
            });
        } else if (KINDNET.test(image)) {
            const enforces = kindnetEnforces(image);
            found.push({
                name: "kindnet",
                enforces: enforces === true,
                evidence:
                    enforces === undefined
                        ? `${seen}, of a version its tag does not tell`
                        : enforces
                          ? seen
                          : `${seen}, older than kind v0.24.0`,
            });
        } else if (FLANNEL.test(image)) {
            found.push({ name: "flannel", enforces: false, evidence: seen });
        }
    }
    return found;
}

/** k3s (and so k3d) runs a network policy controller in its own process unless disabled. */
function k3sPlugins(nodes: readonly ClusterNode[]): NetworkPlugin[] {
    const k3s = nodes.filter(
        (n) =>
            n.providerID?.startsWith("k3s://") || n.annotations[K3S_NODE_ARGS_ANNOTATION] != null,
    );
    if (k3s.length === 0) return [];
    // Servers record the flag (on the command line or in config.yaml); agents inherit it.
    const disabledOn = k3s.find((n) => {
        let args: unknown;
        try {
            args = JSON.parse(n.annotations[K3S_NODE_ARGS_ANNOTATION] ?? "[]");
        } catch {
            return false;
        }
        if (!Array.isArray(args)) return false;
        const v = flagValue(args.map(String), "--disable-network-policy");
        return v !== undefined && v !== "false";
    });
    const name = "k3s network policy controller";
    return disabledOn
        ? [
              {
                  name,
                  enforces: false,
                  evidence: `node ${disabledOn.name} runs k3s with --disable-network-policy`,
              },
          ]
        : [{ name, enforces: true, evidence: `node ${k3s[0].name} runs k3s` }];
}

/** Every network plugin recognised in the cluster, in the order found. */
export function networkPlugins(
    daemonSets: readonly ClusterDaemonSet[],
    nodes: readonly ClusterNode[],
): NetworkPlugin[] {
    return [...daemonSets.flatMap(daemonSetPlugins), ...k3sPlugins(nodes)];
}

/** Why it matters and what to do: the end of every warning. */
export const NETWORK_POLICY_ADVICE =
    "The teams' isolation (each team namespace's default deny, the platform namespace's policies) " +
    "is NetworkPolicy; without a plugin that enforces it, every pod can reach every other. " +
    "On kind: use kind v0.24.0 or newer, whose kindnet enforces NetworkPolicy, or create the cluster " +
    "with networking.disableDefaultCNI: true and install Calico or Cilium. On k3d: keep k3s's " +
    "embedded network policy controller (do not pass --disable-network-policy), or install Calico. " +
    "See docs/quickstart-local.md#network-policy.";

/**
 * The warning for what was found, or undefined when a plugin that enforces NetworkPolicy runs.
 */
export function networkPolicyWarning(
    plugins: readonly NetworkPlugin[],
    daemonSets: readonly ClusterDaemonSet[],
): string | undefined {
    if (plugins.some((p) => p.enforces)) return undefined;
    if (plugins.length > 0) {
        const found = plugins.map((p) => `${p.name} (${p.evidence})`).join("; ");
        return `cluster preflight: the cluster's network plugin does not enforce NetworkPolicy: found ${found}. ${NETWORK_POLICY_ADVICE}`;
    }
    const listed = daemonSets.map((d) => `${d.namespace}/${d.name}`).join(", ");
    return (
        "cluster preflight: found no network plugin known to enforce NetworkPolicy " +
        `(DaemonSets: ${listed || "none"}); if the cluster's plugin does not enforce it, ` +
        `nothing does. ${NETWORK_POLICY_ADVICE}`
    );
}

/**
 * Reads the cluster and returns the warning to print, or undefined when NetworkPolicy is
 * enforced. Never throws: a failed read is a warning that says the check could not run.
 */
export async function checkNetworkPolicyEnforcement(
    reader: ClusterReader,
): Promise<string | undefined> {
    let daemonSets: readonly ClusterDaemonSet[];
    let nodes: readonly ClusterNode[];
    try {
        [daemonSets, nodes] = await Promise.all([reader.daemonSets(), reader.nodes()]);
    } catch (e) {
        return (
            "cluster preflight: could not tell whether the cluster's network plugin enforces " +
            `NetworkPolicy (${(e as Error).message}). ${NETWORK_POLICY_ADVICE}`
        );
    }
    return networkPolicyWarning(networkPlugins(daemonSets, nodes), daemonSets);
}
