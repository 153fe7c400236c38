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
