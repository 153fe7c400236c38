/** The plan server's process, from jest's globalSetup to its globalTeardown (same process). */
import type { ChildProcess } from "node:child_process";

const KEY = Symbol.for("mlops-platform.test.plan-server");
type Holder = { [KEY]?: ChildProcess };

export function setPlanServer(server: ChildProcess): void {
    (globalThis as Holder)[KEY] = server;
}

export function planServer(): ChildProcess | undefined {
    return (globalThis as Holder)[KEY];
}
