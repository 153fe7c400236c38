/**
 * Prints, as JSON, each team's feature server as the platform renders it: a local platform
 * with two inline teams, `a` and `b`, built under the offline plan's recording mocks
 * (tools/plan/recorder.ts). For each team: its namespace, the container's image, command, args
 * and environment (values, or the Secret and key they are read from), and `feature_store.yaml`
 * from its ConfigMap, for tools/verify/team-feast.py.
 *
 *     npx tsx tools/verify/team-feast-render.ts
 */
import { ExistingCluster } from "../../components/cluster/existing";
import { MlopsPlatform } from "../../components/platform/mlops-platform";
import { reveal, settle, startRecording } from "../plan/recorder";

interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
}
interface Deployment {
    metadata: { name: string; namespace: string };
    spec: {
        template: {
            spec: {
                containers: { image: string; command: string[]; args: string[]; env: EnvVar[] }[];
                volumes: { name: string; configMap?: { name: string } }[];
            };
        };
    };
}
interface ConfigMap {
    metadata: { name: string; namespace: string };
    data: Record<string, string>;
}

const QUOTA = { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 };

async function main() {
    const rec = startRecording({ stack: "verify" });
    const cluster = new ExistingCluster("local", {});
    new MlopsPlatform(
        "mlops",
        {
            cluster,
            environment: "dev",
            domain: "mlops.localtest.me",
            storage: {
                objectStore: { size: "20Gi" },
                sharedFilesystem: { enabled: false, size: "1Gi" },
            },
            database: { size: "10Gi" },
            routing: {
                tls: { mode: "selfSigned" },
                serviceType: "ClusterIP",
                auth: { mode: "oidc" },
            },
            teams: ["a", "b"].map((t) => ({
                name: t,
                members: [`group:ml-${t}`],
                quota: QUOTA,
            })),
        },
        { providers: { kubernetes: cluster.provider } },
    );
    await settle();

    const inputs = <T>(type: string, name: string) => reveal(rec.get(type, name).inputs) as T;
    const teams: Record<string, unknown> = {};
    for (const t of ["a", "b"]) {
        const d = inputs<Deployment>("kubernetes:apps/v1:Deployment", `mlops-feast-${t}`);
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        const configMap = rec
            .ofType("kubernetes:core/v1:ConfigMap")
            .map((r) => reveal(r.inputs) as ConfigMap)
            .find(
                (m) =>
                    m.metadata.namespace === d.metadata.namespace &&
                    m.metadata.name ===
                        pod.volumes.find((v) => v.name === "config")!.configMap!.name,
            )!;
        teams[t] = {
            namespace: d.metadata.namespace,
            image: c.image,
            command: c.command,
            args: c.args,
            env: c.env,
            featureStoreYaml: configMap.data["feature_store.yaml"],
        };
    }
    process.stdout.write(JSON.stringify({ teams }, null, 2) + "\n");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
