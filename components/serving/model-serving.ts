import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuScheduling } from "../cluster/kubernetes-cluster";
import { PodSelector, ServiceEndpoint } from "../endpoint";
import { helmRelease } from "../helm-release";
import { Mirror, imageTag, mirrorImage, mirrorImageName, mirrorImageParts } from "../mirror";
import { ExposedService, TRAEFIK_API } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { RouteAccess } from "../routing/exposed-service";
import { containerSecurityContext, podSecurityLabels } from "../security";
import { OBJECT_STORE_ENDPOINT, ObjectStoreConnection } from "../storage/object-store";
import { ChartPin, chartImages, charts } from "../versions";

/** A model to serve. */
export interface ServedModel {
    /** Stable key: names the InferenceService and its route. */
    readonly name: string;
    /** Model format, e.g. sklearn, xgboost, pytorch, onnx, huggingface, mlflow. */
    readonly format: string;
    /** Where the model is, e.g. `s3://mlops-tracking/1/models/abc/artifacts`. */
    readonly storageUri: string;
    /** @default 1 */
    readonly minReplicas?: number;
    /** @default 1 */
    readonly maxReplicas?: number;
    /** GPUs per replica. @default 0 */
    readonly gpu?: number;
    /** A second version that receives `trafficPercent` of the requests. @default none */
    readonly canary?: { readonly storageUri: string; readonly trafficPercent: number };
    /** Who may call the model, besides the router's admin groups. @default `ModelServingArgs.access` */
    readonly access?: RouteAccess;
}

/** Arguments of {@link ModelServing}. */
export interface ModelServingArgs {
    /** Namespace of the served models and their routes. */
    readonly namespace: pulumi.Input<string>;
    /** @default "kserve" */
    readonly engine?: "kserve" | "seldon";
    /** @default [] */
    readonly models?: readonly ServedModel[];
    /** Where the storage initializer reads models from. */
    readonly objectStore: ObjectStoreConnection;
    readonly router: Traefik;
    /** How pods that need GPUs are scheduled (from the cluster). */
    readonly gpuScheduling: GpuScheduling;
    /** Who may call a model that names no `access` of its own, besides the admin groups. @default the admin groups */
    readonly access?: RouteAccess;
    /** Annotations of the predictors' Kubernetes service account (cloud identity binding). @default none */
    readonly serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Charts and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

const limits = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

/**
 * Predictor pods of any InferenceService in Standard mode: KServe v0.20.0 labels them
 * `serving.kserve.io/inferenceservice: <isvc>` and `component: predictor`
 * (pkg/controller/v1beta1/inferenceservice/components/predictor.go, buildObjectMeta, copied to
 * the pod template by reconcilers/deployment/deployment_reconciler.go).
 */
const KSERVE_PREDICTOR: PodSelector = {
    matchLabels: { component: "predictor" },
    matchExpressions: [{ key: "serving.kserve.io/inferenceservice", operator: "Exists" }],
};
/**
 * The predictors' container port: the runtimes of kserve-runtime-configs v0.20.0 declare no
 * container port and serve HTTP on 8080, and the predictor Service then targets
 * `InferenceServiceDefaultHttpPort` ("8080", pkg/constants/constants.go, KServe v0.20.0).
 */
const PREDICTOR_PORT = 8080;
/** The namespace Seldon Core v2 runs in. */
const SELDON_NAMESPACE = "seldon-mesh";
/**
 * Seldon's model server pods (agent and rclone included): `app.kubernetes.io/name:
 * seldon-server` (operator/controllers/reconcilers/server/statefulset_reconciler.go and
 * operator/pkg/constants/constants.go, seldon-core v2.9.1).
 */
const SELDON_SERVER_LABELS = { "app.kubernetes.io/name": "seldon-server" };

/** KServe's predictors in the platform namespace, reached by the router. */
const KSERVE_ENDPOINT: ServiceEndpoint = {
    name: "predictors",
    pods: KSERVE_PREDICTOR,
    ports: [PREDICTOR_PORT],
    callers: { router: true },
    // KServe's model servers answer /metrics on their HTTP port.
    metrics: { port: PREDICTOR_PORT },
    // KServe's storage initializer runs in the predictor pod and pulls the model.
    calls: [{ endpoint: OBJECT_STORE_ENDPOINT, from: [{ podSelector: KSERVE_PREDICTOR }] }],
};
/**
 * The Seldon agent's Prometheus port in every server pod (container `agent`, port `metrics`):
 * `SELDON_METRICS_PORT` "9006" in the mlserver and triton ServerConfigs of
 * k8s/helm-charts/seldon-core-v2-setup/templates/seldon-v2-components.yaml, and the agent's
 * `defaultMetricsPort` (scheduler/cmd/agent/cli/cli.go); it serves `/metrics`
 * (scheduler/pkg/metrics/agent.go, `Start`), seldon-core v2.9.1. Its per-model counters are
 * what the model alerts read for Seldon (components/observability/rules/models.yaml).
 */
const SELDON_AGENT_METRICS_PORT = 9006;
/**
 * Seldon's servers, in their namespace `seldon-mesh`, which no platform policy isolates:
 * nothing to admit in the platform namespace, only what they call (the agent pulls models with
 * rclone); Prometheus scrapes the agent, and the one policy there admits it alone on that
 * port.
 */
function seldonEndpoint(namespace: pulumi.Input<string>): ServiceEndpoint {
    return {
        name: "seldon-servers",
        namespace,
        pods: { matchLabels: SELDON_SERVER_LABELS },
        ports: [],
        callers: {},
        metrics: { port: SELDON_AGENT_METRICS_PORT, path: "/metrics" },
        calls: [
            {
                endpoint: OBJECT_STORE_ENDPOINT,
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": SELDON_NAMESPACE },
                        },
                        podSelector: { matchLabels: SELDON_SERVER_LABELS },
                    },
                ],
            },
        ],
    };
}

