/**
 * The Feast feature server Deployment, shared by the platform's store and the teams' stores:
 * the official image, `feature_store.yaml` from a ConfigMap, non-root, its replicas spread
 * over nodes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Mirror, mirrorImage } from "../mirror";
import { containerSecurityContext, podSecurityContext, withLocalDisk } from "../security";
import { Workload, spreadReplicas } from "../service-workload";
import { images } from "../versions";

/** The feature server's port. */
export const FEAST_PORT = 6566;
/** `feast serve --metrics`: Prometheus on this port (feast 0.66.0, feast/metrics.py). */
export const FEAST_METRICS_PORT = 8000;
/** The image's user. */
const FEAST_UID = 1001;

/** The feature server Deployment named `name`, with the metadata `meta`. */
export function featureServerDeployment(
    name: string,
    workload: Workload,
    server: {
        readonly meta: { name: pulumi.Input<string>; namespace: pulumi.Input<string> };
        readonly config: k8s.core.v1.ConfigMap;
        readonly account: k8s.core.v1.ServiceAccount;
        readonly env: k8s.types.input.core.v1.EnvVar[];
        readonly replicas: number;
        readonly mirror?: Mirror;
    },
): k8s.apps.v1.Deployment {
    const affinity = spreadReplicas(
        name,
        server.meta,
        workload.labels,
        server.replicas,
        workload.child,
    );
    return new k8s.apps.v1.Deployment(
        name,
        {
            metadata: { ...server.meta, labels: workload.labels },
            spec: {
                replicas: server.replicas,
                selector: { matchLabels: workload.labels },
                template: {
                    metadata: {
                        labels: workload.labels,
                        annotations: { "mlops.dev/config": server.config.metadata.resourceVersion },
                    },
                    spec: {
                        ...(affinity ? { affinity } : {}),
                        serviceAccountName: server.account.metadata.name,
                        securityContext: podSecurityContext(FEAST_UID),
                        automountServiceAccountToken: false,
                        containers: [
                            {
                                name: "feature-server",
                                image: mirrorImage(images.feast, server.mirror),
                                command: ["feast", "-c", "/config", "serve"],
                                args: ["-h", "0.0.0.0", "-p", String(FEAST_PORT), "--metrics"],
                                env: server.env,
                                ports: [
                                    { name: "http", containerPort: FEAST_PORT },
                                    { name: "metrics", containerPort: FEAST_METRICS_PORT },
                                ],
                                readinessProbe: {
                                    httpGet: { path: "/health", port: "http" },
                                    periodSeconds: 10,
                                },
                                livenessProbe: {
                                    tcpSocket: { port: "http" },
                                    initialDelaySeconds: 30,
                                    periodSeconds: 20,
                                },
                                resources: withLocalDisk(workload.resources, "1536Mi"),
                                securityContext: containerSecurityContext(),
                                volumeMounts: [
                                    { name: "config", mountPath: "/config", readOnly: true },
                                    { name: "tmp", mountPath: "/tmp" },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: server.config.metadata.name } },
                            { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
                        ],
                    },
                },
            },
        },
        workload.child,
    );
}
