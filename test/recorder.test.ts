/**
 * The recording both the offline plan and the tests build on (tools/plan/recorder.ts): what it
 * keeps of each registration, that settle() waits for all of them, and that a plan which
 * leaves a promise pending fails as it would under the engine (the SDK's own exit check).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RandomPassword } from "@pulumi/random";
import { SecretValue, settle, startRecording } from "../tools/plan/recorder";
import { ROOT } from "./support/plan";

describe("a recording", () => {
    it("keeps each resource's parent, provider, dependencies, protection and inputs", async () => {
        const rec = startRecording({ stack: "recorder" });
        const parent = new pulumi.ComponentResource("mlops:test:Parent", "p", {});
        const provider = new k8s.Provider("k", { kubeconfig: "{}" }, { parent });
        const password = new RandomPassword("pw", { length: 8 }, { parent });
        const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "ns" } }, { provider });
        new k8s.core.v1.Secret(
            "s",
            { metadata: { namespace: ns.metadata.name }, stringData: { p: password.result } },
            { parent, provider, dependsOn: [password], protect: true },
        );
        await settle();
        const urn = (type: string, name: string) => rec.get(type, name).urn;
        const secret = rec.get("kubernetes:core/v1:Secret", "s");
        expect(secret).toEqual({
            urn: "urn:pulumi:recorder::mlops-platform::mlops:test:Parent$kubernetes:core/v1:Secret::s",
            type: "kubernetes:core/v1:Secret",
            name: "s",
            parent: urn("mlops:test:Parent", "p"),
            custom: true,
            protect: true,
            provider: `${urn("pulumi:providers:kubernetes", "k")}::k-id`,
            dependsOn: expect.arrayContaining([
                urn("random:index/randomPassword:RandomPassword", "pw"),
                urn("kubernetes:core/v1:Namespace", "ns"),
            ]),
            inputs: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { namespace: "ns" },
                stringData: new SecretValue({ p: "mock-password-pw" }),
            },
        });
        expect(rec.get("kubernetes:core/v1:Namespace", "ns").parent).toBeUndefined();
        expect(rec.childrenOf(urn("mlops:test:Parent", "p")).map((r) => r.name)).toEqual(
            expect.arrayContaining(["k", "pw", "s"]),
        );
        expect(rec.resources).toHaveLength(5);
    });
});

describe("a plan whose program leaves a promise pending", () => {
    // In a process of its own: the SDK's check runs when the process exits.
    const planOf = (leak: boolean) => {
        const script = `
            const { runPlan } = require(${JSON.stringify(path.join(ROOT, "tools", "plan", "run.ts"))});
            runPlan(
                { stack: "exit-check", file: "", config: {}, secretKeys: [] },
                ${JSON.stringify(path.join(__dirname, "fixtures", "pending-program.ts"))},
            ).then((r) => console.log(r.resources.map((x) => x.name).join(",")));
        `;
        return spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 60_000,
            env: { ...process.env, MLOPS_TEST_LEAK: leak ? "1" : "0" },
        });
    };

    it("fails the process with the SDK's message, as under the engine", () => {
        const r = planOf(true);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(
            /^The Pulumi runtime detected that \d+ promises? (was|were) still active/,
        );
        expect(r.status).toBe(1);
    });

    it("and one whose promises all settle exits 0", () => {
        const r = planOf(false);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe("mlops-platform-exit-check,pending\n");
        expect(r.status).toBe(0);
    });
});
