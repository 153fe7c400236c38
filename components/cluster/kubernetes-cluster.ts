import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Cloud } from "./gpus";

/** How a pod lands on GPU nodes: the node selector and the tolerations of their taint. */
export interface GpuScheduling {
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly k8s.types.input.core.v1.Toleration[];
}

/** The taint every GPU node carries, so that only pods asking for GPUs land there. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;

/** The label every GPU node carries with the name of its pool. */
export const GPU_POOL_LABEL = "mlops.dev/gpu-pool";

/** Tolerations of the GPU taint. */
export const GPU_TOLERATIONS: readonly k8s.types.input.core.v1.Toleration[] = [
    { key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect },
];

/**
 * The prefix an API server that trusts the organisation's OpenID Connect issuer gives the user
 * and group names from its tokens (EKS's identity provider config, the kube-apiserver's
 * `--oidc-username-prefix` and `--oidc-groups-prefix`): `group:ml-vision` becomes the group
 * `oidc:ml-vision`, so that no name from the issuer can pass for a `system:` one.
 */
export const DEFAULT_OIDC_PREFIX = "oidc:";

/**
 * What is wrong with an OIDC user and group prefix, or undefined: it must not contain
 * `system:` (Kubernetes reserves `system:` names, and EKS refuses such a prefix), and has at
 * most 64 characters with no whitespace or ','.
 */
export function oidcPrefixProblem(prefix: string): string | undefined {
    if (prefix.includes("system:"))
        return 'must not contain "system:" (Kubernetes reserves system: names; EKS refuses it)';
    if (!/^[^\s,]{0,64}$/.test(prefix))
        return "must be at most 64 characters without whitespace or ','";
    return undefined;
}

/**
 * What every cluster flavour (an existing cluster, GKE, EKS) gives the rest of the platform.
 * Components schedule on GPUs and claim volumes through this and nothing else.
 */
export interface KubernetesCluster {
    /** Which cloud the cluster lives in. */
    readonly cloud: Cloud;
    /** The cluster's name, the prefix of platform resources. */
    readonly clusterName: string;
    /** The provider every Kubernetes resource of the platform is created with. */
    readonly provider: k8s.Provider;
    /**
     * Node selector and tolerations for pods that need GPUs; `pool` picks one GPU pool,
     * otherwise any GPU node.
     */
    gpuScheduling(pool?: string): GpuScheduling;
    /**
     * What the API server prepends to the names of the users and groups that team members
     * (`user:`, `group:`) authenticate as, so that RoleBindings name them as it does: the OIDC
     * prefix on EKS and on clusters started with OIDC flags, none on GKE (Google accounts and
     * Google Groups).
     */
    readonly memberPrefix: string;
    /**
     * StorageClass names: ReadWriteOnce for data volumes (undefined: the cluster's default
     * class) and ReadWriteMany when the cluster already offers one (undefined: the platform's
     * SharedFilesystem provides it).
     */
    readonly storageClasses: {
        /** @default the cluster's default class */
        readonly readWriteOnce?: pulumi.Input<string>;
        /** @default none: the platform's SharedFilesystem provides it */
        readonly readWriteMany?: pulumi.Input<string>;
    };
}
