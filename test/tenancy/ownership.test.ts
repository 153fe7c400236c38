/**
 * The platform owns quotas and identities: a team stack cannot set its team's fences, cannot
 * name a team the platform lacks, cannot ask more GPUs than the platform granted, and needs no
 * access to the platform stack (whose outputs hold every admin secret): it reads its own team's
 * facts, the `mlops-team` ConfigMap the platform writes in the team's namespace, with a
 * member's own kubeconfig, and no team's keys.
 */
import * as pulumi from "@pulumi/pulumi";
import { cidrProblem } from "../../stacks/cidr";
import {
    inlineTeamMessage,
    missingIdentityMessage,
    platformStackDeprecation,
    teamStack as teamStackProgram,
    teamView,
} from "../../stacks/team";
import { parseConfig } from "../../stacks/config";
import {
    parseTeamFacts,
    TEAM_FACTS_CONFIGMAP,
    TeamFacts,
    teamFactsData,
} from "../../components/tenancy/team";
import { platformFileFor } from "../../tools/plan/cli";
import { reveal, settle, startRecording } from "../../tools/plan/recorder";
import { configProblems } from "../support/fixtures";
import { ROOT, shippedStackPlan, writeStackConfig } from "../support/plan";

const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const teamStack = (team: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
    kind: "team",
    teams: [{ name: "vision", ...team }],
    ...more,
});

describe("a team stack's config", () => {
    it.each([
        ["quota", { gpu: 1000 }, "its quota"],
        ["members", ["group:ml-nlp"], "its members"],
        ["egress", [{ cidr: "203.0.113.0/24", ports: [443] }], "its egress"],
    ])("refuses %s: the platform stack sets it", (key, value, what) => {
        expect(configProblems(teamStack({ [key]: value }))).toEqual([
            `mlops:teams[0].${key}: a team stack cannot set ${what}; the platform team sets it in the platform stack's mlops:teams`,
        ]);
    });

    it("refuses stack: true, which belongs in the platform stack", () => {
        expect(configProblems(teamStack({ stack: true }))).toEqual([
            `mlops:teams[0].stack: got true; a team stack is its team's stack: remove it (stack: true belongs in the platform stack's mlops:teams)`,
        ]);
    });

    it("accepts its name and pipeline, whatever GPUs the pipeline asks (checked on the platform's quota)", () => {
        expect(configProblems(teamStack({ pipeline: { gpu: 2, parallelism: 3 } }))).toEqual([]);
    });

    it("needs no mlops:platformStack, still accepts one (deprecated), and a platform stack refuses it", () => {
        expect(configProblems(teamStack({}))).toEqual([]);
        expect(configProblems(teamStack({}, { platformStack: "org/mlops-platform/dev" }))).toEqual(
            [],
        );
        expect(configProblems({ platformStack: "org/mlops-platform/dev" })).toEqual([
            'mlops:platformStack: got "org/mlops-platform/dev"; not used by a platform stack (team stacks no longer read it either): remove it',
        ]);
    });

    it("a platform stack still checks the pipeline against the quota it sets", () => {
        expect(configProblems({ teams: [{ name: "vision", pipeline: { gpu: 1 } }] })).toEqual([
            "mlops:teams[0].pipeline.gpu: got 1; must be ≤ quota.gpu (0)",
        ]);
    });
});

const vision: TeamFacts = {
    team: "vision",
    namespace: "team-vision",
    runnerServiceAccount: "runner",
    trackingUrl: "http://mlflow.team-vision.svc.cluster.local:5000",
    quota: { cpu: "8", memory: "32Gi", gpu: 1, storage: "100Gi", pods: 50 },
    stack: true,
    objectStore: {
        scheme: "s3",
        endpoint: "http://mlops-objectstore.mlops.svc.cluster.local:8333",
        region: "us-east-1",
        buckets: {
            tracking: "mlops-objectstore-tracking",
            workflows: "mlops-objectstore-workflows",
        },
        prefix: "teams/vision/",
    },
    gpuScheduling: { nodeSelector: {}, tolerations: [] },
};

