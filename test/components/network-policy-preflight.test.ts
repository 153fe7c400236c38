/**
 * The network policy preflight against a fake cluster reader: which plugins enforce
 * NetworkPolicy, the exact warnings, and a failed read as a warning rather than a crash.
 */
import {
    ClusterDaemonSet,
    ClusterNode,
    ClusterReader,
    NETWORK_POLICY_ADVICE,
    checkNetworkPolicyEnforcement,
    kindnetEnforces,
    networkPlugins,
} from "../../components/cluster/network-policy-preflight";

const ds = (
    namespace: string,
    name: string,
    images: string[],
    args: string[] = [],
): ClusterDaemonSet => ({ namespace, name, images, args });
const node = (
    name: string,
    annotations: Record<string, string> = {},
    providerID?: string,
): ClusterNode => ({ name, annotations, providerID });

const reader = (daemonSets: ClusterDaemonSet[], nodes: ClusterNode[] = []): ClusterReader => ({
    daemonSets: async () => daemonSets,
    nodes: async () => nodes,
});

const KUBE_PROXY = ds("kube-system", "kube-proxy", ["registry.k8s.io/kube-proxy:v1.34.0"]);
const KINDNET_0_23 = ds("kube-system", "kindnet", [
    "docker.io/kindest/kindnetd:v20240513-cd2ac642",
]);
const KINDNET_0_24 = ds("kube-system", "kindnet", [
    "docker.io/kindest/kindnetd:v20240813-c6f155d6",
]);
const FLANNEL = ds("kube-flannel", "kube-flannel-ds", [
    "docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2",
    "docker.io/flannel/flannel:v0.25.6",
]);

describe("checkNetworkPolicyEnforcement", () => {
    it.each([
        [
            "Calico (operator)",
            [ds("calico-system", "calico-node", ["docker.io/calico/node:v3.29.0"])],
        ],
        [
            "Canal",
            [
                ds("kube-system", "canal", [
                    "docker.io/calico/node:v3.29.0",
                    "docker.io/flannel/flannel:v0.25.6",
                ]),
            ],
        ],
        ["Cilium", [ds("kube-system", "cilium", ["quay.io/cilium/cilium:v1.16.3"])]],
        ["Antrea", [ds("kube-system", "antrea-agent", ["antrea/antrea-agent-ubuntu:v2.2.0"])]],
        [
            "Weave Net",
            [
                ds("kube-system", "weave-net", [
                    "weaveworks/weave-kube:2.8.1",
                    "weaveworks/weave-npc:2.8.1",
                ]),
            ],
        ],
        [
            "kube-router",
            [
                ds(
                    "kube-system",
                    "kube-router",
                    ["docker.io/cloudnativelabs/kube-router:v2.4.0"],
                    ["/usr/local/bin/kube-router", "--run-router=true", "--run-firewall=true"],
                ),
            ],
        ],
        [
            "kube-network-policies",
            [
                KINDNET_0_23,
                ds("kube-system", "kube-network-policies", [
                    "registry.k8s.io/networking/kube-network-policies:v0.7.0",
                ]),
            ],
        ],
        ["kind v0.24.0's kindnet", [KUBE_PROXY, KINDNET_0_24]],
        [
            "kindnet from a mirror",
            [
                ds("kube-system", "kindnet", [
                    "mirror.example.com/kindest/kindnetd:v20260820-69b56db7",
                ]),
            ],
        ],
        [
            "standalone kindnet v1.3.0",
            [ds("kube-system", "kindnet", ["registry.k8s.io/networking/kindnet:v1.3.0"])],
        ],
        [
            "Calico beside flannel",
            [FLANNEL, ds("kube-system", "calico-node", ["quay.io/calico/node:v3.29.0"])],
        ],
    ])("warns of nothing with %s", async (_, daemonSets) => {
        await expect(checkNetworkPolicyEnforcement(reader(daemonSets))).resolves.toBeUndefined();
    });

    it("warns of nothing on k3s (k3d) with its embedded controller, told by node or providerID", async () => {
        const args = JSON.stringify(["server", "--disable", "traefik"]);
        await expect(
            checkNetworkPolicyEnforcement(
                reader([], [node("k3d-mlops-server-0", { "k3s.io/node-args": args })]),
            ),
        ).resolves.toBeUndefined();
        await expect(
            checkNetworkPolicyEnforcement(reader([], [node("n", {}, "k3s://n")])),
        ).resolves.toBeUndefined();
    });

    it("warns with kindnet only, older than kind v0.24.0, naming what it found and the fix", async () => {
        await expect(
            checkNetworkPolicyEnforcement(reader([KUBE_PROXY, KINDNET_0_23])),
        ).resolves.toBe(
            "cluster preflight: the cluster's network plugin does not enforce NetworkPolicy: found " +
                "kindnet (DaemonSet kube-system/kindnet, image docker.io/kindest/kindnetd:v20240513-cd2ac642, " +
                "older than kind v0.24.0). The teams' isolation (each team namespace's default deny, the " +
                "platform namespace's policies) is NetworkPolicy; without a plugin that enforces it, every " +
                "pod can reach every other. On kind: use kind v0.24.0 or newer, whose kindnet enforces " +
                "NetworkPolicy, or create the cluster with networking.disableDefaultCNI: true and install " +
                "Calico or Cilium. On k3d: keep k3s's embedded network policy controller (do not pass " +
                "--disable-network-policy), or install Calico. See docs/quickstart-local.md#network-policy.",
        );
    });

    it("warns with flannel alone", async () => {
        await expect(checkNetworkPolicyEnforcement(reader([FLANNEL]))).resolves.toBe(
            "cluster preflight: the cluster's network plugin does not enforce NetworkPolicy: found " +
                "flannel (DaemonSet kube-flannel/kube-flannel-ds, image docker.io/flannel/flannel:v0.25.6). " +
                NETWORK_POLICY_ADVICE,
        );
    });

    it("warns on k3s started with --disable-network-policy (flag or config file), and no other plugin", async () => {
        for (const args of [
            ["server", "--disable-network-policy", "--flannel-backend", "vxlan"],
            ["server", "--disable-network-policy", "true"],
            ["server", "--disable-network-policy=true"],
        ]) {
            const nodes = [
                node(
                    "k3d-mlops-agent-0",
                    { "k3s.io/node-args": '["agent"]' },
                    "k3s://k3d-mlops-agent-0",
                ),
                node("k3d-mlops-server-0", { "k3s.io/node-args": JSON.stringify(args) }),
            ];
            await expect(checkNetworkPolicyEnforcement(reader([], nodes))).resolves.toBe(
                "cluster preflight: the cluster's network plugin does not enforce NetworkPolicy: found " +
                    "k3s network policy controller (node k3d-mlops-server-0 runs k3s with " +
                    `--disable-network-policy). ${NETWORK_POLICY_ADVICE}`,
            );
        }
        // Turned off explicitly as false: still on.
        await expect(
            checkNetworkPolicyEnforcement(
                reader(
                    [],
                    [
                        node("s", {
                            "k3s.io/node-args": '["server","--disable-network-policy","false"]',
                        }),
                    ],
                ),
            ),
        ).resolves.toBeUndefined();
        // Disabled, with Calico installed instead: enforced.
        await expect(
            checkNetworkPolicyEnforcement(
                reader(
                    [ds("calico-system", "calico-node", ["docker.io/calico/node:v3.29.0"])],
                    [node("s", { "k3s.io/node-args": '["server","--disable-network-policy"]' })],
                ),
            ),
        ).resolves.toBeUndefined();
    });

    it("warns with kube-router's firewall turned off", async () => {
        const kr = ds(
            "kube-system",
            "kube-router",
            ["cloudnativelabs/kube-router:v2.4.0"],
            ["--run-firewall=false"],
        );
        await expect(checkNetworkPolicyEnforcement(reader([kr]))).resolves.toContain(
            "found kube-router (DaemonSet kube-system/kube-router, image cloudnativelabs/kube-router:v2.4.0, with --run-firewall=false).",
        );
    });

    it("warns when it recognises no plugin, listing the DaemonSets it saw", async () => {
        await expect(
            checkNetworkPolicyEnforcement(
                reader([KUBE_PROXY, ds("kube-system", "mystery-cni", ["example.com/cni:1.0"])]),
            ),
        ).resolves.toBe(
            "cluster preflight: found no network plugin known to enforce NetworkPolicy (DaemonSets: " +
                "kube-system/kube-proxy, kube-system/mystery-cni); if the cluster's plugin does not " +
                `enforce it, nothing does. ${NETWORK_POLICY_ADVICE}`,
        );
        await expect(checkNetworkPolicyEnforcement(reader([]))).resolves.toContain(
            "(DaemonSets: none)",
        );
    });

    it("warns, without throwing, when the cluster cannot be read", async () => {
        const failing: ClusterReader = {
            daemonSets: async () => {
                throw new Error("listing DaemonSets failed (403: daemonsets.apps is forbidden)");
            },
            nodes: async () => [],
        };
        await expect(checkNetworkPolicyEnforcement(failing)).resolves.toBe(
            "cluster preflight: could not tell whether the cluster's network plugin enforces " +
                "NetworkPolicy (listing DaemonSets failed (403: daemonsets.apps is forbidden)). " +
                NETWORK_POLICY_ADVICE,
        );
    });
});

