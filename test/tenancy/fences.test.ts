/**
 * Team A against team B on a whole plan: each team's members are bound, in their own namespace
 * only, to the platform's member role and never to `edit`; the platform's admission policies
 * exist once and bind every team namespace; only the team with a GPU quota has the GPU label;
 * each quota counts claims, the ReadWriteMany class, and allows no LoadBalancer or NodePort.
 * The shipped stacks' plans (the test run's one plan of each) hold the same.
 */
import { parseConfig } from "../../stacks/config";
import { configProblems } from "../support/fixtures";
import { planCli, shippedStackPlan, shippedStacks, writeStackConfig } from "../support/plan";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}
const NAMESPACE = "kubernetes:core/v1:Namespace";
const QUOTA = "kubernetes:core/v1:ResourceQuota";
const ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

const TWO_TEAMS = `
config:
  mlops:cloud: local
  mlops:environment: dev
  mlops:domain: mlops.localtest.me
  mlops:storage:
    objectStore: { size: 20Gi }
    sharedFilesystem: { enabled: true, size: 50Gi }
  mlops:database: { size: 10Gi }
  mlops:routing:
    tls: { mode: selfSigned }
    serviceType: NodePort
  mlops:teams:
    - name: alpha
      members: [group:ml-alpha, alice@example.com]
      quota: { cpu: "8", memory: 32Gi, gpu: 0, storage: 100Gi, pods: 20 }
    - name: beta
      members: [group:ml-beta]
      quota: { cpu: "8", memory: 32Gi, gpu: 2, storage: 2Ti, pods: 20, claims: 4, sharedClaims: 2, sharedStorage: 1Ti }
`;

let resources: Resource[];
beforeAll(() => {
    const run = planCli("--config", writeStackConfig("fences", TWO_TEAMS), "--json");
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    resources = JSON.parse(run.stdout).resources;
}, 180_000);

const ofType = (type: string) => resources.filter((r) => r.type === type);
/** Who each binding names, where, with which role. */
const grants = (rs: Resource[]) =>
    rs
        .filter((r) => r.type === ROLE_BINDING || r.type === CLUSTER_ROLE_BINDING)
        .flatMap((b) =>
            (b.inputs.subjects ?? []).map((s: { kind: string; name: string }) => ({
                subject: `${s.kind}:${s.name}`,
                namespace: b.inputs.metadata.namespace ?? "*",
                role: `${b.inputs.roleRef.kind}:${b.inputs.roleRef.name}`,
            })),
        );

