/**
 * Plans a stack config in this process, then prints which cloud SDKs Node loaded, from the
 * module cache: `["@pulumi/gcp"]`. Run by the SDK isolation test in a fresh process.
 */
import { runPlan } from "../../tools/lib/plan";
import { readStackConfig } from "../../tools/lib/stack-config";

void (async () => {
    await runPlan(readStackConfig(process.argv[2]));
    const sdks = new Set<string>();
    for (const file of Object.keys(require.cache)) {
        const m = /node_modules[\\/](@pulumi[\\/](?:gcp|aws|azure-native|eks|awsx))[\\/]/.exec(
            file,
        );
        if (m) sdks.add(m[1].replace("\\", "/"));
    }
    process.stdout.write(JSON.stringify([...sdks].sort()) + "\n", () => process.exit(0));
})();
