/**
 * Team A against team B on the feature stores, on whole plans: the local stack with two inline
 * teams, and the shipped gcp and aws stacks (teams vision and nlp). Each team's store runs in
 * its own namespace with its own project and database login; its route admits its own groups
 * and not the other team's; no NetworkPolicy lets the other team's pods in; the shared store
 * admits no team.
 */
import { ROUTER_APP } from "../../components/routing/traefik";
import { admittedBy } from "../../policies/identity";
import { planCli, shippedStackPlan, writeStackConfig } from "../support/plan";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
const ROUTE = "kubernetes:traefik.io/v1alpha1:IngressRoute";
const MIDDLEWARE = "kubernetes:traefik.io/v1alpha1:Middleware";
const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const FEAST_LABELS = { "app.kubernetes.io/name": "feast", "app.kubernetes.io/instance": "feast" };
/** The router's pods (the chart's labels: the instance is `<release>-<namespace>`). */
const ROUTER_LABELS = {
    "app.kubernetes.io/name": ROUTER_APP,
    "app.kubernetes.io/instance": "traefik-mlops",
};
const SHARED_LABELS = {
    "app.kubernetes.io/name": "feast",
    "app.kubernetes.io/instance": "mlops-feast",
};

const localPlan = (): Resource[] => {
    const file = writeStackConfig(
        "feast-teams",
        [
            "config:",
            "  mlops:teams:",
            "    - name: alpha",
            "      members: [group:ml-alpha]",
            "    - name: beta",
            "      members: [group:ml-beta, sub:repo:acme/beta]",
            "",
        ].join("\n"),
    );
    const run = planCli("--config", file, "--json");
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};
const shipped = (stack: string) => (): Resource[] => {
    const run = shippedStackPlan(stack);
    if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};

/** Whether a label selector matches these labels (matchLabels and matchExpressions). */
function selects(selector: any, labels: Record<string, string>): boolean {
    if (!selector) return true;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) return false;
    }
    for (const e of selector.matchExpressions ?? []) {
        const has = e.key in labels;
        if (e.operator === "Exists" && !has) return false;
        if (e.operator === "DoesNotExist" && has) return false;
        if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
        if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    }
    return true;
}

/** A namespace's labels as the API server gives them: its own, and its name. */
function namespaceLabels(resources: Resource[], name: string): Record<string, string> {
    const ns = resources.find(
        (r) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === name,
    );
    if (!ns) throw new Error(`no namespace ${name}`);
    return { ...ns.inputs.metadata.labels, "kubernetes.io/metadata.name": name };
}

/**
 * Whether the NetworkPolicies of namespace `ns` let a pod in namespace `fromNs` with labels
 * `fromLabels` open a connection to pods labelled `to` (Kubernetes' semantics: a pod selected
 * by no Ingress policy is open; otherwise the union of the selecting policies' rules).
 */
function admits(
    resources: Resource[],
    ns: string,
    to: Record<string, string>,
    fromNs: string,
    fromLabels: Record<string, string>,
): boolean {
    const policies = resources
        .filter((r) => r.type === POLICY && r.inputs.metadata.namespace === ns)
        .map((r) => r.inputs.spec)
        .filter((s) => (s.policyTypes ?? ["Ingress"]).includes("Ingress"))
        .filter((s) => selects(s.podSelector, to));
    if (policies.length === 0) return true;
    const fromNsLabels = namespaceLabels(resources, fromNs);
    return policies.some((s) =>
        (s.ingress ?? []).some((rule: any) => {
            if (!rule.from || rule.from.length === 0) return true;
            return rule.from.some((peer: any) => {
                if (peer.ipBlock) return true;
                const nsOk = peer.namespaceSelector
                    ? selects(peer.namespaceSelector, fromNsLabels)
                    : fromNs === ns;
                return nsOk && selects(peer.podSelector, fromLabels);
            });
        }),
    );
}

