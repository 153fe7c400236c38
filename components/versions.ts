/**
 * Every third-party chart and image the platform installs, pinned in one place so that an
 * upgrade is one reviewed diff. Charts come from their upstream repositories, images from
 * their official registries, unless `mlops:mirror` moves them (components/mirror.ts).
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
    /** oauth2-proxy 7.15 (https://github.com/oauth2-proxy/manifests). */
    oauth2Proxy: {
        chart: "oauth2-proxy",
        version: "10.7.0",
        repo: "https://oauth2-proxy.github.io/manifests",
    },
    /** OpenCost 1.120, cost allocation from Prometheus (https://github.com/opencost/opencost-helm-chart). */
    opencost: {
        chart: "opencost",
        version: "2.5.17",
        repo: "https://opencost.github.io/opencost-helm-chart",
    },
    /** Dex, the bundled identity provider on local (https://github.com/dexidp/helm-charts). */
    dex: { chart: "dex", version: "0.24.0", repo: "https://charts.dexidp.io" },
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
    /** Kubernetes cluster-autoscaler 1.35 for EKS node groups (https://github.com/kubernetes/autoscaler). */
    clusterAutoscaler: {
        chart: "cluster-autoscaler",
        version: "9.59.0",
        repo: "https://kubernetes.github.io/autoscaler",
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
    /**
     * kube-prometheus-stack 88.5.3: the Prometheus Operator v0.93.1, Prometheus, Alertmanager,
     * Grafana (grafana-community chart 12.11.1), kube-state-metrics and node-exporter
     * (https://github.com/prometheus-community/helm-charts).
     */
    kubePrometheusStack: {
        chart: "kube-prometheus-stack",
        version: "88.5.3",
        repo: "https://prometheus-community.github.io/helm-charts",
    },
    /** NVIDIA's DCGM exporter 4.8.2, GPU metrics (https://github.com/NVIDIA/dcgm-exporter). */
    dcgmExporter: {
        chart: "dcgm-exporter",
        version: "4.8.2",
        repo: "https://nvidia.github.io/dcgm-exporter/helm-charts",
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
    /**
     * Valkey's metrics, a sidecar of the online store (the tag the prometheus-community
     * prometheus-redis-exporter chart 6.29.0 runs: its appVersion).
     */
    redisExporter: "oliver006/redis_exporter:v1.89.0",
    /**
     * PostgreSQL's metrics, a sidecar of the in-cluster database (prometheus-community
     * prometheus-postgres-exporter chart 8.2.0: `image.registry`/`repository`, appVersion).
     */
    postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.20.1",
    /**
     * awslabs/aws-sigv4-proxy v1.11.1 (its release workflow publishes
     * `public.ecr.aws/aws-observability/aws-sigv4-proxy:<VERSION>`): signs Grafana's queries to
     * Amazon Managed Service for Prometheus (`mlops:observability.backend: managed` on aws).
     */
    awsSigv4Proxy: "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1",
    /**
     * Google's Prometheus build for Google Cloud Managed Service for Prometheus, which exports
     * every sample to Cloud Monitoring (self-deployed collection): the tag
     * GoogleCloudPlatform/prometheus-engine v0.17.2 runs (`manifests/operator.yaml`,
     * `examples/prometheus.yaml`). Prometheus v2.53.5 underneath (`mlops:observability.backend:
     * managed` on gcp).
     */
    gmpPrometheus: "gke.gcr.io/prometheus-engine/prometheus:v2.53.5-gmp.1-gke.2",
    /**
     * The query frontend of Google Cloud Managed Service for Prometheus: a Prometheus HTTP API
     * that authenticates to Cloud Monitoring with its pod's identity (prometheus-engine v0.17.2,
     * `examples/frontend.yaml`). Grafana reads the managed backend through it on gcp.
     */
    gmpFrontend: "gke.gcr.io/prometheus-engine/frontend:v0.15.3-gke.0",
} as const;

/**
 * The images each chart above runs, as its values.yaml names them at the pinned version (the
 * chart's file and tag beside each). The platform sets every one of them in the chart's values
 * instead of leaving the chart's default, so that `mlops:mirror.images` can move them and the
 * mirror listing (`npm run mirror:list`) can name them. Upgrading a chart means reading its
 * values.yaml again and updating these in the same diff.
 */
export const chartImages = {
    /**
     * opencost-helm-chart opencost-2.5.17, charts/opencost/values.yaml
     * `opencost.exporter.image.*` (the UI is not installed).
     */
    opencost: { exporter: "ghcr.io/opencost/opencost:1.120.1" },
    /** traefik-helm-chart v41.3.0, traefik/values.yaml `image.*` (tag: Chart.yaml appVersion). */
    traefik: { traefik: "docker.io/traefik:v3.7.11" },
    /**
     * oauth2-proxy/manifests oauth2-proxy-10.7.0, helm/oauth2-proxy/values.yaml `image.*`
     * (registry quay.io by default in templates/deployment.yaml; tag: v + appVersion 7.15.3).
     */
    oauth2Proxy: { proxy: "quay.io/oauth2-proxy/oauth2-proxy:v7.15.3" },
    /**
     * dexidp/helm-charts dex-0.24.0, charts/dex/values.yaml `image.*`, with the tag set to
     * v2.45.1 over the chart's appVersion 2.44.0: static users carry groups from Dex 2.45.0 on
     * (dexidp/dex storage/storage.go `Password.Groups`).
     */
    dex: { dex: "ghcr.io/dexidp/dex:v2.45.1" },
    /** nfs-ganesha-server-and-external-provisioner nfs-server-provisioner-1.8.0, values.yaml `image.*`. */
    nfsServerProvisioner: {
        provisioner: "registry.k8s.io/sig-storage/nfs-provisioner:v4.0.8",
    },
    /**
     * k8s-device-plugin v0.20.0, deployments/helm/nvidia-device-plugin/values.yaml `image.*`
     * (tag: v + appVersion), and its node-feature-discovery 0.19.0 subchart's `image.*`
     * (node-feature-discovery v0.19.0, deployment/helm/node-feature-discovery/values.yaml;
     * tag: appVersion), set as `nfd.image`.
     */
    nvidiaDevicePlugin: {
        devicePlugin: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0",
        nodeFeatureDiscovery: "registry.k8s.io/nfd/node-feature-discovery:v0.19.0",
    },
    /**
     * kubernetes/autoscaler cluster-autoscaler-chart-9.59.0,
     * cluster-autoscaler/charts/cluster-autoscaler/values.yaml `image.repository`, `image.tag`.
     */
    clusterAutoscaler: { autoscaler: "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0" },
    /**
     * argo-helm argo-workflows-1.0.18, charts/argo-workflows/values.yaml `controller.image`,
     * `server.image`, `executor.image` (tags: `images.tag`, default appVersion v4.0.6). The
     * CRD Job's kubectl image is not listed: `crds.full: false` never runs that Job.
     */
    argoWorkflows: {
        controller: "quay.io/argoproj/workflow-controller:v4.0.6",
        server: "quay.io/argoproj/argocli:v4.0.6",
        executor: "quay.io/argoproj/argoexec:v4.0.6",
    },
    /**
     * cert-manager v1.21.1, deploy/charts/cert-manager/values.yaml: `imageRegistry` quay.io,
     * `imageNamespace` jetstack, each component's `image.name`, tag appVersion.
     */
    certManager: {
        controller: "quay.io/jetstack/cert-manager-controller:v1.21.1",
        webhook: "quay.io/jetstack/cert-manager-webhook:v1.21.1",
        cainjector: "quay.io/jetstack/cert-manager-cainjector:v1.21.1",
        acmesolver: "quay.io/jetstack/cert-manager-acmesolver:v1.21.1",
        startupapicheck: "quay.io/jetstack/cert-manager-startupapicheck:v1.21.1",
    },
    /**
     * kserve v0.20.0, charts/kserve-resources/values.yaml: `kserve.controller.image`,
     * `controller.rbacProxyImage`, `agent.image` (logger and batcher), `router.image`,
     * `storage.image` (the storage initializer, also `localmodel.defaultJobImage`) and
     * `servingruntime.art.image` (the explainer); tags default to `kserve.version`.
     */
    kserveResources: {
        controller: "kserve/kserve-controller:v0.20.0",
        rbacProxy: "quay.io/brancz/kube-rbac-proxy:v0.18.0",
        agent: "kserve/agent:v0.20.0",
        router: "kserve/router:v0.20.0",
        storageInitializer: "kserve/storage-initializer:v0.20.0",
        artExplainer: "kserve/art-explainer:v0.20.0",
    },
    /**
     * kserve v0.20.0, charts/kserve-runtime-configs/values.yaml `kserve.servingruntime.<runtime>`
     * `image` and `tag` (empty tags default to `kserve.version`); the files/runtimes patch
     * decides the image, over files/runtimes/resources.yaml. Each is pulled only when a model
     * of its format is served.
     */
    kserveRuntimeConfigs: {
        sklearnserver: "kserve/sklearnserver:v0.20.0",
        xgbserver: "kserve/xgbserver:v0.20.0",
        lgbserver: "kserve/lgbserver:v0.20.0",
        pmmlserver: "kserve/pmmlserver:v0.20.0",
        paddleserver: "kserve/paddleserver:v0.20.0",
        predictiveserver: "kserve/predictiveserver:v0.20.0",
        autogluonserver: "kserve/autogluonserver:v0.20.0",
        huggingfaceserver: "kserve/huggingfaceserver:v0.20.0",
        /**
         * Not a value: the chart appends `-gpu` to huggingfaceserver's tag for the multinode
         * runtime (clusterservingruntimes-patch.yaml); listed so that it is mirrored.
         */
        huggingfaceserverGpu: "kserve/huggingfaceserver:v0.20.0-gpu",
        mlserver: "docker.io/seldonio/mlserver:1.5.0",
        tensorflow: "tensorflow/serving:2.6.2",
        torchserve: "pytorch/torchserve-kfs:0.9.0",
        tritonserver: "nvcr.io/nvidia/tritonserver:23.05-py3",
        /** Upstream's moving tag, as the chart pins it. */
        vllmserver: "vllm/vllm-openai:latest",
    },
    /**
     * seldon-core v2.9.1, k8s/helm-charts/seldon-core-v2-setup/values.yaml: each component's
     * `image.{registry,repository,tag}` and `serverConfig.{rclone,agent,mlserver,triton}.image`.
     * The crds, runtime and servers charts set no images.
     */
    seldonSetup: {
        controller: "docker.io/seldonio/seldonv2-controller:2.9.1",
        scheduler: "docker.io/seldonio/seldon-scheduler:2.9.1",
        envoy: "docker.io/seldonio/seldon-envoy:2.9.1",
        hodometer: "docker.io/seldonio/seldon-hodometer:2.9.1",
        modelgateway: "docker.io/seldonio/seldon-modelgateway:2.9.1",
        pipelinegateway: "docker.io/seldonio/seldon-pipelinegateway:2.9.1",
        dataflow: "docker.io/seldonio/seldon-dataflow-engine:2.9.1",
        rclone: "docker.io/seldonio/seldon-rclone:2.9.1",
        agent: "docker.io/seldonio/seldon-agent:2.9.1",
        mlserver: "docker.io/seldonio/mlserver:1.7.1",
        triton: "nvcr.io/nvidia/tritonserver:23.03-py3",
    },
    /**
     * prometheus-community/helm-charts kube-prometheus-stack-88.5.3,
     * charts/kube-prometheus-stack/values.yaml: `prometheusOperator.image`,
     * `prometheusOperator.prometheusConfigReloader.image` (tags default to appVersion v0.93.1;
     * the operator serves its admission webhook itself, `admissionWebhooks.deployment` is off),
     * `prometheusOperator.admissionWebhooks.patch.image` (the certificate Jobs),
     * `alertmanager.alertmanagerSpec.image`, `prometheus.prometheusSpec.image`; its subcharts
     * kube-state-metrics-8.4.0 (`image.*`, v + appVersion 2.20.0), prometheus-node-exporter-4.56.1
     * (`image.*`, v + appVersion 1.12.1, `-distroless` as kube-prometheus-stack asks) and
     * grafana-community/helm-charts grafana-12.11.1 (`image.*`, appVersion 13.2.0;
     * `sidecar.image`). Grafana's `initChownData` (persistence only) and `testFramework`
     * (helm test) are turned off, and no plugin is installed: nothing else is pulled.
     */
    kubePrometheusStack: {
        operator: "quay.io/prometheus-operator/prometheus-operator:v0.93.1",
        configReloader: "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1",
        webhookCertgen: "ghcr.io/jkroepke/kube-webhook-certgen:1.8.7",
        alertmanager: "quay.io/prometheus/alertmanager:v0.34.0",
        prometheus: "quay.io/prometheus/prometheus:v3.14.0-distroless",
        kubeStateMetrics: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
        nodeExporter: "quay.io/prometheus/node-exporter:v1.12.1-distroless",
        grafana: "docker.io/grafana/grafana:13.2.0",
        grafanaSidecar: "quay.io/kiwigrid/k8s-sidecar:2.10.1",
    },
    /** NVIDIA/dcgm-exporter 4.5.3-4.8.2, deployment/values.yaml `image.*`. */
    dcgmExporter: { exporter: "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless" },
} as const satisfies Partial<Record<keyof typeof charts, Record<string, string>>>;

/**
 * EKS: the Kubernetes minor version of the control plane (the cluster-autoscaler's minor
 * follows it) and the PostgreSQL major version of RDS (minor versions are upgraded by RDS).
 * The EBS and EFS CSI add-ons run the version EKS makes the default for this Kubernetes
 * version.
 */
export const aws = {
    kubernetes: "1.35",
    rdsPostgres: "17",
} as const;
