/**
 * The building blocks of an in-cluster service component (the database, the object store,
 * MLflow, Feast): its preamble (pod labels, child metadata, container resources), environment
 * variables from its Secrets, its Service's DNS name, its data volume, and the spread of its
 * replicas over nodes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ContainerResources } from "./security";

/** The metadata of a namespaced child of a workload. */
export interface WorkloadMeta {
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
}

/**
 * What an in-cluster service component (database, object store, MLflow, Feast) starts with:
 * the labels that select its pods, the metadata of its children, its container resources and
 * the options that parent a child on it.
 */
export interface Workload {
    /** `app.kubernetes.io/name` (what runs) and `app.kubernetes.io/instance` (which one). */
    readonly labels: Record<string, string>;
    /** Metadata of the child named `<name><suffix>`, in the workload's namespace, labelled. */
    readonly meta: (suffix?: string) => WorkloadMeta;
    /** The container resources asked for, or the component's default. */
    readonly resources: ContainerResources;
    /** Options that parent a child on the component. */
    readonly child: { readonly parent: pulumi.Resource };
}

/**
 * The preamble of an in-cluster service component.
 *
 * ```ts
 * const w = workload(this, name, {
 *     app: "postgresql",
 *     namespace: args.namespace,
 *     resources: args.resources,
 *     defaultResources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
 * });
 * new k8s.core.v1.Service(name, { metadata: w.meta(), spec: { selector: w.labels } }, w.child);
 * ```
 */
export function workload(
    parent: pulumi.Resource,
    name: string,
    args: {
        /** The application (`app.kubernetes.io/name`). */
        readonly app: string;
        readonly namespace: pulumi.Input<string>;
        /** The resources the caller asked for, if any. */
        readonly resources?: ContainerResources;
        /** The component's default resources. */
        readonly defaultResources: ContainerResources;
    },
): Workload {
    const labels = { "app.kubernetes.io/name": args.app, "app.kubernetes.io/instance": name };
    return {
        labels,
        meta: (suffix = "") => ({ name: `${name}${suffix}`, namespace: args.namespace, labels }),
        resources: args.resources ?? args.defaultResources,
        child: { parent },
    };
}

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
