import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_TAINT } from "../cluster/kubernetes-cluster";
import { TEAM_MEMBER_ROLE, TEAM_MEMBER_RULES } from "../rbac";
import { GPU_NAMESPACE_LABEL, TEAM_FACTS_CONFIGMAP, TEAM_LABEL } from "./team";

/** A ValidatingAdmissionPolicy spec. */
export type PolicySpec = k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec;
type ResourceRule = k8s.types.input.admissionregistration.v1.NamedRuleWithOperations;

/** The names of the platform's admission policies (and of their bindings). */
export const FENCE_POLICIES = {
    fences: "mlops-team-fences",
    services: "mlops-team-services",
    gpu: "mlops-team-gpu",
    tokens: "mlops-team-tokens",
    facts: "mlops-team-facts",
} as const;

/**
 * The objects of a team namespace that only the platform changes: its isolation
 * (NetworkPolicies), its limits (ResourceQuota, LimitRange), who may do what (Roles,
 * RoleBindings) and routes, which must go through the platform's router and its sign-on
 * (Ingresses, Traefik's routes and middlewares, Gateway API routes).
 */
export const FENCED_RESOURCES: readonly { group: string; resources: readonly string[] }[] = [
    { group: "networking.k8s.io", resources: ["networkpolicies", "ingresses"] },
    { group: "", resources: ["resourcequotas", "limitranges"] },
    { group: "rbac.authorization.k8s.io", resources: ["roles", "rolebindings"] },
    {
        group: "traefik.io",
        resources: [
            "ingressroutes",
            "ingressroutetcps",
            "ingressrouteudps",
            "middlewares",
            "middlewaretcps",
        ],
    },
    {
        group: "gateway.networking.k8s.io",
        resources: ["httproutes", "grpcroutes", "tcproutes", "tlsroutes", "udproutes"],
    },
];

/** The workload kinds whose pod template the GPU policy reads, besides Pods. */
const POD_TEMPLATES: readonly { group: string; resources: readonly string[] }[] = [
    { group: "apps", resources: ["deployments", "statefulsets", "replicasets", "daemonsets"] },
    { group: "batch", resources: ["jobs", "cronjobs"] },
];

const rule = (
    operations: string[],
    groups: readonly { group: string; resources: readonly string[] }[],
): ResourceRule[] =>
    groups.map((g) => ({
        apiGroups: [g.group],
        apiVersions: ["*"],
        operations,
        resources: [...g.resources],
    }));

/**
 * Whether the requester holds the same right cluster-wide: the CEL that exempts the platform.
 * Team members are only ever bound in their namespace (RoleBindings), so even `edit`, `admin`
 * or `cluster-admin` bound there by hand does not pass; the stack's deployer (a cluster
 * admin: `system:masters`, a ClusterRoleBinding, GKE's IAM or an EKS access policy at cluster
 * scope) and the control plane's controllers (the namespace controller and the garbage
 * collector delete everything, cluster-wide) do.
 */
export const CLUSTER_WIDE_RIGHT =
    "authorizer.group(request.resource.group).resource(request.resource.resource)" +
    ".check(variables.verb).allowed()";

/** The RBAC verb of the request's operation (admission sees CREATE, UPDATE or DELETE). */
export const VERB_OF_OPERATION =
    "request.operation == 'CREATE' ? 'create' : request.operation == 'UPDATE' ? 'update' : 'delete'";

/** What to ask the platform team for, by fenced resource. */
export const FENCE_ADVICE_EXPRESSION =
    "request.resource.resource == 'networkpolicies' ? 'Ask the platform team for the network path you need.' : " +
    "request.resource.resource in ['resourcequotas', 'limitranges'] ? " +
    "'Ask the platform team to change the team quota (mlops:teams[].quota).' : " +
    "request.resource.resource in ['roles', 'rolebindings'] ? " +
    "'Ask the platform team to change the team members (mlops:teams[].members).' : " +
    "'Routes go through the platform router and its sign-on: ask the platform team for one.'";

