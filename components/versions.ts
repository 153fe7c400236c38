/**
 * Every third-party chart and image the platform installs, pinned in one place so that an
 * upgrade is one reviewed diff. Charts come from their upstream repositories, images from
 * their official registries.
 */

/** A Helm chart pinned to an exact version in its upstream repository. */
export interface ChartPin {
    /** Chart name in `repo`, or an `oci://` reference. */
    readonly chart: string;
    readonly version: string;
    /** Chart repository; empty for OCI charts. */
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
    /** Argo Workflows 4.0 (https://github.com/argoproj/argo-helm). */
    argoWorkflows: {
        chart: "argo-workflows",
        version: "1.0.18",
        repo: "https://argoproj.github.io/argo-helm",
    },
    /** cert-manager, for KServe's webhook certificates (OCI chart; no repo). */
    certManager: {
        chart: "oci://quay.io/jetstack/charts/cert-manager",
        version: "v1.21.1",
        repo: "",
    },
    /** KServe CRDs, controller and serving runtimes, in that order (OCI charts). */
    kserveCrd: { chart: "oci://ghcr.io/kserve/charts/kserve-crd", version: "v0.20.0", repo: "" },
    kserveResources: {
        chart: "oci://ghcr.io/kserve/charts/kserve-resources",
        version: "v0.20.0",
        repo: "",
    },
    kserveRuntimeConfigs: {
        chart: "oci://ghcr.io/kserve/charts/kserve-runtime-configs",
        version: "v0.20.0",
        repo: "",
    },
    /** Seldon Core v2 (BSL 1.1 licence: production use needs a Seldon licence). */
    seldonCrds: {
        chart: "seldon-core-v2-crds",
        version: "2.9.1",
        repo: "https://seldonio.github.io/helm-charts",
    },
    seldonSetup: {
        chart: "seldon-core-v2-setup",
        version: "2.9.1",
        repo: "https://seldonio.github.io/helm-charts",
    },
    seldonRuntime: {
        chart: "seldon-core-v2-runtime",
        version: "2.9.1",
        repo: "https://seldonio.github.io/helm-charts",
    },
    seldonServers: {
        chart: "seldon-core-v2-servers",
        version: "2.9.1",
        repo: "https://seldonio.github.io/helm-charts",
    },
} as const satisfies Record<string, ChartPin>;

/**
 * Python packages the reference pipeline installs at run time, by exact version.
 */
export const pythonPackages = {
    /**
     * The training step's scikit-learn = the one KServe's sklearn server loads models with
     * (kserve v0.20.0, python/sklearnserver/uv.lock: scikit-learn 1.5.2), so that the pickle
     * it registers loads without a version warning.
     */
    scikitLearn: "scikit-learn==1.5.2",
} as const;

/** Official container images, by exact tag. */
export const images = {
    /** SeaweedFS, the S3-compatible object store used in-cluster (the project Kubeflow moved to). */
    seaweedfs: "chrislusf/seaweedfs:4.44",
    /** PostgreSQL 18 (Debian). Data lives under /var/lib/postgresql/18/docker. */
    postgres: "postgres:18.6",
    /** busybox, for Traefik's init step that keeps acme.json at mode 600. */
    busybox: "busybox:1.37.0",
    /** curl, for S3 API calls from Jobs (bucket creation). */
    curl: "curlimages/curl:8.17.0",
    /** MLflow 3 with the extras (boto3) and db (psycopg2) drivers. */
    mlflow: "ghcr.io/mlflow/mlflow:v3.18.0-full",
    /** The Feast feature server (runs as uid 1001). */
    feast: "quay.io/feastdev/feature-server:0.66.0",
    /** Valkey, the BSD-licensed Redis-protocol store (uid 999). */
    valkey: "valkey/valkey:8.1.5",
    /** The NFS Ganesha provisioner image matching the chart above. */
    nfsProvisioner: { repository: "registry.k8s.io/sig-storage/nfs-provisioner", tag: "v4.0.8" },
} as const;
