/**
 * The reference pipeline's train and register steps produce what KServe's sklearn server
 * loads. Checked against the real software by tools/verify/pipeline-model.sh (MLflow 3.18.0
 * server, KServe v0.20.0 SKLearnModel); these tests pin the two facts it rests on.
 */
import { PIPELINE_SCRIPTS, referencePipeline } from "../../components/tenancy/pipeline";
import { pythonPackages } from "../../components/versions";
import { at, record, settled } from "../support/harness";

describe("the reference pipeline's model", () => {
    it("is logged as a pickle: MLflow 3's default is skops, which KServe cannot load", () => {
        // mlflow 3.18.0 mlflow/sklearn/__init__.py: the default serialization_format is skops
        // (model.skops); pickle writes model.pkl. kserve v0.20.0
        // python/sklearnserver/sklearnserver/model.py: MODEL_EXTENSIONS = (".joblib", ".pkl",
        // ".pickle"), exactly one at the top of the model directory.
        expect(PIPELINE_SCRIPTS["train.py"]).toContain(
            'mlflow.sklearn.log_model(model, name="model", serialization_format="pickle")',
        );
    });

    it("is trained with the scikit-learn KServe's sklearn server runs", async () => {
        // kserve v0.20.0 python/sklearnserver/uv.lock: scikit-learn 1.5.2.
        expect(pythonPackages.scikitLearn).toBe("scikit-learn==1.5.2");
        const rec = record();
        referencePipeline(
            "vision",
            "team-vision",
            {
                trackingUri: "http://mlflow.mlops:5000",
                artifactRoot: "s3://tracking/",
                gpuScheduling: { nodeSelector: {}, tolerations: [] },
                serviceAccount: "runner",
            },
            {},
        );
        await settled();
        const templates = at(
            rec.get(
                "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate",
                "vision-reference-pipeline",
            ),
            "spec",
            "templates",
        ) as { name: string; container?: { command: string[]; args: string[] } }[];
        const train = templates.find((t) => t.name === "train")!.container!;
        expect(train.command).toEqual([
            "sh",
            "-c",
            'pip install --quiet --no-cache-dir --no-deps --target /tmp/site "scikit-learn==1.5.2" && PYTHONPATH=/tmp/site exec python /scripts/train.py "$0"',
        ]);
        expect(train.args).toEqual(["{{inputs.parameters.c}}"]);
        // Only training needs it: registering reads no model.
        const register = templates.find((t) => t.name === "select-and-register")!.container!;
        expect(register.command).toEqual(["python", "/scripts/select_and_register.py"]);
    });
});
