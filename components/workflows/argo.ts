import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceEndpoint, podsWith } from "../endpoint";
import { helmRelease } from "../helm-release";
import { ARGO_EXECUTOR_RULE, boundRole } from "../rbac";
import { Mirror, mirrorImageParts } from "../mirror";
import { ExposedService } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { RouteAccess } from "../routing/exposed-service";
import { OBJECT_STORE_ENDPOINT, ObjectStoreConnection } from "../storage/object-store";
import { containerSecurityContext } from "../security";
import { chartImages, charts } from "../versions";

/** Arguments of {@link ArgoWorkflows}. */
export interface ArgoWorkflowsArgs {
    /** Namespace of the controller and server, also a workflow namespace. */
    readonly namespace: pulumi.Input<string>;
    /**
     * Further namespaces whose workflows the controller runs (team namespaces, which bring
     * their own `runner` service account). @default []
     */
    readonly workflowNamespaces?: readonly pulumi.Input<string>[];
    /** The object store; workflow artifacts go to its `workflows` bucket. */
    readonly objectStore: ObjectStoreConnection;
    /** The router that serves the UI at `argo.<domain>`. */
    readonly router: Traefik;
    /** Annotations of the workflow pods' and the server's Kubernetes service account (cloud identity binding). @default none */
    readonly serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Who may use its route, besides the router's admin groups. @default the admin groups */
    readonly access?: RouteAccess;
    /** Chart and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** An Argo S3 artifact repository; without a keys Secret, the SDK's own credentials. */
export function s3Repository(repository: {
    readonly bucket: string;
    /** Endpoint URL of an S3-compatible store (scheme is dropped). @default AWS S3 */
    readonly endpoint?: string;
    readonly insecure: boolean;
    readonly region: string;
    readonly keyFormat: string;
    /** Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
    readonly keysSecret?: pulumi.Input<string>;
}): Record<string, unknown> {
    return {
        bucket: repository.bucket,
        ...(repository.endpoint
            ? { endpoint: repository.endpoint.replace(/^https?:\/\//, "") }
            : {}),
        insecure: repository.insecure,
        region: repository.region,
        keyFormat: repository.keyFormat,
        ...(repository.keysSecret
            ? {
                  accessKeySecret: { name: repository.keysSecret, key: "AWS_ACCESS_KEY_ID" },
                  secretKeySecret: { name: repository.keysSecret, key: "AWS_SECRET_ACCESS_KEY" },
              }
            : { useSDKCreds: true }),
    };
}

/** The service account workflows run as unless they name another. */
export const WORKFLOW_SERVICE_ACCOUNT = "argo-workflow";

/** The release name the chart is installed under. */
const RELEASE = "argo-workflows";
/**
 * The server's container port: `containerPort: 2746` in
 * templates/server/server-deployment.yaml, argo-helm argo-workflows-1.0.18.
 */
const SERVER_PORT = 2746;
/**
 * The labels of the chart's pods: argo-workflows.selectorLabels in templates/_helpers.tpl,
 * argo-helm argo-workflows-1.0.18, gives `app.kubernetes.io/name: <chart name>-<component>`
 * (`server.name`, `controller.name` in values.yaml, not set here) and
 * `app.kubernetes.io/instance: <release>`.
 */
const chartPodLabels = (component: "server" | "workflow-controller") => ({
    "app.kubernetes.io/name": `argo-workflows-${component}`,
    "app.kubernetes.io/instance": RELEASE,
});
/**
 * Pods of Argo workflows: `workflows.argoproj.io/workflow: <workflow>`, set on every workflow
 * pod by the controller (workflow/controller/workflowpod.go, argo-workflows v4.0.6, the
 * chart's appVersion).
 */
const WORKFLOW_POD_LABEL = "workflows.argoproj.io/workflow";

const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

/**
 * Argo Workflows from its upstream chart: the object store as the default artifact repository,
 * a server that requires a Kubernetes bearer token (`client` auth mode) behind Traefik, a
 * controller watching the platform and team namespaces, and a least-privilege service account
 * for workflow pods.
 *
 * ```ts
 * const argo = new ArgoWorkflows("argo", { namespace, objectStore, router });
 * export const workflowsUrl = argo.url;
 * ```
 */
export class ArgoWorkflows extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:workflows:ArgoWorkflows";
    public readonly release: k8s.helm.v3.Release;
    public readonly route: ExposedService;
    public readonly url: pulumi.Output<string>;
    /**
     * The server, reached by the router; the controller, the server and this namespace's
     * workflows call the object store.
     */
    public readonly serviceEndpoint: ServiceEndpoint;

    constructor(name: string, args: ArgoWorkflowsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ArgoWorkflows.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const store = args.objectStore;
        const keyFormat = "{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}";
        // On GCS, Workload Identity: no key secret. The chart renders the gcs block through
        // `tpl`, so Argo's own {{...}} placeholders are escaped for Helm.
        const repository =
            store.scheme === "gs"
                ? { gcs: { bucket: store.buckets.workflows, keyFormat: `{{ "${keyFormat}" }}` } }
                : {
                      s3: pulumi.output(store.endpoint).apply((endpoint) =>
                          s3Repository({
                              bucket: store.buckets.workflows,
                              endpoint,
                              insecure: store.insecure,
                              region: store.region,
                              keyFormat,
                              keysSecret: store.credentialsSecretName,
                          }),
                      ),
                  };
        const annotations = args.serviceAccountAnnotations;
        const image = (ref: string) => mirrorImageParts(ref, args.mirror);

        this.release = helmRelease(
            name,
            {
                pin: charts.argoWorkflows,
                mirror: args.mirror,
                releaseName: RELEASE,
                namespace: args.namespace,
                values: {
                    // From the chart itself: with `full: true` (the chart's default) a pre-install
                    // hook Job downloads the CRDs from raw.githubusercontent.com, which a cluster
                    // without egress to the internet cannot reach; `full: false` renders the
                    // chart's files/crds/minimal/*.yaml as ordinary objects
                    // (argo-helm argo-workflows-1.0.18, templates/crds.yaml, crds-install-job.yaml).
                    crds: { install: true, keep: true, full: false },
                    useStaticCredentials: store.credentialsSecretName !== undefined,
                    artifactRepository: { archiveLogs: true, ...repository },
                    controller: {
                        image: image(chartImages.argoWorkflows.controller),
                        workflowNamespaces: pulumi.all([
                            args.namespace,
                            ...(args.workflowNamespaces ?? []),
                        ]),
                        workflowDefaults: {
                            spec: { serviceAccountName: WORKFLOW_SERVICE_ACCOUNT },
                        },
                        resources: resources("100m", "128Mi", "1", "512Mi"),
                    },
                    // The executor runs in every workflow pod, team namespaces (Pod Security
                    // `restricted`) included.
                    executor: {
                        image: image(chartImages.argoWorkflows.executor),
                        resources: resources("50m", "64Mi", "500m", "256Mi"),
                        securityContext: containerSecurityContext(),
                    },
                    server: {
                        // Every UI and API call carries the caller's Kubernetes token; Traefik
                        // terminates TLS.
                        image: image(chartImages.argoWorkflows.server),
                        authModes: ["client"],
                        secure: false,
                        resources: resources("50m", "128Mi", "500m", "512Mi"),
                        ...(annotations ? { serviceAccount: { annotations } } : {}),
                    },
                    // The service account below replaces the chart's, with exactly what the
                    // executor needs.
                    workflow: { serviceAccount: { create: false }, rbac: { create: false } },
                },
            },
            child,
        );

        this.workflowServiceAccount(name, args.namespace, annotations);

        this.route = args.router.expose(
            name,
            {
                namespace: args.namespace,
                subdomain: "argo",
                service: { name: "argo-workflows-server", port: SERVER_PORT },
                // The server's client mode reads the Authorization header, which basic auth
                // would take: with basic auth the route relies on the server alone.
                authenticatedBy: "argo-workflows client token",
                access: args.access,
            },
            { ...child, dependsOn: [this.release] },
        );
        this.url = this.route.url;
        this.serviceEndpoint = {
            name: "argo-server",
            pods: { matchLabels: chartPodLabels("server") },
            ports: [SERVER_PORT],
            callers: { router: true },
            calls: [
                {
                    endpoint: OBJECT_STORE_ENDPOINT,
                    from: [
                        podsWith(chartPodLabels("workflow-controller")),
                        podsWith(chartPodLabels("server")),
                        // Workflows of this namespace save artifacts and archived logs.
                        {
                            podSelector: {
                                matchExpressions: [{ key: WORKFLOW_POD_LABEL, operator: "Exists" }],
                            },
                        },
                    ],
                },
            ],
        };
        this.registerOutputs({ url: this.url });
    }

    /** The executor's service account in one namespace: report task results, nothing else. */
    private workflowServiceAccount(
        name: string,
        namespace: pulumi.Input<string>,
        annotations?: pulumi.Input<Record<string, string>>,
    ) {
        const child = { parent: this };
        const meta = { name: WORKFLOW_SERVICE_ACCOUNT, namespace };
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-workflow`,
            { metadata: { ...meta, ...(annotations ? { annotations } : {}) } },
            child,
        );
        boundRole(`${name}-workflow`, meta, [ARGO_EXECUTOR_RULE], sa.metadata.name, child);
    }
}
