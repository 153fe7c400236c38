import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { renderDir, shippedStackPlan } from "./support/plan";
import { RecordedResource, SecretValue, UnknownValue } from "../tools/plan/recorder";
import {
    apiVersionKindOf,
    HELM_RELEASES_FILE,
    plainValue,
    REDACTED,
    REDACTED_BASE64,
    renderObjects,
    UNKNOWN,
    writeRendering,
} from "../tools/plan/render";
import {
    AllowEntry,
    AllowlistError,
    Finding,
    findingsOf,
    globMatch,
    judge,
    parseAllowlist,
} from "../tools/kube-score-findings";

interface PlanDoc {
    resources: { urn: string; type: string; name: string; inputs: any }[];
}

describe("npm run plan -- --stack dev --render DIR", () => {
    // The jest run's one plan of dev, rendered into renderDir("dev") (test/support/plan.ts).
    const dir = renderDir("dev");
    const run = shippedStackPlan("dev");
    const doc = JSON.parse(run.stdout) as PlanDoc;
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
    const yamlFiles = files.filter((f) => f.endsWith(".yaml"));
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    const load = (f: string) => yaml.load(read(f)) as Record<string, any>;
    const objects = doc.resources.filter(
        (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"),
    );
    const releases = doc.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");

    it("exits 0 and says what it wrote", () => {
        expect(run.status).toBe(0);
        expect(run.stderr).toContain(
            `Rendered ${objects.length} Kubernetes objects into ${dir}; ${releases.length} Helm releases not rendered`,
        );
    });

    it("writes one file per Kubernetes object, and the list of Helm releases", () => {
        expect(objects.length).toBeGreaterThan(40);
        expect(yamlFiles).toHaveLength(objects.length);
        expect(files).toEqual([...yamlFiles, HELM_RELEASES_FILE].sort());
        // Each object's file is headed by its URN: every object is there exactly once.
        const urns = yamlFiles.map((f) => read(f).split("\n")[0].replace(/^# /, ""));
        expect(urns.sort()).toEqual(objects.map((r) => r.urn).sort());
    });

    it("renders a Deployment as the API server would get it", () => {
        const plan = objects.find(
            (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "mlops-mlflow",
        )!;
        const m = load("deployment.apps_mlops_mlops-mlflow.yaml");
        expect(m.apiVersion).toBe("apps/v1");
        expect(m.kind).toBe("Deployment");
        expect(m.metadata.name).toBe("mlops-mlflow");
        expect(m.metadata.namespace).toBe("mlops");
        expect(Object.keys(m)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
        expect(m.spec).toEqual(plan.inputs.spec);
        expect(m.spec.template.spec.containers[0].image).toMatch(/^ghcr\.io\/mlflow\/mlflow:v/);
    });

    it("maps core types to apiVersion v1 and keeps non-spec fields", () => {
        const ns = load("namespace_-_mlops.yaml");
        expect([ns.apiVersion, ns.kind, ns.metadata.name]).toEqual(["v1", "Namespace", "mlops"]);
        expect(ns.metadata.namespace).toBeUndefined();
        const binding = load("rolebinding.rbac.authorization.k8s.io_mlops_argo-workflow.yaml");
        expect(binding.apiVersion).toBe("rbac.authorization.k8s.io/v1");
        expect(binding.roleRef).toEqual({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "Role",
            name: "argo-workflow",
        });
    });

    it("redacts every value of every Secret, keeping the keys", () => {
        const secrets = yamlFiles.filter((f) => f.startsWith("secret_"));
        expect(secrets).toHaveLength(objects.filter((r) => r.type.endsWith(":Secret")).length);
        const pg = load("secret_mlops_mlops-postgres-credentials.yaml");
        expect(Object.keys(pg.stringData).sort()).toEqual([
            "database",
            "host",
            "password",
            "port",
            "uri",
            "username",
        ]);
        for (const f of secrets) {
            const s = load(f);
            const data = Object.values(s.data ?? {});
            const stringData = Object.values(s.stringData ?? {});
            // A service-account token Secret is created empty: Kubernetes writes the token.
            const filledByCluster = s.type === "kubernetes.io/service-account-token";
            expect(data.length + stringData.length > 0).toBe(!filledByCluster);
            expect(data.filter((v) => v !== REDACTED_BASE64)).toEqual([]);
            expect(stringData.filter((v) => v !== REDACTED)).toEqual([]);
        }
    });

    it("writes no generated password, placeholder, stringified object or undefined", () => {
        for (const f of files) {
            const text = read(f);
            for (const bad of [
                "mock-password-",
                "plan-secret-placeholder",
                "[object Object]",
                "undefined",
                "[secret]",
                "[unknown]",
                "[Output",
            ]) {
                if (text.includes(bad)) throw new Error(`${f} contains ${bad}`);
            }
        }
    });

    it("every file parses as one object with apiVersion, kind and a name", () => {
        for (const f of yamlFiles) {
            const m = load(f);
            expect([typeof m.apiVersion, typeof m.kind, typeof m.metadata.name]).toEqual([
                "string",
                "string",
                "string",
            ]);
        }
    });

    it("lists each Helm release with its chart and version", () => {
        const lines = read(HELM_RELEASES_FILE)
            .split("\n")
            .filter((l) => l && !l.startsWith("#"));
        expect(lines).toHaveLength(releases.length);
        const traefik = releases.find((r) => r.inputs.chart === "traefik")!;
        expect(lines).toContain(
            `traefik\tmlops\ttraefik\t${traefik.inputs.version}\thttps://traefik.github.io/charts`,
        );
    });
});

describe("rendering values", () => {
    const resource = (type: string, inputs: Record<string, unknown>): RecordedResource => ({
        urn: `urn:pulumi:t::p::${type}::x`,
        type,
        name: "x",
        custom: true,
        protect: false,
        dependsOn: [],
        inputs,
    });

    it("maps type tokens to apiVersion and kind", () => {
        expect(apiVersionKindOf("kubernetes:core/v1:Secret")).toEqual({
            apiVersion: "v1",
            kind: "Secret",
        });
        expect(apiVersionKindOf("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toEqual({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
        });
        expect(apiVersionKindOf("pulumi:providers:kubernetes")).toBeUndefined();
    });

    it("redacts every scalar under a secret, keeps its shape, and replaces unknowns", () => {
        expect(
            plainValue(
                {
                    a: new SecretValue({ user: "u", port: 5432, list: ["x"] }),
                    b: new UnknownValue(),
                    c: undefined,
                    d: null,
                },
                "t",
            ),
        ).toEqual({ a: { user: REDACTED, port: REDACTED, list: [REDACTED] }, b: UNKNOWN, d: null });
        expect(() => plainValue({ when: new Date(0) }, "t")).toThrow(
            "t.when: cannot render a Date",
        );
    });

    it("redacts a Secret's data even when it was not marked secret, and names it if unnamed", () => {
        const { objects } = renderObjects([
            resource("kubernetes:core/v1:Secret", {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { namespace: "ns" },
                data: { key: "c2VjcmV0" },
                stringData: { other: "secret" },
            }),
            resource("kubernetes:helm.sh/v3:Release", { chart: "c", version: "1.0.0" }),
            resource("pulumi:providers:kubernetes", {}),
        ]);
        expect(objects).toHaveLength(1);
        expect(objects[0].file).toBe("secret_ns_x-mock.yaml");
        expect(objects[0].manifest).toEqual({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "x-mock", namespace: "ns" },
            data: { key: REDACTED_BASE64 },
            stringData: { other: REDACTED },
        });
    });

    it("refuses a type token that disagrees with the object's kind", () => {
        expect(() =>
            renderObjects([resource("kubernetes:core/v1:ConfigMap", { kind: "Secret" })]),
        ).toThrow("kind Secret does not match kubernetes:core/v1:ConfigMap");
    });

    it("refuses to render into a directory that is not empty", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-render-"));
        fs.writeFileSync(path.join(dir, "old.yaml"), "kind: Old\n");
        try {
            expect(() => writeRendering({ objects: [], helmReleases: [] }, "t", dir)).toThrow(
                `--render ${dir}: the directory is not empty`,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the kube-score allowlist", () => {
    const finding = (over: Partial<Finding> = {}): Finding => ({
        stack: "dev",
        check: "pod-networkpolicy",
        severity: "warning",
        kind: "Deployment",
        namespace: "mlops",
        name: "mlops-mlflow",
        comments: [],
        ...over,
    });
    const entry = (over: Partial<AllowEntry> = {}): AllowEntry => ({
        check: "pod-networkpolicy",
        object: "Deployment/mlops/*",
        reason: "because",
        ...over,
    });

    it("rejects an entry without a reason, or with a blank one, naming it", () => {
        const text = [
            "exceptions:",
            "  - { check: a, object: Deployment/mlops/x, reason: fine }",
            "  - { check: b, object: Deployment/mlops/y }",
            "  - { check: c, object: Deployment/mlops/z, reason: '  ' }",
        ].join("\n");
        expect(() => parseAllowlist(text)).toThrow(AllowlistError);
        try {
            parseAllowlist(text);
        } catch (e) {
            expect((e as AllowlistError).problems).toEqual([
                "exceptions[1]: 'reason' is required (a non-empty string)",
                "exceptions[2]: 'reason' is required (a non-empty string)",
            ]);
        }
    });

    it("rejects unknown keys and objects that are not Kind/namespace/name", () => {
        expect(() =>
            parseAllowlist("exceptions:\n  - { check: a, object: x/y, reason: r, reasn: r }\n"),
        ).toThrow(
            "exceptions[0]: unknown key 'reasn'\n  exceptions[0]: object 'x/y' is not Kind/namespace/name",
        );
        expect(() => parseAllowlist("- check: a\n")).toThrow("an 'exceptions' list");
    });

    it("parses the repository's allowlist, every entry with a reason", () => {
        const entries = parseAllowlist(
            fs.readFileSync(path.join(__dirname, "..", "kube-score-allowlist.yaml"), "utf8"),
        );
        expect(entries.length).toBeGreaterThan(0);
        for (const e of entries) expect(e.reason.length).toBeGreaterThan(20);
    });

    it("fails a finding that no entry explains", () => {
        const unlisted = finding({ check: "pod-probes-identical" });
        const v = judge([finding(), unlisted], [entry()]);
        expect(v.unexplained).toEqual([unlisted]);
        expect(v.allowed).toEqual([{ finding: finding(), entry: entry() }]);
        expect(v.stale).toEqual([]);
    });

    it("reports an entry that explains nothing as stale, unless only some stacks were scanned", () => {
        const stale = entry({ object: "StatefulSet/mlops/*" });
        expect(judge([finding()], [entry(), stale]).stale).toEqual([stale]);
        expect(judge([finding()], [entry(), stale], false).stale).toEqual([]);
    });

    it("matches kind, namespace, name and stack by glob", () => {
        const team = finding({
            kind: "NetworkPolicy",
            namespace: "team-nlp",
            name: "default-deny",
        });
        const rule = entry({ check: "pod-networkpolicy", object: "NetworkPolicy/team-*/*" });
        expect(judge([team], [rule]).unexplained).toEqual([]);
        expect(judge([finding()], [rule]).unexplained).toEqual([finding()]);
        expect(
            judge([finding({ stack: "gcp" })], [entry({ stack: "dev" })]).unexplained,
        ).toHaveLength(1);
        expect(globMatch("*", "")).toBe(true);
        expect(globMatch("mlops-?", "mlops-ab")).toBe(false);
        expect(globMatch("a.b", "axb")).toBe(false);
    });

    it("reads kube-score's JSON: failed checks are findings, passed and skipped ones are not", () => {
        const json = JSON.stringify([
            {
                type_meta: { kind: "Deployment", apiVersion: "apps/v1" },
                object_meta: { name: "web", namespace: "mlops" },
                checks: [
                    { check: { id: "ok" }, grade: 10, skipped: false, comments: null },
                    { check: { id: "skipped" }, grade: 1, skipped: true, comments: null },
                    {
                        check: { id: "container-image-pull-policy" },
                        grade: 1,
                        skipped: false,
                        comments: [
                            { path: "web", summary: "ImagePullPolicy is not set to Always" },
                        ],
                    },
                    {
                        check: { id: "deployment-replicas" },
                        grade: 5,
                        skipped: false,
                        comments: [{ path: "", summary: "Deployment few replicas" }],
                    },
                ],
            },
            {
                type_meta: { kind: "Namespace", apiVersion: "v1" },
                object_meta: { name: "mlops" },
                checks: [{ check: { id: "label-values" }, grade: 1, skipped: false }],
            },
        ]);
        expect(findingsOf("dev", json)).toEqual([
            finding({
                check: "container-image-pull-policy",
                severity: "critical",
                name: "web",
                comments: ["web: ImagePullPolicy is not set to Always"],
            }),
            finding({
                check: "deployment-replicas",
                name: "web",
                comments: ["Deployment few replicas"],
            }),
            finding({
                check: "label-values",
                severity: "critical",
                kind: "Namespace",
                namespace: "",
                name: "mlops",
                comments: [],
            }),
        ]);
    });

    it("reads kube-score's null (no object of a kind it checks, as on a team stack) as no findings", () => {
        expect(findingsOf("team-nlp", "null")).toEqual([]);
        expect(() => findingsOf("team-nlp", '{"checks": []}')).toThrow(
            "kube-score's JSON output is not a list",
        );
    });
});
