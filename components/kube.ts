import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Mirror, chartSource } from "./mirror";
import { ChartPin } from "./versions";

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

/**
 * For a Deployment of several replicas: spread them over nodes (preferred, so that a
 * one-node cluster still schedules them) and keep one up through voluntary disruptions
 * (node drains, upgrades) with a PodDisruptionBudget. Returns the pod affinity to set; with
 * one replica, nothing (a budget would block every drain).
 */
export function spreadReplicas(
    name: string,
    metadata: { name: pulumi.Input<string>; namespace: pulumi.Input<string> },
    labels: Record<string, string>,
    replicas: number,
    opts: pulumi.CustomResourceOptions,
): k8s.types.input.core.v1.Affinity | undefined {
    if (replicas < 2) return undefined;
    new k8s.policy.v1.PodDisruptionBudget(
        name,
        {
            metadata: { ...metadata, labels },
            spec: { minAvailable: 1, selector: { matchLabels: labels } },
        },
        opts,
    );
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                {
                    weight: 100,
                    podAffinityTerm: {
                        labelSelector: { matchLabels: labels },
                        topologyKey: "kubernetes.io/hostname",
                    },
                },
            ],
        },
    };
}

/** A Role with these rules, bound to one service account of the same namespace. */
export function boundRole(
    name: string,
    metadata: {
        name: pulumi.Input<string>;
        namespace: pulumi.Input<string>;
        labels?: Record<string, string>;
    },
    rules: k8s.types.input.rbac.v1.PolicyRule[],
    serviceAccount: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): k8s.rbac.v1.Role {
    const role = new k8s.rbac.v1.Role(name, { metadata, rules }, opts);
    new k8s.rbac.v1.RoleBinding(
        name,
        {
            metadata,
            roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: role.metadata.name,
            },
            subjects: [
                { kind: "ServiceAccount", name: serviceAccount, namespace: metadata.namespace },
            ],
        },
        opts,
    );
    return role;
}

/** What Argo's executor needs in a workflow's namespace: report its task results. */
export const ARGO_EXECUTOR_RULE: k8s.types.input.rbac.v1.PolicyRule = {
    apiGroups: ["argoproj.io"],
    resources: ["workflowtaskresults"],
    verbs: ["create", "patch"],
};
