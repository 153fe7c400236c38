import { AsyncLocalStorage } from "node:async_hooks";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { ROOT } from "./support/plan";
import { enabledStorages, releaseStorages } from "./support/release-storages";

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

describe("asynchronous storages of earlier test files (test/support/release-storages.ts)", () => {
    it("are released before each test file starts (jest setupFiles)", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const config = require(path.join(ROOT, "jest.config.js")) as { setupFiles?: string[] };
        expect(config.setupFiles).toEqual(["<rootDir>/test/support/release-storages.ts"]);
    });

    it("disables each storage enabled since the last release, and forgets it", () => {
        // This file's own framework storage stays enabled: set aside while releasing.
        const tracked = enabledStorages();
        const framework = [...tracked];
        tracked.clear();
        try {
            const storage = new AsyncLocalStorage<string>();
            storage.enterWith("in use");
            expect(storage.getStore()).toBe("in use");
            expect([...tracked]).toEqual([storage]);
            releaseStorages();
            expect(storage.getStore()).toBeUndefined();
            expect(tracked.size).toBe(0);
        } finally {
            for (const s of framework) tracked.add(s);
        }
    });
});
