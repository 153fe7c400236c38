import { AsyncLocalStorage } from "node:async_hooks";
import * as path from "node:path";
import { ROOT } from "./support/plan";
import { enabledStorages, releaseStorages } from "./support/release-storages";

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
