/**
 * The CI template for users (.github/workflows/ci.yml): it installs, tests, plans every shipped
 * stack with its policies and previews each with the policy pack when credentials are there; it
 * references only scripts and files that exist; and it promotes a model with no stored secret,
 * with the job's GitHub OIDC token as the bearer the platform's MLflow route admits.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { shippedStacks } from "./support/plan";

const ROOT = path.resolve(__dirname, "..");
const FILE = path.join(ROOT, ".github", "workflows", "ci.yml");

interface Step {
    id?: string;
    name?: string;
    if?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}
interface Job {
    needs?: string | string[];
    if?: string;
    permissions?: Record<string, string>;
    steps: Step[];
    strategy?: { matrix: Record<string, unknown> };
    env?: Record<string, string>;
}
const workflow = yaml.load(fs.readFileSync(FILE, "utf8")) as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
};
const scripts = Object.keys(
    (
        JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        }
    ).scripts,
);
const runs = (job: string) =>
    workflow.jobs[job].steps.map((s) => s.run ?? "").filter((r) => r !== "");
const allRuns = Object.keys(workflow.jobs).flatMap(runs).join("\n");

describe("the CI template", () => {
    it("runs on pushes and pull requests", () => {
        expect(Object.keys(workflow.on)).toEqual(["push", "pull_request"]);
    });

    it("names only npm scripts that package.json has", () => {
        const used = [...allRuns.matchAll(/npm run(?: -s)? ([\w:-]+)/g)].map((m) => m[1]);
        expect([...new Set(used)].sort()).toEqual(["lint", "plan", "typecheck"]);
        for (const s of used) expect(scripts).toContain(s);
        // `npm test` is the test script.
        expect(runs("test")).toEqual(["npm ci", "npm run typecheck", "npm run lint", "npm test"]);
        expect(scripts).toContain("test");
    });

    it("references only files and directories that exist", () => {
        const paths = [
            // Files under the project's directories, and the directories commands enter or load.
            ...[...allRuns.matchAll(/(?<![\w$/.:-])((?:policies|tools|test|docs)\/[\w./-]+)/g)],
            ...[...allRuns.matchAll(/(?:--policy-pack|\bcd) ([\w./-]+)/g)],
        ].map((m) => m[1]);
        expect(paths.sort()).toEqual([
            "policies",
            "policies",
            "policies/config.dev.json",
            "policies/config.prod.json",
        ]);
        for (const p of paths) expect(fs.existsSync(path.join(ROOT, p))).toBe(true);
        // The stack files it reads are the matrix's.
        expect(allRuns).toContain('"Pulumi.${{ matrix.stack }}.yaml"');
        // Every action is pinned to a release.
        const uses = Object.values(workflow.jobs).flatMap((j) =>
            j.steps.map((s) => s.uses).filter(Boolean),
        );
        expect(uses.length).toBeGreaterThan(0);
        for (const u of uses) expect(u).toMatch(/^[\w-]+\/[\w-]+@v\d+\.\d+\.\d+$/);
    });

    it("plans every shipped stack, found by its own listing step", () => {
        const step = workflow.jobs.stacks.steps.find((s) => s.id === "list")!;
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ci-")), "output");
        const r = spawnSync("bash", ["-c", step.run!], {
            cwd: ROOT,
            encoding: "utf8",
            env: { ...process.env, GITHUB_OUTPUT: out },
        });
        expect(r.status).toBe(0);
        const line = fs.readFileSync(out, "utf8").trim();
        expect(line.startsWith("list=")).toBe(true);
        expect(JSON.parse(line.slice("list=".length))).toEqual(shippedStacks());
        for (const job of ["plan", "preview"]) {
            expect(workflow.jobs[job].strategy!.matrix.stack).toBe(
                "${{ fromJSON(needs.stacks.outputs.list) }}",
            );
            expect(workflow.jobs[job].needs).toContain("stacks");
        }
        expect(runs("plan")).toEqual(["npm ci", 'npm run plan -- --stack "${{ matrix.stack }}"']);
    });

    it("previews with the policy pack only when a backend and the stack's credentials are there", () => {
        const job = workflow.jobs.preview;
        expect(Object.keys(job.env!).sort()).toEqual([
            "GOOGLE_CREDENTIALS",
            "KUBECONFIG_DATA",
            "PULUMI_ACCESS_TOKEN",
            "PULUMI_BACKEND_URL",
            "PULUMI_CONFIG_PASSPHRASE",
        ]);
        for (const [k, v] of Object.entries(job.env!)) expect(v).toBe(`\${{ secrets.${k} }}`);
        const preview = job.steps.find((s) => s.run?.includes("pulumi preview"))!;
        expect(preview.if).toBe("steps.needs.outputs.ready == 'true'");
        expect(preview.run).toContain(
            'pulumi preview --policy-pack policies --policy-pack-config "$policy_config"',
        );
        expect(preview.run).toContain("--version 3.248.0");
        expect(preview.run).toContain("(cd policies && npm ci)");
        expect(fs.existsSync(path.join(ROOT, "policies", "package-lock.json"))).toBe(true);
    });

    it("decides readiness per stack from its cloud and the secrets present", () => {
        const step = workflow.jobs.preview.steps.find((s) => s.id === "needs")!;
        const decide = (stack: string, env: Record<string, string>) => {
            const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ci-")), "output");
            const script = step.run!.replace("${{ matrix.stack }}", stack);
            const r = spawnSync("bash", ["-c", script], {
                cwd: ROOT,
                encoding: "utf8",
                env: { PATH: process.env.PATH!, GITHUB_OUTPUT: out, ...env },
            });
            expect(r.status).toBe(0);
            return { output: fs.readFileSync(out, "utf8"), stderr: r.stderr };
        };
        expect(decide("gcp", {}).output).toBe("env=prod\nready=false\n");
        expect(decide("gcp", {}).stderr).toContain("GOOGLE_CREDENTIALS");
        expect(decide("gcp", { PULUMI_ACCESS_TOKEN: "t", GOOGLE_CREDENTIALS: "{}" }).output).toBe(
            "env=prod\nready=true\n",
        );
        expect(decide("gcp", { PULUMI_ACCESS_TOKEN: "t", KUBECONFIG_DATA: "k" }).output).toBe(
            "env=prod\nready=false\n",
        );
        expect(decide("dev", { PULUMI_BACKEND_URL: "file://x", KUBECONFIG_DATA: "k" }).output).toBe(
            "env=dev\nready=true\n",
        );
    });
});

/** A request the promote step made, as the fake GitHub token endpoint and MLflow saw it. */
interface Seen {
    method: string;
    url: string;
    authorization?: string;
    body: string;
}

