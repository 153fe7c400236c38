/**
 * The AWS development profile (Pulumi.aws-dev.yaml): idles under $200 a month, plans clean, and
 * is a development stack in the ways that cost money (one NAT gateway, a single-AZ database,
 * two zones, a small system node group). The plan is the test run's one plan of the stack.
 */
import * as path from "node:path";
import { loadConfig } from "../stacks/config";
import { estimateCost } from "../tools/plan/cost";
import { readStackConfig } from "../tools/plan/stack-config";
import { shippedStackPlan } from "./support/plan";

const ROOT = path.resolve(__dirname, "..");
const config = () => loadConfig(readStackConfig(path.join(ROOT, "Pulumi.aws-dev.yaml")).config);

interface PlanDoc {
    resources: { type: string; name: string; inputs: any }[];
    outputs: Record<string, unknown>;
    policies: unknown[];
    schema: unknown[];
}
let plan: PlanDoc;
beforeAll(() => {
    const run = shippedStackPlan("aws-dev");
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    plan = JSON.parse(run.stdout) as PlanDoc;
});
const byType = (type: string) => plan.resources.filter((r) => r.type === type).map((r) => r.inputs);

describe("idle cost", () => {
    it("is under $200 a month, line by line", () => {
        const c = estimateCost(config());
        expect(c.lines.map((l) => [l.item, l.idleOnDemand])).toEqual([
            ["control plane", 73],
            ["system pool (t3.large)", 60.74],
            ["GPU pool l4 (g6.xlarge, nvidia-l4, spot)", 0],
            ["database (db.t4g.micro)", 11.68],
            ["shared filesystem (EFS)", 0],
            ["NAT gateway", 32.85],
            ["load balancer", 16.43],
        ]);
        expect(c.total.idleOnDemand).toBe(194.7);
        expect(c.total.idleOnDemand).toBeLessThan(200);
        expect(c.unpriced).toEqual([]);
    });

    it("is the production example's structure at a lower price: $573.42 there", () => {
        const prod = estimateCost(
            loadConfig(readStackConfig(path.join(ROOT, "Pulumi.aws.yaml")).config),
        );
        expect(prod.total.idleOnDemand).toBe(573.42);
        expect(prod.lines.map((l) => l.item)).toContain("NAT gateways (3)");
        expect(prod.lines.map((l) => l.item)).toContain("database (db.m7g.large, Multi-AZ)");
    });
});

describe("the plan", () => {
    it("is clean: no policy finding, no invalid object", () => {
        expect(plan.policies).toEqual([]);
        expect(plan.schema).toEqual([]);
        expect(plan.resources.length).toBeGreaterThan(100);
    });

    it("makes one NAT gateway for two zones", () => {
        expect(byType("aws:ec2/natGateway:NatGateway")).toHaveLength(1);
        expect(byType("aws:ec2/subnet:Subnet")).toHaveLength(4);
    });

    it("makes a single-AZ db.t4g.micro database", () => {
        const [db] = byType("aws:rds/instance:Instance");
        expect(db).toMatchObject({ instanceClass: "db.t4g.micro", multiAz: false });
    });

    it("makes a t3.large system node group of one to two nodes", () => {
        const groups = byType("aws:eks/nodeGroup:NodeGroup");
        const system = groups.find((g) => !g.taints?.length);
        expect(system.instanceTypes).toEqual(["t3.large"]);
        expect(system.scalingConfig).toMatchObject({ minSize: 1, maxSize: 2 });
    });
});