/** The predictor Service KServe creates for an InferenceService in Standard mode. */
export function predictorService(isvc: string): string {
    return `${isvc}-predictor`;
}

/**
 * Model serving: KServe in Standard mode (plain Deployments and Services, no Knative or Istio)
 * with cert-manager for its webhooks, or Seldon Core v2. Each declared model is served behind
 * Traefik at `<model>-model.<domain>`; a model with a canary gets a second predictor and a
 * Traefik weighted service that splits real traffic between the two.
 *
 * ```ts
 * new ModelServing("serving", { namespace, objectStore, router, gpuScheduling: cluster.gpuScheduling(),
 *     models: [{ name: "iris", format: "sklearn", storageUri: "s3://models/iris" }] });
 * ```
 */
export class ModelServing extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:serving:ModelServing";
    /** URL of each model's endpoint, by model name. */
    public readonly urls: Record<string, pulumi.Output<string>> = {};
    /** Basic-auth password of each model's route, by model name (secret), when auth is on. */
    public readonly passwords: Record<string, pulumi.Output<string>> = {};
    /** KServe's predictors (reached by the router), or Seldon's servers (in their namespace). */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: ModelServingArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ModelServing.__pulumiType, name, {}, opts);
        const engine = args.engine ?? "kserve";
        const models = args.models ?? [];
        let routes: Record<string, ExposedService>;
        if (engine === "kserve") {
            routes = this.kserve(name, args, models);
            this.serviceEndpoint = KSERVE_ENDPOINT;
        } else {
            const seldon = this.seldon(name, args, models);
            routes = seldon.routes;
            // Its namespace as an output of the Namespace: the scrape rule there waits for it.
            this.serviceEndpoint = seldonEndpoint(seldon.namespace.metadata.name);
        }
        for (const [model, route] of Object.entries(routes)) {
            this.urls[model] = route.url;
            if (route.password) this.passwords[model] = route.password;
        }
        this.registerOutputs({ urls: this.urls });
    }

    private kserve(name: string, args: ModelServingArgs, models: readonly ServedModel[]) {
        const child = { parent: this };
        const store = args.objectStore;
        const endpoint = store.endpoint ? pulumi.output(store.endpoint) : undefined;
        const mirror = args.mirror;
        // Images as the charts take them: a full repository and a tag (cert-manager), a name
        // and a tag (KServe).
        const repositoryAndTag = (ref: string) => ({
            repository: mirrorImageName(ref, mirror),
            tag: imageTag(ref),
        });
        const imageAndTag = (ref: string) => ({
            image: mirrorImageName(ref, mirror),
            tag: imageTag(ref),
        });
        const cm = chartImages.certManager;
        const ks = chartImages.kserveResources;

        // A namespace in the stack, not the release's createNamespace (made outside Pulumi's
        // state, it outlived `pulumi destroy`: npm run test:e2e), with Pod Security labels.
        const certManagerNs = new k8s.core.v1.Namespace(
            `${name}-cert-manager`,
            { metadata: { name: "cert-manager", labels: podSecurityLabels("baseline") } },
            child,
        );
        const certManager = helmRelease(
            `${name}-cert-manager`,
            {
                pin: charts.certManager,
                mirror: args.mirror,
                releaseName: "cert-manager",
                namespace: certManagerNs.metadata.name,
                values: {
                    crds: { enabled: true, keep: true },
                    image: repositoryAndTag(cm.controller),
                    resources: limits("50m", "64Mi", "500m", "256Mi"),
                    webhook: {
                        image: repositoryAndTag(cm.webhook),
                        resources: limits("20m", "32Mi", "200m", "128Mi"),
                    },
                    cainjector: {
                        image: repositoryAndTag(cm.cainjector),
                        resources: limits("20m", "64Mi", "200m", "256Mi"),
                    },
                    startupapicheck: {
                        image: repositoryAndTag(cm.startupapicheck),
                        resources: limits("10m", "32Mi", "100m", "64Mi"),
                    },
                    acmesolver: { image: repositoryAndTag(cm.acmesolver) },
                },
            },
            child,
        );
        const ns = new k8s.core.v1.Namespace(
            `${name}-kserve`,
            { metadata: { name: "kserve", labels: podSecurityLabels("baseline") } },
            child,
        );
        const crds = helmRelease(
            `${name}-kserve-crd`,
            {
                pin: charts.kserveCrd,
                mirror,
                releaseName: "kserve-crd",
                namespace: ns.metadata.name,
                values: {},
            },
            { ...child, dependsOn: [certManager] },
        );
        const controller = helmRelease(
            `${name}-kserve`,
            {
                pin: charts.kserveResources,
                mirror,
                releaseName: "kserve",
                namespace: ns.metadata.name,
                values: {
                    kserve: {
                        controller: {
                            ...imageAndTag(ks.controller),
                            rbacProxyImage: mirrorImage(ks.rbacProxy, mirror),
                            // Standard mode: Deployments, Services and HPAs; no Knative, no Istio.
                            deploymentMode: "Standard",
                            gateway: {
                                domain: args.router.domain,
                                disableIstioVirtualHost: true,
                                // Routes are Traefik IngressRoutes made here, not KServe's Ingresses.
                                disableIngressCreation: true,
                            },
                            resources: limits("50m", "128Mi", "1", "1Gi"),
                            // The chart's default asks 100m and 300Mi for a metrics proxy.
                            rbacProxy: { resources: limits("10m", "32Mi", "100m", "128Mi") },
                        },
                        agent: imageAndTag(ks.agent),
                        router: imageAndTag(ks.router),
                        servingruntime: {
                            art: {
                                image: mirrorImageName(ks.artExplainer, mirror),
                                defaultVersion: imageTag(ks.artExplainer),
                            },
                        },
                        // Read only by the local model cache (off), but rendered into KServe's
                        // config: the storage initializer's image.
                        localmodel: {
                            defaultJobImage: mirrorImageName(ks.storageInitializer, mirror),
                            defaultJobTag: imageTag(ks.storageInitializer),
                        },
                        storage: {
                            // The storage initializer KServe injects into predictor pods.
                            ...imageAndTag(ks.storageInitializer),
                            containerSecurityContext: containerSecurityContext({
                                readOnlyRootFilesystem: false,
                            }),
                            s3: {
                                ...(endpoint
                                    ? {
                                          endpoint: endpoint.apply((e) =>
                                              e.replace(/^https?:\/\//, ""),
                                          ),
                                      }
                                    : {}),
                                useHttps: store.insecure ? "0" : "1",
                                region: store.region,
                            },
                        },
                    },
                },
            },
            { ...child, dependsOn: [crds] },
        );
        // Every runtime's image; the multinode Hugging Face runtime's is the same with `-gpu`.
        const runtimeImages = Object.fromEntries(
            Object.entries(chartImages.kserveRuntimeConfigs)
                .filter(([runtime]) => runtime !== "huggingfaceserverGpu")
                .map(([runtime, ref]) => [runtime, imageAndTag(ref)]),
        );
        const runtimes = helmRelease(
            `${name}-kserve-runtimes`,
            {
                pin: charts.kserveRuntimeConfigs,
                mirror,
                releaseName: "kserve-runtime-configs",
                namespace: ns.metadata.name,
                values: { kserve: { servingruntime: { enabled: true, ...runtimeImages } } },
            },
            { ...child, dependsOn: [controller] },
        );

        // The storage initializer takes S3 keys from the secrets of the predictor's account.
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-models`,
            {
                metadata: {
                    name: `${name}-models`,
                    namespace: args.namespace,
                    annotations: args.serviceAccountAnnotations,
                },
                secrets: store.credentialsSecretName ? [{ name: store.credentialsSecretName }] : [],
                automountServiceAccountToken: false,
            },
            child,
        );

        const routes: Record<string, ExposedService> = {};
        for (const model of models) {
            const isvc = (isvcName: string, storageUri: string) =>
                new k8s.apiextensions.CustomResource(
                    isvcName,
                    {
                        apiVersion: "serving.kserve.io/v1beta1",
                        kind: "InferenceService",
                        metadata: {
                            name: isvcName,
                            namespace: args.namespace,
                            annotations: { "serving.kserve.io/deploymentMode": "Standard" },
                            labels: { "mlops.dev/model": model.name },
                        },
                        spec: {
                            predictor: this.predictor(model, storageUri, sa.metadata.name, args),
                        },
                    },
                    { ...child, dependsOn: [runtimes] },
                );
            const stable = isvc(model.name, model.storageUri);
            let backend: {
                name: pulumi.Input<string>;
                port?: number;
                kind: "Service" | "TraefikService";
            } = {
                name: predictorService(model.name),
                port: 80,
                kind: "Service",
            };
            const dependsOn: pulumi.Resource[] = [stable];
            if (model.canary) {
                const canary = isvc(`${model.name}-canary`, model.canary.storageUri);
                const split = this.weightedService(
                    model,
                    args.namespace,
                    [stable, canary],
                    args.router,
                );
                backend = { name: split.metadata.name, kind: "TraefikService" };
                dependsOn.push(canary, split);
            }
            routes[model.name] = args.router.expose(
                `${name}-${model.name}`,
                {
                    namespace: args.namespace,
                    subdomain: `${model.name}-model`,
                    service: backend,
                    access: model.access ?? args.access,
                    // A model server runs what its artifact holds (a pickled model runs code
                    // as it loads), and a team's pipeline writes the artifact: the caller's
                    // session cookie and bearer token stay at the router.
                    tenantBackend: true,
                },
                { ...child, dependsOn },
            );
        }
        return routes;
    }

    /** The predictor of one model version. */
    private predictor(
        model: ServedModel,
        storageUri: string,
        serviceAccountName: pulumi.Input<string>,
        args: ModelServingArgs,
    ) {
        const gpu = model.gpu ?? 0;
        // Requests of an idle model server (the dev platform runs two: test/footprint.test.ts);
        // the limits are what a busy one may use.
        const resources = limits("100m", "384Mi", "2", "4Gi");
        return {
            minReplicas: model.minReplicas ?? 1,
            maxReplicas: model.maxReplicas ?? 1,
            serviceAccountName,
            // Pod level, so that KServe's injected storage initializer runs non-root too.
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            ...(gpu > 0
                ? {
                      nodeSelector: args.gpuScheduling.nodeSelector,
                      tolerations: args.gpuScheduling.tolerations,
                  }
                : {}),
            model: {
                modelFormat: { name: model.format },
                storageUri,
                resources:
                    gpu > 0
                        ? {
                              requests: { ...resources.requests, "nvidia.com/gpu": String(gpu) },
                              limits: { ...resources.limits, "nvidia.com/gpu": String(gpu) },
                          }
                        : resources,
                // Model servers unpack models and write caches under their working directory.
                securityContext: containerSecurityContext({ readOnlyRootFilesystem: false }),
            },
        };
    }

    /**
     * A Traefik weighted service over the stable and canary predictors: `trafficPercent` of
     * requests go to the canary. (KServe's own canary split needs Knative or Gateway API.)
     */
    private weightedService(
        model: ServedModel,
        namespace: pulumi.Input<string>,
        isvcs: pulumi.Resource[],
        router: Traefik,
    ) {
        const percent = model.canary!.trafficPercent;
        return new k8s.apiextensions.CustomResource(
            `${model.name}-split`,
            {
                apiVersion: TRAEFIK_API,
                kind: "TraefikService",
                metadata: { name: `${model.name}-split`, namespace },
                spec: {
                    weighted: {
                        services: [
                            { name: predictorService(model.name), port: 80, weight: 100 - percent },
                            {
                                name: predictorService(`${model.name}-canary`),
                                port: 80,
                                weight: percent,
                            },
                        ],
                    },
                },
            },
            { parent: this, dependsOn: [...isvcs, router.release] },
        );
    }

    /**
     * Seldon Core v2: its CRDs, operator, runtime and servers from the upstream charts in
     * `seldon-mesh`; each model a `Model`, a canary an `Experiment` with weighted candidates.
     */
    private seldon(name: string, args: ModelServingArgs, models: readonly ServedModel[]) {
        const child = { parent: this };
        const mesh = SELDON_NAMESPACE;
        const ns = new k8s.core.v1.Namespace(
            `${name}-seldon`,
            { metadata: { name: mesh, labels: podSecurityLabels("baseline") } },
            child,
        );
        const install = (
            key: string,
            pin: ChartPin,
            values: pulumi.Inputs,
            after: pulumi.Resource[],
        ) =>
            helmRelease(
                `${name}-${key}`,
                { pin, mirror: args.mirror, releaseName: key, namespace: ns.metadata.name, values },
                { ...child, dependsOn: after },
            );
        const images = chartImages.seldonSetup;
        const image = (ref: string) => ({ image: mirrorImageParts(ref, args.mirror) });
        const crds = install("seldon-core-v2-crds", charts.seldonCrds, {}, []);
        // The chart sets `cpu` as a request and `memory` as request and limit.
        const res = (cpu: string, memory: string) => ({ resources: { cpu, memory } });
        const setup = install(
            "seldon-core-v2-setup",
            charts.seldonSetup,
            {
                controller: {
                    clusterwide: true,
                    ...image(images.controller),
                    ...res("10m", "128Mi"),
                },
                scheduler: { ...image(images.scheduler), ...res("100m", "1Gi") },
                envoy: { ...image(images.envoy), ...res("100m", "256Mi") },
                dataflow: { ...image(images.dataflow), ...res("100m", "1G") },
                modelgateway: { ...image(images.modelgateway), ...res("100m", "1G") },
                pipelinegateway: { ...image(images.pipelinegateway), ...res("100m", "1G") },
                hodometer: { ...image(images.hodometer), ...res("1m", "32Mi") },
                serverConfig: {
                    rclone: { ...image(images.rclone), ...res("50m", "128Mi") },
                    agent: { ...image(images.agent), ...res("200m", "1Gi") },
                    mlserver: { ...image(images.mlserver), ...res("500m", "2Gi") },
                    triton: { ...image(images.triton), ...res("500m", "2Gi") },
                },
            },
            [crds],
        );
        // Models only: the Kafka-backed pipeline components stay off, and the mesh is reached
        // through Traefik, not a load balancer of its own.
        const runtime = install(
            "seldon-core-v2-runtime",
            charts.seldonRuntime,
            {
                dataflow: { disable: true },
                pipelinegateway: { disable: true },
                modelgateway: { disable: true },
                envoy: { serviceType: "ClusterIP" },
                scheduler: { serviceType: "ClusterIP" },
            },
            [setup],
        );
        const servers = install("seldon-core-v2-servers", charts.seldonServers, {}, [runtime]);

        // Seldon's agent pulls models with rclone: the object store as an rclone remote named
        // after the URI scheme.
        const store = args.objectStore;
        const storage =
            store.credentials && store.endpoint
                ? new k8s.core.v1.Secret(
                      `${name}-seldon-storage`,
                      {
                          metadata: { name: `${name}-seldon-storage`, namespace: mesh },
                          stringData: {
                              [store.scheme]: pulumi.secret(
                                  pulumi.jsonStringify({
                                      type: "s3",
                                      name: store.scheme,
                                      parameters: {
                                          provider: "Other",
                                          env_auth: "false",
                                          access_key_id: store.credentials.accessKeyId,
                                          secret_access_key: store.credentials.secretAccessKey,
                                          endpoint: store.endpoint,
                                          region: store.region,
                                      },
                                  }),
                              ),
                          },
                      },
                      { ...child, dependsOn: [ns] },
                  )
                : undefined;

        const routes: Record<string, ExposedService> = {};
        for (const model of models) {
            const seldonModel = (modelName: string, storageUri: string) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${modelName}`,
                    {
                        apiVersion: "mlops.seldon.io/v1alpha1",
                        kind: "Model",
                        metadata: { name: modelName, namespace: mesh },
                        spec: {
                            storageUri,
                            requirements: [model.format],
                            replicas: model.minReplicas ?? 1,
                            ...(storage ? { secretName: storage.metadata.name } : {}),
                        },
                    },
                    { ...child, dependsOn: [servers] },
                );
            seldonModel(model.name, model.storageUri);
            let target = model.name;
            if (model.canary) {
                seldonModel(`${model.name}-canary`, model.canary.storageUri);
                const percent = model.canary.trafficPercent;
                new k8s.apiextensions.CustomResource(
                    `${name}-${model.name}-split`,
                    {
                        apiVersion: "mlops.seldon.io/v1alpha1",
                        kind: "Experiment",
                        metadata: { name: `${model.name}-split`, namespace: mesh },
                        spec: {
                            default: model.name,
                            candidates: [
                                { name: model.name, weight: 100 - percent },
                                { name: `${model.name}-canary`, weight: percent },
                            ],
                        },
                    },
                    { ...child, dependsOn: [servers] },
                );
                target = `${model.name}-split.experiment`;
            }
            // Seldon's mesh routes by the Seldon-Model header; the route sets it.
            const header = new k8s.apiextensions.CustomResource(
                `${name}-${model.name}-header`,
                {
                    apiVersion: TRAEFIK_API,
                    kind: "Middleware",
                    metadata: { name: `${model.name}-header`, namespace: mesh },
                    spec: { headers: { customRequestHeaders: { "Seldon-Model": target } } },
                },
                { ...child, dependsOn: [args.router.release] },
            );
            routes[model.name] = args.router.expose(
                `${name}-${model.name}`,
                {
                    namespace: mesh,
                    subdomain: `${model.name}-model`,
                    service: { name: "seldon-mesh", port: 80 },
                    access: model.access ?? args.access,
                    middlewares: [header.metadata.name],
                    // As with KServe: the caller's credentials stay at the router.
                    tenantBackend: true,
                },
                child,
            );
        }
        return { routes, namespace: ns };
    }
}
