/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
    // Plans every shipped stack once per run; the test files read the results (test/support/plan.ts).
    globalSetup: "<rootDir>/test/support/global-setup.ts",
    globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    // Plans spawn a child process each; keep the 2-core machines responsive.
    maxWorkers: 2,
    // Each test file loads the program and the SDKs afresh, and a worker does not free all of
    // an earlier file's (jest's documented work-around: a worker whose heap is above this after
    // a file is replaced by a new one).
    workerIdleMemoryLimit: "300MB",
    testTimeout: 60000,
};
