/**
 * The platform's footprint: the CPU and memory its long-running pods request, summed over
 * replicas. Pods the program defines are read from their specs; pods a Helm chart runs (charts
 * are not rendered offline) from the values the program sets, else the chart's defaults at the
 * pinned version (CHART_PODS). Jobs run to completion and are not counted; init containers count
 * as the scheduler counts them (a pod requests the larger of its containers' sum and its
 * largest init container).
 */
import { RecordedResource, reveal } from "./recorder";

/** One kind of pod and how many of it run. */
export interface FootprintLine {
    /** `Deployment mlops-mlflow`, `chart traefik: traefik`. */
    readonly workload: string;
    readonly replicas: number;
    /** Per replica. */
    readonly cpuCores: number;
    readonly memoryBytes: number;
}

export interface Footprint {
    /** Summed over every line and its replicas. */
    readonly cpuCores: number;
    readonly memoryBytes: number;
    readonly lines: FootprintLine[];
    /** Charts or workloads whose pods are not counted, and why. */
    readonly uncounted: string[];
    /**
     * Long-running pods in team namespaces (each team's tracking server and feature store):
     * not in the platform's total, they count against each team's quota.
     */
    readonly teams: {
        readonly cpuCores: number;
        readonly memoryBytes: number;
        readonly lines: FootprintLine[];
    };
}

/**
 * Resource inputs and chart values are untyped here and read defensively (`?.`, fallbacks), as
 * the policies read props.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;

const CPU = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(m?)$/;
const BYTES = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { k: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** A Kubernetes CPU quantity in cores: `"250m"` → 0.25, `2` → 2. Unparsable: 0. */
export function cpuCores(quantity: unknown): number {
    const m = CPU.exec(String(quantity ?? ""));
    if (!m) return 0;
    return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** A Kubernetes memory quantity in bytes: `"512Mi"`, `"1G"`, `1073741824`. Unparsable: 0. */
export function memoryBytes(quantity: unknown): number {
    const m = BYTES.exec(String(quantity ?? ""));
    if (!m) return 0;
    const unit = m[2];
    const scale = !unit ? 1 : unit in BINARY ? 1024 ** BINARY[unit] : 1000 ** DECIMAL[unit];
    return Math.round(Number(m[1]) * scale);
}

interface Requests {
    cpu: number;
    memory: number;
}

function requestsOf(resources: Untyped): Requests {
    const r = resources?.requests ?? {};
    // A container with limits and no requests requests its limits (Kubernetes defaulting).
    const l = resources?.limits ?? {};
    return { cpu: cpuCores(r.cpu ?? l.cpu), memory: memoryBytes(r.memory ?? l.memory) };
}

/** A pod's effective request: its containers' sum, or its largest init container if more. */
export function podRequests(
    containers: readonly Untyped[],
    initContainers: readonly Untyped[] = [],
) {
    const sum = containers
        .map((c) => requestsOf(c?.resources))
        .reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), {
            cpu: 0,
            memory: 0,
        });
    const init = initContainers.map((c) => requestsOf(c?.resources));
    return {
        cpu: Math.max(sum.cpu, ...init.map((i) => i.cpu)),
        memory: Math.max(sum.memory, ...init.map((i) => i.memory)),
    };
}

/** A pod a chart runs: its replicas and containers' resources, from the release's values. */
export interface ChartPod {
    readonly name: string;
    readonly replicas: number;
    readonly containers: readonly { resources?: unknown }[];
    readonly initContainers?: readonly { resources?: unknown }[];
}

const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);

/**
 * The long-running pods of each chart the program installs, by chart name, from the values it
 * sets and the chart's defaults where it sets none. Defaults read from each chart's values.yaml
 * and templates at the version pinned in components/versions.ts; test/footprint.test.ts pins
 * every default used here.
 */
