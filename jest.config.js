/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
    // One plan per stack and mode for the whole run, shared by the test files (planCli).
    globalSetup: "<rootDir>/test/support/global-setup.ts",
    globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    // Plans spawn a child process each; keep the 2-core machines responsive.
    maxWorkers: 2,
    testTimeout: 60000,
};
