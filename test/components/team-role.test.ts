import { TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { TEAM_MEMBER_RULES } from "../../components/rbac";
import { FENCED_RESOURCES, TeamFences } from "../../components/tenancy/admission";
import { Team, TeamArgs } from "../../components/tenancy/team";
import { at, childList, record, settled } from "../support/harness";

const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const READ = ["get", "list", "watch"];
const WRITE = [...READ, "create", "update", "patch", "delete", "deletecollection"];

async function fences() {
    const rec = record();
    new TeamFences("mlops-fences");
    await settled();
    return rec;
}

const quota = { cpu: "16", memory: "64Gi", gpu: 0, storage: "500Gi", pods: 50 };

async function team(over: Partial<TeamArgs> = {}) {
    const rec = record();
    new Team("vision", {
        members: ["group:ml-vision"],
        quota,
        platformNamespace: "mlops",
        platformServices: TEAM_SERVICES,
        ...over,
    });
    await settled();
    return rec;
}

describe("TeamFences", () => {
    it("creates exactly the member role and five policies, each with its binding", async () => {
        const rec = await fences();
        expect(childList(rec, rec.get("mlops:tenancy:TeamFences", "mlops-fences"))).toEqual([
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy mlops-fences-facts",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy mlops-fences-fences",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy mlops-fences-gpu",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy mlops-fences-services",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy mlops-fences-tokens",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding mlops-fences-facts",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding mlops-fences-fences",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding mlops-fences-gpu",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding mlops-fences-services",
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding mlops-fences-tokens",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole mlops-fences-member",
        ]);
    });

    it("writes the member role rule by rule", async () => {
        const rec = await fences();
        const role = rec.get(CLUSTER_ROLE, "mlops-fences-member");
        expect(at(role, "metadata")).toEqual({ name: "mlops-team-member" });
        expect(at(role, "aggregationRule")).toBeUndefined();
        expect(at(role, "rules")).toEqual([
            { apiGroups: [""], resources: ["pods"], verbs: WRITE },
            {
                apiGroups: [""],
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
            {
                apiGroups: ["networking.k8s.io"],
                resources: ["networkpolicies", "ingresses"],
                verbs: READ,
            },
            {
                apiGroups: ["rbac.authorization.k8s.io"],
                resources: ["roles", "rolebindings"],
                verbs: READ,
            },
            { apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: ["get", "list"] },
        ]);
    });

    it("grants no write on a fenced resource, no token, no impersonation, no wildcard", () => {
        const writes = (group: string, resource: string) =>
            TEAM_MEMBER_RULES.filter(
                (r) =>
                    (r.apiGroups as string[]).includes(group) &&
                    (r.resources as string[]).includes(resource),
            ).flatMap((r) => (r.verbs as string[]).filter((v) => !READ.includes(v)));
        for (const { group, resources } of FENCED_RESOURCES) {
            for (const resource of resources) {
                expect({ group, resource, writes: writes(group, resource) }).toEqual({
                    group,
                    resource,
                    writes: [],
                });
            }
        }
        expect(writes("", "serviceaccounts")).toEqual([]);
        expect(writes("", "serviceaccounts/token")).toEqual([]);
        expect(writes("apps", "daemonsets")).toEqual([]);
        const all = TEAM_MEMBER_RULES.flatMap((r) => [
            ...(r.apiGroups as string[]),
            ...(r.resources as string[]),
            ...(r.verbs as string[]),
        ]);
        expect(all.filter((x) => x === "*" || x === "impersonate" || x === "escalate")).toEqual([]);
    });

    it("fences NetworkPolicies, quotas, limits, RBAC and routes for anyone without the right cluster-wide", async () => {
        const rec = await fences();
        const policy = rec.get(POLICY, "mlops-fences-fences");
        expect(at(policy, "metadata")).toEqual({ name: "mlops-team-fences" });
        const ops = ["CREATE", "UPDATE", "DELETE"];
        const rule = (group: string, resources: string[]) => ({
            apiGroups: [group],
            apiVersions: ["*"],
            operations: ops,
            resources,
        });
        expect(at(policy, "spec")).toEqual({
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    rule("networking.k8s.io", ["networkpolicies", "ingresses"]),
                    rule("", ["resourcequotas", "limitranges"]),
                    rule("rbac.authorization.k8s.io", ["roles", "rolebindings"]),
                    rule("traefik.io", [
                        "ingressroutes",
                        "ingressroutetcps",
                        "ingressrouteudps",
                        "middlewares",
                        "middlewaretcps",
                    ]),
                    rule("gateway.networking.k8s.io", [
                        "httproutes",
                        "grpcroutes",
                        "tcproutes",
                        "tlsroutes",
                        "udproutes",
                    ]),
                ],
            },
            variables: [
                {
                    name: "verb",
                    expression:
                        "request.operation == 'CREATE' ? 'create' : request.operation == 'UPDATE' ? 'update' : 'delete'",
                },
                {
                    name: "advice",
                    expression:
                        "request.resource.resource == 'networkpolicies' ? 'Ask the platform team for the network path you need.' : " +
                        "request.resource.resource in ['resourcequotas', 'limitranges'] ? 'Ask the platform team to change the team quota (mlops:teams[].quota).' : " +
                        "request.resource.resource in ['roles', 'rolebindings'] ? 'Ask the platform team to change the team members (mlops:teams[].members).' : " +
                        "'Routes go through the platform router and its sign-on: ask the platform team for one.'",
                },
            ],
            validations: [
                {
                    expression:
                        "authorizer.group(request.resource.group).resource(request.resource.resource).check(variables.verb).allowed()",
                    messageExpression:
                        "'mlops: ' + request.resource.resource + ' in team namespaces belong to the platform; team members may not ' + variables.verb + ' them (' + request.namespace + '). ' + variables.advice",
                    reason: "Forbidden",
                },
            ],
        });
    });

    it("keeps the team facts (the mlops-team ConfigMap) from anyone without the right cluster-wide", async () => {
        const rec = await fences();
        const policy = rec.get(POLICY, "mlops-fences-facts");
        expect(at(policy, "metadata")).toEqual({ name: "mlops-team-facts" });
        expect(at(policy, "spec")).toEqual({
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    {
                        apiGroups: [""],
                        apiVersions: ["*"],
                        operations: ["CREATE", "UPDATE", "DELETE"],
                        resources: ["configmaps"],
                    },
                ],
            },
            // Not resourceNames: a DeleteCollection admits each item with no request name.
            matchConditions: [
                {
                    name: "team-facts",
                    expression:
                        "request.operation == 'CREATE' ? (object != null && object.metadata.name == 'mlops-team') : (oldObject != null && oldObject.metadata.name == 'mlops-team')",
                },
            ],
            variables: [
                {
                    name: "verb",
                    expression:
                        "request.operation == 'CREATE' ? 'create' : request.operation == 'UPDATE' ? 'update' : 'delete'",
                },
            ],
            validations: [
                {
                    expression:
                        "authorizer.group(request.resource.group).resource(request.resource.resource).check(variables.verb).allowed()",
                    messageExpression:
                        "'mlops: the ConfigMap mlops-team in ' + request.namespace + ' holds the team facts, which the platform stack writes; team members may not ' + variables.verb + ' it. Ask the platform team to change the team (mlops:teams).'",
                    reason: "Forbidden",
                },
            ],
        });
        // Members may read it: the team role reads (and writes) ConfigMaps in the namespace;
        // only the policy keeps this one from them.
        expect(TEAM_MEMBER_RULES).toContainEqual({
            apiGroups: [""],
            resources: ["configmaps", "secrets", "persistentvolumeclaims", "services"],
            verbs: WRITE,
        });
    });

    it("refuses LoadBalancer, NodePort and external IPs on Services, whoever asks", async () => {
        const rec = await fences();
        const policy = rec.get(POLICY, "mlops-fences-services");
        expect(at(policy, "metadata")).toEqual({ name: "mlops-team-services" });
        expect(at(policy, "spec")).toEqual({
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    {
                        apiGroups: [""],
                        apiVersions: ["*"],
                        operations: ["CREATE", "UPDATE"],
                        resources: ["services"],
                    },
                ],
            },
            validations: [
                {
                    expression:
                        "!(object.spec.?type.orValue('ClusterIP') in ['LoadBalancer', 'NodePort'])",
                    messageExpression:
                        "'mlops: a Service of type ' + object.spec.type + ' would expose ' + request.namespace + ' outside the cluster; team Services are ClusterIP. Ask the platform team for a route through the platform router.'",
                    reason: "Forbidden",
                },
                {
                    expression: "object.spec.?externalIPs.orValue([]).size() == 0",
                    message:
                        "mlops: Services in team namespaces may not set externalIPs; ask the platform team for a route through the platform router.",
                    reason: "Forbidden",
                },
            ],
        });
    });

    it("refuses a never-expiring service account token Secret unless the requester writes Secrets cluster-wide", async () => {
        const rec = await fences();
        const policy = rec.get(POLICY, "mlops-fences-tokens");
        expect(at(policy, "metadata")).toEqual({ name: "mlops-team-tokens" });
        expect(at(policy, "spec")).toEqual({
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    {
                        apiGroups: [""],
                        apiVersions: ["*"],
                        operations: ["CREATE", "UPDATE"],
                        resources: ["secrets"],
                    },
                ],
            },
            variables: [
                {
                    name: "verb",
                    expression:
                        "request.operation == 'CREATE' ? 'create' : request.operation == 'UPDATE' ? 'update' : 'delete'",
                },
            ],
            validations: [
                {
                    expression:
                        "object.?type.orValue('Opaque') != 'kubernetes.io/service-account-token' || authorizer.group('').resource('secrets').check(variables.verb).allowed()",
                    message:
                        "mlops: Secrets of type kubernetes.io/service-account-token (tokens that never expire) are not created in team namespaces; a pod gets a short-lived token of its service account through its projected volume.",
                    reason: "Forbidden",
                },
            ],
        });
    });

    it("lets pods and pod templates tolerate the GPU taint only in GPU namespaces, and pin no node", async () => {
        const rec = await fences();
        const policy = rec.get(POLICY, "mlops-fences-gpu");
        expect(at(policy, "metadata")).toEqual({ name: "mlops-team-gpu" });
        const tolerates = (spec: string) =>
            `${spec}.?tolerations.orValue([]).exists(t, t.?key.orValue('') in ['', 'nvidia.com/gpu'] && ` +
            "t.?effect.orValue('') in ['', 'NoSchedule'] && " +
            "(t.?operator.orValue('Equal') == 'Exists' || t.?value.orValue('') == 'present'))";
        const rule = (group: string, resources: string[]) => ({
            apiGroups: [group],
            apiVersions: ["*"],
            operations: ["CREATE", "UPDATE"],
            resources,
        });
        expect(at(policy, "spec")).toEqual({
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    rule("", ["pods"]),
                    rule("apps", ["deployments", "statefulsets", "replicasets", "daemonsets"]),
                    rule("batch", ["jobs", "cronjobs"]),
                ],
            },
            variables: [
                {
                    name: "podSpec",
                    expression:
                        "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec",
                },
                {
                    name: "gpuNamespace",
                    expression:
                        "namespaceObject.metadata.?labels[?'mlops.dev/gpu'].orValue('') == 'true'",
                },
                { name: "toleratesGpu", expression: tolerates("variables.podSpec") },
                {
                    name: "toleratedGpu",
                    expression:
                        "request.operation == 'UPDATE' && " +
                        tolerates(
                            "(oldObject.kind == 'Pod' ? oldObject.spec : oldObject.kind == 'CronJob' ? oldObject.spec.jobTemplate.spec.template.spec : oldObject.spec.template.spec)",
                        ),
                },
            ],
            validations: [
                {
                    expression:
                        "variables.gpuNamespace || !variables.toleratesGpu || variables.toleratedGpu",
                    messageExpression:
                        "'mlops: ' + request.namespace + ' has no GPU quota, so its pods may not tolerate the GPU taint (nvidia.com/gpu). Remove the toleration, or ask the platform team for GPUs (mlops:teams[].quota.gpu).'",
                    reason: "Forbidden",
                },
                {
                    expression:
                        "(object.kind == 'Pod' && request.operation == 'UPDATE') || variables.podSpec.?nodeName.orValue('') == ''",
                    message:
                        "mlops: pods in team namespaces are placed by the scheduler; remove spec.nodeName.",
                    reason: "Forbidden",
                },
            ],
        });
    });

    it("reads another GPU taint when the cluster's GPU nodes carry one", async () => {
        const rec = record();
        new TeamFences("mlops-fences", {
            gpuTaint: { key: "example.com/accelerator", value: "gpu", effect: "NoExecute" },
        });
        await settled();
        const spec = at(rec.get(POLICY, "mlops-fences-gpu"), "spec") as any;
        expect(spec.variables[2]).toEqual({
            name: "toleratesGpu",
            expression:
                "variables.podSpec.?tolerations.orValue([]).exists(t, t.?key.orValue('') in ['', 'example.com/accelerator'] && " +
                "t.?effect.orValue('') in ['', 'NoExecute'] && " +
                "(t.?operator.orValue('Equal') == 'Exists' || t.?value.orValue('') == 'gpu'))",
        });
        expect(spec.validations[0].messageExpression).toContain(
            "tolerate the GPU taint (example.com/accelerator)",
        );
    });

    it("binds each policy to every team namespace, denying", async () => {
        const rec = await fences();
        for (const key of ["fences", "services", "gpu", "tokens", "facts"]) {
            const binding = rec.get(BINDING, `mlops-fences-${key}`);
            expect(at(binding, "metadata")).toEqual({ name: `mlops-team-${key}` });
            expect(at(binding, "spec")).toEqual({
                policyName: `mlops-team-${key}`,
                validationActions: ["Deny"],
                matchResources: {
                    namespaceSelector: {
                        matchExpressions: [{ key: "mlops.dev/team", operator: "Exists" }],
                    },
                },
            });
        }
    });
});