describe("teamView: what a team stack takes from its mlops-team ConfigMap", () => {
    const config = (team: Record<string, unknown>) => parseConfig(teamStack(team)).teams[0];

    it("reads its own facts back exactly", () => {
        expect(teamView(teamFactsData(vision), config({}))).toEqual(vision);
        expect(parseTeamFacts(teamFactsData(vision))).toEqual(vision);
    });

    it("fails when the cluster holds no facts for the team, or another team's", () => {
        expect(() => teamView(undefined, config({}))).toThrow(missingIdentityMessage("vision"));
        expect(() => teamView(teamFactsData({ ...vision, team: "nlp" }), config({}))).toThrow(
            missingIdentityMessage("vision"),
        );
        expect(missingIdentityMessage("vision")).toBe(
            'mlops:teams[0].name: got "vision"; the platform stack has no such team and issues it no namespace, quota or identity (no ConfigMap mlops-team in team-vision): ask the platform team to add {name: vision, stack: true, members, quota} to its mlops:teams',
        );
    });

    it("fails for an inline team, whose workloads the platform stack runs", () => {
        expect(() => teamView(teamFactsData({ ...vision, stack: false }), config({}))).toThrow(
            inlineTeamMessage("vision"),
        );
        expect(inlineTeamMessage("vision")).toBe(
            "mlops:teams[0].name: got \"vision\"; the platform stack runs team vision's workloads itself (an inline team in its mlops:teams), and a team stack of the same name would create its pipeline in team-vision a second time: give this stack's team another name, or set stack: true on vision in the platform stack's mlops:teams",
        );
    });

    it("fails for a pipeline over the GPU quota the platform granted", () => {
        expect(() => teamView(teamFactsData(vision), config({ pipeline: { gpu: 2 } }))).toThrow(
            "mlops:teams[0].pipeline.gpu: got 2; must be ≤ the team's GPU quota (1), which the platform stack sets",
        );
        expect(teamView(teamFactsData(vision), config({ pipeline: { gpu: 1 } }))).toEqual(vision);
    });
});

describe("the team stack program: its own facts from the cluster, no platform stack", () => {
    const facts = (f: TeamFacts) => ({
        type: CONFIGMAP,
        id: `${f.namespace}/${TEAM_FACTS_CONFIGMAP}`,
        state: { data: teamFactsData(f) },
    });

    it("reads exactly team-vision/mlops-team, with the member's kubeconfig, and references no stack", async () => {
        const rec = startRecording({
            stack: "team-vision",
            existing: [facts({ ...vision, team: "nlp", namespace: "team-nlp" }), facts(vision)],
        });
        const out = teamStackProgram(
            parseConfig(
                teamStack({}, { cluster: { kubeconfig: "member-kubeconfig", context: "member" } }),
            ),
        );
        await settle();
        expect(rec.reads).toEqual([
            { type: CONFIGMAP, name: "vision-facts", id: "team-vision/mlops-team" },
        ]);
        const types = [...rec.resources, ...rec.reads].map((r) => r.type);
        expect(types).not.toContain("pulumi:pulumi:StackReference");
        expect(types.filter((t) => t.startsWith("pulumi:providers:"))).toEqual([
            "pulumi:providers:kubernetes",
        ]);
        const provider = rec.get("pulumi:providers:kubernetes", "platform");
        expect(reveal(provider.inputs)).toMatchObject({
            kubeconfig: "member-kubeconfig",
            context: "member",
        });
        const namespace = await new Promise((r) => pulumi.output(out.namespace).apply(r));
        expect(namespace).toBe("team-vision");
        // The workloads take the facts: the team's tracking server and its artifacts prefix.
        const template = rec.get(
            "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate",
            "vision-reference-pipeline",
        );
        const text = JSON.stringify(reveal(template.inputs));
        expect(text).toContain('"value":"http://mlflow.team-vision.svc.cluster.local:5000"');
        expect(text).toContain("s3://mlops-objectstore-tracking/teams/vision/mlflow");
        expect(text).not.toContain("team-nlp");
    });

    it("warns that mlops:platformStack is no longer read", async () => {
        const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(async () => {});
        startRecording({ stack: "team-vision", existing: [facts(vision)] });
        teamStackProgram(
            parseConfig(teamStack({}, { platformStack: "organization/mlops-platform/dev" })),
        );
        await settle();
        expect(warn.mock.calls.map((c) => c[0])).toEqual([
            platformStackDeprecation("organization/mlops-platform/dev"),
        ]);
        expect(platformStackDeprecation("organization/mlops-platform/dev")).toBe(
            "mlops:platformStack: got \"organization/mlops-platform/dev\"; no longer read and no longer needed: a team stack reads its team's facts from the ConfigMap mlops-team in its namespace, with its members' own kubeconfig, and needs no access to the platform stack: remove it",
        );
        warn.mockRestore();
    });
});

