import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { ROOT } from "./support/plan";

const HEAP_CAP_MIB = 384;

describe("the test run's memory (npm test)", () => {
    const script = (
        JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        }
    ).scripts.test;

    it("starts Jest with a heap cap that its workers inherit", () => {
        expect(script).toBe(
            `node --max-old-space-size=${HEAP_CAP_MIB} node_modules/jest/bin/jest.js`,
        );
    });

    // Run through `npm test`, this worker was forked with the cap: V8's whole-heap limit is the
    // old space plus the young generation (three semi-spaces of 16 MiB at most on 64 bits).
    const viaNpmTest = process.env.npm_lifecycle_event === "test";
    (viaNpmTest ? it : it.skip)("holds in this worker (run through npm test)", () => {
        expect(process.execArgv).toContain(`--max-old-space-size=${HEAP_CAP_MIB}`);
        const limitMiB = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
        expect(limitMiB).toBeGreaterThanOrEqual(HEAP_CAP_MIB);
        expect(limitMiB).toBeLessThanOrEqual(HEAP_CAP_MIB + 48);
    });
});
