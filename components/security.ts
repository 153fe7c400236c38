import * as k8s from "@pulumi/kubernetes";

/**
 * The container security context every workload the project defines starts from: non-root,
 * no privilege escalation, every capability dropped, the runtime's seccomp profile, and a
 * read-only root filesystem unless the image must write to it (say why at the call site).
 */
export function containerSecurityContext(
    opts: { readOnlyRootFilesystem?: boolean } = {},
): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The pod security context for an image whose non-root user is `uid`. */
export function podSecurityContext(uid: number): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Requests and limits of one container. */
export interface ContainerResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * Resources with the container's local disk bounded too: its logs, writable layer and its
 * share of the pod's disk-backed emptyDirs count against `ephemeral-storage`, and a
 * container without a limit may fill the node's disk. `limit` covers the emptyDirs it
 * writes plus room for logs.
 */
export function withLocalDisk(
    resources: ContainerResources,
    limit: string,
    request = "32Mi",
): k8s.types.input.core.v1.ResourceRequirements {
    return {
        requests: { ...resources.requests, "ephemeral-storage": request },
        limits: { ...resources.limits, "ephemeral-storage": limit },
    };
}

/**
 * Pod Security Standards labels for a namespace. Platform namespaces enforce `baseline` and
 * warn and audit at `restricted`, so that a chart update which drifts from `restricted` is
 * reported rather than silently blocked from starting.
 */
export function podSecurityLabels(
    enforce: "privileged" | "baseline" | "restricted",
): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": enforce === "privileged" ? "privileged" : "restricted",
        "pod-security.kubernetes.io/audit": enforce === "privileged" ? "privileged" : "restricted",
    };
}
