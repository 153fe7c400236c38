/**
 * A module that loads on first use: a stand-in for a module's exports that requires the
 * real module the first time anything is read from it, then forwards every read to it.
 * Used for what Pulumi's SDK loads at start-up and a plan never uses (./fast-start.ts and
 * the test runner's moduleNameMapper, test/support/deferred-*.ts).
 */
export function deferred(load: () => object): object {
    let real: object | undefined;
    const target = () => (real ??= load());
    return new Proxy(
        {},
        {
            get: (_, key) => {
                // Read by __importStar/__importDefault (and tsx's interop) at require time:
                // answer without loading; `default` of a CommonJS module is the module itself.
                if (key === "__esModule" && !real) return true;
                const m = target() as Record<string | symbol, unknown>;
                return key === "default" && !m.__esModule && !("default" in m) ? m : m[key];
            },
            has: (_, key) => key in target(),
            ownKeys: () => Reflect.ownKeys(target()),
            getOwnPropertyDescriptor: (_, key) => {
                if (key === "module.exports" && !real) return undefined;
                const d = Reflect.getOwnPropertyDescriptor(target(), key);
                return d && { ...d, configurable: true };
            },
        },
    );
}