export const CHART_PODS: Readonly<Record<string, (values: Untyped) => ChartPod[] | string>> = {
    // traefik/traefik-helm-chart v41.3.0, traefik/values.yaml: deployment.kind Deployment,
    // deployment.replicas 1, resources {}; deployment.initContainers [].
    traefik: (v) => [
        {
            name: "traefik",
            replicas: num(v?.deployment?.replicas, 1),
            containers: [{ resources: v?.resources }],
            initContainers: v?.deployment?.initContainers ?? [],
        },
    ],
    // oauth2-proxy/manifests oauth2-proxy-10.7.0, helm/oauth2-proxy/values.yaml: replicaCount 1,
    // resources {}; initContainers.waitForRedis runs only with Redis sessions (not used).
    "oauth2-proxy": (v) => [
        {
            name: "oauth2-proxy",
            replicas: num(v?.replicaCount, 1),
            containers: [{ resources: v?.resources }],
        },
    ],
    // opencost/opencost-helm-chart opencost-2.5.17, charts/opencost/values.yaml: one
    // Deployment, opencost.exporter.replicas 1; the UI container only with opencost.ui.enabled.
    opencost: (v) => [
        {
            name: "opencost",
            replicas: num(v?.opencost?.exporter?.replicas, 1),
            containers: [
                { resources: v?.opencost?.exporter?.resources },
                ...(v?.opencost?.ui?.enabled === false
                    ? []
                    : [{ resources: v?.opencost?.ui?.resources }]),
            ],
        },
    ],
    // dexidp/helm-charts dex-0.24.0, charts/dex/values.yaml: replicaCount 1, resources {}.
    dex: (v) => [
        {
            name: "dex",
            replicas: num(v?.replicaCount, 1),
            containers: [{ resources: v?.resources }],
        },
    ],
    // argoproj/argo-helm argo-workflows-1.0.18, charts/argo-workflows/values.yaml:
    // controller.replicas 1, controller.resources {}; server.enabled true, server.replicas 1,
    // server.resources {}.
    "argo-workflows": (v) => [
        {
            name: "workflow-controller",
            replicas: num(v?.controller?.replicas, 1),
            containers: [{ resources: v?.controller?.resources }],
        },
        ...(v?.server?.enabled === false
            ? []
            : [
                  {
                      name: "server",
                      replicas: num(v?.server?.replicas, 1),
                      containers: [{ resources: v?.server?.resources }],
                  },
              ]),
    ],
    // cert-manager/cert-manager v1.21.1, deploy/charts/cert-manager/values.yaml: replicaCount 1,
    // resources {}; webhook.replicaCount 1; cainjector.enabled true, cainjector.replicaCount 1.
    // startupapicheck is a post-install Job: not counted.
    "oci://quay.io/jetstack/charts/cert-manager": (v) => [
        {
            name: "controller",
            replicas: num(v?.replicaCount, 1),
            containers: [{ resources: v?.resources }],
        },
        {
            name: "webhook",
            replicas: num(v?.webhook?.replicaCount, 1),
            containers: [{ resources: v?.webhook?.resources }],
        },
        ...(v?.cainjector?.enabled === false
            ? []
            : [
                  {
                      name: "cainjector",
                      replicas: num(v?.cainjector?.replicaCount, 1),
                      containers: [{ resources: v?.cainjector?.resources }],
                  },
              ]),
    ],
    // kserve/kserve v0.20.0, charts/kserve-resources: one Deployment, kserve-controller-manager
    // (files/kserve/resources.yaml, no replicas: 1), with two containers
    // (files/kserve/deployment-patch.yaml): kube-rbac-proxy, kserve.controller.rbacProxy.resources
    // (values.yaml: requests 100m/300Mi), and manager, kserve.controller.resources (100m/300Mi).
    "oci://ghcr.io/kserve/charts/kserve-resources": (v) => {
        const c = v?.kserve?.controller ?? {};
        return [
            {
                name: "kserve-controller-manager",
                replicas: 1,
                containers: [
                    {
                        resources: c.rbacProxy?.resources ?? KSERVE_CONTROLLER_DEFAULT,
                    },
                    { resources: c.resources ?? KSERVE_CONTROLLER_DEFAULT },
                ],
            },
        ];
    },
    // CRDs and ClusterServingRuntimes only (charts/kserve-crd, charts/kserve-runtime-configs).
    "oci://ghcr.io/kserve/charts/kserve-crd": () => [],
    "oci://ghcr.io/kserve/charts/kserve-runtime-configs": () => [],
    // kubernetes-sigs/nfs-ganesha-server-and-external-provisioner nfs-server-provisioner-1.8.0,
    // charts/nfs-server-provisioner/values.yaml: replicaCount 1, resources {}.
    "nfs-server-provisioner": (v) => [
        {
            name: "nfs-server-provisioner",
            replicas: num(v?.replicaCount, 1),
            containers: [{ resources: v?.resources }],
        },
    ],
    // kubernetes/autoscaler cluster-autoscaler-chart-9.59.0,
    // cluster-autoscaler/charts/cluster-autoscaler/values.yaml: replicaCount 1, resources {}.
    "cluster-autoscaler": (v) => [
        {
            name: "cluster-autoscaler",
            replicas: num(v?.replicaCount, 1),
            containers: [{ resources: v?.resources }],
        },
    ],
    "seldon-core-v2-crds": () => [],
    "seldon-core-v2-setup": () =>
        "Seldon Core v2's control plane: its per-component replicas are not tabulated",
    "seldon-core-v2-runtime": () => "Seldon Core v2's runtime: not tabulated",
    "seldon-core-v2-servers": () => "Seldon Core v2's model servers: not tabulated",
    // prometheus-community/helm-charts kube-prometheus-stack-88.5.3, values.yaml:
    // prometheusOperator.resources {}; prometheus.prometheusSpec.replicas 1, resources {};
    // alertmanager.alertmanagerSpec.replicas 1, resources {}; the operator adds a
    // config-reloader sidecar to Prometheus and Alertmanager pods with
    // prometheusOperator.prometheusConfigReloader.resources. Subcharts: kube-state-metrics-8.4.0
    // (replicas 1, resources {}), prometheus-node-exporter-4.56.1 (a DaemonSet, one pod a node:
    // counted once, as DaemonSets are), grafana-12.11.1 (replicas 1, resources {}; the dashboard
    // and datasource sidecars, kube-prometheus-stack turning both on, with sidecar.resources).
    // The admission webhook's certificate Jobs end: not counted.
    "kube-prometheus-stack": (v) => {
        const reloader = { resources: v?.prometheusOperator?.prometheusConfigReloader?.resources };
        const sidecar = { resources: v?.grafana?.sidecar?.resources };
        const p = v?.prometheus?.prometheusSpec ?? {};
        const a = v?.alertmanager?.alertmanagerSpec ?? {};
        return [
            {
                name: "prometheus-operator",
                replicas: 1,
                containers: [{ resources: v?.prometheusOperator?.resources }],
            },
            {
                name: "prometheus",
                replicas: num(p.replicas, 1),
                containers: [{ resources: p.resources }, reloader],
                initContainers: [reloader],
            },
            {
                name: "alertmanager",
                replicas: num(a.replicas, 1),
                containers: [{ resources: a.resources }, reloader],
                initContainers: [reloader],
            },
            {
                name: "grafana",
                replicas: num(v?.grafana?.replicas, 1),
                containers: [{ resources: v?.grafana?.resources }, sidecar, sidecar],
            },
            {
                name: "kube-state-metrics",
                replicas: num(v?.["kube-state-metrics"]?.replicas, 1),
                containers: [{ resources: v?.["kube-state-metrics"]?.resources }],
            },
            {
                name: "node-exporter",
                replicas: 1,
                containers: [{ resources: v?.["prometheus-node-exporter"]?.resources }],
            },
        ];
    },
    "dcgm-exporter": () => "its DaemonSet runs on GPU nodes only",
    "nvidia-device-plugin": () =>
        "its DaemonSets run on GPU nodes only, and node feature discovery's pods are not tabulated",
};

