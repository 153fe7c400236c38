import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Mirror } from "../mirror";
import { nvidiaDevicePlugin } from "./device-plugin";
import { checkNetworkPolicyEnforcement } from "./network-policy-preflight";
import { checkClusterStorage, kubeApiReader } from "./preflight";
import {
    DEFAULT_OIDC_PREFIX,
    GPU_POOL_LABEL,
    GPU_TOLERATIONS,
    GpuScheduling,
    KubernetesCluster,
    oidcPrefixProblem,
} from "./kubernetes-cluster";

/** Arguments of {@link ExistingCluster}. */
export interface ExistingClusterArgs {
    /** Path to, or contents of, a kubeconfig. @default the ambient `KUBECONFIG` / `~/.kube/config` */
    readonly kubeconfig?: pulumi.Input<string>;
    /** The kubeconfig context to use. @default the current context */
    readonly context?: pulumi.Input<string>;
    /** ReadWriteOnce StorageClass for data volumes. @default the cluster's default class */
    readonly storageClass?: pulumi.Input<string>;
    /** ReadWriteMany StorageClass the cluster already has. @default none (the platform adds NFS) */
    readonly readWriteManyStorageClass?: pulumi.Input<string>;
    /**
     * Install the NVIDIA device plugin so that GPU nodes advertise `nvidia.com/gpu`. Leave off
     * when the NVIDIA GPU Operator or the distribution already runs it. @default false
     */
    readonly nvidiaDevicePlugin?: boolean;
    /**
     * Labels that identify GPU nodes. @default `{"nvidia.com/gpu.present": "true"}` (set by
     * NVIDIA's GPU feature discovery and the GPU Operator)
     */
    readonly gpuNodeLabels?: Readonly<Record<string, string>>;
    /** The device plugin's chart and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
    /**
     * Before anything is created in the cluster, check through its API server that it has
     * the StorageClass the platform's claims need (`storageClass`, else a default class) and
     * stop with a message that says what to change (see `checkClusterStorage`); then warn
     * when its network plugin does not enforce NetworkPolicy, on which the teams' isolation
     * rests (see `checkNetworkPolicyEnforcement`). Every object in the cluster waits for the
     * check, through the provider. Needs plain (not secret Output) `kubeconfig`, `context`
     * and `storageClass`. @default false
     */
    readonly preflight?: boolean;
    /**
     * The prefix the cluster's API server gives the user and group names of the organisation's
     * OpenID Connect issuer (its `--oidc-username-prefix` and `--oidc-groups-prefix`, one value
     * for both; `""` when it adds none): team RoleBindings name members with it
     * (docs/identity/kubectl.md). @default "oidc:"
     */
    readonly oidcPrefix?: string;
}

/** Label GPU feature discovery puts on nodes with NVIDIA GPUs. */
const GPU_PRESENT_LABEL = "nvidia.com/gpu.present";

/**
 * Any Kubernetes cluster a kubeconfig points at (kind, k3d, minikube, on-prem): the platform
 * installs into it and creates no nodes.
 *
 * ```ts
 * const cluster = new ExistingCluster("mlops", { context: "kind-mlops" });
 * new k8s.core.v1.Namespace("ns", {}, { provider: cluster.provider });
 * ```
 */
export class ExistingCluster extends pulumi.ComponentResource implements KubernetesCluster {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:cluster:ExistingCluster";
    public readonly cloud = "local" as const;
    public readonly clusterName: string;
    public readonly provider: k8s.Provider;
    public readonly storageClasses: KubernetesCluster["storageClasses"];
    public readonly memberPrefix: string;
    /** The device plugin release, when installed. */
    public readonly devicePlugin?: k8s.helm.v3.Release;
    private readonly gpuNodeLabels: Readonly<Record<string, string>>;

    constructor(
        name: string,
        args: ExistingClusterArgs = {},
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(ExistingCluster.__pulumiType, name, {}, opts);
        this.clusterName = name;
        this.memberPrefix = args.oidcPrefix ?? DEFAULT_OIDC_PREFIX;
        const prefixProblem = oidcPrefixProblem(this.memberPrefix);
        if (prefixProblem) {
            throw new Error(
                `ExistingCluster ${name}: oidcPrefix: got ${JSON.stringify(this.memberPrefix)}; ${prefixProblem}`,
            );
        }
        this.gpuNodeLabels = args.gpuNodeLabels ?? { [GPU_PRESENT_LABEL]: "true" };
        this.storageClasses = {
            readWriteOnce: args.storageClass,
            readWriteMany: args.readWriteManyStorageClass,
        };

        this.provider = new k8s.Provider(
            name,
            {
                // A kubeconfig's contents carry credentials: kept secret whether it came from
                // secret config or not (a path loses nothing by it).
                kubeconfig:
                    args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig),
                context: args.preflight ? this.preflight(args) : args.context,
                enableServerSideApply: true,
            },
            { parent: this },
        );

        if (args.nvidiaDevicePlugin) {
            // GPU feature discovery labels the GPU nodes that the chart's default affinity
            // selects.
            this.devicePlugin = nvidiaDevicePlugin(
                `${name}-nvidia-device-plugin`,
                { mirror: args.mirror, featureDiscovery: true },
                { parent: this, provider: this.provider },
            ).release;
        }

        this.registerOutputs({});
    }

    /**
     * The context, once the preflight passed: the provider, and so every object in the
     * cluster, waits for it; a failed check fails the provider with the check's message.
     */
    private preflight(args: ExistingClusterArgs): pulumi.Output<string | undefined> {
        return pulumi
            .all([args.kubeconfig, args.context, args.storageClass])
            .apply(async ([kubeconfig, context, storageClass]) => {
                const result = await checkClusterStorage({ kubeconfig, context, storageClass });
                if (result.checked) {
                    pulumi.log.info(
                        `cluster preflight: claims use StorageClass "${result.storageClass}"` +
                            (result.isDefault ? " (the cluster's default)" : ""),
                        this,
                    );
                    // A warning, never a failure: the platform works without it, unfenced.
                    const warning = await checkNetworkPolicyEnforcement(
                        kubeApiReader({ kubeconfig, context }),
                    );
                    if (warning) pulumi.log.warn(warning, this);
                } else {
                    pulumi.log.warn(`cluster preflight skipped: ${result.reason}`, this);
                }
                return context;
            });
    }

    public gpuScheduling(pool?: string): GpuScheduling {
        return {
            nodeSelector: pool
                ? { ...this.gpuNodeLabels, [GPU_POOL_LABEL]: pool }
                : this.gpuNodeLabels,
            tolerations: GPU_TOLERATIONS,
        };
    }
}
