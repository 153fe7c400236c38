import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { deferred } from "../tools/lib/deferred";
import { ROOT } from "./support/plan";

describe("a deferred module", () => {
    it("loads on first read, once, and forwards every read", () => {
        let loads = 0;
        const m = deferred(() => {
            loads++;
            return { answer: 42 };
        }) as { __esModule: boolean; answer: number; default: unknown };
        // What __importStar/__importDefault read at require time does not load it.
        expect(m.__esModule).toBe(true);
        expect(loads).toBe(0);
        expect(m.answer).toBe(42);
        expect(Object.keys(m)).toEqual(["answer"]);
        expect("answer" in m).toBe(true);
        expect(loads).toBe(1);
        // `default` of a CommonJS module is the module (what __importDefault would give).
        expect((m.default as { answer: number }).answer).toBe(42);
        expect(loads).toBe(1);
    });

    it("keeps an ES module's own default", () => {
        const m = deferred(() => ({ __esModule: true, default: "own" })) as { default: string };
        expect(m.default).toBe("own");
    });
});

describe("the plan's start-up (tools/lib/fast-start.ts)", () => {
    const script = `
        require(${JSON.stringify(path.join(ROOT, "tools", "lib", "fast-start.ts"))});
        const pulumi = require("@pulumi/pulumi");
        const loaded = () => Object.keys(require.cache).filter((f) =>
            /node_modules[\\\\/](typescript|@npmcli[\\\\/]arborist|normalize-package-data)[\\\\/]/.test(f)
            || /@pulumi[\\\\/]pulumi[\\\\/]automation[\\\\/]/.test(f)).length;
        const before = loaded();
        pulumi.runtime.serializeFunction(() => 6 * 7).then((s) => {
            console.log(JSON.stringify({
                before,
                text: s.text.includes("6 * 7"),
                typescript: Object.keys(require.cache).some((f) => /node_modules[\\\\/]typescript[\\\\/]/.test(f)),
                automation: typeof pulumi.automation.LocalWorkspace,
                sourceMaps: process.sourceMapsEnabled,
            }));
        });
    `;
    it("loads neither TypeScript, Arborist nor the Automation API until used, and turns source maps off", () => {
        const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 60_000,
        });
        // (Serializing a function makes the SDK require every builtin, "sys" among them: a
        // deprecation warning on stderr that is the SDK's, with or without the deferral.)
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual({
            before: 0,
            // A function still serializes: TypeScript's parser loaded when the SDK needed it.
            text: true,
            typescript: true,
            automation: "function",
            sourceMaps: false,
        });
    });
});
