/**
 * Cost actuals: OpenCost from its chart, priced with the plan's own table (monthly, as OpenCost
 * reads its custom pricing), each team's quota at full use in the plan's estimate, and the
 * `cost:actuals` report that holds OpenCost's allocation against it.
 */
import * as http from "node:http";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { OpenCost, openCostCostModel } from "../components/observability/opencost";
import { gpuHourlyPrice, unitPrices } from "../components/prices";
import { charts } from "../components/versions";
import { loadConfig } from "../stacks/config";
import { estimateCost, stackGpuPrice, teamCosts } from "../tools/plan/cost";
import {
    allocationsOf,
    allocationUrl,
    assetsUrl,
    nodePoolsOf,
    poolActuals,
    renderActuals,
    renderPoolActuals,
    teamActuals,
} from "../tools/plan/actuals";
import { readStackConfig } from "../tools/plan/stack-config";
import { at, childList, record, settled } from "./support/harness";

const ROOT = path.resolve(__dirname, "..");
const configOf = (stack: string) =>
    loadConfig(readStackConfig(path.join(ROOT, `Pulumi.${stack}.yaml`)).config);

describe("OpenCost's prices", () => {
    it("are the table's unit prices at a month's rate (OpenCost divides them by 730)", () => {
        expect(openCostCostModel({ ...unitPrices.gcp, gpu: 0.35 })).toEqual({
            description: "The platform's dated price table (components/prices.ts), monthly",
            CPU: "15.922030",
            spotCPU: "4.776390",
            RAM: "2.133790",
            spotRAM: "0.640210",
            GPU: "255.500000",
            storage: "0.100000",
        });
    });

    it("price e2-standard-4 and m6i.large at their listed machine prices", () => {
        const g = unitPrices.gcp;
        expect(Math.round((4 * g.cpu + 16 * g.memoryGiB) * 1000) / 1000).toBe(0.134);
        const a = unitPrices.aws;
        expect(Math.round((2 * a.cpu + 8 * a.memoryGiB) * 1000) / 1000).toBe(0.096);
        expect(Math.round((2 * a.spotCpu + 8 * a.spotMemoryGiB) * 1000) / 1000).toBe(0.04);
    });

    it("price a GPU as its attached list price, or its machine less the machine's CPUs and memory", () => {
        expect(gpuHourlyPrice("gcp", { gpuType: "nvidia-tesla-t4", gpusPerNode: 1 })).toBe(0.35);
        // g6.xlarge: $0.805 less 4 vCPUs and 16 GiB at the aws unit prices.
        expect(
            gpuHourlyPrice("aws", {
                gpuType: "nvidia-l4",
                gpusPerNode: 1,
                machineType: "g6.xlarge",
            }),
        ).toBeCloseTo(0.805 - 4 * 0.031248 - 16 * 0.004188, 6);
        // An existing cluster's GPUs have no machine, so no price.
        expect(gpuHourlyPrice("local", { gpuType: "nvidia-l4", gpusPerNode: 1 })).toBeUndefined();
        // An unknown machine: no price rather than a guess.
        expect(
            gpuHourlyPrice("aws", {
                gpuType: "nvidia-l4",
                gpusPerNode: 1,
                machineType: "g6.48xlarge",
            }),
        ).toBeUndefined();
    });

    it("weights the stack's GPU pools by their GPUs at maximum scale", () => {
        const aws = configOf("aws");
        const l4 = gpuHourlyPrice("aws", {
            gpuType: "nvidia-l4",
            gpusPerNode: 1,
            machineType: "g6.xlarge",
        })!;
        const a100 = gpuHourlyPrice("aws", {
            gpuType: "nvidia-a100",
            gpusPerNode: 8,
            machineType: "p4d.24xlarge",
        })!;
        expect(stackGpuPrice(aws)).toBeCloseTo((4 * l4 + 8 * a100) / 12, 9);
        expect(stackGpuPrice(configOf("dev"))).toBeUndefined();
    });
});

describe("the plan's team estimate", () => {
    it("prices each team's quota at full use, monthly", () => {
        expect(teamCosts(configOf("aws"))).toEqual([
            { team: "vision", cpu: 32, memoryGiB: 128, gpu: 4, storageGiB: 100, monthly: 7796.03 },
            { team: "nlp", cpu: 32, memoryGiB: 128, gpu: 2, storageGiB: 100, monthly: 4462.66 },
        ]);
        expect(estimateCost(configOf("aws")).teams).toHaveLength(2);
        // A team stack's quota is the platform's to price.
        expect(estimateCost(configOf("team-nlp")).teams).toEqual([]);
    });

    it("leaves a GPU quota unpriced where no pool has a price", () => {
        const config = loadConfig({
            "mlops:teams": JSON.stringify([
                { name: "a", quota: { cpu: "500m", memory: "512Mi", gpu: 1 } },
            ]),
            "mlops:cluster": JSON.stringify({
                gpuPools: [{ name: "l4", gpuType: "nvidia-l4", gpusPerNode: 1, maxNodes: 1 }],
            }),
        });
        expect(teamCosts(config)).toEqual([
            { team: "a", cpu: 0.5, memoryGiB: 0.5, gpu: 1, storageGiB: 100 },
        ]);
    });
});

