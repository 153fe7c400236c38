/**
 * Tracking, team A (vision) against team B (nlp), on the whole plans of the shipped stacks
 * with two inline teams: onprem (the in-cluster store and database), gcp and aws. Each team
 * has its own MLflow in its own namespace, at a route its members pass and the other team's
 * do not, on its own database role, writing artifacts under its own prefix with its own
 * identity; the platform's shared server admits no team, by route or by network.
 */
import { admittedBy } from "../../policies/identity";
import { shippedStackPlan } from "../support/plan";

interface Resource {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    inputs: any;
}
const planOf = (stack: string): Resource[] => {
    const run = shippedStackPlan(stack);
    if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};
const K = "kubernetes:";
const DEPLOYMENT = `${K}apps/v1:Deployment`;
const MIDDLEWARE = `${K}traefik.io/v1alpha1:Middleware`;
const ROUTE = `${K}traefik.io/v1alpha1:IngressRoute`;
const SECRET = `${K}core/v1:Secret`;
const NETPOL = `${K}networking.k8s.io/v1:NetworkPolicy`;
const JOB = `${K}batch/v1:Job`;

const TEAMS = { vision: "nlp", nlp: "vision" } as const;
const GROUPS: Record<string, Record<string, string>> = {
    onprem: { vision: "ml-vision", nlp: "ml-nlp" },
    gcp: { vision: "ml-vision@example.com", nlp: "ml-nlp@example.com" },
    aws: { vision: "ml-vision@example.com", nlp: "ml-nlp@example.com" },
};
const BUCKET: Record<string, string> = {
    onprem: "s3://mlops-objectstore-tracking",
    gcp: "gs://my-ml-project-mlops-tracking",
    aws: "s3://mlops-tracking-us-east-1-123456789012",
};

const inNamespace = (r: Resource, ns: string) => r.inputs?.metadata?.namespace === ns;
const container = (d: Resource) => d.inputs.spec.template.spec.containers[0];
const arg = (c: any, flag: string) =>
    (c.args as string[]).find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);

