/**
 * The import structure, checked by dependency-cruiser in `npm run lint`:
 *
 * - no import cycle anywhere (type-only imports count);
 * - components/aws/ and components/gcp/ hold what exists on one cloud only; the cloud-neutral
 *   folders of components/ import neither them nor a cloud SDK, and one cloud's folder imports
 *   neither the other's folder nor its SDK;
 * - stacks/: each cloud's module (local.ts, gcp.ts, aws.ts) builds a CloudFoundation
 *   (foundation.ts) and cloud.ts loads the selected one; only the cloud's own module and that
 *   dispatch reach a cloud folder, and the local stack reaches no cloud code or SDK at all;
 * - policies/ is a standalone pack (`pulumi preview --policy-pack policies`): it imports nothing
 *   of the program, and its cloud modules (aws.ts, gcp.ts) are only gathered by rules.ts;
 * - the program (index.ts, components/, stacks/, policies/) imports neither tools/ nor test/,
 *   and tools/ does not import test/.
 */
const CLOUD_FOLDER = "^components/(aws|gcp)/";
// (node_modules anywhere: a linked install resolves outside the project.)
const CLOUD_SDK = "(?:^|/)node_modules/@pulumi/(?:aws|gcp)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "no-circular",
            severity: "error",
            comment: "An import cycle: split the shared part into a module of its own.",
            from: {},
            to: { circular: true },
        },
        {
            name: "neutral-component-to-cloud",
            severity: "error",
            comment:
                "A cloud-neutral component imports a cloud's folder or SDK: move the code that " +
                "needs it to components/aws or components/gcp, or pass what it needs as args.",
            from: { path: "^components/", pathNot: CLOUD_FOLDER },
            to: { path: [CLOUD_FOLDER, CLOUD_SDK] },
        },
        {
            name: "cloud-component-to-other-cloud",
            severity: "error",
            comment: "One cloud's components import the other cloud's folder or SDK.",
            from: { path: CLOUD_FOLDER },
            to: {
                path: [CLOUD_FOLDER, CLOUD_SDK],
                pathNot: ["^components/$1/", "(?:^|/)node_modules/@pulumi/$1/"],
            },
        },
        {
            name: "cloud-stack-to-other-cloud",
            severity: "error",
            comment: "stacks/aws.ts or stacks/gcp.ts imports the other cloud's folder or SDK.",
            from: { path: "^stacks/(aws|gcp)[.]ts$" },
            to: {
                path: [CLOUD_FOLDER, CLOUD_SDK],
                pathNot: ["^components/$1/", "(?:^|/)node_modules/@pulumi/$1/"],
            },
        },
        {
            name: "neutral-stack-to-cloud",
            severity: "error",
            comment:
                "A cloud-neutral stack module imports a cloud's folder, module or SDK; only " +
                "stacks/cloud.ts loads a cloud's module, the one selected.",
            from: { path: "^stacks/", pathNot: "^stacks/(aws|gcp|cloud)[.]ts$" },
            to: { path: [CLOUD_FOLDER, CLOUD_SDK, "^stacks/(aws|gcp)[.]ts$"] },
        },
        {
            name: "local-stack-reaches-cloud",
            severity: "error",
            comment:
                "The local stack reaches a cloud's code or SDK through its imports: a local " +
                "stack loads no cloud SDK.",
            from: { path: "^stacks/local[.]ts$" },
            to: {
                path: [CLOUD_FOLDER, CLOUD_SDK, "^stacks/(aws|gcp)[.]ts$"],
                reachable: true,
            },
        },
        {
            name: "policies-import-program",
            severity: "error",
            comment:
                "The policy pack runs on its own (pulumi preview --policy-pack policies): it " +
                "imports nothing of the program, the tools or the tests.",
            from: { path: "^policies/" },
            to: { path: "^(index[.]ts$|components/|stacks/|tools/|test/)" },
        },
        {
            name: "neutral-policy-to-cloud",
            severity: "error",
            comment:
                "A cloud-neutral policy module imports a cloud's policies; rules.ts gathers them.",
            from: { path: "^policies/", pathNot: "^policies/(aws|gcp|rules)[.]ts$" },
            to: { path: "^policies/(aws|gcp)[.]ts$" },
        },
        {
            name: "cloud-policy-to-other-cloud",
            severity: "error",
            comment: "One cloud's policies import the other cloud's.",
            from: { path: "^policies/(aws|gcp)[.]ts$" },
            to: { path: "^policies/(aws|gcp)[.]ts$", pathNot: "^policies/$1[.]ts$" },
        },
        {
            name: "program-imports-tools-or-tests",
            severity: "error",
            comment: "The program imports a tool or a test.",
            from: { path: "^(index[.]ts$|components/|stacks/)" },
            to: { path: "^(tools|test)/" },
        },
        {
            name: "tools-import-tests",
            severity: "error",
            comment: "A tool imports a test module.",
            from: { path: "^tools/" },
            to: { path: "^test/" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "^(bin|policies/node_modules)/" },
        // Type-only imports are imports too: a cycle through types is still a cycle.
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
    },
};
