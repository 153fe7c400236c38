/**
 * The CI template for users (.github/workflows/ci.yml): it installs, tests, plans every shipped
 * stack with its policies and previews each with the policy pack when credentials are there; it
 * references only scripts and files that exist.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
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
    steps: Step[];
    strategy?: { matrix: Record<string, unknown> };
    env?: Record<string, string>;
}
const workflow = yaml.load(fs.readFileSync(FILE, "utf8")) as {
    on: Record<string, unknown>;
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