describe.each(["onprem", "gcp", "aws"])("tracking in the plan of %s", (stack) => {
    const resources = () => planOf(stack);
    const teamServer = (rs: Resource[], team: string) =>
        rs.find((r) => r.type === DEPLOYMENT && r.name === `mlops-tracking-${team}`)!;

    it.each(Object.entries(TEAMS))("team %s's route admits its group, not %s's", (a, b) => {
        const rs = resources();
        const route = rs.find((r) => r.type === ROUTE && r.name === `mlops-tracking-${a}`)!;
        expect(route.inputs.metadata.namespace).toBe(`team-${a}`);
        for (const x of route.inputs.spec.routes)
            expect(x.match).toMatch(new RegExp(`^Host\\(\`mlflow-${a}\\.`));
        const names = route.inputs.spec.routes.flatMap((x: any) =>
            x.middlewares.map((m: any) => m.name),
        );
        const used = rs
            .filter((r) => r.type === MIDDLEWARE && inNamespace(r, `team-${a}`))
            .filter((m) => names.includes(m.inputs.metadata.name));
        const admitted = used
            .filter((m) => m.inputs.spec.forwardAuth)
            .flatMap((m) => admittedBy(m.inputs.spec.forwardAuth.address).groups);
        // Every rule ends by removing the caller's cookie and token: the team's server is the team's.
        for (const x of route.inputs.spec.routes)
            expect(x.middlewares.at(-1).name).toBe(`mlops-tracking-${a}-strip-credentials`);
        expect(
            used.find((m) => m.inputs.metadata.name === `mlops-tracking-${a}-strip-credentials`)!
                .inputs.spec,
        ).toEqual({ headers: { customRequestHeaders: { Cookie: "", Authorization: "" } } });
        expect(admitted).toContain(GROUPS[stack][a]);
        expect(admitted).not.toContain(GROUPS[stack][b]);
    });

    it.each(Object.entries(TEAMS))(
        "team %s's server keeps its runs in its own database and artifacts under its prefix",
        (a, b) => {
            const rs = resources();
            const d = teamServer(rs, a);
            expect(d.inputs.metadata.namespace).toBe(`team-${a}`);
            const pod = d.inputs.spec.template.spec;
            // The team's runner: the identity confined to teams/<team>/.
            expect(pod.serviceAccountName).toBe("runner");
            const c = container(d);
            expect(arg(c, "artifacts-destination")).toBe(`${BUCKET[stack]}/teams/${a}/mlflow/`);
            expect(arg(c, "backend-store-uri")).toMatch(
                new RegExp(`^postgresql\\+psycopg2://team_${a}@[^/]+/team_${a}_mlflow$`),
            );
            expect(JSON.stringify(d.inputs)).not.toContain(`team_${b}`);
            expect(JSON.stringify(d.inputs)).not.toContain(`teams/${b}/`);
            const secretRefs = (c.env as any[])
                .map((e) => e.valueFrom?.secretKeyRef?.name)
                .filter((n) => n !== undefined);
            // Its own namespace's Secrets: the team's database role, and on the in-cluster
            // store the team's own keys; never the platform's.
            expect([...new Set(secretRefs)].sort()).toEqual(
                stack === "onprem" ? ["runner-s3", "team-database"] : ["team-database"],
            );
        },
    );

    it.each(Object.entries(TEAMS))("team %s's database Secret is in its namespace only", (a, b) => {
        const rs = resources();
        const database = rs.find(
            (r) => r.type === "mlops:storage:TeamDatabase" && r.name === `mlops-${a}-database`,
        )!;
        const secrets = rs.filter((r) => r.type === SECRET && r.parent === database.urn);
        expect(secrets.map((s) => s.inputs.metadata.namespace).sort()).toEqual([
            "mlops",
            `team-${a}`,
        ]);
        expect(
            rs.filter((r) => r.parent === database.urn).some((r) => inNamespace(r, `team-${b}`)),
        ).toBe(false);
        const job = rs.find((r) => r.type === JOB && r.parent === database.urn)!;
        const env = Object.fromEntries(container(job).env.map((e: any) => [e.name, e.value]));
        expect(env.TEAM_ROLE).toBe(`team_${a}`);
        expect(env.MLFLOW_DATABASE).toBe(`team_${a}_mlflow`);
        expect(env.FEAST_DATABASE).toBe(`team_${a}_feast`);
    });

    it("the cloud identity the team's server runs as writes only the team's tracking prefix", () => {
        const rs = resources();
        for (const [a, b] of Object.entries(TEAMS)) {
            const identity = JSON.stringify(
                rs.filter((r) => r.name.startsWith(`mlops-team-${a}`)).map((r) => r.inputs),
            );
            if (stack === "onprem") {
                // The in-cluster store's keys: its s3.json is secret; the ObjectStore's own
                // test reads it. The server reads them from the team's runner-s3 Secret.
                expect(identity).not.toContain(`teams/${b}`);
                continue;
            }
            expect(identity).toContain(`tracking`);
            expect(identity).toContain(`teams/${a}/`);
            expect(identity).not.toContain(`teams/${b}`);
            expect(identity).toContain(
                stack === "aws" ? `system:serviceaccount:team-${a}:runner` : `[team-${a}/runner]`,
            );
        }
    });

    it("the shared server admits no team: its route is the admins', no team egress reaches it", () => {
        const rs = resources();
        const shared = rs.find((r) => r.type === ROUTE && r.name === "mlops-mlflow")!;
        const middlewares = shared.inputs.spec.routes.flatMap((x: any) =>
            x.middlewares.map((m: any) => m.name),
        );
        const admitted = rs
            .filter((r) => r.type === MIDDLEWARE && middlewares.includes(r.inputs.metadata.name))
            .map((m) => admittedBy(m.inputs.spec.forwardAuth.address));
        expect(admitted.length).toBeGreaterThan(0);
        for (const { groups, emails } of admitted) {
            expect(groups.filter((g) => Object.values(GROUPS[stack]).includes(g))).toEqual([]);
            expect(emails).toEqual([]);
        }
        // Platform side: its policy admits the router only.
        const allow = rs.find(
            (r) => r.type === NETPOL && r.inputs.metadata.name === "allow-mlflow",
        )!;
        expect(JSON.stringify(allow.inputs.spec)).not.toContain("mlops.dev/team");
        // Team side: no egress rule to MLflow in the platform namespace.
        for (const team of Object.keys(TEAMS)) {
            const egress = rs
                .filter((r) => r.type === NETPOL && inNamespace(r, `team-${team}`))
                .flatMap((r) => r.inputs.spec.egress ?? []);
            const toMlflow = egress.filter((e: any) =>
                (e.to ?? []).some(
                    (p: any) =>
                        p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ===
                            "mlops" &&
                        p.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "mlflow",
                ),
            );
            expect(toMlflow).toEqual([]);
        }
    });

    it("no policy in one team's namespace names the other's", () => {
        const rs = resources();
        for (const [a, b] of Object.entries(TEAMS)) {
            const policies = rs.filter((r) => r.type === NETPOL && inNamespace(r, `team-${a}`));
            expect(policies.map((p) => p.inputs.metadata.name)).toContain(
                "allow-tracking-database",
            );
            expect(JSON.stringify(policies.map((p) => p.inputs.spec))).not.toContain(`team-${b}`);
        }
    });
});

describe("the in-cluster database admits each team's server from its own namespace only", () => {
    it("onprem: allow-postgresql names each team namespace with the tracking pods", () => {
        const rs = planOf("onprem");
        const allow = rs.find(
            (r) => r.type === NETPOL && r.inputs.metadata.name === "allow-postgresql",
        )!;
        const peers = allow.inputs.spec.ingress.flatMap((rule: any) => rule.from);
        // Team namespaces (the scraper's namespace is a peer too, by its labels).
        const teamPeers = peers.filter(
            (p: any) => p.namespaceSelector && p.podSelector?.matchExpressions,
        );
        expect(
            teamPeers.map((p: any) => [
                p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
                p.podSelector.matchExpressions[0].values,
            ]),
        ).toEqual([
            ["team-vision", ["mlflow", "mlflow-db-upgrade", "feast"]],
            ["team-nlp", ["mlflow", "mlflow-db-upgrade", "feast"]],
        ]);
        // And the Jobs that create the teams' databases, in the platform namespace.
        expect(peers).toContainEqual({
            podSelector: { matchLabels: { "app.kubernetes.io/name": "team-database" } },
        });
    });
});