/** The denial of a fenced change: what was refused, where, and what to ask for. */
export const FENCE_MESSAGE_EXPRESSION =
    "'mlops: ' + request.resource.resource + ' in team namespaces belong to the platform; " +
    "team members may not ' + variables.verb + ' them (' + request.namespace + '). ' + variables.advice";

/** Whether the request is about the team's facts: the object created, or the one changed or deleted. */
export const FACTS_MATCH_EXPRESSION =
    `request.operation == 'CREATE' ? (object != null && object.metadata.name == '${TEAM_FACTS_CONFIGMAP}') : ` +
    `(oldObject != null && oldObject.metadata.name == '${TEAM_FACTS_CONFIGMAP}')`;

/**
 * The denial of a change to a team's facts (the `mlops-team` ConfigMap), which the platform
 * stack writes: a member who edits them would change what the team stack reads (the quota it
 * checks, the runner it uses), not the team's fences.
 */
export const FACTS_MESSAGE_EXPRESSION =
    `'mlops: the ConfigMap ${TEAM_FACTS_CONFIGMAP} in ' + request.namespace + ' holds the team facts, ` +
    "which the platform stack writes; team members may not ' + variables.verb + ' it. " +
    "Ask the platform team to change the team (mlops:teams).'";

/** A Service of a type that reaches beyond the cluster. */
export const SERVICE_TYPE_EXPRESSION =
    "!(object.spec.?type.orValue('ClusterIP') in ['LoadBalancer', 'NodePort'])";
export const SERVICE_TYPE_MESSAGE_EXPRESSION =
    "'mlops: a Service of type ' + object.spec.type + ' would expose ' + request.namespace + " +
    "' outside the cluster; team Services are ClusterIP. Ask the platform team for a route " +
    "through the platform router.'";
export const EXTERNAL_IPS_EXPRESSION = "object.spec.?externalIPs.orValue([]).size() == 0";
export const EXTERNAL_IPS_MESSAGE =
    "mlops: Services in team namespaces may not set externalIPs; ask the platform team for a " +
    "route through the platform router.";

/** The pod spec of a Pod, of a workload's template, or of a CronJob's job template. */
export function podSpecOf(root: "object" | "oldObject"): string {
    return (
        `${root}.kind == 'Pod' ? ${root}.spec : ${root}.kind == 'CronJob' ? ` +
        `${root}.spec.jobTemplate.spec.template.spec : ${root}.spec.template.spec`
    );
}

/**
 * Whether a pod spec's tolerations let it onto GPU nodes: a toleration of the GPU taint's key
 * (or of every key, an empty key with `Exists`) for its effect (or every effect) that matches
 * its value (or any value, `Exists`).
 */
export function toleratesGpuTaint(spec: string, taint: GpuTaint = GPU_TAINT): string {
    return (
        `${spec}.?tolerations.orValue([]).exists(t, ` +
        `t.?key.orValue('') in ['', '${taint.key}'] && ` +
        `t.?effect.orValue('') in ['', '${taint.effect}'] && ` +
        `(t.?operator.orValue('Equal') == 'Exists' || t.?value.orValue('') == '${taint.value}'))`
    );
}

/** A node taint: key, value, effect. */
export interface GpuTaint {
    readonly key: string;
    readonly value: string;
    readonly effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule";
}

/** Arguments of {@link TeamFences}. */
export interface TeamFencesArgs {
    /**
     * The taint of the cluster's GPU nodes, which only GPU namespaces' pods may tolerate (an
     * existing cluster's nodes may carry another).
     * @default the platform's GPU pools' taint, `nvidia.com/gpu=present:NoSchedule`
     */
    readonly gpuTaint?: GpuTaint;
}

