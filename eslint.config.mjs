import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/**", "bin/**", "policies/node_modules/**", "*.js", "*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            // A cloud SDK's namespace index references every resource of the namespace (compute:
            // 367 modules), and the type check reads them all: import each resource's module.
            "no-restricted-imports": [
                "error",
                {
                    patterns: [
                        {
                            // Namespaces are lower-case directories (ec2, compute); single-file modules
                            // (getPartition, arnParse, provider, tags) are allowed.
                            regex: "^@pulumi/(aws|gcp)(/(?!(provider|tags|utilities|utils)$)[a-z0-9]+(/index)?)?$",
                            caseSensitive: true,
                            message:
                                'Import the resource\'s own module: import { Network } from "@pulumi/gcp/compute/network".',
                        },
                        {
                            // Pulumi's SDK exports its API from its main module (pulumi.runtime,
                            // pulumi.automation, ...); the files beneath are its internals.
                            group: ["@pulumi/pulumi/*"],
                            message:
                                'Use the SDK\'s public API: import * as pulumi from "@pulumi/pulumi".',
                        },
                    ],
                },
            ],
            // Outputs interpolated with template literals render as "Calling [toString] on an Output".
            "no-restricted-syntax": [
                "error",
                {
                    selector:
                        ":not(TaggedTemplateExpression) > TemplateLiteral > MemberExpression[property.name=/^(url|endpoint|password|result|id)$/]",
                    message: "Use pulumi.interpolate for Outputs, not a template literal.",
                },
                {
                    // The same for require(), import() and import = require(), which it does not see.
                    selector:
                        ":matches(CallExpression[callee.name='require'], ImportExpression, TSExternalModuleReference) > Literal[value=/^@pulumi\\u002Fpulumi\\u002F/]",
                    message: 'Use the SDK\'s public API: require("@pulumi/pulumi").',
                },
            ],
        },
    },
    {
        // Tests and policies read untyped resource properties.
        files: ["test/**/*.ts", "policies/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
