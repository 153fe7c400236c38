/**
 * jest setupFiles: disables the AsyncLocalStorage instances earlier test files enabled.
 *
 * Jest loads its test framework (jest-circus) afresh for every test file, and each copy enables
 * an AsyncLocalStorage of its own that is never disabled. Node calls every enabled storage on
 * every promise a process creates, so a worker that had run twenty files paid twenty calls per
 * promise (the Pulumi SDK makes hundreds per resource), and each storage kept its file's test
 * context alive. The storages are recorded on Node's AsyncLocalStorage class (one object for
 * every test file of the process; each file has its own `process` and globals) when they are
 * enabled, and disabled when the next file starts, once the file that used them has ended.
 */
import { AsyncLocalStorage } from "node:async_hooks";

type Storage = AsyncLocalStorage<unknown>;
const KEY = Symbol.for("mlops-test.enabled-storages");

/** Storages enabled (by `run` or `enterWith`) in this process since the last release. */
export function enabledStorages(): Set<Storage> {
    const host = AsyncLocalStorage as unknown as Record<symbol, Set<Storage> | undefined>;
    let enabled = host[KEY];
    if (!enabled) {
        const seen = new Set<Storage>();
        enabled = seen;
        host[KEY] = seen;
        const proto = AsyncLocalStorage.prototype as unknown as Record<
            "run" | "enterWith",
            (...args: unknown[]) => unknown
        >;
        for (const method of ["run", "enterWith"] as const) {
            const original = proto[method];
            proto[method] = function (this: Storage, ...args: unknown[]) {
                seen.add(this);
                return original.apply(this, args);
            };
        }
    }
    return enabled;
}

/** Disables every storage enabled since the last release. */
export function releaseStorages(): void {
    const enabled = enabledStorages();
    for (const storage of enabled) storage.disable();
    enabled.clear();
}

releaseStorages();
