import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GpuScheduling } from "../cluster/kubernetes-cluster";
import { Mirror, mirrorImage } from "../mirror";
import { containerSecurityContext, podSecurityContext } from "../security";
import { images, pythonPackages } from "../versions";

/** Settings of the reference pipeline. */
export interface PipelineArgs {
    /** In-cluster MLflow URL (`MLFLOW_TRACKING_URI`). */
    readonly trackingUri: pulumi.Input<string>;
    /** Where MLflow stores artifacts, e.g. `s3://mlops-objectstore-tracking/`. */
    readonly artifactRoot: pulumi.Input<string>;
    /** Hyperparameter values tried, one training run each. @default [0.01, 0.1, 1, 10] */
    readonly trials?: readonly number[];
    /** Training runs at once. @default 2 */
    readonly parallelism?: number;
    /** GPUs per training run. @default 0 */
    readonly gpu?: number;
    /** How GPU runs are scheduled (from the cluster). */
    readonly gpuScheduling: pulumi.Input<GpuScheduling>;
    /** The service account pipeline pods run as. */
    readonly serviceAccount: pulumi.Input<string>;
    /** The pipeline's image from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The scripts the pipeline runs, shipped in a ConfigMap. */
export const PIPELINE_SCRIPTS: Readonly<Record<string, string>> = {
    "train.py": `"""One training run: fit, evaluate, log everything to MLflow."""
import os, sys
import mlflow, mlflow.sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

c = float(sys.argv[1])
mlflow.set_experiment(os.environ["EXPERIMENT"])
x_train, x_test, y_train, y_test = train_test_split(*load_iris(return_X_y=True), test_size=0.3, random_state=0)
with mlflow.start_run(tags={"workflow": os.environ["WORKFLOW"]}):
    model = LogisticRegression(C=c, max_iter=500).fit(x_train, y_train)
    accuracy = model.score(x_test, y_test)
    mlflow.log_param("C", c)
    mlflow.log_metric("accuracy", accuracy)
    # A pickle (model.pkl), not MLflow 3's default skops file: KServe's sklearn server loads
    # only .joblib, .pkl or .pickle files.
    info = mlflow.sklearn.log_model(model, name="model", serialization_format="pickle")
    # MLflow 3 keeps a logged model apart from the run's artifacts: remember which it is.
    mlflow.set_tag("model_uri", info.model_uri)
    print(f"C={c} accuracy={accuracy:.4f}")
`,
    "select_and_register.py": `"""Pick this workflow's best run, register its model, print where the model files are."""
import os
import mlflow

experiment = mlflow.get_experiment_by_name(os.environ["EXPERIMENT"])
runs = mlflow.search_runs(
    [experiment.experiment_id],
    filter_string=f"tags.workflow = '{os.environ['WORKFLOW']}'",
    order_by=["metrics.accuracy DESC"],
    max_results=1,
)
if runs.empty:
    raise SystemExit("no finished runs for this workflow")
best = runs.iloc[0]
version = mlflow.register_model(best["tags.model_uri"], os.environ["MODEL_NAME"])
# The server proxies artifacts: mlflow-artifacts:/<path> is <artifact root>/<path> in the store.
# MLflow 3 keeps a logged model's files apart from the run's artifacts: ask the registry.
download_uri = mlflow.MlflowClient().get_model_version_download_uri(os.environ["MODEL_NAME"], version.version)
uri = download_uri.replace("mlflow-artifacts:/", os.environ["ARTIFACT_ROOT"], 1)
print(f"registered {os.environ['MODEL_NAME']} v{version.version} from run {best.run_id} "
      f"(accuracy {best['metrics.accuracy']:.4f}): {uri}")
with open("/tmp/storage-uri", "w") as f:
    f.write(uri)
`,
    "smoke_test.py": `"""Call the deployed model once and check the answer's shape."""
import json, os, sys, urllib.request

url = f"http://{os.environ['TARGET']}-predictor.{os.environ['NAMESPACE']}.svc.cluster.local/v1/models/{os.environ['TARGET']}:predict"
body = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}).encode()
request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=30) as response:
    predictions = json.load(response)["predictions"]
if len(predictions) != 2:
    sys.exit(f"expected 2 predictions, got {predictions}")
print(f"{url}: {predictions}")
`,
};

const res = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

/**
 * The reference pipeline in a team namespace: an Argo WorkflowTemplate that trains with a
 * hyperparameter search in parallel (logging every run to MLflow), picks the best run by
 * accuracy, registers it in the model registry, deploys or updates an InferenceService from
 * the model's files (as a canary when asked), and smoke-tests the endpoint. Created by `Team`.
 */
export function referencePipeline(
    name: string,
    namespace: pulumi.Input<string>,
    args: PipelineArgs,
    opts: pulumi.CustomResourceOptions,
) {
    const labels = { "app.kubernetes.io/name": "reference-pipeline" };
    const scripts = new k8s.core.v1.ConfigMap(
        `${name}-pipeline-scripts`,
        {
            metadata: { name: "reference-pipeline-scripts", namespace, labels },
            data: { ...PIPELINE_SCRIPTS },
        },
        opts,
    );
    const gpu = args.gpu ?? 0;
    const env = [
        { name: "MLFLOW_TRACKING_URI", value: args.trackingUri },
        { name: "EXPERIMENT", value: "{{workflow.parameters.experiment}}" },
        { name: "WORKFLOW", value: "{{workflow.name}}" },
        { name: "MODEL_NAME", value: "{{workflow.parameters.model-name}}" },
        { name: "ARTIFACT_ROOT", value: args.artifactRoot },
        { name: "HOME", value: "/tmp" },
    ];
    const python = (script: string, extra: Record<string, unknown> = {}) => ({
        name: "main",
        image: mirrorImage(images.mlflow, args.mirror),
        command: ["python", `/scripts/${script}`],
        env,
        volumeMounts: [
            { name: "scripts", mountPath: "/scripts", readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
        ],
        securityContext: containerSecurityContext(),
        ...extra,
    });
    const trainResources = res("500m", "1Gi", "2", "4Gi");
    const isvc = {
        apiVersion: "serving.kserve.io/v1beta1",
        kind: "InferenceService",
        metadata: {
            name: "{{inputs.parameters.target}}",
            annotations: { "serving.kserve.io/deploymentMode": "Standard" },
            labels: { "mlops.dev/model": "{{workflow.parameters.model-name}}" },
        },
        spec: {
            predictor: {
                serviceAccountName: args.serviceAccount,
                // Pod level, for KServe's injected storage initializer too (Pod Security restricted).
                securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                minReplicas: 1,
                maxReplicas: 2,
                model: {
                    modelFormat: { name: "sklearn" },
                    storageUri: "{{inputs.parameters.storage-uri}}",
                    resources: res("250m", "512Mi", "1", "1Gi"),
                    securityContext: containerSecurityContext({ readOnlyRootFilesystem: false }),
                },
            },
        },
    };

    const template = new k8s.apiextensions.CustomResource(
        `${name}-reference-pipeline`,
        {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "WorkflowTemplate",
            metadata: { name: "reference-pipeline", namespace, labels },
            spec: {
                entrypoint: "main",
                serviceAccountName: args.serviceAccount,
                parallelism: args.parallelism ?? 2,
                securityContext: podSecurityContext(1000),
                arguments: {
                    parameters: [
                        { name: "experiment", value: "reference-pipeline" },
                        { name: "model-name", value: "iris" },
                        // Set to <model-name>-canary to deploy next to the current version.
                        { name: "target", value: "iris" },
                    ],
                },
                volumes: [
                    { name: "scripts", configMap: { name: scripts.metadata.name } },
                    { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
                ],
                templates: [
                    {
                        name: "main",
                        // A DAG: train runs in parallel (up to `parallelism`), the rest in order.
                        dag: {
                            tasks: [
                                {
                                    name: "train",
                                    template: "train",
                                    arguments: { parameters: [{ name: "c", value: "{{item}}" }] },
                                    withItems: (args.trials ?? [0.01, 0.1, 1, 10]).map(String),
                                },
                                {
                                    name: "select-and-register",
                                    template: "select-and-register",
                                    depends: "train",
                                },
                                {
                                    name: "deploy",
                                    template: "deploy",
                                    depends: "select-and-register",
                                    arguments: {
                                        parameters: [
                                            {
                                                name: "storage-uri",
                                                value: "{{tasks.select-and-register.outputs.parameters.storage-uri}}",
                                            },
                                            {
                                                name: "target",
                                                value: "{{workflow.parameters.target}}",
                                            },
                                        ],
                                    },
                                },
                                {
                                    name: "smoke-test",
                                    template: "smoke-test",
                                    depends: "deploy",
                                    arguments: {
                                        parameters: [
                                            {
                                                name: "target",
                                                value: "{{workflow.parameters.target}}",
                                            },
                                        ],
                                    },
                                },
                            ],
                        },
                    },
                    {
                        name: "train",
                        inputs: { parameters: [{ name: "c" }] },
                        ...(gpu > 0
                            ? {
                                  nodeSelector: pulumi
                                      .output(args.gpuScheduling)
                                      .apply((g) => g.nodeSelector),
                                  tolerations: pulumi
                                      .output(args.gpuScheduling)
                                      .apply((g) => g.tolerations),
                              }
                            : {}),
                        container: python("train.py", {
                            // scikit-learn at the serving runtime's version, in the pod's own
                            // scratch space, ahead of the image's (PIP_INDEX_URL picks a mirror).
                            command: [
                                "sh",
                                "-c",
                                `pip install --quiet --no-cache-dir --no-deps --target /tmp/site "${pythonPackages.scikitLearn}" && PYTHONPATH=/tmp/site exec python /scripts/train.py "$0"`,
                            ],
                            args: ["{{inputs.parameters.c}}"],
                            resources:
                                gpu > 0
                                    ? {
                                          requests: {
                                              ...trainResources.requests,
                                              "nvidia.com/gpu": String(gpu),
                                          },
                                          limits: {
                                              ...trainResources.limits,
                                              "nvidia.com/gpu": String(gpu),
                                          },
                                      }
                                    : trainResources,
                        }),
                    },
                    {
                        name: "select-and-register",
                        outputs: {
                            parameters: [
                                { name: "storage-uri", valueFrom: { path: "/tmp/storage-uri" } },
                            ],
                        },
                        container: python("select_and_register.py", {
                            resources: res("100m", "256Mi", "500m", "1Gi"),
                        }),
                    },
                    {
                        name: "deploy",
                        inputs: { parameters: [{ name: "storage-uri" }, { name: "target" }] },
                        resource: { action: "apply", manifest: pulumi.jsonStringify(isvc) },
                    },
                    {
                        name: "smoke-test",
                        inputs: { parameters: [{ name: "target" }] },
                        // The new predictor takes a while to pull its image and model.
                        retryStrategy: {
                            limit: "10",
                            backoff: { duration: "15s", factor: "2", maxDuration: "10m" },
                        },
                        container: python("smoke_test.py", {
                            env: [
                                ...env,
                                { name: "TARGET", value: "{{inputs.parameters.target}}" },
                                { name: "NAMESPACE", value: "{{workflow.namespace}}" },
                            ],
                            resources: res("50m", "128Mi", "200m", "256Mi"),
                        }),
                    },
                ],
            },
        },
        opts,
    );
    return { scripts, template };
}
