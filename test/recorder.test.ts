/**
 * What a recording changes in the SDK, and what it must keep: the plan skips the stacks and
 * labels the SDK attaches to every internal promise (tools/lib/recorder.ts skipUnreadStacks),
 * but the SDK's exit check for promises left pending must see exactly what it saw before.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RandomPassword } from "@pulumi/random";
import { recordedPhases, phase } from "../tools/lib/phases";
import { settle, startRecording } from "../tools/lib/recorder";
import { ROOT } from "./support/plan";

/* eslint-disable @typescript-eslint/no-require-imports */
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise: <T>(p: Promise<T>, ctx: string) => Promise<T>;
    leakedPromises: () => [Set<Promise<unknown>>, string];
};
const state = require("@pulumi/pulumi/runtime/state") as {
    getStore(): { leakCandidates: Set<Promise<unknown>> };
};
/* eslint-enable @typescript-eslint/no-require-imports */

const tick = () => new Promise((r) => setImmediate(r));

describe("the SDK's promise bookkeeping under a recording", () => {
    beforeEach(() => startRecording({ stack: "recorder" }));

    it("returns the promise itself, with no stack or label attached", () => {
        const p = Promise.resolve(1);
        const q = debuggable.debuggablePromise(p, "label");
        expect(q).toBe(p);
        expect(Object.getOwnPropertyNames(p)).toEqual([]);
    });

    it("keeps a promise among the leak candidates until it settles, either way", async () => {
        let resolve!: (v: number) => void;
        let reject!: (e: Error) => void;
        const ok = debuggable.debuggablePromise(new Promise<number>((r) => (resolve = r)), "ok");
        const bad = debuggable.debuggablePromise(
            new Promise<number>((_, r) => (reject = r)),
            "bad",
        );
        const candidates = state.getStore().leakCandidates;
        expect(candidates.has(ok) && candidates.has(bad)).toBe(true);
        resolve(7);
        const failure = new Error("boom");
        reject(failure);
        // A rejection reaches the caller unchanged.
        await expect(bad).rejects.toBe(failure);
        await expect(ok).resolves.toBe(7);
        await tick();
        expect(candidates.has(ok) || candidates.has(bad)).toBe(false);
    });

    it("leaves a promise that never settles for the SDK's exit check to report", async () => {
        const never = debuggable.debuggablePromise(new Promise<never>(() => undefined), "never");
        await tick();
        const [leaked, message] = debuggable.leakedPromises();
        expect([...leaked]).toEqual([never]);
        expect(message).toMatch(/^The Pulumi runtime detected that 1 promise was still active/);
    });

    it("leaves none after a program's registrations have settled", async () => {
        const rec = startRecording({ stack: "recorder" });
        await pulumi.runtime.runInPulumiStack(async () => {
            const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "ns" } });
            new k8s.core.v1.ConfigMap("cm", {
                metadata: { namespace: ns.metadata.name },
                data: { a: "b" },
            });
            return {};
        });
        await settle(rec);
        expect(rec.resources.map((r) => r.type)).toEqual([
            "pulumi:pulumi:Stack",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:ConfigMap",
        ]);
        await tick();
        expect(debuggable.leakedPromises()[0].size).toBe(0);
    });
});

