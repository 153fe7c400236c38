/**
 * A team's clients of its databases reach the platform's database whichever of them run: the
 * feature server with tracking off, the tracking server and its schema Job with features off,
 * all three with both. On whole plans of the local target with two inline teams (alpha,
 * beta), and the shipped onprem stack (both on). The database server is shared, so what keeps
 * team A's pods off team B's egress rule is that the rule is in B's namespace and selects B's
 * pods only; the reachability is computed from the rendered policies.
 */
import { mayConnect, networkOf, podsOf, Pod } from "../support/reachability";
import { planCliAsync, shippedStackPlan, writeStackConfig } from "../support/plan";

interface Resource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    inputs: any;
}

const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const TEAM_DATABASE = "mlops:storage:TeamDatabase";
const TEAMS = { alpha: "beta", beta: "alpha" } as const;
const PG_PORT = 5432;

async function localPlan(name: string, extra: string[]): Promise<Resource[]> {
    const file = writeStackConfig(
        name,
        [
            "config:",
            "  mlops:teams:",
            "    - name: alpha",
            "      members: [group:ml-alpha]",
            "    - name: beta",
            "      members: [group:ml-beta]",
            ...extra,
            "",
        ].join("\n"),
    );
    const run = await planCliAsync(["--config", file, "--json"]);
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
}

const plans: Record<string, Resource[]> = {};
beforeAll(async () => {
    const [featuresOnly, trackingOnly, neither] = await Promise.all([
        localPlan("db-egress-features", ["  mlops:tracking:", "    enabled: false"]),
        localPlan("db-egress-tracking", ["  mlops:featureStore:", "    enabled: false"]),
        localPlan("db-egress-none", [
            "  mlops:tracking:",
            "    enabled: false",
            "  mlops:featureStore:",
            "    enabled: false",
        ]),
    ]);
    plans.featuresOnly = featuresOnly;
    plans.trackingOnly = trackingOnly;
    plans.neither = neither;
    const run = shippedStackPlan("onprem");
    if (run.status !== 0) throw new Error(`plan of onprem exited ${run.status}: ${run.stderr}`);
    plans.both = (JSON.parse(run.stdout).resources as Resource[]).map((r) => ({
        ...r,
        // The shipped teams are vision and nlp: read them as alpha and beta.
        inputs: JSON.parse(
            JSON.stringify(r.inputs ?? {})
                .replace(/team-vision/g, "team-alpha")
                .replace(/team-nlp/g, "team-beta"),
        ),
        name: r.name.replace(/-vision-/g, "-alpha-").replace(/-nlp-/g, "-beta-"),
    }));
}, 300_000);

/** The database egress policies in a team's namespace. */
const egressOf = (rs: Resource[], team: string) =>
    rs.filter(
        (r) =>
            r.type === POLICY &&
            r.inputs.metadata.namespace === `team-${team}` &&
            r.inputs.metadata.name === "allow-tracking-database",
    );
const client = (team: string, name: string): Pod => ({
    namespace: `team-${team}`,
    labels: { "app.kubernetes.io/name": name },
});
const postgres = (rs: Resource[]) =>
    podsOf(rs).find(
        (p) => p.namespace === "mlops" && p.labels["app.kubernetes.io/name"] === "postgresql",
    )!;

describe.each([
    ["featuresOnly", ["feast"]],
    ["trackingOnly", ["mlflow", "mlflow-db-upgrade"]],
    ["both", ["mlflow", "mlflow-db-upgrade", "feast"]],
] as const)("with %s", (plan, clients) => {
    const absent = ["mlflow", "mlflow-db-upgrade", "feast"].filter(
        (c) => !(clients as readonly string[]).includes(c),
    );

    it.each(Object.keys(TEAMS))(
        "team %s has one database egress rule, for exactly its running clients, parented to its database",
        (team) => {
            const rs = plans[plan];
            const policies = egressOf(rs, team);
            expect(policies).toHaveLength(1);
            const [policy] = policies;
            expect(policy.name).toBe(`mlops-${team}-database-egress`);
            expect(policy.parent).toBe(
                rs.find((r) => r.type === TEAM_DATABASE && r.name === `mlops-${team}-database`)
                    ?.urn,
            );
            expect(policy.inputs.spec.podSelector).toEqual({
                matchExpressions: [
                    { key: "app.kubernetes.io/name", operator: "In", values: clients },
                ],
            });
        },
    );

    it.each(Object.entries(TEAMS))(
        "team %s's clients reach the database; pods of its that are not clients do not; %s's rule admits none of its pods",
        (a, b) => {
            const rs = plans[plan];
            const net = networkOf(rs);
            const db = postgres(rs);
            for (const c of clients)
                expect([c, mayConnect(net, client(a, c), db, PG_PORT)]).toEqual([c, true]);
            for (const c of [...absent, "runner"])
                expect([c, mayConnect(net, client(a, c), db, PG_PORT)]).toEqual([c, false]);
            // B's rule is in B's namespace: it names no other namespace, and selects none of A's pods.
            const [bRule] = egressOf(rs, b);
            expect(bRule.inputs.metadata.namespace).toBe(`team-${b}`);
            expect(JSON.stringify(bRule.inputs)).not.toContain(`team-${a}`);
            // The database admits A's clients from A's namespace only.
            const from = (ns: string, c: string) => ({
                namespace: ns,
                labels: { "app.kubernetes.io/name": c },
            });
            for (const c of clients) {
                expect(mayConnect(net, from(`team-${a}`, c), db, PG_PORT)).toBe(true);
                expect(mayConnect(net, from("default", c), db, PG_PORT)).toBe(false);
            }
        },
    );

    it("the platform database's ingress admits the running clients of each team, no others", () => {
        const rs = plans[plan];
        const allow = rs.find(
            (r) => r.type === POLICY && r.inputs.metadata.name === "allow-postgresql",
        )!;
        const teamPeers = allow.inputs.spec.ingress
            .flatMap((rule: any) => rule.from)
            .filter((p: any) => p.podSelector?.matchExpressions)
            .map((p: any) => [
                p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
                p.podSelector.matchExpressions[0].values,
            ]);
        expect(teamPeers).toEqual([
            ["team-alpha", clients],
            ["team-beta", clients],
        ]);
    });
});

it("with neither tracking nor features, no team gets egress to the database", () => {
    for (const team of Object.keys(TEAMS)) expect(egressOf(plans.neither, team)).toEqual([]);
    const allow = plans.neither.find(
        (r) => r.type === POLICY && r.inputs.metadata.name === "allow-postgresql",
    )!;
    const teamNamespaces = allow.inputs.spec.ingress
        .flatMap((rule: any) => rule.from)
        .map((p: any) => p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"])
        .filter((ns: string | undefined) => ns?.startsWith("team-"));
    expect(teamNamespaces).toEqual([]);
});
