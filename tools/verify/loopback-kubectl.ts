/**
 * What the scripts that start a kube-apiserver on loopback share: kubectl against it with a
 * bearer token, and a wait for a component to answer.
 */
import { spawn } from "node:child_process";

/** What kubectl printed (stdout and stderr together) and its exit status. */
export interface KubectlResult {
    readonly status: number | null;
    readonly out: string;
}

/**
 * kubectl against `https://127.0.0.1:<port>` with a bearer token, without blocking (a caller
 * may answer the API server from the same process while kubectl waits); never throws.
 */
export function kubectlAt(
    port: number,
): (args: string[], token: string, input?: string) => Promise<KubectlResult> {
    return (args, token, input) =>
        new Promise((resolve) => {
            const child = spawn(
                "kubectl",
                [
                    `--server=https://127.0.0.1:${port}`,
                    "--insecure-skip-tls-verify",
                    `--token=${token}`,
                    "--request-timeout=20s",
                    ...args,
                ],
                { env: { ...process.env, KUBECONFIG: "/dev/null" } },
            );
            let out = "";
            child.stdout.on("data", (b: Buffer) => (out += b.toString()));
            child.stderr.on("data", (b: Buffer) => (out += b.toString()));
            child.on("close", (status) => resolve({ status, out: out.trim() }));
            child.stdin.end(input ?? "");
        });
}

/** Polls `ok` once a second; throws after `seconds`, pointing at the logs in `logDir`. */
export async function waitFor(
    what: string,
    ok: () => Promise<boolean>,
    seconds: number,
    logDir: string,
): Promise<void> {
    for (let i = 0; i < seconds; i++) {
        if (await ok()) return;
        await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`${what} not ready after ${seconds}s; logs in ${logDir}`);
}