describe("Team: the member binding, the GPU label and the quota", () => {
    const QUOTA = "kubernetes:core/v1:ResourceQuota";

    it("binds members to mlops-team-member, never edit", async () => {
        const rec = await team();
        const bindings = rec.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
        expect(bindings.map((b) => `${b.name} → ${at(b, "roleRef", "name")}`).sort()).toEqual([
            "vision-members → mlops-team-member",
            "vision-runner → runner",
        ]);
        const members = rec.get(
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "vision-members",
        );
        expect(at(members, "metadata")).toEqual({
            name: "team-members",
            namespace: "team-vision",
            labels: { "mlops.dev/team": "vision" },
        });
        expect(at(members, "roleRef")).toEqual({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "mlops-team-member",
        });
    });

    it("labels the namespace mlops.dev/gpu only with a GPU quota", async () => {
        const none = await team();
        expect(
            at(
                none.get("kubernetes:core/v1:Namespace", "vision"),
                "metadata",
                "labels",
                "mlops.dev/gpu",
            ),
        ).toBeUndefined();
        const some = await team({ quota: { ...quota, gpu: 1 } });
        expect(
            at(
                some.get("kubernetes:core/v1:Namespace", "vision"),
                "metadata",
                "labels",
                "mlops.dev/gpu",
            ),
        ).toBe("true");
    });

    it("counts claims and allows no LoadBalancer or NodePort, without a ReadWriteMany class", async () => {
        const rec = await team();
        expect(at(rec.get(QUOTA, "vision"), "spec", "hard")).toEqual({
            "requests.cpu": "16",
            "limits.cpu": "16",
            "requests.memory": "64Gi",
            "limits.memory": "64Gi",
            "requests.nvidia.com/gpu": "0",
            "requests.storage": "500Gi",
            pods: "50",
            "count/persistentvolumeclaims": "10",
            "requests.ephemeral-storage": "100Gi",
            "limits.ephemeral-storage": "100Gi",
            "count/configmaps": "100",
            "count/secrets": "100",
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        });
    });

    it("caps the ReadWriteMany class's claims (1) and storage (the total) by default", async () => {
        const rec = await team({ readWriteManyStorageClass: "mlops-filestore" });
        const hard = at(rec.get(QUOTA, "vision"), "spec", "hard") as Record<string, string>;
        expect(hard["mlops-filestore.storageclass.storage.k8s.io/persistentvolumeclaims"]).toBe(
            "1",
        );
        expect(hard["mlops-filestore.storageclass.storage.k8s.io/requests.storage"]).toBe("500Gi");
        expect(Object.keys(hard)).toHaveLength(16);
    });

    it("takes claims, sharedClaims and sharedStorage from the quota", async () => {
        const rec = await team({
            readWriteManyStorageClass: "efs",
            quota: { ...quota, claims: 4, sharedClaims: 0, sharedStorage: "0" },
        });
        const hard = at(rec.get(QUOTA, "vision"), "spec", "hard") as Record<string, string>;
        expect({
            claims: hard["count/persistentvolumeclaims"],
            shared: hard["efs.storageclass.storage.k8s.io/persistentvolumeclaims"],
            sharedStorage: hard["efs.storageclass.storage.k8s.io/requests.storage"],
        }).toEqual({ claims: "4", shared: "0", sharedStorage: "0" });
    });

    it("adds no per-class line when the platform stack has no ReadWriteMany class", async () => {
        const { output } = await import("@pulumi/pulumi");
        const rec = await team({ readWriteManyStorageClass: output(undefined) });
        const hard = at(rec.get(QUOTA, "vision"), "spec", "hard") as Record<string, string>;
        expect(Object.keys(hard).filter((k) => k.includes("storageclass"))).toEqual([]);
    });
});