describe("kindnetEnforces", () => {
    it("dates kind's kindnetd builds from 2024-07-19 (kind v0.24.0) and versions from v1.3.0", () => {
        expect(kindnetEnforces("docker.io/kindest/kindnetd:v20240202-8f1494ea")).toBe(false);
        expect(kindnetEnforces("docker.io/kindest/kindnetd:v20240513-cd2ac642")).toBe(false);
        expect(kindnetEnforces("docker.io/kindest/kindnetd:v20240719-e7903573")).toBe(true);
        expect(kindnetEnforces("docker.io/kindest/kindnetd:v20251212-v0")).toBe(true);
        expect(kindnetEnforces("registry.k8s.io/networking/kindnet:v1.2.9")).toBe(false);
        expect(kindnetEnforces("registry.k8s.io/networking/kindnet:v1.3.0")).toBe(true);
        expect(kindnetEnforces("registry.k8s.io/networking/kindnet:v2.0.1")).toBe(true);
        expect(kindnetEnforces("docker.io/kindest/kindnetd")).toBeUndefined();
        expect(kindnetEnforces("kindest/kindnetd:latest@sha256:abc")).toBeUndefined();
    });

    it("says a kindnet of unknown version does not count as enforcing", () => {
        expect(
            networkPlugins([ds("kube-system", "kindnet", ["kindest/kindnetd:latest"])], []),
        ).toEqual([
            {
                name: "kindnet",
                enforces: false,
                evidence:
                    "DaemonSet kube-system/kindnet, image kindest/kindnetd:latest, of a version its tag does not tell",
            },
        ]);
    });

    it("does not take flannel's CNI plugin image or an unrelated name for a plugin", () => {
        expect(
            networkPlugins(
                [
                    ds("x", "y", [
                        "flannel/flannel-cni-plugin:v1.5.1",
                        "example.com/calico-exporter:1",
                        "nodecilium:1",
                    ]),
                ],
                [],
            ),
        ).toEqual([]);
    });
});
