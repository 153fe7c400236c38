/**
 * The platform owns quotas and identities: a team stack cannot set its team's fences, cannot
 * name a team the platform lacks, cannot ask more GPUs than the platform granted, and reads no
 * team's keys.
 */
import { cidrProblem } from "../../stacks/cidr";
import { TeamView, missingIdentityMessage, teamView } from "../../stacks/team";
import { parseConfig } from "../../stacks/config";
import { configProblems } from "../support/fixtures";

const PLATFORM = "organization/mlops-platform/dev";
const teamStack = (team: Record<string, unknown>) => ({
    kind: "team",
    platformStack: PLATFORM,
    teams: [{ name: "vision", ...team }],
});

describe("a team stack's config", () => {
    it.each([
        ["quota", { gpu: 1000 }, "its quota"],
        ["members", ["group:ml-nlp"], "its members"],
        ["egress", [{ cidr: "203.0.113.0/24", ports: [443] }], "its egress"],
    ])("refuses %s: the platform stack sets it", (key, value, what) => {
        expect(configProblems(teamStack({ [key]: value }))).toEqual([
            `mlops:teams[0].${key}: a team stack cannot set ${what}; set it in the platform stack ${PLATFORM}'s mlops:teams`,
        ]);
    });

    it("refuses stack: true, which belongs in the platform stack", () => {
        expect(configProblems(teamStack({ stack: true }))).toEqual([
            `mlops:teams[0].stack: got true; a team stack is its team's stack: remove it (stack: true belongs in the platform stack ${PLATFORM}'s mlops:teams)`,
        ]);
    });

    it("accepts its name and pipeline, whatever GPUs the pipeline asks (checked on the platform's quota)", () => {
        expect(configProblems(teamStack({ pipeline: { gpu: 2, parallelism: 3 } }))).toEqual([]);
    });

    it("a platform stack still checks the pipeline against the quota it sets", () => {
        expect(configProblems({ teams: [{ name: "vision", pipeline: { gpu: 1 } }] })).toEqual([
            "mlops:teams[0].pipeline.gpu: got 1; must be ≤ quota.gpu (0)",
        ]);
    });
});

describe("teamView: what a team stack takes from the platform's teams output", () => {
    const vision: TeamView = {
        namespace: "team-vision",
        runnerServiceAccount: "runner",
        trackingUrl: "http://mlops-mlflow.mlops.svc.cluster.local:5000",
        quota: { cpu: "8", memory: "32Gi", gpu: 1, storage: "100Gi", pods: 50 },
    };
    const config = (team: Record<string, unknown>) => parseConfig(teamStack(team)).teams[0];

    it("its own entry, and no other team's", () => {
        expect(
            teamView({ vision, nlp: { ...vision, namespace: "team-nlp" } }, config({}), PLATFORM),
        ).toBe(vision);
    });

    it("fails for a team the platform does not have", () => {
        expect(() => teamView({ nlp: vision }, config({}), PLATFORM)).toThrow(
            missingIdentityMessage("vision", PLATFORM),
        );
        expect(missingIdentityMessage("vision", PLATFORM)).toBe(
            `mlops:teams[0].name: got "vision"; the platform stack ${PLATFORM} has no such team and issues it no namespace, quota or identity: add {name: vision, stack: true, members, quota} to its mlops:teams`,
        );
    });

    it("fails for a pipeline over the GPU quota the platform granted", () => {
        expect(() => teamView({ vision }, config({ pipeline: { gpu: 2 } }), PLATFORM)).toThrow(
            `mlops:teams[0].pipeline.gpu: got 2; must be ≤ the team's GPU quota (1), which the platform stack ${PLATFORM} sets`,
        );
        expect(teamView({ vision }, config({ pipeline: { gpu: 1 } }), PLATFORM)).toBe(vision);
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
