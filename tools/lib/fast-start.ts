/**
 * Start-up of the offline plan, imported before anything else by tools/plan.ts.
 *
 * - Pulumi's SDK loads TypeScript's compiler and npm's Arborist at start-up for closure
 *   serialization (runtime/closure: parseFunction, codePaths), and its Automation API, which
 *   a plan never uses; here they load on first use instead, the same modules, so a program
 *   that serializes a function still gets them.
 * - Source maps (which tsx turns on) make Node read every loaded package's `.js.map` and map
 *   every stack trace the SDK captures while registering resources. The plan turns them off;
 *   `MLOPS_PLAN_SOURCE_MAPS=1` keeps them, for a failure's stack in TypeScript positions.
 */
// The module system itself (Module._load), not an interop copy of its exports.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require("node:module") as unknown;

/** The SDK module that requires each deferred package. */
const DEFERRED: Readonly<Record<string, RegExp>> = {
    typescript: /[\\/]@pulumi[\\/]pulumi[\\/]typescript-shim\.js$/,
    "@npmcli/arborist": /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/,
    "normalize-package-data": /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/,
    // The Automation API (pulumi.automation), which drives the CLI.
    "./automation": /[\\/]@pulumi[\\/]pulumi[\\/]index\.js$/,
};

import { deferred } from "./deferred";

type Load = (
    request: string,
    parent: { filename?: string } | undefined,
    isMain: boolean,
) => unknown;
const loader = Module as unknown as { _load: Load };

const original = loader._load;
loader._load = function (request, parent, isMain) {
    const from = DEFERRED[request];
    if (from && parent?.filename && from.test(parent.filename)) {
        return deferred(() => original.call(this, request, parent, isMain) as object);
    }
    return original.call(this, request, parent, isMain);
};

if (process.env.MLOPS_PLAN_SOURCE_MAPS !== "1") process.setSourceMapsEnabled(false);
