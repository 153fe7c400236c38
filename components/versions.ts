/**
 * Every third-party chart and image the platform installs, pinned in one place so that an
 * upgrade is one reviewed diff. Charts come from their upstream repositories, images from
 * their official registries.
 */

/** A Helm chart pinned to an exact version in its upstream repository. */
export interface ChartPin {
    readonly chart: string;
    readonly version: string;
    readonly repo: string;
}

/** Upstream Helm charts. */
export const charts = {
    /** Traefik Proxy 3.7 (https://github.com/traefik/traefik-helm-chart). */
    traefik: { chart: "traefik", version: "41.3.0", repo: "https://traefik.github.io/charts" },
    /** NFS Ganesha server and external provisioner (kubernetes-sigs). */
    nfsServerProvisioner: {
        chart: "nfs-server-provisioner",
        version: "1.8.0",
        repo: "https://kubernetes-sigs.github.io/nfs-ganesha-server-and-external-provisioner/",
    },
    /** NVIDIA Kubernetes device plugin. */
    nvidiaDevicePlugin: {
        chart: "nvidia-device-plugin",
        version: "0.20.0",
        repo: "https://nvidia.github.io/k8s-device-plugin",
    },
} as const satisfies Record<string, ChartPin>;

/** Official container images, by exact tag. */
export const images = {
    /** SeaweedFS, the S3-compatible object store used in-cluster (the project Kubeflow moved to). */
    seaweedfs: "chrislusf/seaweedfs:4.44",
    /** PostgreSQL 18 (Debian). Data lives under /var/lib/postgresql/18/docker. */
    postgres: "postgres:18.6",
    /** curl, for S3 API calls from Jobs (bucket creation). */
    curl: "curlimages/curl:8.17.0",
    /** The NFS Ganesha provisioner image matching the chart above. */
    nfsProvisioner: { repository: "registry.k8s.io/sig-storage/nfs-provisioner", tag: "v4.0.8" },
} as const;
