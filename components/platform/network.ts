import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TEAM_LABEL } from "../tenancy/team";

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Rule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
/** A Kubernetes label selector. */
export type Selector = k8s.types.input.meta.v1.LabelSelector;

/**
 * The ports the platform's pods listen on. NetworkPolicy ports are the pod's (container)
 * ports, not the Services' ports.
 */
export const PLATFORM_PORTS = {
    /** Traefik's `web` and `websecure` entry points: `ports.web.port` and
     * `ports.websecure.port` in traefik/values.yaml, traefik-helm-chart v41.3.0. */
    traefikWeb: 8000,
    traefikWebsecure: 8443,
    /** components/tracking/mlflow.ts. */
    mlflow: 5000,
    /** components/features/feast.ts. */
    feast: 6566,
    valkey: 6379,
    /** components/storage/object-store.ts (the S3 gateway; master ports stay closed). */
    seaweedfs: 8333,
    /** components/storage/database.ts. */
    postgresql: 5432,
    /** `containerPort: 2746` in templates/server/server-deployment.yaml, argo-helm
     * argo-workflows-1.0.18. */
    argoServer: 2746,
    /**
     * KServe predictors: the runtimes of kserve-runtime-configs v0.20.0 declare no container
     * port and serve HTTP on 8080, and the predictor Service then targets
     * `InferenceServiceDefaultHttpPort` ("8080", pkg/constants/constants.go, KServe v0.20.0).
     */
    predictor: 8080,
} as const;

/** Release names the platform installs its charts under (components/routing/traefik.ts, components/workflows/argo.ts). */
const TRAEFIK_RELEASE = "traefik";
const ARGO_RELEASE = "argo-workflows";
/** The namespace Seldon Core v2 runs in (components/serving/model-serving.ts). */
export const SELDON_NAMESPACE = "seldon-mesh";

/**
 * The labels each platform pod carries, by workload: what every selector below matches.
 * Project workloads' labels come from their components (`app.kubernetes.io/instance` is the
 * component's name, `<platform>-<key>` as MlopsPlatform names them); chart workloads' from
 * the charts' templates at the pinned versions. test/components/network.test.ts compares
 * them with the recorded pod templates and pins the chart facts.
 */
export function platformPodLabels(platform: string, namespace: pulumi.Input<string>) {
    const app = (appName: string, instance?: string) => ({
        "app.kubernetes.io/name": appName,
        ...(instance ? { "app.kubernetes.io/instance": instance } : {}),
    });
    return {
        /** traefik.labelselector in traefik/templates/_helpers.tpl, v41.3.0: the instance is
         * `<release>-<namespace>`. */
        traefik: {
            "app.kubernetes.io/name": "traefik",
            "app.kubernetes.io/instance": pulumi.interpolate`${TRAEFIK_RELEASE}-${namespace}`,
        },
        mlflow: app("mlflow", `${platform}-mlflow`),
        mlflowDbUpgrade: app("mlflow-db-upgrade"),
        feast: app("feast", `${platform}-feast`),
        valkey: app("valkey", `${platform}-feast-online`),
        seaweedfs: app("seaweedfs", `${platform}-objectstore`),
        seaweedfsBuckets: app("seaweedfs-buckets"),
        postgresql: app("postgresql", `${platform}-postgres`),
        /** argo-workflows.selectorLabels in templates/_helpers.tpl, argo-helm
         * argo-workflows-1.0.18: `<chart name>-<component>` and the release name. */
        argoServer: app("argo-workflows-server", ARGO_RELEASE),
        argoController: app("argo-workflows-workflow-controller", ARGO_RELEASE),
    };
}

/** Pods of Argo workflows: `workflows.argoproj.io/workflow: <workflow>`, set on every workflow
 * pod by the controller (workflow/controller/workflowpod.go, argo-workflows v4.0.6, the
 * chart's appVersion). */
export const WORKFLOW_POD_LABEL = "workflows.argoproj.io/workflow";
/** Predictor pods of any InferenceService in Standard mode: KServe v0.20.0 labels them
 * `serving.kserve.io/inferenceservice: <isvc>` and `component: predictor`
 * (pkg/controller/v1beta1/inferenceservice/components/predictor.go, buildObjectMeta, copied to
 * the pod template by reconcilers/deployment/deployment_reconciler.go). */
export const KSERVE_PREDICTOR: Selector = {
    matchLabels: { component: "predictor" },
    matchExpressions: [{ key: "serving.kserve.io/inferenceservice", operator: "Exists" }],
};
/** Seldon's model server pods (agent and rclone included): `app.kubernetes.io/name:
 * seldon-server` (operator/controllers/reconcilers/server/statefulset_reconciler.go and
 * operator/pkg/constants/constants.go, seldon-core v2.9.1). */
export const SELDON_SERVER_LABELS = { "app.kubernetes.io/name": "seldon-server" };

/** Arguments of {@link PlatformNetworkPolicies}. Every flag says what runs in the namespace. */
export interface PlatformNetworkPoliciesArgs {
    /** The platform's namespace. */
    readonly namespace: pulumi.Input<string>;
    /** The MlopsPlatform's name, from which its workloads' instance labels derive. */
    readonly platform: string;
    /** The in-cluster S3 gateway (SeaweedFS) runs here. @default false (a cloud store) */
    readonly objectStore?: boolean;
    /** The in-cluster PostgreSQL runs here; `publicAccess` when its Service is a LoadBalancer.
     * @default none (a managed database) */
    readonly database?: { readonly publicAccess: boolean };
    /** MLflow. @default false */
    readonly tracking?: boolean;
    /** Argo Workflows (controller, server; the namespace is also a workflow namespace). @default false */
    readonly workflows?: boolean;
    /** Feast and its Valkey online store. @default false */
    readonly features?: boolean;
    /** The serving engine: KServe's predictors run here, Seldon's servers in `seldon-mesh`.
     * @default none */
    readonly serving?: "kserve" | "seldon";
}

