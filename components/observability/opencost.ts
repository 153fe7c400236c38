import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podsWith, ServiceEndpoint } from "../endpoint";
import { helmRelease } from "../helm-release";
import { Mirror, mirrorImageParts } from "../mirror";
import { HOURS_PER_MONTH, UnitPrices } from "../prices";
import { chartImages, charts } from "../versions";

/** The prices OpenCost allocates with: hourly, as the plan's price table gives them. */
export interface CostPrices extends UnitPrices {
    /** One GPU per hour (OpenCost's custom pricing has one GPU price). @default 0 */
    readonly gpu?: number;
}

/** Where OpenCost reads the metrics it allocates costs from. */
export interface PrometheusService {
    /** The Prometheus Service's name. */
    readonly name: pulumi.Input<string>;
    readonly namespace: pulumi.Input<string>;
    readonly port: number;
    /** The `name` of Prometheus's `ServiceEndpoint`, which OpenCost's pods call. */
    readonly endpoint: string;
}

/** Arguments of {@link OpenCost}. */
export interface OpenCostArgs {
    readonly namespace: pulumi.Input<string>;
    readonly prometheus: PrometheusService;
    readonly prices: CostPrices;
    /**
     * Labels of the chart's ServiceMonitor, so that the platform's Prometheus scrapes OpenCost
     * (it lives beside Prometheus, outside the platform namespace's PodMonitors). @default none
     */
    readonly serviceMonitorLabels?: Record<string, string>;
    /** The cluster's name in OpenCost's data. */
    readonly clusterId: string;
    /** Chart and image from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The release name, and so the Deployment's and Service's name (the chart's fullname). */
const RELEASE = "opencost";
/** opencost.selectorLabels in the chart's _helpers.tpl (opencost-2.5.17). */
const POD_LABELS = {
    "app.kubernetes.io/name": "opencost",
    "app.kubernetes.io/instance": RELEASE,
};
/** `opencost.exporter.apiPort` (values.yaml, opencost-2.5.17): the API and `/metrics`. */
export const OPENCOST_PORT = 9003;

/**
 * OpenCost's custom pricing as its chart takes it (`opencost.customPricing.costModel`). OpenCost
 * reads these from the chart's ConfigMap through `UpdateFromMap`, which divides CPU, RAM, GPU
 * and storage by 730 (pkg/cloud/provider/providerconfig.go): they are monthly prices, per vCPU,
 * per GiB, per GPU and per GiB of volume, written with six decimals.
 */
export function openCostCostModel(prices: CostPrices): Record<string, string> {
    const month = (hourly: number) => (hourly * HOURS_PER_MONTH).toFixed(6);
    return {
        description: "The platform's dated price table (components/prices.ts), monthly",
        CPU: month(prices.cpu),
        spotCPU: month(prices.spotCpu),
        RAM: month(prices.memoryGiB),
        spotRAM: month(prices.spotMemoryGiB),
        GPU: month(prices.gpu ?? 0),
        storage: month(prices.storageGiB),
    };
}

/**
 * OpenCost from its upstream chart: what each namespace's pods cost, from the metrics the
 * platform's Prometheus holds (kube-state-metrics, cAdvisor) and the platform's own price
 * table, so that its actuals and the plan's estimate use one price list on every cloud.
 * Its API and metrics listen on one port, which Prometheus scrapes; nothing else may call it
 * (reach it with `kubectl port-forward`). The UI and the MCP server are not installed.
 *
 * ```ts
 * new OpenCost("cost", { namespace: "mlops", clusterId: "mlops", prices: { ...unitPrices.gcp, gpu: 0.35 },
 *     prometheus: { name: "prometheus-operated", namespace: "mlops", port: 9090, endpoint: "prometheus" } });
 * ```
 */
export class OpenCost extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:observability:OpenCost";
    public readonly release: k8s.helm.v3.Release;
    /** OpenCost's API in the cluster, e.g. `/allocation?window=7d&aggregate=namespace`. */
    public readonly apiUrl: pulumi.Output<string>;
    /** Its pods: Prometheus scrapes them; they call Prometheus. */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: OpenCostArgs, opts?: pulumi.ComponentResourceOptions) {
        super(OpenCost.__pulumiType, name, {}, opts);
        const image = mirrorImageParts(chartImages.opencost.exporter, args.mirror);
        this.release = helmRelease(
            name,
            {
                pin: charts.opencost,
                mirror: args.mirror,
                releaseName: RELEASE,
                namespace: args.namespace,
                values: {
                    fullnameOverride: RELEASE,
                    // Prometheus scrapes it through the chart's ServiceMonitor (serviceMonitorLabels).
                    opencost: {
                        exporter: {
                            defaultClusterId: args.clusterId,
                            image: {
                                registry: image.registry,
                                repository: image.repository,
                                tag: image.tag,
                            },
                            resources: {
                                requests: { cpu: "10m", memory: "64Mi" },
                                limits: { cpu: "500m", memory: "1Gi" },
                            },
                            // The chart sets none. Its pricing directory is an emptyDir; the
                            // image's user and its other writes are not known here, so the root
                            // filesystem and the user stay the image's.
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                capabilities: { drop: ["ALL"] },
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                        },
                        customPricing: {
                            enabled: true,
                            provider: "custom",
                            costModel: openCostCostModel(args.prices),
                        },
                        prometheus: {
                            internal: {
                                enabled: true,
                                serviceName: args.prometheus.name,
                                namespaceName: args.prometheus.namespace,
                                port: args.prometheus.port,
                            },
                        },
                        mcp: { enabled: false },
                        ui: { enabled: false },
                        metrics: {
                            serviceMonitor: args.serviceMonitorLabels
                                ? { enabled: true, additionalLabels: args.serviceMonitorLabels }
                                : { enabled: false },
                        },
                    },
                },
            },
            { parent: this },
        );
        this.apiUrl = pulumi.interpolate`http://${RELEASE}.${args.namespace}.svc.cluster.local:${OPENCOST_PORT}`;
        this.serviceEndpoint = {
            name: RELEASE,
            pods: { matchLabels: POD_LABELS },
            ports: [OPENCOST_PORT],
            callers: {},
            calls: [{ endpoint: args.prometheus.endpoint, from: [podsWith(POD_LABELS)] }],
            metrics: { port: OPENCOST_PORT, path: "/metrics" },
        };
        this.registerOutputs({ apiUrl: this.apiUrl });
    }
}
