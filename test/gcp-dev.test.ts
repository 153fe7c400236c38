/**
 * The GCP development profile (Pulumi.gcp-dev.yaml): idles under $200 a month, plans clean, and
 * its keys are honoured on gcp and refused elsewhere. The production example keeps its estimate.
 * The plan is the test run's one plan of the stack (`npm run plan -- --stack gcp-dev --json`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { loadConfig } from "../stacks/config";
import { estimateCost } from "../tools/plan/cost";
import { readStackConfig } from "../tools/plan/stack-config";
import { configProblems, SSO } from "./support/fixtures";
import { shippedStackPlan } from "./support/plan";

const ROOT = path.resolve(__dirname, "..");
const stackFile = (name: string) => path.join(ROOT, `Pulumi.${name}.yaml`);
const configOf = (name: string) => loadConfig(readStackConfig(stackFile(name)).config);

interface PlanDoc {
    resources: { type: string; name: string; inputs: any }[];
    outputs: Record<string, unknown>;
    policies: unknown[];
    schema: unknown[];
    schemaUnchecked: Record<string, number>;
}
let plan: PlanDoc;
beforeAll(() => {
    const run = shippedStackPlan("gcp-dev");
    if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr}`);
    plan = JSON.parse(run.stdout) as PlanDoc;
});

describe("idle cost", () => {
    it("is under $200 a month, line by line", () => {
        const c = estimateCost(configOf("gcp-dev"));
        expect(c.lines.map((l) => [l.item, l.idleOnDemand])).toEqual([
            ["control plane (zonal)", 0],
            ["system pool (e2-standard-4)", 97.82],
            ["GPU pool l4 (g2-standard-8, nvidia-l4, spot)", 0],
            ["database (db-f1-micro)", 7.67],
            ["shared filesystem (in-cluster NFS, 50 GiB disk)", 5],
            ["NAT gateway", 32.12],
            ["load balancer", 18.25],
        ]);
        expect(c.total.idleOnDemand).toBe(160.86);
        expect(c.total.idleOnDemand).toBeLessThan(200);
        expect(c.unpriced).toEqual([]);
        expect(c.lines[0].note).toBe(
            "the GKE free tier's $74.40 monthly credit per billing account covers one zonal cluster; another costs $73.00",
        );
    });

    it("leaves the production example as it was: regional, Filestore, $436.38 idle", () => {
        const c = estimateCost(configOf("gcp"));
        expect(c.total.idleOnDemand).toBe(436.38);
        expect(c.lines.map((l) => l.item)).toContain("shared filesystem (1024 GiB)");
        expect(c.lines.map((l) => l.item)).toContain("control plane");
        const prod = yaml.load(fs.readFileSync(stackFile("gcp"), "utf8")) as {
            config: Record<string, any>;
        };
        expect(prod.config["mlops:cluster"].gcp.zone).toBeUndefined();
        expect(prod.config["mlops:storage"].sharedFilesystem.inCluster).toBeUndefined();
        expect(prod.config["mlops:database"].tier).toBe("db-custom-1-3840");
    });
});

describe("the plan", () => {
    const byType = (type: string) =>
        plan.resources.filter((r) => r.type === type).map((r) => r.inputs);

    it("is clean but for the dev profile's warnings on its basic auth, no invalid object", () => {
        // routing.auth.mode basic (dev only): sso-on-every-route, advisory in dev, names the
        // missing proxy, each basic-auth Middleware, and each route without forwardAuth.
        const urn = (type: string, name: string) =>
            `urn:pulumi:gcp-dev::mlops-platform::mlops:routing:ExposedService$kubernetes:traefik.io/v1alpha1:${type}::${name}`;
        const sso = (message: string, at = "") => ({
            policy: "sso-on-every-route",
            level: "advisory",
            message,
            urn: at,
        });
        expect(plan.policies).toEqual([
            sso(
                "no oauth2-proxy release: routes are not behind single sign-on (routing.auth.mode oidc)",
            ),
            ...[
                "traefik-dashboard",
                "mlflow",
                "feast",
                "monitoring-grafana",
                "tracking-research",
                "feast-research",
            ].map((route) =>
                sso(
                    `Middleware 'mlops-dev-${route}-auth' is basic auth: one shared password, no user`,
                    urn("Middleware", `mlops-dev-${route}-auth`),
                ),
            ),
            ...[
                ["argo", "argo"],
                ["traefik", "traefik-dashboard"],
                ["mlflow", "mlflow"],
                ["features", "feast"],
                ["grafana", "monitoring-grafana"],
                ["mlflow-research", "tracking-research"],
                ["feast-research", "feast-research"],
            ].map(([host, route]) =>
                sso(
                    `route 'Host(\`${host}.ml-dev.example.com\`)' is not behind single sign-on`,
                    urn("IngressRoute", `mlops-dev-${route}`),
                ),
            ),
        ]);
        expect(plan.schema).toEqual([]);
        // Not vacuous: the objects were checked, and only kinds without a published model were not.
        expect(plan.resources.length).toBeGreaterThan(100);
        expect(
            Object.keys(plan.schemaUnchecked).every((t) =>
                /serving\.kserve\.io|machinelearning\.seldon|monitoring\.coreos\.com/.test(t),
            ),
        ).toBe(true);
    });

    it("puts a generated password on each route (mode basic), secret in the plan and the outputs", () => {
        expect(plan.outputs.auth).toEqual({ mode: "basic" });
        expect(Object.keys(plan.outputs)).not.toContain("logins");
        expect(byType("mlops:identity:OAuth2Proxy")).toEqual([]);
        expect(byType("mlops:identity:Dex")).toEqual([]);
        // Every route's password is in credentials; the dashboard's output holds its own.
        expect(plan.outputs.credentials).toBe("[secret]");
        expect(plan.outputs.dashboard).toBe("[secret]");
        const htpasswd = plan.resources.filter(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("-auth"),
        );
        expect(htpasswd.map((r) => r.name).sort()).toEqual([
            "mlops-dev-feast-auth",
            "mlops-dev-feast-research-auth",
            "mlops-dev-mlflow-auth",
            "mlops-dev-monitoring-grafana-auth",
            "mlops-dev-tracking-research-auth",
            "mlops-dev-traefik-dashboard-auth",
        ]);
        for (const r of htpasswd) expect(r.inputs.stringData).toBe("[secret]");
        expect(JSON.stringify(plan)).not.toContain("mock-password");
    });

    it("makes a zonal cluster: the cluster and every node pool in the zone", () => {
        const [cluster] = byType("gcp:container/cluster:Cluster");
        expect(cluster.location).toBe("us-central1-a");
        const pools = byType("gcp:container/nodePool:NodePool");
        expect(pools.map((p) => p.location)).toEqual(["us-central1-a", "us-central1-a"]);
        // The network stays regional.
        expect(byType("gcp:compute/subnetwork:Subnetwork").map((s) => s.region)).toEqual([
            "us-central1",
        ]);
    });

    it("runs the NFS server in the cluster instead of Filestore", () => {
        expect(
            byType("kubernetes:storage.k8s.io/v1:StorageClass").filter(
                (s) => s.provisioner === "filestore.csi.storage.gke.io",
            ),
        ).toEqual([]);
        const [nfs] = byType("kubernetes:helm.sh/v3:Release").filter(
            (r) => r.chart === "nfs-server-provisioner",
        );
        expect(nfs.values.persistence).toMatchObject({
            enabled: true,
            size: "50Gi",
            storageClass: "standard-rwo",
        });
    });

    it("uses the shared-core Cloud SQL tier, in the Enterprise edition that offers it", () => {
        const [instance] = byType("gcp:sql/databaseInstance:DatabaseInstance");
        expect(instance.settings).toMatchObject({
            tier: "db-f1-micro",
            edition: "ENTERPRISE",
            availabilityType: "ZONAL",
        });
        expect(instance.databaseVersion).toBe("POSTGRES_17");
    });
});

describe("why the edition is set: the provider documents the API's default", () => {
    it("POSTGRES_16 and later default to Enterprise Plus, which refuses custom and shared-core tiers", () => {
        const types = fs.readFileSync(
            path.join(ROOT, "node_modules", "@pulumi", "gcp", "types", "input.d.ts"),
            "utf8",
        );
        // The `edition` field's doc comment, its lines joined.
        const at = types.indexOf("The edition of the instance, can be `ENTERPRISE` or");
        expect(at).toBeGreaterThan(0);
        const doc = types
            .slice(at, types.indexOf("*/", at))
            .replace(/\n\s*\*\s?/g, " ")
            .replace(/\s+/g, " ");
        expect(doc).toContain(
            "instances with `databaseVersion` `POSTGRES_16` or later default to `ENTERPRISE_PLUS`",
        );
        expect(doc).toContain(
            'shared-core and custom tiers such as `db-g1-small`, `db-f1-micro`, and `db-custom-*` require `edition = "ENTERPRISE"`',
        );
    });
});