export const GPU_NAMESPACE_EXPRESSION = `namespaceObject.metadata.?labels[?'${GPU_NAMESPACE_LABEL}'].orValue('') == 'true'`;
export function gpuMessageExpression(taint: GpuTaint = GPU_TAINT): string {
    return (
        "'mlops: ' + request.namespace + ' has no GPU quota, so its pods may not tolerate the GPU " +
        `taint (${taint.key}). Remove the toleration, or ask the platform team for GPUs ` +
        "(mlops:teams[].quota.gpu).'"
    );
}
export const NODE_NAME_EXPRESSION =
    "(object.kind == 'Pod' && request.operation == 'UPDATE') || " +
    "variables.podSpec.?nodeName.orValue('') == ''";
export const NODE_NAME_MESSAGE =
    "mlops: pods in team namespaces are placed by the scheduler; remove spec.nodeName.";

/**
 * A Secret of type `kubernetes.io/service-account-token`, which the control plane fills with
 * a token that never expires for the account it names, is created or changed only by whoever
 * may write Secrets cluster-wide: a member would otherwise mint a token for `runner` or
 * `argo-sso` that outlives their membership.
 */
export const TOKEN_SECRET_EXPRESSION =
    "object.?type.orValue('Opaque') != 'kubernetes.io/service-account-token' || " +
    "authorizer.group('').resource('secrets').check(variables.verb).allowed()";
export const TOKEN_SECRET_MESSAGE =
    "mlops: Secrets of type kubernetes.io/service-account-token (tokens that never expire) are " +
    "not created in team namespaces; a pod gets a short-lived token of its service account " +
    "through its projected volume.";

/** The namespaces the policies bind to: every team namespace. */
const TEAM_NAMESPACES = {
    namespaceSelector: { matchExpressions: [{ key: TEAM_LABEL, operator: "Exists" }] },
};

/** The policies, by key of {@link FENCE_POLICIES}. */
export function fencePolicySpecs(
    taint: GpuTaint = GPU_TAINT,
): Record<keyof typeof FENCE_POLICIES, PolicySpec> {
    return {
        fences: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: rule(["CREATE", "UPDATE", "DELETE"], FENCED_RESOURCES),
            },
            variables: [
                { name: "verb", expression: VERB_OF_OPERATION },
                { name: "advice", expression: FENCE_ADVICE_EXPRESSION },
            ],
            validations: [
                {
                    expression: CLUSTER_WIDE_RIGHT,
                    messageExpression: FENCE_MESSAGE_EXPRESSION,
                    reason: "Forbidden",
                },
            ],
        },
        // The team's facts: created, changed and deleted only by the platform's deployer. By
        // the object's name, not `resourceNames`: a DeleteCollection admits each item with no
        // request name, which `resourceNames` would let through.
        facts: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: rule(
                    ["CREATE", "UPDATE", "DELETE"],
                    [{ group: "", resources: ["configmaps"] }],
                ),
            },
            matchConditions: [{ name: "team-facts", expression: FACTS_MATCH_EXPRESSION }],
            variables: [{ name: "verb", expression: VERB_OF_OPERATION }],
            validations: [
                {
                    expression: CLUSTER_WIDE_RIGHT,
                    messageExpression: FACTS_MESSAGE_EXPRESSION,
                    reason: "Forbidden",
                },
            ],
        },
        // Whoever asks: the quota allows no LoadBalancer and no NodePort either.
        services: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: rule(["CREATE", "UPDATE"], [{ group: "", resources: ["services"] }]),
            },
            validations: [
                {
                    expression: SERVICE_TYPE_EXPRESSION,
                    messageExpression: SERVICE_TYPE_MESSAGE_EXPRESSION,
                    reason: "Forbidden",
                },
                {
                    expression: EXTERNAL_IPS_EXPRESSION,
                    message: EXTERNAL_IPS_MESSAGE,
                    reason: "Forbidden",
                },
            ],
        },
        // Whoever asks, Argo's and KServe's controllers included: GPU nodes are a property of
        // the namespace, not of the requester. An update that keeps an existing toleration
        // passes, so that finalizers and scale-downs still go through.
        gpu: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: rule(
                    ["CREATE", "UPDATE"],
                    [{ group: "", resources: ["pods"] }, ...POD_TEMPLATES],
                ),
            },
            variables: [
                { name: "podSpec", expression: podSpecOf("object") },
                { name: "gpuNamespace", expression: GPU_NAMESPACE_EXPRESSION },
                { name: "toleratesGpu", expression: toleratesGpuTaint("variables.podSpec", taint) },
                {
                    name: "toleratedGpu",
                    expression: `request.operation == 'UPDATE' && ${toleratesGpuTaint(`(${podSpecOf("oldObject")})`, taint)}`,
                },
            ],
            validations: [
                {
                    expression:
                        "variables.gpuNamespace || !variables.toleratesGpu || variables.toleratedGpu",
                    messageExpression: gpuMessageExpression(taint),
                    reason: "Forbidden",
                },
                {
                    expression: NODE_NAME_EXPRESSION,
                    message: NODE_NAME_MESSAGE,
                    reason: "Forbidden",
                },
            ],
        },
        tokens: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: rule(["CREATE", "UPDATE"], [{ group: "", resources: ["secrets"] }]),
            },
            variables: [{ name: "verb", expression: VERB_OF_OPERATION }],
            validations: [
                {
                    expression: TOKEN_SECRET_EXPRESSION,
                    message: TOKEN_SECRET_MESSAGE,
                    reason: "Forbidden",
                },
            ],
        },
    };
}

