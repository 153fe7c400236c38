/**
 * The SDK's own cost per resource under the offline plan's harness, for npm run bench:
 * registers N small ConfigMaps in one namespace through @pulumi/pulumi's mocks with the
 * plan's recording (plan/recorder.ts), none of the program's components, policies or schemas,
 * and prints one JSON line: {resources, cpuMs, wallMs, heapMiB} of the registration alone
 * (module loading excluded). The slope over N is what each resource costs before any of the
 * project's own code runs.
 *
 * Usage: tsx tools/bench-sdk.ts N
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { settle, startRecording } from "./plan/recorder";

async function main(): Promise<void> {
    const n = Number(process.argv[2]);
    if (!Number.isInteger(n) || n < 1)
        throw new Error(`usage: tsx tools/bench-sdk.ts N (got ${process.argv[2]})`);
    const recording = startRecording({ stack: "bench-sdk" });
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await pulumi.runtime.runInPulumiStack(async () => {
        const ns = new k8s.core.v1.Namespace("bench", { metadata: { name: "bench" } });
        for (let i = 0; i < n; i++) {
            new k8s.core.v1.ConfigMap(`cm-${i}`, {
                metadata: {
                    name: `cm-${i}`,
                    namespace: ns.metadata.name,
                    labels: { "app.kubernetes.io/part-of": "mlops-platform" },
                },
                data: { key: `value-${i}` },
            });
        }
        return {};
    });
    await settle();
    const u = process.cpuUsage(cpu0);
    process.stdout.write(
        JSON.stringify({
            resources: recording.resources.length,
            cpuMs: Math.round((u.user + u.system) / 1000),
            wallMs: Math.round(performance.now() - wall0),
            heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        }) + "\n",
    );
}

main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
