import { TEAM_SERVICES } from "../../components/platform/mlops-platform";
import { Team, TeamArgs } from "../../components/tenancy/team";
import { capacityReport, gpuCapacity } from "../../policies/capacity";
import { SecretValue, at, childList, record, settled } from "../support/harness";

const quota = { cpu: "16", memory: "64Gi", gpu: 4, storage: "500Gi", pods: 50 };

async function build(over: Partial<TeamArgs> = {}) {
    const rec = record();
    new Team("vision", {
        members: ["alice@example.com", "group:ml-vision"],
        quota,
        platformNamespace: "mlops",
        platformServices: TEAM_SERVICES,
        ...over,
    });
    await settled();
    return rec;
}

describe("Team", () => {
    it("creates exactly its namespace, quota, defaults, RBAC, network policies and runner", async () => {
        const rec = await build();
        expect(childList(rec, rec.get("mlops:tenancy:Team", "vision"))).toEqual([
            "kubernetes:core/v1:LimitRange vision",
            "kubernetes:core/v1:Namespace vision",
            "kubernetes:core/v1:ResourceQuota vision",
            "kubernetes:core/v1:ResourceQuota vision-system-priority",
            "kubernetes:core/v1:ServiceAccount vision-runner",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-api-server",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-dns",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-from-router",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-platform-services",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-allow-same-namespace",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy vision-default-deny",
            "kubernetes:rbac.authorization.k8s.io/v1:Role vision-runner",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding vision-members",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding vision-runner",
        ]);
    });

    it("labels its namespace restricted and quotas GPUs, CPU, memory, pods and storage", async () => {
        const rec = await build();
        expect(at(rec.get("kubernetes:core/v1:Namespace", "vision"), "metadata")).toEqual({
            name: "team-vision",
            labels: {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "mlops.dev/team": "vision",
                "mlops.dev/gpu": "true",
            },
        });
        expect(at(rec.get("kubernetes:core/v1:ResourceQuota", "vision"), "spec", "hard")).toEqual({
            "requests.cpu": "16",
            "limits.cpu": "16",
            "requests.memory": "64Gi",
            "limits.memory": "64Gi",
            "requests.nvidia.com/gpu": "4",
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
        expect(at(rec.get("kubernetes:core/v1:LimitRange", "vision"), "spec", "limits")).toEqual([
            {
                type: "Container",
                defaultRequest: { cpu: "250m", memory: "512Mi", "ephemeral-storage": "64Mi" },
                default: { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" },
            },
        ]);
    });

    it("allows no pod of the node's own priority classes, which would preempt other teams' pods", async () => {
        const rec = await build();
        const q = rec.get("kubernetes:core/v1:ResourceQuota", "vision-system-priority");
        expect(at(q, "metadata")).toEqual({
            name: "team-system-priority",
            namespace: "team-vision",
            labels: { "mlops.dev/team": "vision" },
        });
        expect(at(q, "spec")).toEqual({
            hard: { pods: "0" },
            scopeSelector: {
                matchExpressions: [
                    {
                        scopeName: "PriorityClass",
                        operator: "In",
                        values: ["system-node-critical", "system-cluster-critical"],
                    },
                ],
            },
        });
    });

    it("takes the node-local disk from quota.ephemeralStorage", async () => {
        const rec = await build({ quota: { ...quota, ephemeralStorage: "20Gi" } });
        const hard = at(
            rec.get("kubernetes:core/v1:ResourceQuota", "vision"),
            "spec",
            "hard",
        ) as Record<string, string>;
        expect([hard["requests.ephemeral-storage"], hard["limits.ephemeral-storage"]]).toEqual([
            "20Gi",
            "20Gi",
        ]);
    });

    it("a team granted no GPUs gets a quota of 0 GPUs, never none", async () => {
        const rec = await build({ quota: { ...quota, gpu: 0 } });
        expect(
            at(
                rec.get("kubernetes:core/v1:ResourceQuota", "vision"),
                "spec",
                "hard",
                "requests.nvidia.com/gpu",
            ),
        ).toBe("0");
    });

    it("binds users and groups to the platform's member role in the namespace only, named with the oidc: prefix", async () => {
        const rec = await build();
        expect(
            at(
                rec.get("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "vision-members"),
                "subjects",
            ),
        ).toEqual([
            {
                kind: "User",
                name: "oidc:alice@example.com",
                apiGroup: "rbac.authorization.k8s.io",
            },
            { kind: "Group", name: "oidc:ml-vision", apiGroup: "rbac.authorization.k8s.io" },
        ]);
        expect(
            at(
                rec.get("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "vision-members"),
                "roleRef",
            ),
        ).toEqual({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "mlops-team-member",
        });
    });

    it("denies all traffic by default and allows the router, itself, DNS and the platform services", async () => {
        const rec = await build();
        const spec = (n: string) =>
            at(
                rec.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", `vision-${n}`),
                "spec",
            ) as any;
        expect(spec("default-deny")).toEqual({
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
        });
        expect(spec("allow-from-router").ingress).toEqual([
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "mlops" },
                        },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
                    },
                ],
            },
        ]);
        expect(spec("allow-dns").egress[0].ports).toEqual([
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ]);
        expect(
            spec("allow-platform-services").egress.map((e: any) => [
                e.to[0].podSelector.matchLabels["app.kubernetes.io/name"],
                e.ports[0].port,
            ]),
        ).toEqual([
            // The object store alone: each team's MLflow and Feast run in its own namespace.
            ["seaweedfs", 8333],
        ]);
        // Unknown address: the private ranges, never the internet.
        expect(spec("allow-api-server").egress).toEqual([
            {
                to: [
                    { ipBlock: { cidr: "10.0.0.0/8" } },
                    { ipBlock: { cidr: "172.16.0.0/12" } },
                    { ipBlock: { cidr: "192.168.0.0/16" } },
                ],
                ports: [
                    { protocol: "TCP", port: 443 },
                    { protocol: "TCP", port: 6443 },
                ],
            },
        ]);
        const narrowed = await build({ apiServerCidrs: ["172.16.0.0/28"] });
        expect(
            (
                at(
                    narrowed.get(
                        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                        "vision-allow-api-server",
                    ),
                    "spec",
                ) as any
            ).egress[0].to,
        ).toEqual([{ ipBlock: { cidr: "172.16.0.0/28" } }]);
    });

    it("opens its egress allow-list by address and port, and nothing without one", async () => {
        const rec = await build({
            egress: [
                { cidr: "203.0.113.0/24", ports: [443, 8443] },
                { cidr: "2001:db8::/32", ports: [53], protocol: "UDP" },
            ],
        });
        expect(
            at(
                rec.get(
                    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                    "vision-allow-egress-list",
                ),
                "spec",
            ) as any,
        ).toEqual({
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ ipBlock: { cidr: "203.0.113.0/24" } }],
                    ports: [
                        { protocol: "TCP", port: 443 },
                        { protocol: "TCP", port: 8443 },
                    ],
                },
                {
                    to: [{ ipBlock: { cidr: "2001:db8::/32" } }],
                    ports: [{ protocol: "UDP", port: 53 }],
                },
            ],
        });
        const none = await build({});
        expect(none.resources.filter((r) => r.name === "vision-allow-egress-list").length).toBe(0);
    });

    it("reaches a new service from its team endpoint alone, on each of its ports", async () => {
        const rec = await build({
            platformServices: [...TEAM_SERVICES, { app: "label-studio", ports: [8080, 8081] }],
        });
        const egress = at(
            rec.get(
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "vision-allow-platform-services",
            ),
            "spec",
            "egress",
        ) as unknown[];
        expect(egress).toHaveLength(2);
        expect(egress[1]).toEqual({
            to: [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mlops" } },
                    podSelector: { matchLabels: { "app.kubernetes.io/name": "label-studio" } },
                },
            ],
            ports: [
                { protocol: "TCP", port: 8080 },
                { protocol: "TCP", port: 8081 },
            ],
        });
    });

    it("given no platform services, opens no egress to the platform at all", async () => {
        const rec = await build({ platformServices: [] });
        expect(
            rec
                .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                .map((r) => r.name)
                .filter((n) => n.includes("platform")),
        ).toEqual([]);
    });

    it("gives the runner Argo's executor rights, its store credentials and the team's artifact prefix", async () => {
        const rec = await build({
            objectStoreCredentials: { accessKeyId: "AK", secretAccessKey: "SK" },
            artifactRepository: {
                scheme: "s3",
                bucket: "b-workflows",
                endpoint: "http://store.mlops.svc.cluster.local:8333",
                insecure: true,
                region: "us-east-1",
            },
        });
        expect(
            at(rec.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "vision-runner"), "rules"),
        ).toEqual([
            {
                apiGroups: ["argoproj.io"],
                resources: ["workflowtaskresults"],
                verbs: ["create", "patch"],
            },
            {
                apiGroups: ["serving.kserve.io"],
                resources: ["inferenceservices"],
                verbs: ["get", "list", "watch", "create", "update", "patch"],
            },
        ]);
        expect(
            at(rec.get("kubernetes:core/v1:ServiceAccount", "vision-runner"), "secrets"),
        ).toEqual([{ name: "runner-s3" }]);
        const secret = rec.get("kubernetes:core/v1:Secret", "vision-runner-s3");
        expect(secret.inputs.stringData).toBeInstanceOf(SecretValue);
        const repo = rec.get("kubernetes:core/v1:ConfigMap", "vision-artifact-repositories");
        expect(at(repo, "metadata", "annotations")).toEqual({
            "workflows.argoproj.io/default-artifact-repository": "default",
        });
        expect(JSON.parse(at(repo, "data", "default") as string)).toEqual({
            archiveLogs: true,
            s3: {
                bucket: "b-workflows",
                endpoint: "store.mlops.svc.cluster.local:8333",
                insecure: true,
                region: "us-east-1",
                keyFormat: "teams/vision/{{workflow.name}}/{{pod.name}}",
                accessKeySecret: { name: "runner-s3", key: "AWS_ACCESS_KEY_ID" },
                secretKeySecret: { name: "runner-s3", key: "AWS_SECRET_ACCESS_KEY" },
            },
        });
    });
});