/** kserve-resources v0.20.0 values.yaml: the controller's and the proxy's requests and limits. */
export const KSERVE_CONTROLLER_DEFAULT = {
    requests: { cpu: "100m", memory: "300Mi" },
    limits: { cpu: "100m", memory: "300Mi" },
};

/**
 * kserve-resources v0.20.0 values.yaml `kserve.inferenceservice.resources`: what a predictor
 * requests when its InferenceService sets none.
 */
export const KSERVE_PREDICTOR_DEFAULT = {
    requests: { cpu: "1", memory: "2Gi" },
    limits: { cpu: "1", memory: "2Gi" },
};

/** The other types whose pods the footprint counts (below). */
const COUNTED_OTHERWISE = new Set([
    "kubernetes:serving.kserve.io/v1beta1:InferenceService",
    "kubernetes:helm.sh/v3:Release",
]);

const LONG_RUNNING: Record<string, string> = {
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
    // One pod per node it selects; counted once.
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:core/v1:Pod": "Pod",
};

/** The footprint of a plan's resources. */
export function footprintOf(resources: readonly RecordedResource[]): Footprint {
    const lines: FootprintLine[] = [];
    const teamLines: FootprintLine[] = [];
    const uncounted: string[] = [];
    let into = lines;
    const add = (workload: string, replicas: number, req: Requests) =>
        // To the millicore, the unit Kubernetes counts CPU in.
        into.push({
            workload,
            replicas,
            cpuCores: Math.round(req.cpu * 1000) / 1000,
            memoryBytes: req.memory,
        });

    for (const r of resources) {
        const kind = LONG_RUNNING[r.type];
        if (!kind && !COUNTED_OTHERWISE.has(r.type)) continue;
        const inputs = reveal(r.inputs) as Untyped;
        const ns = inputs?.metadata?.namespace;
        into = typeof ns === "string" && ns.startsWith("team-") ? teamLines : lines;
        if (kind) {
            const pod =
                r.type === "kubernetes:core/v1:Pod" ? inputs?.spec : inputs?.spec?.template?.spec;
            const replicas =
                kind === "Deployment" || kind === "StatefulSet" || kind === "ReplicaSet"
                    ? num(inputs?.spec?.replicas, 1)
                    : 1;
            add(
                `${kind} ${r.name}`,
                replicas,
                podRequests(pod?.containers ?? [], pod?.initContainers ?? []),
            );
        } else if (r.type === "kubernetes:serving.kserve.io/v1beta1:InferenceService") {
            // Standard mode: a Deployment of minReplicas predictor pods; the storage
            // initializer is an init container that KServe injects (not counted: it ends).
            const p = inputs?.spec?.predictor ?? {};
            const containers = [
                ...(p.model ? [{ resources: p.model.resources ?? KSERVE_PREDICTOR_DEFAULT }] : []),
                ...(p.containers ?? []),
            ];
            add(`InferenceService ${r.name}`, num(p.minReplicas, 1), podRequests(containers));
        } else if (r.type === "kubernetes:helm.sh/v3:Release") {
            const chart = String(inputs?.chart ?? "");
            const pods = CHART_PODS[chart];
            if (!pods) {
                uncounted.push(`chart ${chart}: no table of its pods`);
                continue;
            }
            const found = pods(inputs?.values ?? {});
            if (typeof found === "string") {
                uncounted.push(`chart ${chart}: ${found}`);
                continue;
            }
            for (const pod of found) {
                add(
                    `chart ${chart.split("/").pop()}: ${pod.name}`,
                    pod.replicas,
                    podRequests(pod.containers, pod.initContainers ?? []),
                );
            }
        }
    }
    const sum = (ls: FootprintLine[]) => ({
        cpuCores: Math.round(ls.reduce((a, l) => a + l.cpuCores * l.replicas, 0) * 1000) / 1000,
        memoryBytes: ls.reduce((a, l) => a + l.memoryBytes * l.replicas, 0),
    });
    return { ...sum(lines), lines, uncounted, teams: { ...sum(teamLines), lines: teamLines } };
}

const GiB = 1024 ** 3;

/** `Footprint: 1.15 CPU, 2.50 GiB requested by 14 kinds of pod (17 pods)`. */
export function renderFootprint(footprint: Footprint): string {
    const pods = footprint.lines.reduce((a, l) => a + l.replicas, 0);
    const teamPods = footprint.teams.lines.reduce((a, l) => a + l.replicas, 0);
    return [
        `Footprint: ${footprint.cpuCores.toFixed(2)} CPU, ${(footprint.memoryBytes / GiB).toFixed(2)} GiB requested by ${pods} long-running pod${pods === 1 ? "" : "s"} (chart pods included; Jobs not counted)`,
        ...(teamPods > 0
            ? [
                  `  and in team namespaces, within each team's quota: ${footprint.teams.cpuCores.toFixed(2)} CPU, ${(footprint.teams.memoryBytes / GiB).toFixed(2)} GiB by ${teamPods} pod${teamPods === 1 ? "" : "s"} (each team's tracking server and feature store)`,
              ]
            : []),
        ...footprint.uncounted.map((u) => `  not counted: ${u}`),
    ].join("\n");
}
