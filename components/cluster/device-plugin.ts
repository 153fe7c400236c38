import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmRelease } from "../helm-release";
import { Mirror, imageTag, mirrorImageName } from "../mirror";
import { podSecurityLabels } from "../security";
import { chartImages, charts } from "../versions";
import { GPU_TOLERATIONS } from "./kubernetes-cluster";

/** Arguments of {@link nvidiaDevicePlugin}. */
export interface NvidiaDevicePluginArgs {
    /** The chart and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
    /**
     * Run GPU feature discovery (with node feature discovery), which labels the GPU nodes that
     * the chart's default affinity selects. Off, `affinity` must select the GPU nodes (the
     * chart's default affinity waits for the discovery's labels).
     */
    readonly featureDiscovery: boolean;
    /** The plugin pods' affinity. @default the chart's (GPU nodes as feature discovery labels them) */
    readonly affinity?: pulumi.Input<k8s.types.input.core.v1.Affinity>;
}

/** The resources of {@link nvidiaDevicePlugin}. */
export interface NvidiaDevicePlugin {
    readonly namespace: k8s.core.v1.Namespace;
    readonly release: k8s.helm.v3.Release;
}

/**
 * The NVIDIA device plugin, so that GPU nodes advertise `nvidia.com/gpu`: the Helm release
 * `nvidia-device-plugin` in a namespace of that name, both Pulumi resources named `name`. Its
 * pods tolerate the GPU taint.
 *
 * ```ts
 * nvidiaDevicePlugin("mlops-nvidia-device-plugin", { featureDiscovery: true }, { provider });
 * ```
 */
export function nvidiaDevicePlugin(
    name: string,
    args: NvidiaDevicePluginArgs,
    opts: pulumi.CustomResourceOptions,
): NvidiaDevicePlugin {
    // The device plugin mounts the kubelet's device-plugin socket from the host, which only
    // the `privileged` Pod Security level allows; it gets a namespace of its own.
    const namespace = new k8s.core.v1.Namespace(
        name,
        {
            metadata: {
                name: "nvidia-device-plugin",
                labels: podSecurityLabels("privileged"),
            },
        },
        opts,
    );
    const image = (ref: string) => ({
        repository: mirrorImageName(ref, args.mirror),
        tag: imageTag(ref),
    });
    const release = helmRelease(
        name,
        {
            pin: charts.nvidiaDevicePlugin,
            mirror: args.mirror,
            releaseName: "nvidia-device-plugin",
            namespace: namespace.metadata.name,
            values: {
                image: image(chartImages.nvidiaDevicePlugin.devicePlugin),
                ...(args.featureDiscovery
                    ? {
                          gfd: { enabled: true },
                          nfd: {
                              image: image(chartImages.nvidiaDevicePlugin.nodeFeatureDiscovery),
                          },
                      }
                    : { gfd: { enabled: false }, nfd: { enabled: false } }),
                ...(args.affinity === undefined ? {} : { affinity: args.affinity }),
                tolerations: GPU_TOLERATIONS,
                resources: {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "200m", memory: "256Mi" },
                },
            },
        },
        opts,
    );
    return { namespace, release };
}
