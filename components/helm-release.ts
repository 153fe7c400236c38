import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Mirror, chartSource } from "./mirror";
import { ChartPin } from "./versions";

/** A Helm release of a pinned chart, from upstream or from the mirror. */
export function helmRelease(
    name: string,
    args: {
        readonly pin: ChartPin;
        /** Install the chart, same name and version, from `mirror.charts`. @default upstream */
        readonly mirror?: Mirror;
        /** Release name in the cluster. */
        readonly releaseName: string;
        readonly namespace: pulumi.Input<string>;
        readonly values: pulumi.Inputs;
    },
    opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            ...chartSource(args.pin, args.mirror),
            version: args.pin.version,
            namespace: args.namespace,
            values: args.values,
        },
        opts,
    );
}