describe("the platform stack writes each team's facts, in the team's namespace only", () => {
    type Resource = { type: string; name: string; parent: string | null; inputs: any };
    const planOf = (stack: string) => {
        const run = shippedStackPlan(stack);
        if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}`);
        return JSON.parse(run.stdout) as { resources: Resource[]; reads: unknown[] };
    };
    const factsMaps = (rs: Resource[]) =>
        rs.filter((r) => r.type === CONFIGMAP && r.inputs.metadata.name === TEAM_FACTS_CONFIGMAP);
    /** Every key in the data, JSON values opened. */
    const keysOf = (v: unknown): string[] =>
        v && typeof v === "object"
            ? Object.entries(v).flatMap(([k, x]) => [k, ...keysOf(x)])
            : typeof v === "string" && /^[[{]/.test(v)
              ? keysOf(JSON.parse(v))
              : [];

    it("dev: vision's and nlp's facts, exactly, each in its own namespace", () => {
        const maps = factsMaps(planOf("dev").resources);
        expect(maps.map((m) => [m.name, m.inputs.metadata.namespace])).toEqual([
            ["vision-facts", "team-vision"],
            ["nlp-facts", "team-nlp"],
        ]);
        const store = {
            scheme: "s3" as const,
            endpoint: "http://mlops-objectstore.mlops.svc.cluster.local:8333",
            region: "us-east-1",
            buckets: {
                tracking: "mlops-objectstore-tracking",
                workflows: "mlops-objectstore-workflows",
            },
        };
        const gpuScheduling = {
            nodeSelector: { "nvidia.com/gpu.present": "true" },
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        };
        expect(maps[0].inputs.data).toEqual(
            teamFactsData({
                team: "vision",
                namespace: "team-vision",
                runnerServiceAccount: "runner",
                trackingUrl: "http://mlflow.team-vision.svc.cluster.local:5000",
                quota: {
                    cpu: "16",
                    memory: "64Gi",
                    gpu: 0,
                    storage: "200Gi",
                    pods: 50,
                    claims: 10,
                    sharedClaims: 1,
                    ephemeralStorage: "100Gi",
                },
                stack: true,
                objectStore: { ...store, prefix: "teams/vision/" },
                gpuScheduling,
            }),
        );
        expect(maps[1].inputs.data).toEqual(
            teamFactsData({
                team: "nlp",
                namespace: "team-nlp",
                runnerServiceAccount: "runner",
                trackingUrl: "http://mlflow.team-nlp.svc.cluster.local:5000",
                quota: {
                    cpu: "8",
                    memory: "32Gi",
                    gpu: 0,
                    storage: "100Gi",
                    pods: 50,
                    claims: 10,
                    sharedClaims: 1,
                    ephemeralStorage: "100Gi",
                },
                stack: true,
                objectStore: { ...store, prefix: "teams/nlp/" },
                gpuScheduling,
            }),
        );
        expect(maps.map((m) => m.parent)).toEqual([
            "urn:pulumi:dev::mlops-platform::mlops:platform:MlopsPlatform$mlops:tenancy:Team::vision",
            "urn:pulumi:dev::mlops-platform::mlops:platform:MlopsPlatform$mlops:tenancy:Team::nlp",
        ]);
    });

    it.each(["dev", "gcp", "aws"])(
        "%s: one mlops-team per team, in its namespace, with nothing secret in it",
        (stack) => {
            const rs = planOf(stack).resources;
            const teams = rs
                .filter((r) => r.type === "mlops:tenancy:Team")
                .map((r) => r.name)
                .sort();
            const maps = factsMaps(rs);
            expect(maps.map((m) => m.inputs.data.team).sort()).toEqual(teams);
            for (const m of maps) {
                expect(m.inputs.metadata.namespace).toBe(`team-${m.inputs.data.team}`);
                expect(JSON.parse(m.inputs.data.objectStore).prefix).toBe(
                    `teams/${m.inputs.data.team}/`,
                );
                expect(
                    keysOf(m.inputs.data).filter((k) =>
                        /password|secret|token|accesskey|credential/i.test(k),
                    ),
                ).toEqual([]);
                // Plain strings all: no secret value went in.
                expect(Object.values(m.inputs.data).every((v) => typeof v === "string")).toBe(true);
            }
        },
    );

    it.each(["team-vision", "team-nlp"])(
        "%s: its plan reads its own mlops-team and registers no StackReference",
        (stack) => {
            const plan = planOf(stack);
            const team = stack.replace("team-", "");
            expect(plan.reads).toEqual([
                { type: CONFIGMAP, name: `${team}-facts`, id: `${stack}/mlops-team` },
            ]);
            expect(plan.resources.map((r) => r.type)).not.toContain("pulumi:pulumi:StackReference");
        },
    );
});

describe("which platform a team stack's plan stands on", () => {
    const team = (name: string) => parseConfig({ kind: "team", teams: [{ name }] });

    it("the one platform config that declares the team with stack: true", () => {
        const file = `${ROOT}/Pulumi.team-vision.yaml`;
        expect(platformFileFor(team("vision"), file)).toBe(`${ROOT}/Pulumi.dev.yaml`);
        expect(platformFileFor(team("vision"), file, "gcp")).toBe(`${ROOT}/Pulumi.gcp.yaml`);
    });

    it("a team no platform config declares: the missing-team message", () => {
        const file = writeStackConfig("team-robotics", "config:\n  mlops:kind: team\n");
        expect(() => platformFileFor(team("robotics"), file)).toThrow(
            missingIdentityMessage("robotics"),
        );
    });
});

describe("a platform team's egress allow-list", () => {
    const egress = (cidr: string, ports: unknown = [443]) =>
        configProblems({ teams: [{ name: "vision", egress: [{ cidr, ports }] }] });

    it("accepts addresses a team needs", () => {
        expect(egress("203.0.113.0/24")).toEqual([]);
        expect(egress("10.0.0.0/8", [5432, 443])).toEqual([]);
        expect(egress("2001:db8::/32")).toEqual([]);
    });

    it.each([
        [
            "0.0.0.0/0",
            "must be at most a /8 wide: a team's egress is the addresses it needs, not the internet",
        ],
        [
            "::/0",
            "must be at most a /16 wide: a team's egress is the addresses it needs, not the internet",
        ],
        [
            "0.0.0.0/1",
            "must be at most a /8 wide: a team's egress is the addresses it needs, not the internet",
        ],
        ["203.0.113.5/24", "has host bits set: write the network address"],
        ["256.0.0.0/8", "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32"],
        ["10.0.0.0/33", "the prefix must be at most /32"],
        ["example.com", "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32"],
    ])("refuses %s", (cidr, why) => {
        expect(egress(cidr)).toEqual([`mlops:teams[0].egress[0].cidr: got "${cidr}"; ${why}`]);
    });

    it("refuses ports outside 1 to 65535 and an empty list", () => {
        expect(egress("203.0.113.0/24", [0])).toEqual([
            "mlops:teams[0].egress[0].ports[0]: got 0; must be a port from 1 to 65535",
        ]);
        expect(egress("203.0.113.0/24", [])).toEqual([
            "mlops:teams[0].egress[0].ports: got []; must list at least one port",
        ]);
    });

    it("cidrProblem reads IPv4 and IPv6", () => {
        expect(cidrProblem("192.168.0.0/16")).toBeUndefined();
        expect(cidrProblem("fd00::/8")).toBeUndefined();
        expect(cidrProblem("fd00::1/8")).toBe("has host bits set: write the network address");
        expect(cidrProblem("1:2:3:4:5:6:7:8:9/64")).toBe(
            "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32",
        );
    });
});