/**
 * Runs the promote step's script against one loopback server playing GitHub's OIDC token
 * endpoint (`/token`) and the platform's MLflow route (`/api/2.0/mlflow/...`), which answers
 * `mlflow(method, path)` for each MLflow request.
 */
async function runPromote(
    mlflow: (method: string, path: string) => { status: number; body: unknown },
): Promise<{ code: number | null; stdout: string; stderr: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            seen.push({
                method: req.method!,
                url: req.url!,
                authorization: req.headers.authorization,
                body,
            });
            const answer = req.url!.startsWith("/token")
                ? { status: 200, body: { value: JWT } }
                : mlflow(req.method!, req.url!.replace("/api/2.0/mlflow/", ""));
            res.writeHead(answer.status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(answer.body));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const step = workflow.jobs.promote.steps.find((s) => s.id === "promote")!;
    try {
        return await new Promise((resolve) => {
            const child = spawn("bash", ["-c", step.run!], {
                cwd: os.tmpdir(),
                // stdin from /dev/null: bash reads ~/.bashrc when stdin is a socket.
                stdio: ["ignore", "pipe", "pipe"],
                env: {
                    PATH: process.env.PATH!,
                    // What GitHub gives a job with id-token: write, and the job's env.
                    ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/token?api-version=2.0`,
                    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
                    MLFLOW_URL: `${base}/`,
                    MODEL: "iris",
                    AUDIENCE: "mlops-platform",
                    ALIAS: "champion",
                },
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
            child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
            child.on("close", (code) => resolve({ code, stdout, stderr, seen }));
        });
    } finally {
        server.close();
    }
}

/** A token as GitHub's endpoint returns it (its shape only: the fake MLflow does not verify it). */
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2ln";

describe("the keyless promote job", () => {
    const job = workflow.jobs.promote;

    it("runs on pushes to main after the tests, when the MLflow URL variable is set", () => {
        expect(job.needs).toBe("test");
        expect(job.if).toBe(
            "github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.MLOPS_MLFLOW_URL != ''",
        );
    });

    it("may ask GitHub for an OIDC token, and nothing else", () => {
        expect(job.permissions).toEqual({ "id-token": "write" });
        // The other jobs keep the workflow's read-only token and cannot mint one.
        expect(workflow.permissions).toEqual({ contents: "read" });
        for (const [name, other] of Object.entries(workflow.jobs)) {
            if (name !== "promote") expect([name, other.permissions]).toEqual([name, undefined]);
        }
    });

    it("references no secret: its settings are repository variables", () => {
        expect(yaml.dump(job)).not.toMatch(/secrets\./);
        expect(job.env).toEqual({
            MLFLOW_URL: "${{ vars.MLOPS_MLFLOW_URL }}",
            MODEL: "${{ vars.MLOPS_MODEL }}",
            AUDIENCE: "${{ vars.MLOPS_AUDIENCE || 'mlops-platform' }}",
            ALIAS: "${{ vars.MLOPS_ALIAS || 'champion' }}",
        });
        const uses = job.steps.map((s) => s.uses).filter(Boolean);
        expect(uses).toEqual(["actions/setup-node@v4.4.0"]);
    });

    it("sends the job's token, for the audience, as a bearer to MLflow and moves the alias", async () => {
        const r = await runPromote((method) =>
            method === "GET"
                ? { status: 200, body: { model_versions: [{ name: "iris", version: "3" }] } }
                : { status: 200, body: {} },
        );
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout).toBe("iris@champion is now version 3\n");
        const [token, search, alias] = r.seen;
        expect(r.seen).toHaveLength(3);
        expect(token).toEqual({
            method: "GET",
            url: "/token?api-version=2.0&audience=mlops-platform",
            authorization: "bearer request-token",
            body: "",
        });
        expect(search).toEqual({
            method: "GET",
            url: "/api/2.0/mlflow/model-versions/search?filter=name%3D%27iris%27&order_by=version_number+DESC&max_results=1",
            authorization: `Bearer ${JWT}`,
            body: "",
        });
        expect(alias.method).toBe("POST");
        expect(alias.url).toBe("/api/2.0/mlflow/registered-models/alias");
        expect(alias.authorization).toBe(`Bearer ${JWT}`);
        expect(JSON.parse(alias.body)).toEqual({ name: "iris", alias: "champion", version: "3" });
    });

    it("fails, naming the route's answer, when the platform refuses the token", async () => {
        const r = await runPromote(() => ({ status: 401, body: "Unauthorized" }));
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            'GET model-versions/search?filter=name%3D%27iris%27&order_by=version_number+DESC&max_results=1: 401 "Unauthorized"\n',
        );
        expect(r.seen.map((s) => s.url.split("?")[0])).toEqual([
            "/token",
            "/api/2.0/mlflow/model-versions/search",
        ]);
    });

    it("fails when the model has no version, and moves nothing", async () => {
        const r = await runPromote(() => ({ status: 200, body: {} }));
        expect(r.code).toBe(1);
        expect(r.stderr).toBe("model iris has no version\n");
        expect(r.seen.filter((s) => s.method === "POST")).toEqual([]);
    });
});