describe("GPU capacity maths", () => {
    it("counts pools at their maximum, GPUs per node and sharing", () => {
        expect(
            gpuCapacity([
                { maxNodes: 4, gpusPerNode: 1 },
                { maxNodes: 2, gpusPerNode: 8, sharedClientsPerGpu: 2 },
            ]),
        ).toBe(36);
        expect(capacityReport([{ maxNodes: 2, gpusPerNode: 2 }], [3, 2], 1)).toEqual({
            capacity: 4,
            demand: 5,
            factor: 1,
            ratio: 1.25,
            oversubscribed: true,
        });
        expect(capacityReport([{ maxNodes: 2, gpusPerNode: 2 }], [3, 2], 1.5).oversubscribed).toBe(
            false,
        );
        expect(capacityReport([], [1], 1)).toMatchObject({
            capacity: 0,
            ratio: Infinity,
            oversubscribed: true,
        });
        expect(capacityReport([], [0, 0], 1)).toMatchObject({ ratio: 0, oversubscribed: false });
    });

    it("holds its invariants for any pools and quotas (property test)", () => {
        let seed = 42;
        const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
        for (let i = 0; i < 500; i++) {
            const pools = Array.from({ length: rand(4) }, () => ({
                maxNodes: rand(10),
                gpusPerNode: 1 + rand(8),
                sharedClientsPerGpu: 1 + rand(4),
            }));
            const teams = Array.from({ length: rand(6) }, () => rand(9));
            const factor = 1 + rand(3) / 2;
            const r = capacityReport(pools, teams, factor);
            // Demand is the sum of quotas; the verdict is exactly demand > capacity × factor.
            expect(r.demand).toBe(teams.reduce((a, b) => a + b, 0));
            expect(r.oversubscribed).toBe(r.demand > r.capacity * factor);
            // Adding a GPU to any quota never turns oversubscribed into fine.
            const more = capacityReport(pools, [...teams, 1], factor);
            if (r.oversubscribed) expect(more.oversubscribed).toBe(true);
            // Adding a pool never turns fine into oversubscribed.
            const bigger = capacityReport(
                [...pools, { maxNodes: 1, gpusPerNode: 1 }],
                teams,
                factor,
            );
            if (!r.oversubscribed) expect(bigger.oversubscribed).toBe(false);
            // A larger factor never makes things worse.
            if (!r.oversubscribed)
                expect(capacityReport(pools, teams, factor + 1).oversubscribed).toBe(false);
        }
    });
});