describe("the profile's keys", () => {
    const gcp = {
        cloud: "gcp",
        cluster: { gcp: { project: "my-project", region: "us-central1" } },
        routing: SSO,
    };

    it("accepts a zone of the region, refuses another region's or a malformed one", () => {
        const zoned = (zone: string) => ({
            ...gcp,
            cluster: { gcp: { project: "my-project", region: "us-central1", zone } },
        });
        expect(configProblems(zoned("us-central1-a"))).toEqual([]);
        expect(configProblems(zoned("europe-west1-b"))).toEqual([
            'mlops:cluster.gcp.zone: got "europe-west1-b"; must be a zone of region us-central1 (us-central1-a, -b, ...)',
        ]);
        expect(configProblems(zoned("us-central1"))).toEqual([
            'mlops:cluster.gcp.zone: got "us-central1"; must be a GCP zone such as us-central1-a',
        ]);
    });

    it("honours sharedFilesystem.inCluster and its size on gcp", () => {
        expect(
            configProblems({
                ...gcp,
                storage: { sharedFilesystem: { inCluster: true, size: "100Gi" } },
            }),
        ).toEqual([]);
    });

    it("refuses sharedFilesystem.inCluster elsewhere, and a Filestore tier beside it", () => {
        expect(configProblems({ storage: { sharedFilesystem: { inCluster: true } } })).toEqual([
            "mlops:storage.sharedFilesystem.inCluster: got true; not used when mlops:cloud is local (it replaces Filestore; the local target always runs its NFS server in the cluster); it applies to mlops:cloud gcp: remove it",
        ]);
        expect(
            configProblems({
                ...gcp,
                storage: { sharedFilesystem: { inCluster: true, tier: "BASIC_SSD" } },
            }),
        ).toEqual([
            'mlops:storage.sharedFilesystem.tier: got "BASIC_SSD"; not used with sharedFilesystem.inCluster: true (it is a Filestore tier; the in-cluster NFS server runs on a persistent disk): remove it',
        ]);
        expect(
            configProblems({
                ...gcp,
                storage: { sharedFilesystem: { enabled: false, inCluster: true } },
            }),
        ).toEqual([
            "mlops:storage.sharedFilesystem.inCluster: got true; the shared filesystem is off (enabled: false): remove it or turn the filesystem on",
        ]);
    });

    it("still refuses the size on gcp with Filestore", () => {
        expect(
            configProblems({ ...gcp, storage: { sharedFilesystem: { size: "100Gi" } } }),
        ).toEqual([
            expect.stringMatching(
                /^mlops:storage\.sharedFilesystem\.size: got "100Gi"; not used when mlops:cloud is gcp /,
            ),
        ]);
    });

    it("takes the Enterprise edition's tiers only", () => {
        for (const tier of ["db-f1-micro", "db-g1-small", "db-custom-2-7680"])
            expect(configProblems({ ...gcp, database: { tier } })).toEqual([]);
        expect(configProblems({ ...gcp, database: { tier: "db-perf-optimized-N-2" } })).toEqual([
            'mlops:database.tier: got "db-perf-optimized-N-2"; must be a Cloud SQL Enterprise tier: db-custom-<vCPUs>-<MiB> (e.g. db-custom-1-3840), db-f1-micro or db-g1-small',
        ]);
    });
});