/**
 * Ingress isolation of the platform namespace: default deny, then exactly the router to what
 * it exposes, each service to its stores, team namespaces (by their `mlops.dev/team` label) to
 * what their pipelines use, and the world to the router's entry points. Egress stays open.
 *
 * No rule admits the API server: no admission webhook runs in this namespace (cert-manager's
 * is in `cert-manager`, KServe's in `kserve`, Seldon 2.9.1 installs none, Argo's chart has none
 * and Traefik's Hub webhook needs a Hub token the platform never sets).
 *
 * Kubelet probes need no rule: "when a pod is isolated for ingress, the only allowed
 * connections into the pod are those from the pod's node and those allowed by the ingress
 * list" (kubernetes.io, Concepts › Services › Network Policies). Metrics scraping is not
 * allowed yet: nothing scrapes.
 *
 * ```ts
 * new PlatformNetworkPolicies("mlops-network", { namespace: "mlops", platform: "mlops",
 *     objectStore: true, database: { publicAccess: false }, tracking: true, workflows: true,
 *     features: true, serving: "kserve" }, { parent: platform });
 * ```
 */
export class PlatformNetworkPolicies extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:platform:PlatformNetworkPolicies";
    /** The policies by stable key (`default-deny`, `allow-traefik`, `allow-mlflow`, ...). */
    public readonly policies: Record<string, k8s.networking.v1.NetworkPolicy> = {};

    constructor(
        name: string,
        args: PlatformNetworkPoliciesArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(PlatformNetworkPolicies.__pulumiType, name, {}, opts);
        const labels = platformPodLabels(args.platform, args.namespace);
        const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
        const pods = (matchLabels: Record<string, pulumi.Input<string>>): Peer => ({
            podSelector: { matchLabels },
        });
        const router = pods(labels.traefik);
        const teams: Peer = {
            namespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] },
        };
        const kserve = args.serving === "kserve";

        const policy = (key: string, podSelector: Selector, ingress: Rule[]) => {
            this.policies[key] = new k8s.networking.v1.NetworkPolicy(
                `${name}-${key}`,
                {
                    metadata: { name: key, namespace: args.namespace },
                    spec: { podSelector, policyTypes: ["Ingress"], ingress },
                },
                { parent: this },
            );
        };
        const only = <T>(condition: boolean | undefined, ...items: T[]) => (condition ? items : []);

        policy("default-deny", {}, []);
        // The entry point: from anywhere (a load balancer, node ports, ACME's TLS challenge).
        policy("allow-traefik", { matchLabels: labels.traefik }, [
            { ports: tcp(PLATFORM_PORTS.traefikWeb, PLATFORM_PORTS.traefikWebsecure) },
        ]);
        if (args.tracking) {
            policy("allow-mlflow", { matchLabels: labels.mlflow }, [
                { from: [router, teams], ports: tcp(PLATFORM_PORTS.mlflow) },
            ]);
        }
        if (args.features) {
            policy("allow-feast", { matchLabels: labels.feast }, [
                { from: [router, teams], ports: tcp(PLATFORM_PORTS.feast) },
            ]);
            policy("allow-valkey", { matchLabels: labels.valkey }, [
                { from: [pods(labels.feast)], ports: tcp(PLATFORM_PORTS.valkey) },
            ]);
        }
        if (args.workflows) {
            policy("allow-argo-server", { matchLabels: labels.argoServer }, [
                { from: [router], ports: tcp(PLATFORM_PORTS.argoServer) },
            ]);
        }
        if (kserve) {
            policy("allow-predictors", KSERVE_PREDICTOR, [
                { from: [router], ports: tcp(PLATFORM_PORTS.predictor) },
            ]);
        }
        if (args.database) {
            const clients = only(args.tracking, pods(labels.mlflow), pods(labels.mlflowDbUpgrade));
            const rules: Rule[] = [
                ...only(clients.length > 0, {
                    from: clients,
                    ports: tcp(PLATFORM_PORTS.postgresql),
                }),
                // Public access is a LoadBalancer Service: its callers are anywhere.
                ...only(args.database.publicAccess, { ports: tcp(PLATFORM_PORTS.postgresql) }),
            ];
            if (rules.length > 0)
                policy("allow-postgresql", { matchLabels: labels.postgresql }, rules);
        }
        if (args.objectStore) {
            const clients: Peer[] = [
                pods(labels.seaweedfsBuckets),
                ...only(args.tracking, pods(labels.mlflow)),
                ...only(args.features, pods(labels.feast)),
                ...only(
                    args.workflows,
                    pods(labels.argoController),
                    pods(labels.argoServer),
                    // Workflows of this namespace save artifacts and archived logs.
                    {
                        podSelector: {
                            matchExpressions: [{ key: WORKFLOW_POD_LABEL, operator: "Exists" }],
                        },
                    },
                ),
                // KServe's storage initializer runs in the predictor pod.
                ...only(kserve, { podSelector: KSERVE_PREDICTOR }),
                // Seldon's agent pulls models with rclone from its server pods.
                ...only(args.serving === "seldon", {
                    namespaceSelector: {
                        matchLabels: { "kubernetes.io/metadata.name": SELDON_NAMESPACE },
                    },
                    podSelector: { matchLabels: SELDON_SERVER_LABELS },
                }),
                teams,
            ];
            policy("allow-seaweedfs", { matchLabels: labels.seaweedfs }, [
                { from: clients, ports: tcp(PLATFORM_PORTS.seaweedfs) },
            ]);
        }
        this.registerOutputs({});
    }
}
