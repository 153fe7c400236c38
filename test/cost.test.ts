import { parseConfig } from "../stacks/config";
import { estimateCost, renderCost } from "../tools/plan/cost";
import { machinePrices, rdsPrices } from "../components/prices";
import { SSO } from "./support/fixtures";

const gke = (pools: object[], extra: object = {}) =>
    parseConfig({
        cloud: "gcp",
        cluster: { gcp: { project: "my-project", region: "us-central1" }, gpuPools: pools },
        routing: SSO,
        ...extra,
    });
const l4 = {
    name: "l4",
    gpuType: "nvidia-l4",
    machineType: "g2-standard-8",
    minNodes: 0,
    maxNodes: 4,
    spot: true,
};

describe("cost estimate", () => {
    it("shows $0 for an L4 pool at min 0 when idle, and its price at max scale", () => {
        const c = estimateCost(gke([l4]));
        const line = c.lines.find((l) => l.item.startsWith("GPU pool l4"))!;
        expect(line).toEqual({
            item: "GPU pool l4 (g2-standard-8, nvidia-l4, spot)",
            idleOnDemand: 0,
            idleSpot: 0,
            maxOnDemand: Math.round(0.854 * 4 * 730 * 100) / 100,
            maxSpot: Math.round(0.342 * 4 * 730 * 100) / 100,
        });
        expect(renderCost(c)).toMatch(
            /GPU pool l4 \(g2-standard-8, nvidia-l4, spot\)\s+\$0\.00\s+\$0\.00\s+\$2493\.68\s+\$998\.64/,
        );
    });

    it("prices control plane, system pool, database, filesystem, NAT and load balancer", () => {
        const c = estimateCost(gke([]));
        expect(c.lines.map((l) => [l.item, l.idleOnDemand, l.maxOnDemand])).toEqual([
            ["control plane", 73, 73],
            ["system pool (e2-standard-4)", 97.82, 293.46],
            ["database", 50.74, 50.74],
            ["shared filesystem (1024 GiB)", 164.45, 164.45],
            ["NAT gateway", 32.12, 32.12],
            ["load balancer", 18.25, 18.25],
        ]);
        expect(c.total.idleOnDemand).toBe(436.38);
        expect(c.source).toContain("2026-11-22");
    });

    const eks = (environment: string, extra: object = {}) =>
        parseConfig({
            cloud: "aws",
            environment,
            // prod refuses a self-signed certificate on public routes.
            routing:
                environment === "prod"
                    ? { ...SSO, tls: { mode: "acme", acme: { email: "ops@example.com" } } }
                    : SSO,
            cluster: {
                aws: { region: "us-east-1", accountId: "123456789012" },
                gpuPools: [
                    {
                        name: "a100",
                        gpuType: "nvidia-a100",
                        machineType: "p4d.24xlarge",
                        gpusPerNode: 8,
                        maxNodes: 1,
                    },
                ],
            },
            ...extra,
        });

    it("aws: EKS, the system group, RDS by class, EFS per GiB, NAT per zone in prod", () => {
        const prod = estimateCost(eks("prod"));
        expect(prod.lines.map((l) => [l.item, l.idleOnDemand, l.maxOnDemand])).toEqual([
            ["control plane", 73, 73],
            ["system pool (m6i.xlarge)", 140.16, 420.48],
            ["GPU pool a100 (p4d.24xlarge, nvidia-a100)", 0, 23922.1],
            // prod refuses burstable classes: its default is db.m7g.large.
            ["database (db.m7g.large, Multi-AZ)", 245.28, 245.28],
            ["shared filesystem (EFS)", 0, 0],
            ["NAT gateways (3)", 98.55, 98.55],
            ["load balancer", 16.43, 16.43],
        ]);
        expect(prod.lines.find((l) => l.item === "shared filesystem (EFS)")!.note).toBe(
            "billed per GiB stored, $0.30 per GiB-month; nothing when empty",
        );
        const dev = estimateCost(eks("dev", { database: { instanceClass: "db.t4g.micro" } }));
        expect(dev.lines.find((l) => l.item.startsWith("database"))).toMatchObject({
            item: "database (db.t4g.micro)",
            idleOnDemand: Math.round(rdsPrices["db.t4g.micro"] * 730 * 100) / 100,
        });
        expect(dev.lines.find((l) => l.item.startsWith("NAT"))).toMatchObject({
            item: "NAT gateway",
            idleOnDemand: 32.85,
        });
    });

    it("aws: lists an RDS class it has no price for", () => {
        const c = estimateCost(eks("dev", { database: { instanceClass: "db.x2g.16xlarge" } }));
        expect(c.unpriced).toEqual(["database class db.x2g.16xlarge"]);
        expect(c.lines.some((l) => l.item.startsWith("database"))).toBe(false);
    });

    it("adds attached GPUs to N1 machines, per GPU", () => {
        const t4 = {
            name: "t4",
            gpuType: "nvidia-tesla-t4",
            machineType: "n1-standard-8",
            gpusPerNode: 2,
            minNodes: 1,
            maxNodes: 1,
        };
        const line = estimateCost(gke([t4])).lines.find((l) => l.item.startsWith("GPU pool t4"))!;
        expect(line.idleOnDemand).toBe(Math.round((0.38 + 2 * 0.35) * 730 * 100) / 100);
    });

    it("lists a machine it has no price for instead of counting it as free", () => {
        const c = estimateCost(gke([{ ...l4, machineType: "g2-standard-96", gpusPerNode: 8 }]));
        expect(c.unpriced).toEqual([
            "GPU pool l4 (g2-standard-96, nvidia-l4, spot): no price for g2-standard-96",
        ]);
        expect(c.lines.some((l) => l.item.startsWith("GPU pool"))).toBe(false);
    });

    it("costs nothing for an existing cluster, and says why", () => {
        const c = estimateCost(parseConfig({}));
        expect(c.total).toEqual({ idleOnDemand: 0, idleSpot: 0, maxOnDemand: 0, maxSpot: 0 });
        expect(c.lines[0].note).toBe(
            "existing cluster: its nodes are not provisioned by the platform",
        );
    });

    it("never costs more idle than at max, nor more with spot than on demand (any pool sizes)", () => {
        const machines = Object.keys(machinePrices.gcp).filter((m) => m.startsWith("g2-"));
        let seed = 7;
        const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
        for (let i = 0; i < 200; i++) {
            const min = next(5);
            const pool = {
                ...l4,
                machineType: machines[next(machines.length)],
                minNodes: min,
                maxNodes: min + 1 + next(6),
            };
            const t = estimateCost(gke([pool])).total;
            expect(t.idleOnDemand).toBeLessThanOrEqual(t.maxOnDemand);
            expect(t.idleSpot).toBeLessThanOrEqual(t.idleOnDemand);
            expect(t.maxSpot).toBeLessThanOrEqual(t.maxOnDemand);
        }
    });
});