describe("OpenCost", () => {
    it("installs its chart with the table's prices, the platform's Prometheus, no UI and no MCP server", async () => {
        const rec = record();
        const cost = new OpenCost("cost", {
            namespace: "mlops",
            clusterId: "mlops",
            prices: { ...unitPrices.aws, gpu: 1 },
            prometheus: {
                name: "prometheus-operated",
                namespace: "mlops",
                port: 9090,
                endpoint: "prometheus",
            },
        });
        await settled();
        expect(childList(rec, rec.get("mlops:observability:OpenCost", "cost"))).toEqual([
            "kubernetes:helm.sh/v3:Release cost",
        ]);
        const release = rec.get("kubernetes:helm.sh/v3:Release", "cost");
        expect(at(release, "chart")).toBe("opencost");
        expect(at(release, "version")).toBe(charts.opencost.version);
        expect(at(release, "name")).toBe("opencost");
        expect(at(release, "values", "opencost", "customPricing")).toEqual({
            enabled: true,
            provider: "custom",
            costModel: openCostCostModel({ ...unitPrices.aws, gpu: 1 }),
        });
        expect(at(release, "values", "opencost", "prometheus")).toEqual({
            internal: {
                enabled: true,
                serviceName: "prometheus-operated",
                namespaceName: "mlops",
                port: 9090,
            },
        });
        expect(at(release, "values", "opencost", "exporter", "image")).toEqual({
            registry: "ghcr.io",
            repository: "opencost/opencost",
            tag: "1.120.1",
        });
        expect(at(release, "values", "opencost", "mcp")).toEqual({ enabled: false });
        expect(at(release, "values", "opencost", "ui")).toEqual({ enabled: false });
        // No caller but Prometheus, which scrapes it; it calls Prometheus.
        expect(cost.serviceEndpoint).toEqual({
            name: "opencost",
            pods: {
                matchLabels: {
                    "app.kubernetes.io/name": "opencost",
                    "app.kubernetes.io/instance": "opencost",
                },
            },
            ports: [9003],
            callers: {},
            calls: [
                {
                    endpoint: "prometheus",
                    from: [
                        {
                            podSelector: {
                                matchLabels: {
                                    "app.kubernetes.io/name": "opencost",
                                    "app.kubernetes.io/instance": "opencost",
                                },
                            },
                        },
                    ],
                },
            ],
            metrics: { port: 9003, path: "/metrics" },
        });
    });
});

/** An `/allocation` answer in OpenCost's JSON (core/pkg/opencost/allocation_json.go), abridged. */
const ANSWER = {
    code: 200,
    data: [
        {
            "team-vision": {
                name: "team-vision",
                minutes: 10080,
                cpuCost: 40,
                gpuCost: 300,
                ramCost: 10,
                pvCost: 2,
                totalCost: 352,
            },
            mlops: {
                name: "mlops",
                minutes: 10080,
                cpuCost: 5,
                gpuCost: 0,
                ramCost: 2,
                pvCost: 1,
                totalCost: 8,
            },
        },
    ],
};

/**
 * An `/assets` answer in OpenCost's JSON (core/pkg/opencost/asset_json.go, Node.MarshalJSON),
 * abridged: node labels as OpenCost keeps them, the `label_` prefix removed.
 */
const WEEK = { start: "2026-11-30T00:00:00Z", end: "2026-12-07T00:00:00Z" };
const ASSETS = {
    code: 200,
    data: {
        "aws/ip-10-0-1-1": {
            type: "Node",
            properties: { name: "ip-10-0-1-1" },
            labels: { mlops_dev_pool: "system" },
            window: WEEK,
            minutes: 10080,
            gpuCost: 0,
            totalCost: 30,
        },
        "aws/ip-10-0-1-2": {
            type: "Node",
            properties: { name: "ip-10-0-1-2" },
            labels: { mlops_dev_pool: "system" },
            window: WEEK,
            minutes: 5040,
            gpuCost: 0,
            totalCost: 15,
        },
        "aws/ip-10-0-2-1": {
            type: "Node",
            properties: { name: "ip-10-0-2-1" },
            labels: { mlops_dev_gpu_pool: "l4" },
            window: WEEK,
            minutes: 2520,
            gpuCost: 15,
            totalCost: 20,
        },
        "aws/pvc-1": { type: "Disk", properties: { name: "pvc-1" }, window: WEEK, totalCost: 3 },
    },
};

