import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** An environment variable read from one key of a Secret. */
export function secretEnv(
    name: string,
    secret: k8s.core.v1.Secret,
    key: string = name,
): k8s.types.input.core.v1.EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } };
}

/** The cluster-internal DNS name of a Service. */
export function serviceHost(service: k8s.core.v1.Service): pulumi.Output<string> {
    return pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
}

/** A ReadWriteOnce volume claim for a data store; `opts.protect` guards it in production. */
export function dataVolume(
    name: string,
    metadata: k8s.types.input.meta.v1.ObjectMeta,
    size: string,
    storageClass: pulumi.Input<string> | undefined,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaim {
    return new k8s.core.v1.PersistentVolumeClaim(
        name,
        {
            metadata,
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: storageClass,
                resources: { requests: { storage: size } },
            },
        },
        opts,
    );
}