const ssoOf = (resources: Resource[], name: string) => {
    const m = resources.find((r) => r.type === MIDDLEWARE && r.name === name);
    if (!m) throw new Error(`no Middleware ${name}`);
    return admittedBy(m.inputs.spec.forwardAuth.address);
};
const one = (resources: Resource[], type: string, name: string) => {
    const found = resources.filter((r) => r.type === type && r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
};

describe.each([
    {
        stack: "local, two inline teams",
        plan: localPlan,
        domain: "mlops.localtest.me",
        sslmode: "disable",
        a: { name: "alpha", groups: ["ml-alpha"] },
        b: { name: "beta", groups: ["ml-beta"] },
    },
    {
        stack: "gcp",
        plan: shipped("gcp"),
        domain: "ml.example.com",
        sslmode: "require",
        a: { name: "vision", groups: ["ml-vision@example.com"] },
        b: { name: "nlp", groups: ["ml-nlp@example.com"] },
    },
    {
        stack: "aws",
        plan: shipped("aws"),
        domain: "ml.example.com",
        sslmode: "require",
        a: { name: "vision", groups: ["ml-vision@example.com"] },
        b: { name: "nlp", groups: ["ml-nlp@example.com"] },
    },
])("feature stores on the plan of $stack", ({ plan, domain, sslmode, a, b }) => {
    let resources: Resource[];
    beforeAll(() => {
        resources = plan();
    });

    it.each([
        { team: a, other: b },
        { team: b, other: a },
    ])(
        "runs $team.name's own store in its namespace, with its project and database",
        ({ team }) => {
            const ns = `team-${team.name}`;
            const d = one(resources, DEPLOYMENT, `mlops-feast-${team.name}`).inputs;
            expect(d.metadata).toEqual({ name: "feast", namespace: ns, labels: FEAST_LABELS });
            const pod = d.spec.template.spec;
            expect(pod.serviceAccountName).toBe("feast");
            expect(pod.automountServiceAccountToken).toBe(false);
            const c = pod.containers[0];
            expect(c.env.filter((e: any) => e.valueFrom)).toEqual(
                [
                    ["PGHOST", "host"],
                    ["PGPORT", "port"],
                    ["PGUSER", "username"],
                    ["PGPASSWORD", "password"],
                    ["PGDATABASE", "feast-database"],
                ].map(([name, key]) => ({
                    name,
                    valueFrom: { secretKeyRef: { name: "team-database", key } },
                })),
            );
            expect(c.envFrom).toBeUndefined();
            expect(pod.volumes.filter((v: any) => v.secret || v.projected)).toEqual([]);
            const config = one(resources, CONFIG_MAP, `mlops-feast-${team.name}`).inputs;
            expect(config.metadata.namespace).toBe(ns);
            const yaml: string = config.data["feature_store.yaml"];
            expect(yaml).toMatch(new RegExp(`^project: team_${team.name}\n`));
            expect(yaml).toContain("  registry_type: sql\n");
            expect(yaml).toContain(`?sslmode=${sslmode}\n`);
            expect(yaml).toContain(`  type: postgres\n`);
            expect(yaml).toContain(`  sslmode: ${sslmode}\n`);
            // No cloud identity: the server calls the team's database only.
            const account = one(resources, SERVICE_ACCOUNT, `mlops-feast-${team.name}`).inputs;
            expect(account.metadata).toEqual({
                name: "feast",
                namespace: ns,
                labels: FEAST_LABELS,
            });
        },
    );

    it.each([
        { team: a, other: b },
        { team: b, other: a },
    ])("admits $team.name's groups to its route, and not the other team's", ({ team, other }) => {
        const route = one(resources, ROUTE, `mlops-feast-${team.name}`).inputs;
        expect(route.metadata.namespace).toBe(`team-${team.name}`);
        expect(route.spec.routes[0].match).toBe(`Host(\`feast-${team.name}.${domain}\`)`);
        // Sign-on, then the caller's cookie and token removed: the team can replace its server.
        expect(route.spec.routes[0].middlewares).toEqual([
            { name: `mlops-feast-${team.name}-sso`, namespace: `team-${team.name}` },
            { name: `mlops-feast-${team.name}-strip-credentials`, namespace: `team-${team.name}` },
        ]);
        const admitted = ssoOf(resources, `mlops-feast-${team.name}-sso`);
        expect(admitted.groups).toEqual(expect.arrayContaining(team.groups));
        for (const g of other.groups) expect(admitted.groups).not.toContain(g);
        expect(admitted.emails).toEqual([]);
    });

    it.each([
        { team: a, other: b },
        { team: b, other: a },
    ])(
        "lets %s's pods and the router reach its server, and not the other team's pods",
        ({ team, other }) => {
            const ns = `team-${team.name}`;
            expect(admits(resources, ns, FEAST_LABELS, ns, { app: "train" })).toBe(true);
            expect(admits(resources, ns, FEAST_LABELS, "mlops", ROUTER_LABELS)).toBe(true);
            expect(
                admits(resources, ns, FEAST_LABELS, `team-${other.name}`, { app: "train" }),
            ).toBe(false);
            expect(admits(resources, ns, FEAST_LABELS, `team-${other.name}`, FEAST_LABELS)).toBe(
                false,
            );
        },
    );

    it("keeps the shared store for the admin groups: no team on its route, its policy or team egress", () => {
        // The router does reach it (so that the refusals below are the policies').
        expect(admits(resources, "mlops", SHARED_LABELS, "mlops", ROUTER_LABELS)).toBe(true);
        const admitted = ssoOf(resources, "mlops-feast-sso");
        for (const g of [...a.groups, ...b.groups]) expect(admitted.groups).not.toContain(g);
        expect(admitted.emails).toEqual([]);
        for (const t of [a, b]) {
            expect(
                admits(resources, "mlops", SHARED_LABELS, `team-${t.name}`, { app: "train" }),
            ).toBe(false);
            const egress = resources.find(
                (r) =>
                    r.type === POLICY &&
                    r.inputs.metadata.namespace === `team-${t.name}` &&
                    r.inputs.metadata.name === "allow-platform-services",
            )!.inputs.spec.egress;
            expect(JSON.stringify(egress)).not.toContain('"app.kubernetes.io/name":"feast"');
        }
    });
});
