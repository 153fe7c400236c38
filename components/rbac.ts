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