/**
 * The fences of every team namespace, created once by the platform: the `mlops-team-member`
 * ClusterRole that members are bound to in their namespace instead of `edit`, and the
 * admission policies the API server enforces in every namespace labelled `mlops.dev/team`,
 * whatever role a member holds there:
 *
 * - `mlops-team-fences`: NetworkPolicies, ResourceQuotas, LimitRanges, Roles, RoleBindings,
 *   Ingresses and routes are created, changed and deleted only by whoever holds that right
 *   cluster-wide (the platform's deployer and the control plane), never by a namespace grant;
 * - `mlops-team-services`: no Service of type LoadBalancer or NodePort, none with externalIPs;
 * - `mlops-team-gpu`: pods (and pod templates) tolerate the GPU taint only in namespaces
 *   labelled `mlops.dev/gpu: "true"` (a GPU quota), and never name their node;
 * - `mlops-team-tokens`: no Secret of type `kubernetes.io/service-account-token` (a token that
 *   never expires) unless the requester may write Secrets cluster-wide;
 * - `mlops-team-facts`: the team's facts (the `mlops-team` ConfigMap its team stack reads) are
 *   created, changed and deleted only by whoever holds that right cluster-wide.
 *
 * ```ts
 * new TeamFences("mlops-fences", {}, { parent: platform });
 * ```
 */
export class TeamFences extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:tenancy:TeamFences";
    /** The members' ClusterRole, `mlops-team-member`. */
    public readonly memberRole: pulumi.Output<string>;

    constructor(name: string, args: TeamFencesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super(TeamFences.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-member`,
            { metadata: { name: TEAM_MEMBER_ROLE }, rules: [...TEAM_MEMBER_RULES] },
            child,
        );
        this.memberRole = role.metadata.name;
        const specs = fencePolicySpecs(args.gpuTaint ?? GPU_TAINT);
        for (const key of Object.keys(FENCE_POLICIES) as (keyof typeof FENCE_POLICIES)[]) {
            const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
                `${name}-${key}`,
                { metadata: { name: FENCE_POLICIES[key] }, spec: specs[key] },
                child,
            );
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
                `${name}-${key}`,
                {
                    metadata: { name: FENCE_POLICIES[key] },
                    spec: {
                        policyName: policy.metadata.name,
                        validationActions: ["Deny"],
                        matchResources: TEAM_NAMESPACES,
                    },
                },
                child,
            );
        }
        this.registerOutputs({ memberRole: this.memberRole });
    }
}