describe("cost:actuals", () => {
    it("asks OpenCost per namespace, the window in one set", () => {
        expect(allocationUrl("http://localhost:9003", "7d")).toBe(
            "http://localhost:9003/allocation?window=7d&aggregate=namespace&accumulate=true",
        );
    });

    it("holds each team's allocation against its quota at full use", () => {
        const rows = teamActuals(configOf("aws"), allocationsOf(ANSWER));
        expect(rows).toEqual([
            {
                team: "vision",
                namespace: "team-vision",
                estimate: 7796.03,
                window: { minutes: 10080, cost: 352, gpuCost: 300 },
                // A week's cost at a month's rate: 352 × 730 h / 168 h.
                monthlyRate: 1529.52,
            },
            { team: "nlp", namespace: "team-nlp", estimate: 4462.66 },
        ]);
        expect(renderActuals(rows, "7d").split("\n")).toEqual([
            "team    quota at full use    actual (7d)  of which GPU  monthly rate  of quota",
            "vision           $7796.03        $352.00       $300.00      $1529.52       20%",
            "nlp              $4462.66  no allocation             -             -         -",
        ]);
    });

    it("asks OpenCost for the window's assets", () => {
        expect(assetsUrl("http://localhost:9003/", "24h")).toBe(
            "http://localhost:9003/assets?window=24h",
        );
    });

    it("holds each pool's nodes, by their mlops.dev/gpu-pool label, against its size range", () => {
        const pools = nodePoolsOf(ASSETS);
        expect([...pools.keys()]).toEqual(["system", "l4"]);
        // The l4 node ran a quarter of the week: the monthly rate is over the week, not its life.
        expect(pools.get("l4")).toEqual({
            nodes: 1,
            nodeMinutes: 2520,
            cost: 20,
            gpuCost: 15,
            minutes: 10080,
        });
        const rows = poolActuals(configOf("aws"), pools);
        expect(
            rows.map((r) => [r.pool, r.minimum, r.maximum, r.monthlyRate, r.averageNodes]),
        ).toEqual([
            // m6i.xlarge $0.192/h: 1 and 3 nodes; 45 × 730 h / 168 h; 1.5 nodes on average.
            ["system", 140.16, 420.48, 195.54, 1.5],
            // g6.xlarge at spot, $0.32/h: 0 and 4 nodes.
            ["l4", 0, 934.4, 86.9, 0.3],
            ["a100", 0, 23922.1, undefined, undefined],
        ]);
        expect(renderPoolActuals(rows, "7d").split("\n")).toEqual([
            "pool                 at minimum  at maximum  actual (7d)  monthly rate  nodes on average",
            "system (m6i.xlarge)     $140.16     $420.48       $45.00       $195.54               1.5",
            "l4 (g6.xlarge)            $0.00     $934.40       $20.00        $86.90               0.3",
            "a100 (p4d.24xlarge)       $0.00   $23922.10     no nodes             -                 -",
        ]);
    });

    it("has no pool rows where the platform provisions no pool", () => {
        expect(poolActuals(configOf("onprem"), nodePoolsOf(ASSETS))).toEqual([]);
    });

    it("refuses an answer that is not OpenCost's", () => {
        expect(() => nodePoolsOf({ code: 500, message: "Error getting assets" })).toThrow(
            "OpenCost answered code 500: Error getting assets",
        );
        expect(() => allocationsOf({ code: 400, message: "Invalid 'window' parameter" })).toThrow(
            "OpenCost answered code 400: Invalid 'window' parameter",
        );
    });

    it("runs against a server that answers as OpenCost does", async () => {
        const asked: string[] = [];
        const server = http.createServer((req, res) => {
            asked.push(req.url ?? "");
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify(req.url?.startsWith("/assets") ? ASSETS : ANSWER));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as { port: number }).port;
        try {
            const run = await new Promise<{ code: number | null; out: string; err: string }>(
                (resolve) => {
                    const child = spawn(
                        process.execPath,
                        [
                            require.resolve("tsx/cli"),
                            "tools/plan/actuals.ts",
                            "--stack",
                            "aws",
                            "--opencost",
                            `http://127.0.0.1:${port}`,
                        ],
                        { cwd: ROOT },
                    );
                    let out = "";
                    let err = "";
                    child.stdout.on("data", (d) => (out += d));
                    child.stderr.on("data", (d) => (err += d));
                    child.on("close", (code) => resolve({ code, out, err }));
                },
            );
            expect(run.err).toBe("");
            expect(run.code).toBe(0);
            expect(asked).toEqual([
                "/allocation?window=7d&aggregate=namespace&accumulate=true",
                "/assets?window=7d",
            ]);
            expect(run.out).toContain("vision           $7796.03        $352.00       $300.00");
            expect(run.out).toContain(
                "system (m6i.xlarge)     $140.16     $420.48       $45.00       $195.54               1.5",
            );
        } finally {
            server.close();
        }
    }, 60_000);

    it("refuses a window that is not a duration, naming the flag and the value", async () => {
        const run = await new Promise<{ code: number | null; err: string }>((resolve) => {
            const child = spawn(
                process.execPath,
                [
                    require.resolve("tsx/cli"),
                    "tools/plan/actuals.ts",
                    "--stack",
                    "aws",
                    "--opencost",
                    "http://127.0.0.1:1",
                    "--window",
                    "week",
                ],
                { cwd: ROOT },
            );
            let err = "";
            child.stderr.on("data", (d) => (err += d));
            child.on("close", (code) => resolve({ code, err }));
        });
        expect(run.code).toBe(1);
        expect(run.err.split("\n")[0]).toBe(
            '--window: got "week"; must be a duration such as 24h or 7d',
        );
    }, 60_000);
});
