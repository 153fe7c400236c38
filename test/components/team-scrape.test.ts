/**
 * Prometheus scraping the teams' own servers (TeamScrapes), child by child, and how the platform
 * derives it from the team servers' endpoints (MlopsPlatform with two inline teams).
 */
import { ExistingCluster } from "../../components/cluster/existing";
import { ServiceEndpoint } from "../../components/endpoint";
import {
    TeamScrapes,
    teamPodMonitorName,
    teamScrapePolicyName,
} from "../../components/observability/team-scrape";
import { MlopsPlatform, MlopsPlatformArgs } from "../../components/platform/mlops-platform";
import { TEAM_MEMBER_RULES } from "../../components/rbac";
import { platformArgs } from "../support/fixtures";
import { at, childList, record, settled } from "../support/harness";

const TEAM_QUOTA = { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 20 };
const PODMONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const SCRAPERS = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mon" } },
    podSelector: { matchLabels: { "mlops.dev/scraper": "prometheus" } },
};
const pods = (name: string) => ({
    matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name },
});
const MLFLOW: ServiceEndpoint = {
    name: "mlflow",
    pods: pods("mlflow"),
    ports: [5000],
    callers: { router: true },
    metrics: { port: 5000 },
};
const FEAST: ServiceEndpoint = {
    name: "feast",
    pods: pods("feast"),
    ports: [6566],
    callers: { router: true },
    metrics: { port: 8000, path: "/prom" },
};

describe("TeamScrapes", () => {
    async function build(endpoints: ServiceEndpoint[]) {
        const rec = record();
        const scrapes = new TeamScrapes("s-a", {
            team: "a",
            endpoints,
            monitoringNamespace: "mon",
            scrapers: SCRAPERS,
        });
        await settled();
        return { rec, scrapes };
    }

    it("creates a PodMonitor and a scrape rule per endpoint with metrics, and nothing else", async () => {
        const unscraped: ServiceEndpoint = { ...MLFLOW, name: "quiet", metrics: undefined };
        const { rec } = await build([MLFLOW, unscraped, FEAST]);
        const [component] = rec.ofType(TeamScrapes.__pulumiType);
        expect(childList(rec, component)).toEqual([
            `${PODMONITOR} s-a-feast`,
            `${PODMONITOR} s-a-mlflow`,
            `${NETPOL} s-a-feast`,
            `${NETPOL} s-a-mlflow`,
        ]);
    });

    it("puts the PodMonitors beside the platform's, selecting the team's namespace, labels kept", async () => {
        const { rec } = await build([MLFLOW, FEAST]);
        expect(rec.get(PODMONITOR, "s-a-mlflow").inputs).toEqual({
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: {
                name: "team-a-mlflow",
                namespace: "mon",
                labels: { release: "kube-prometheus-stack" },
            },
            spec: {
                namespaceSelector: { matchNames: ["team-a"] },
                selector: pods("mlflow"),
                podMetricsEndpoints: [{ portNumber: 5000, path: "/metrics", honorLabels: false }],
            },
        });
        expect(at(rec.get(PODMONITOR, "s-a-feast"), "spec")).toEqual({
            namespaceSelector: { matchNames: ["team-a"] },
            selector: pods("feast"),
            podMetricsEndpoints: [{ portNumber: 8000, path: "/prom", honorLabels: false }],
        });
    });

    it("admits Prometheus's pods alone, to each endpoint's pods, on its metrics port alone", async () => {
        const { rec } = await build([MLFLOW, FEAST]);
        expect(rec.get(NETPOL, "s-a-mlflow").inputs).toEqual({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: {
                name: "allow-scrape-mlflow",
                namespace: "team-a",
                labels: { "mlops.dev/team": "a" },
            },
            spec: {
                podSelector: pods("mlflow"),
                policyTypes: ["Ingress"],
                ingress: [{ from: [SCRAPERS], ports: [{ protocol: "TCP", port: 5000 }] }],
            },
        });
        expect(at(rec.get(NETPOL, "s-a-feast"), "spec")).toEqual({
            podSelector: pods("feast"),
            policyTypes: ["Ingress"],
            ingress: [{ from: [SCRAPERS], ports: [{ protocol: "TCP", port: 8000 }] }],
        });
    });

    it("refuses two endpoints of one name", () => {
        record();
        expect(
            () =>
                new TeamScrapes("s-b", {
                    team: "b",
                    endpoints: [MLFLOW, { ...FEAST, name: "mlflow" }],
                    monitoringNamespace: "mon",
                    scrapers: SCRAPERS,
                }),
        ).toThrow(
            "TeamScrapes s-b: two endpoints of team b are named mlflow; each needs its own PodMonitor and policy name",
        );
    });

    it("names monitors by team and endpoint, and rules by endpoint", () => {
        expect(teamPodMonitorName("nlp", "feast")).toBe("team-nlp-feast");
        expect(teamScrapePolicyName("feast")).toBe("allow-scrape-feast");
    });
});