describe("registrations answered without the protobuf round trip (answerWithoutProtobuf)", () => {
    /** What a program can see of its resources, and what the recording and the monitor keep. */
    const observe = async (sdkAnswers: boolean) => {
        const rec = startRecording({ stack: "answers", sdkAnswers });
        const outputs: pulumi.Output<unknown>[] = [];
        await pulumi.runtime.runInPulumiStack(async () => {
            const ns = new k8s.core.v1.Namespace("ns", {});
            const named = new k8s.core.v1.Namespace("named", { metadata: { name: "named" } });
            const password = new RandomPassword("pw", { length: 24, special: false });
            const secret = new k8s.core.v1.Secret("s", {
                metadata: { namespace: named.metadata.name },
                stringData: { password: password.result, plain: "visible" },
            });
            const deployment = new k8s.apps.v1.Deployment("d", {
                metadata: { namespace: ns.metadata.name, labels: { app: "d" } },
                spec: {
                    replicas: 2,
                    selector: { matchLabels: { app: "d" } },
                    template: {
                        metadata: { labels: { app: "d" } },
                        spec: {
                            automountServiceAccountToken: false,
                            containers: [
                                {
                                    name: "c",
                                    image: "busybox:1.37.0",
                                    args: ["sleep", "3600"],
                                    env: [{ name: "EMPTY", value: "" }],
                                    ports: [{ containerPort: 8080 }],
                                },
                            ],
                            volumes: [],
                        },
                    },
                },
            });
            outputs.push(
                ns.metadata,
                named.metadata,
                ns.id,
                ns.urn,
                password.result,
                secret.stringData,
                secret.metadata.namespace,
                deployment.spec,
                deployment.metadata,
                // Its mock name is added after the namespace: the answer sorts the keys.
                secret.metadata,
            );
            return {};
        });
        await settle(rec);
        const seen = await Promise.all(
            outputs.map(async (o) => {
                const inner = o as unknown as {
                    promise(): Promise<unknown>;
                    isKnown: Promise<boolean>;
                    isSecret: Promise<boolean>;
                };
                return {
                    value: await inner.promise(),
                    known: await inner.isKnown,
                    secret: await inner.isSecret,
                };
            }),
        );
        const monitor = pulumi.runtime.getMonitor() as unknown as {
            resources: Map<string, unknown>;
        };
        return { seen, recorded: rec.resources, table: [...monitor.resources] };
    };

    it("gives the program, the recording and the monitor what the SDK's answers give", async () => {
        const sdk = await observe(true);
        const lean = await observe(false);
        expect(lean).toEqual(sdk);
        // Key order too (a program that prints an output as JSON sees it).
        expect(JSON.stringify(lean)).toBe(JSON.stringify(sdk));
        // Not vacuous: unknowns stay unknown (a preview), values keep their types and secrecy.
        const [unnamed, named, , , password, stringData, , spec] = lean.seen;
        expect(unnamed).toEqual({ value: undefined, known: false, secret: false });
        expect(named.value).toEqual({ name: "named", resourceVersion: "1" });
        expect(password).toEqual({ value: "mock-password-pw", known: true, secret: false });
        expect(stringData).toEqual({
            value: { password: "mock-password-pw", plain: "visible" },
            known: true,
            secret: true,
        });
        const podSpec = (spec.value as { replicas: number; template: { spec: object } }).template;
        expect((spec.value as { replicas: number }).replicas).toBe(2);
        expect(podSpec.spec).toMatchObject({
            automountServiceAccountToken: false,
            volumes: [],
            containers: [{ env: [{ name: "EMPTY", value: "" }], ports: [{ containerPort: 8080 }] }],
        });
        // (In the order the SDK finished them, which toEqual above compared.)
        expect(lean.recorded.map((r) => r.name).sort()).toEqual(
            ["mlops-platform-answers", "ns", "named", "pw", "s", "d"].sort(),
        );
    });
});

describe("the SDK's exit check under a recording (installExitCheck, as the CLIs call it)", () => {
    // In a process of its own: the check runs when the process exits.
    const exitOf = (leak: boolean) => {
        const script = `
            const { installExitCheck, startRecording } = require(${JSON.stringify(path.join(ROOT, "tools", "lib", "recorder.ts"))});
            startRecording({ stack: "exit-check" });
            installExitCheck();
            const debuggable = require("@pulumi/pulumi/runtime/debuggable");
            debuggable.debuggablePromise(${leak ? "new Promise(() => undefined)" : "Promise.resolve(1)"}, "p");
        `;
        return spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 60_000,
        });
    };

    it("fails the process that leaves a promise pending, with the SDK's message", () => {
        const r = exitOf(true);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("The Pulumi runtime detected that 1 promise was still active");
    });

    it("lets a process whose promises all settled exit 0", () => {
        const r = exitOf(false);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
    });
});

describe("a plan's phases (tools/lib/phases.ts, read by npm run bench)", () => {
    const saved = process.env.MLOPS_BENCH_USAGE;
    afterEach(() => {
        if (saved === undefined) delete process.env.MLOPS_BENCH_USAGE;
        else process.env.MLOPS_BENCH_USAGE = saved;
    });

    it("records nothing unless the bench times the process", () => {
        delete process.env.MLOPS_BENCH_USAGE;
        const before = recordedPhases().length;
        phase("ignored");
        expect(recordedPhases().length).toBe(before);
    });

    it("closes each phase with the CPU and wall time since the previous mark", () => {
        process.env.MLOPS_BENCH_USAGE = "/dev/null";
        phase("before");
        // Busy for at least 30 ms of CPU and 30 ms of wall time, however loaded the machine.
        const cpu0 = process.cpuUsage();
        const wall0 = performance.now();
        const spent = () => {
            const u = process.cpuUsage(cpu0);
            return Math.min((u.user + u.system) / 1000, performance.now() - wall0);
        };
        while (spent() < 31) Math.sqrt(Math.random());
        phase("busy");
        const [busy] = recordedPhases().slice(-1);
        expect(busy.name).toBe("busy");
        expect(busy.wallMs).toBeGreaterThanOrEqual(30);
        expect(busy.cpuMs).toBeGreaterThanOrEqual(30);
    });
});
