/** Guardrails for every container the stack runs. */
import { containerPolicy, podSpecOf, resourcePolicy, WORKLOAD_TYPES } from "./policy-builders";

const imageTag = (image: string): string | undefined => {
    if (image.includes("@sha256:")) return "digest";
    const last = image.split("/").pop() ?? "";
    const i = last.lastIndexOf(":");
    return i < 0 ? undefined : last.slice(i + 1);
};

export const containerResources = containerPolicy({
    name: "k8s-container-resources",
    description: "Every container sets CPU and memory requests and limits.",
    enforcementLevel: "mandatory",
    check: (c) => {
        const missing = [
            ["requests", "cpu"],
            ["requests", "memory"],
            ["limits", "cpu"],
            ["limits", "memory"],
        ]
            .filter(([k, r]) => !c.resources?.[k]?.[r])
            .map(([k, r]) => `${k}.${r}`);
        return missing.length ? `missing resources ${missing.join(", ")}` : undefined;
    },
});

export const imagePinned = containerPolicy({
    name: "k8s-image-pinned",
    description: "Every image has an explicit tag or digest, never `latest`.",
    enforcementLevel: "mandatory",
    check: (c) => {
        const tag = imageTag(String(c.image ?? ""));
        if (!tag) return `image '${c.image}' has no tag`;
        if (tag === "latest" || tag.startsWith("latest-"))
            return `image '${c.image}' uses a moving 'latest' tag`;
        return undefined;
    },
});

export const noPrivileged = containerPolicy({
    name: "k8s-no-privileged",
    description: "No container runs privileged.",
    enforcementLevel: "mandatory",
    check: (c) => (c.securityContext?.privileged === true ? "runs privileged" : undefined),
});

export const runAsNonRoot = containerPolicy({
    name: "k8s-run-as-non-root",
    description: "Every container runs as a non-root user (runAsNonRoot on the container or pod).",
    enforcementLevel: "mandatory",
    check: (c, pod) =>
        (c.securityContext?.runAsNonRoot ?? pod?.securityContext?.runAsNonRoot) === true
            ? undefined
            : "runAsNonRoot is not true",
});

export const noPrivilegeEscalation = containerPolicy({
    name: "k8s-no-privilege-escalation",
    description: "Every container sets allowPrivilegeEscalation to false.",
    enforcementLevel: "mandatory",
    check: (c) =>
        c.securityContext?.allowPrivilegeEscalation === false
            ? undefined
            : "allowPrivilegeEscalation is not false",
});

export const dropAllCapabilities = containerPolicy({
    name: "k8s-drop-all-capabilities",
    description: "Every container drops all Linux capabilities.",
    enforcementLevel: "advisory",
    check: (c) =>
        (c.securityContext?.capabilities?.drop ?? []).includes("ALL")
            ? undefined
            : "does not drop ALL capabilities",
});

export const readOnlyRootFilesystem = containerPolicy({
    name: "k8s-read-only-root-filesystem",
    description: "Containers mount their root filesystem read-only.",
    enforcementLevel: "advisory",
    check: (c) =>
        c.securityContext?.readOnlyRootFilesystem === true
            ? undefined
            : "root filesystem is writable",
});

export const noHostPath = resourcePolicy({
    name: "k8s-no-host-path",
    description: "No pod mounts a hostPath volume.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    validate: (props, report, args) => {
        for (const v of podSpecOf(args.type, props)?.volumes ?? []) {
            if (v.hostPath) report(`volume '${v.name}' mounts host path ${v.hostPath.path}`);
        }
    },
});

export const noHostNamespaces = resourcePolicy({
    name: "k8s-no-host-namespaces",
    description: "No pod shares the node's network, PID or IPC namespace.",
    enforcementLevel: "mandatory",
    types: WORKLOAD_TYPES,
    validate: (props, report, args) => {
        const pod = podSpecOf(args.type, props) ?? {};
        for (const k of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (pod[k] === true) report(`${k} is true`);
        }
    },
});

export const readinessProbe = resourcePolicy({
    name: "k8s-readiness-probe",
    description: "Long-running workloads (Deployments, StatefulSets) define a readiness probe.",
    enforcementLevel: "advisory",
    types: ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"],
    validate: (props, report) => {
        for (const c of props?.spec?.template?.spec?.containers ?? []) {
            if (!c.readinessProbe) report(`container '${c.name}' has no readiness probe`);
        }
    },
});

export const workloadPolicies = [
    containerResources,
    imagePinned,
    noPrivileged,
    runAsNonRoot,
    noPrivilegeEscalation,
    dropAllCapabilities,
    readOnlyRootFilesystem,
    noHostPath,
    noHostNamespaces,
    readinessProbe,
];
