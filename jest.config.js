/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
    // What Pulumi's SDK loads at start-up and no test uses loads on first use instead.
    moduleNameMapper: {
        "^typescript$": "<rootDir>/test/support/deferred-typescript.ts",
        "^@npmcli/arborist$": "<rootDir>/test/support/deferred-arborist.ts",
    },
    // Each test file's copy of the test framework enables an AsyncLocalStorage that Node calls
    // on every promise until it is disabled; this disables earlier files' ones.
    setupFiles: ["<rootDir>/test/support/release-storages.ts"],
    // One plan per stack and mode for the whole run, shared by the test files (planCli).
    globalSetup: "<rootDir>/test/support/global-setup.ts",
    globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    // Plans spawn a child process each; keep the 2-core machines responsive.
    maxWorkers: 2,
    testTimeout: 60000,
};