describe("team alpha against team beta on the plan of a platform with both", () => {
    it("binds alpha's members in team-alpha only, to the platform's role, and beta's in team-beta", () => {
        const people = grants(resources)
            .filter((g) => g.subject.includes("oidc:"))
            .sort((x, y) => x.namespace.localeCompare(y.namespace));
        expect(people).toEqual([
            {
                subject: "Group:oidc:ml-alpha",
                namespace: "team-alpha",
                role: "ClusterRole:mlops-team-member",
            },
            {
                subject: "User:oidc:alice@example.com",
                namespace: "team-alpha",
                role: "ClusterRole:mlops-team-member",
            },
            {
                subject: "Group:oidc:ml-beta",
                namespace: "team-beta",
                role: "ClusterRole:mlops-team-member",
            },
        ]);
    });

    it("binds no one to edit, admin or cluster-admin", () => {
        expect(
            grants(resources).filter((g) =>
                ["ClusterRole:edit", "ClusterRole:admin", "ClusterRole:cluster-admin"].includes(
                    g.role,
                ),
            ),
        ).toEqual([]);
    });

    it("creates the member role and each admission policy once, bound to team namespaces", () => {
        expect(
            ofType(CLUSTER_ROLE).filter((r) => r.inputs.metadata.name === "mlops-team-member"),
        ).toHaveLength(1);
        expect(
            ofType(POLICY)
                .map((p) => p.inputs.metadata.name)
                .sort(),
        ).toEqual([
            "mlops-team-facts",
            "mlops-team-fences",
            "mlops-team-gpu",
            "mlops-team-services",
            "mlops-team-tokens",
        ]);
        for (const b of ofType(BINDING)) {
            expect(b.inputs.spec.matchResources.namespaceSelector).toEqual({
                matchExpressions: [{ key: "mlops.dev/team", operator: "Exists" }],
            });
        }
        // Every namespace the policies bind is a team's: the platform's is not.
        const bound = ofType(NAMESPACE)
            .filter((n) => n.inputs.metadata.labels?.["mlops.dev/team"])
            .map((n) => n.inputs.metadata.name)
            .sort();
        expect(bound).toEqual(["team-alpha", "team-beta"]);
    });

    it("lets neither team run a pod at the node agents' priority, which would preempt the other's", () => {
        const scoped = ofType(QUOTA)
            .filter((q) => q.inputs.metadata.name === "team-system-priority")
            .map((q) => [q.inputs.metadata.namespace, q.inputs.spec]);
        const spec = {
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
        };
        expect(scoped).toEqual([
            ["team-alpha", spec],
            ["team-beta", spec],
        ]);
    });

    it("labels beta's namespace for GPUs (quota 2) and not alpha's (quota 0)", () => {
        const gpu = Object.fromEntries(
            ofType(NAMESPACE)
                .filter((n) => n.inputs.metadata.name.startsWith("team-"))
                .map((n) => [n.inputs.metadata.name, n.inputs.metadata.labels["mlops.dev/gpu"]]),
        );
        expect(gpu).toEqual({ "team-alpha": undefined, "team-beta": "true" });
    });

    it("counts each team's claims and its claims of the in-cluster NFS class", () => {
        const hard = (ns: string) =>
            ofType(QUOTA).find(
                (q) =>
                    q.inputs.metadata.namespace === ns && q.inputs.metadata.name === "team-quota",
            )!.inputs.spec.hard;
        // The platform's NFS StorageClass, which its chart creates.
        const key = "mlops-nfs.storageclass.storage.k8s.io";
        const lines = (ns: string) => {
            const h = hard(ns);
            return {
                claims: h["count/persistentvolumeclaims"],
                shared: h[`${key}/persistentvolumeclaims`],
                sharedStorage: h[`${key}/requests.storage`],
                loadBalancers: h["services.loadbalancers"],
                nodePorts: h["services.nodeports"],
            };
        };
        expect(lines("team-alpha")).toEqual({
            claims: "10",
            shared: "1",
            sharedStorage: "100Gi",
            loadBalancers: "0",
            nodePorts: "0",
        });
        expect(lines("team-beta")).toEqual({
            claims: "4",
            shared: "2",
            sharedStorage: "1Ti",
            loadBalancers: "0",
            nodePorts: "0",
        });
    });
});

describe.each(shippedStacks())("the plan of %s", (stack) => {
    it("binds members only to the platform's role, and has the policies iff it is a platform", () => {
        const run = shippedStackPlan(stack);
        if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}`);
        const rs: Resource[] = JSON.parse(run.stdout).resources;
        const members = rs.filter(
            (r) => r.type === ROLE_BINDING && r.inputs.metadata.name === "team-members",
        );
        for (const b of members) expect(b.inputs.roleRef.name).toBe("mlops-team-member");
        expect(grants(rs).filter((g) => g.role === "ClusterRole:edit")).toEqual([]);
        const platform = rs.some((r) => r.type === "mlops:platform:MlopsPlatform");
        expect(rs.filter((r) => r.type === POLICY).length).toBe(platform ? 5 : 0);
    });
});

describe("the quota keys of the config", () => {
    it("refuses claims, sharedClaims and sharedStorage that Kubernetes would", () => {
        expect(
            configProblems({
                teams: [
                    {
                        name: "alpha",
                        quota: { claims: -1, sharedClaims: 1.5, sharedStorage: "1TiB" },
                    },
                ],
            }),
        ).toEqual([
            "mlops:teams[0].quota.claims: got -1; must be an integer ≥ 0",
            "mlops:teams[0].quota.sharedClaims: got 1.5; must be an integer",
            'mlops:teams[0].quota.sharedStorage: got "1TiB"; must be a Kubernetes size such as "512Mi" or "10Gi"',
        ]);
    });

    it("defaults claims to 10 and sharedClaims to 1, and leaves sharedStorage to the total", () => {
        const c = parseConfig({ teams: [{ name: "alpha" }] });
        expect(c.teams[0].quota).toMatchObject({ claims: 10, sharedClaims: 1 });
        expect(c.teams[0].quota.sharedStorage).toBeUndefined();
    });
});