describe("Team: the facts its team stack reads", () => {
    const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
    const facts = {
        trackingUrl: "http://mlflow.team-vision.svc.cluster.local:5000",
        objectStore: {
            scheme: "gs" as const,
            region: "europe-west4",
            buckets: { tracking: "acme-tracking", workflows: "acme-workflows" },
        },
        gpuScheduling: { nodeSelector: { "mlops.dev/gpu-pool": "l4" }, tolerations: [] },
        stack: true,
    };

    it("writes the mlops-team ConfigMap in the team's namespace, exactly, with nothing secret", async () => {
        const rec = await team({
            facts,
            objectStoreCredentials: { accessKeyId: "AKIAVISION", secretAccessKey: "vision-secret" },
        });
        const map = rec.get(CONFIGMAP, "vision-facts");
        expect(at(map, "metadata")).toEqual({
            name: "mlops-team",
            namespace: "team-vision",
            labels: { "mlops.dev/team": "vision" },
        });
        expect(at(map, "data")).toEqual({
            team: "vision",
            namespace: "team-vision",
            runnerServiceAccount: "runner",
            stack: "true",
            trackingUrl: "http://mlflow.team-vision.svc.cluster.local:5000",
            quota: JSON.stringify(quota),
            objectStore: JSON.stringify({
                scheme: "gs",
                region: "europe-west4",
                buckets: { tracking: "acme-tracking", workflows: "acme-workflows" },
                prefix: "teams/vision/",
            }),
            gpuScheduling: JSON.stringify(facts.gpuScheduling),
        });
        expect(JSON.stringify(at(map, "data"))).not.toMatch(/AKIAVISION|vision-secret/);
    });

    it("writes none without facts, and no trackingUrl when tracking is off", async () => {
        expect((await team()).ofType(CONFIGMAP).map((r) => r.name)).toEqual([]);
        const rec = await team({ facts: { ...facts, trackingUrl: undefined, stack: undefined } });
        const data = at(rec.get(CONFIGMAP, "vision-facts"), "data") as Record<string, string>;
        expect(Object.keys(data).sort()).toEqual([
            "gpuScheduling",
            "namespace",
            "objectStore",
            "quota",
            "runnerServiceAccount",
            "stack",
            "team",
        ]);
        expect(data.stack).toBe("false");
    });
});
