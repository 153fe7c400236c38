import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** A Role with these rules, bound to one service account of the same namespace. */
export function boundRole(
    name: string,
    metadata: {
        name: pulumi.Input<string>;
        namespace: pulumi.Input<string>;
        labels?: Record<string, string>;
    },
    rules: k8s.types.input.rbac.v1.PolicyRule[],
    serviceAccount: pulumi.Input<string>,
    opts: pulumi.CustomResourceOptions,
): k8s.rbac.v1.Role {
    const role = new k8s.rbac.v1.Role(name, { metadata, rules }, opts);
    new k8s.rbac.v1.RoleBinding(
        name,
        {
            metadata,
            roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: role.metadata.name,
            },
            subjects: [
                { kind: "ServiceAccount", name: serviceAccount, namespace: metadata.namespace },
            ],
        },
        opts,
    );
    return role;
}

/** What Argo's executor needs in a workflow's namespace: report its task results. */
export const ARGO_EXECUTOR_RULE: k8s.types.input.rbac.v1.PolicyRule = {
    apiGroups: ["argoproj.io"],
    resources: ["workflowtaskresults"],
    verbs: ["create", "patch"],
};

/**
 * The ClusterRole a team's members are bound to in their namespace (a RoleBinding, so nothing
 * outside it), in place of the built-in `edit`. The platform creates it once (`TeamFences`).
 */
export const TEAM_MEMBER_ROLE = "mlops-team-member";

const READ = ["get", "list", "watch"];
const WRITE = [...READ, "create", "update", "patch", "delete", "deletecollection"];

/**
 * What a team member may do in the team's namespace: run and debug workloads (pods, exec,
 * logs, port-forward, Deployments, StatefulSets, Jobs, CronJobs, autoscalers), keep their
 * configuration and data (ConfigMaps, Secrets, volume claims), expose workloads inside the
 * cluster (Services; the admission policy refuses LoadBalancer, NodePort and external IPs),
 * run pipelines (Argo workflows, templates and cron workflows) and serve models (KServe
 * InferenceServices). Read only: what fences the team (ResourceQuota, LimitRange,
 * NetworkPolicies, Roles and RoleBindings, Ingresses), service accounts, events and
 * PodDisruptionBudgets. Not at all: creating service accounts or their tokens, impersonation,
 * DaemonSets. Unlike `edit` it writes no NetworkPolicy,
 * Ingress or service account token, and it aggregates nothing: a CRD installed later adds no
 * right here.
 */
export const TEAM_MEMBER_RULES: readonly k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["pods"], verbs: WRITE },
    {
        apiGroups: [""],
        // get and create: kubectl upgrades these to WebSockets with a GET (1.30 and later).
        resources: ["pods/exec", "pods/attach", "pods/portforward"],
        verbs: ["get", "create"],
    },
    { apiGroups: [""], resources: ["pods/log", "pods/status"], verbs: READ },
    {
        apiGroups: [""],
        resources: ["configmaps", "secrets", "persistentvolumeclaims", "services"],
        verbs: WRITE,
    },
    {
        apiGroups: [""],
        resources: [
            "events",
            "endpoints",
            "serviceaccounts",
            "resourcequotas",
            "limitranges",
            "persistentvolumeclaims/status",
            "services/status",
        ],
        verbs: READ,
    },
    // The team's own namespace object (a RoleBinding grants it for that name only).
    { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
    {
        apiGroups: ["apps"],
        resources: [
            "deployments",
            "deployments/scale",
            "statefulsets",
            "statefulsets/scale",
            "replicasets",
            "replicasets/scale",
        ],
        verbs: WRITE,
    },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: WRITE },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: WRITE },
    {
        apiGroups: ["argoproj.io"],
        resources: ["workflows", "workflowtemplates", "cronworkflows"],
        verbs: WRITE,
    },
    { apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: READ },
    { apiGroups: ["serving.kserve.io"], resources: ["inferenceservices"], verbs: WRITE },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: READ },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ },
    { apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: ["get", "list"] },
];