describe("the platform's scrapes of its teams' servers", () => {
    async function platform(over: Partial<MlopsPlatformArgs> = {}) {
        const rec = record();
        const cluster = new ExistingCluster("c", {});
        const p = new MlopsPlatform(
            "p",
            platformArgs(cluster, {
                teams: [
                    { name: "vision", members: ["group:ml-vision"], quota: TEAM_QUOTA },
                    { name: "nlp", members: ["group:ml-nlp"], quota: TEAM_QUOTA },
                ],
                ...over,
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        return { rec, p };
    }

    it("derives each team's scrapes from its tracking and feature servers' endpoints", async () => {
        const { rec, p } = await platform();
        for (const team of ["vision", "nlp"]) {
            expect(p.teamTracking[team].serviceEndpoint).toEqual({
                name: "mlflow",
                pods: pods("mlflow"),
                ports: [5000],
                callers: { router: true },
                metrics: { port: 5000 },
            });
            expect(p.teamFeatureStores[team].serviceEndpoint).toEqual({
                name: "feast",
                pods: pods("feast"),
                ports: [6566],
                callers: { router: true },
                metrics: { port: 8000 },
            });
        }
        const scrapes = rec.ofType(TeamScrapes.__pulumiType);
        expect(scrapes.map((s) => [s.name, s.parent])).toEqual([
            ["p-scrape-vision", rec.ofType(MlopsPlatform.__pulumiType)[0].urn],
            ["p-scrape-nlp", rec.ofType(MlopsPlatform.__pulumiType)[0].urn],
        ]);
        const release = rec
            .ofType("kubernetes:helm.sh/v3:Release")
            .find((r) => r.name === "p-monitoring")!;
        for (const s of scrapes) expect(s.dependsOn).toContain(release.urn);
        const team = rec.ofType(PODMONITOR).filter((m) => m.name.startsWith("p-scrape-"));
        expect(
            team.map((m) => [
                at(m, "metadata", "name"),
                at(m, "metadata", "namespace"),
                at(m, "spec", "namespaceSelector"),
                at(m, "spec", "podMetricsEndpoints"),
            ]),
        ).toEqual([
            [
                "team-vision-mlflow",
                "mlops-monitoring",
                { matchNames: ["team-vision"] },
                [{ portNumber: 5000, path: "/metrics", honorLabels: false }],
            ],
            [
                "team-vision-feast",
                "mlops-monitoring",
                { matchNames: ["team-vision"] },
                [{ portNumber: 8000, path: "/metrics", honorLabels: false }],
            ],
            [
                "team-nlp-mlflow",
                "mlops-monitoring",
                { matchNames: ["team-nlp"] },
                [{ portNumber: 5000, path: "/metrics", honorLabels: false }],
            ],
            [
                "team-nlp-feast",
                "mlops-monitoring",
                { matchNames: ["team-nlp"] },
                [{ portNumber: 8000, path: "/metrics", honorLabels: false }],
            ],
        ]);
    });

    it("scrapes only the team servers that run", async () => {
        const { rec } = await platform({ featureStore: { enabled: false } });
        expect(
            rec
                .ofType(PODMONITOR)
                .filter((m) => m.name.startsWith("p-scrape-"))
                .map((m) => at(m, "metadata", "name")),
        ).toEqual(["team-vision-mlflow", "team-nlp-mlflow"]);
    });

    it("scrapes no team server, and opens nothing, without monitoring", async () => {
        const { rec } = await platform({ observability: { enabled: false } });
        expect(rec.ofType(TeamScrapes.__pulumiType)).toEqual([]);
        expect(
            rec
                .ofType(NETPOL)
                .map((n) => at(n, "metadata", "name") as string)
                .filter((n) => n.startsWith("allow-scrape-")),
        ).toEqual([]);
    });
});

describe("the members' role", () => {
    it("grants nothing on monitoring.coreos.com: members cannot create a PodMonitor", () => {
        const groups = TEAM_MEMBER_RULES.flatMap((r) => r.apiGroups as string[]);
        expect(groups).not.toContain("monitoring.coreos.com");
        expect(groups).not.toContain("*");
        expect(TEAM_MEMBER_RULES.flatMap((r) => r.resources as string[])).not.toContain("*");
    });
});
