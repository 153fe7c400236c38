/**
 * Prints, as JSON, the pieces of generated Kubernetes objects the layer-3 scripts run against
 * real software: the Valkey container of FeastFeatureStore with its auth file from the Secret,
 * the database-wait init container of MlflowServer's migration Job, and the MLflow server
 * container's command and args with the public URL of its route. The components are
 * built under the same recording mocks as the offline plan (tools/plan/recorder.ts), so the
 * scripts test what the program renders, not a copy of it.
 *
 *     npx tsx tools/verify/render.ts
 */
import * as pulumi from "@pulumi/pulumi";
import { FeastFeatureStore } from "../../components/features/feast";
import { Traefik } from "../../components/routing/traefik";
import { ObjectStoreConnection } from "../../components/storage/object-store";
import { MlflowServer } from "../../components/tracking/mlflow";
import { reveal, settle, startRecording } from "../plan/recorder";

/** The parts of the recorded inputs read here. */
interface Container {
    image: string;
    command: string[];
    args: string[];
    env: { name: string; value: string }[];
    volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
    containers: Container[];
    initContainers: Container[];
    volumes: {
        name: string;
        secret: { secretName: string; items: { key: string; path: string }[] };
    }[];
    securityContext?: { runAsUser?: number };
}
interface Workload {
    spec: { template: { spec: PodSpec } };
}

async function main() {
    const rec = startRecording({ stack: "verify" });

    const objectStore: ObjectStoreConnection = {
        scheme: "s3",
        endpoint: "http://store.mlops.svc.cluster.local:8333",
        insecure: true,
        region: "us-east-1",
        credentialsSecretName: "store-credentials",
        credentials: { accessKeyId: pulumi.output("AK"), secretAccessKey: pulumi.secret("SK") },
        buckets: { tracking: "t", workflows: "w", features: "f", datasets: "d" },
    };
    const router = new Traefik("router", { namespace: "mlops", domain: "mlops.localtest.me" });
    new FeastFeatureStore("feast", { namespace: "mlops", objectStore, router });
    const mlflow = new MlflowServer("mlops-mlflow", {
        namespace: "mlops",
        database: {
            host: "pg.mlops.svc.cluster.local",
            port: 5432,
            databaseName: "mlflow",
            username: "mlflow",
            credentialsSecretName: "pg-credentials",
        },
        objectStore,
        router,
    });
    await settle();

    const inputs = <T>(type: string, name: string) => reveal(rec.get(type, name).inputs) as T;
    const valkeyDeployment = inputs<Workload>("kubernetes:apps/v1:Deployment", "feast-online");
    const valkeyPod = valkeyDeployment.spec.template.spec;
    const valkey = valkeyPod.containers[0];
    const authVolume = valkeyPod.volumes.find((v) => v.name === "auth")!;
    const authMount = valkey.volumeMounts.find((m) => m.name === "auth")!;
    const secret = inputs<{ stringData: Record<string, string> }>(
        "kubernetes:core/v1:Secret",
        authVolume.secret.secretName,
    );
    const authItem = authVolume.secret.items[0];
    const password = inputs<{ length: number; special: boolean }>(
        "random:index/randomPassword:RandomPassword",
        "feast-online-password",
    );

    const job = inputs<Workload>("kubernetes:batch/v1:Job", "mlops-mlflow-db-upgrade");
    const wait = job.spec.template.spec.initContainers[0];
    const server = inputs<Workload>("kubernetes:apps/v1:Deployment", "mlops-mlflow").spec.template
        .spec.containers[0];
    const mlflowUrl = await new Promise<string>((resolve) => mlflow.url.apply(resolve));

    process.stdout.write(
        JSON.stringify(
            {
                valkey: {
                    image: valkey.image,
                    command: valkey.command,
                    args: valkey.args,
                    authFilePath: `${authMount.mountPath}/${authItem.path}`,
                    authFileContent: secret.stringData[authItem.key],
                    // The mocks' stand-in for RandomPassword's result, and its settings.
                    mockPassword: `mock-password-feast-online-password`,
                    passwordSettings: {
                        length: password.length,
                        special: password.special,
                    },
                    runAsUser: valkeyPod.securityContext?.runAsUser,
                },
                pgWait: {
                    image: wait.image,
                    command: wait.command,
                    env: Object.fromEntries(wait.env.map((e) => [e.name, e.value])),
                    runAsUser: job.spec.template.spec.securityContext?.runAsUser,
                },
                mlflowServer: {
                    image: server.image,
                    command: server.command,
                    args: server.args,
                    url: mlflowUrl,
                },
            },
            null,
            2,
        ) + "\n",
    );
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
