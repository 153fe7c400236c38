import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Outputs interpolated with template literals render as "Calling [toString] on an Output".
const OUTPUT_IN_TEMPLATE = {
    selector:
        ":not(TaggedTemplateExpression) > TemplateLiteral > MemberExpression[property.name=/^(url|endpoint|password|result|id)$/]",
    message: "Use pulumi.interpolate for Outputs, not a template literal.",
};

// The same as no-restricted-imports' @pulumi/pulumi/* for require(), import() and
// import = require(), which that rule does not see.
const SDK_INTERNALS = {
    selector:
        ":matches(CallExpression[callee.name='require'], ImportExpression, TSExternalModuleReference) > Literal[value=/^@pulumi\\u002Fpulumi\\u002F/]",
    message: 'Use the SDK\'s public API: require("@pulumi/pulumi").',
};

// A parameter of the exported API is named for what it holds: `vpcCidr, zoneIndex`, not `c, i`.
// Matched: plain and defaulted parameters of exported functions, of exported arrow and function
// expression consts, and of the constructors, methods and function-valued properties of exported
// classes that are not private. (Destructured parameters have no name of their own.)
const ONE_LETTER = "[name=/^.$/]";
const EXPORTED_FUNCTIONS = [
    "ExportNamedDeclaration > FunctionDeclaration",
    "ExportDefaultDeclaration > FunctionDeclaration",
    "ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > ArrowFunctionExpression",
    "ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > FunctionExpression",
    ":matches(ExportNamedDeclaration, ExportDefaultDeclaration) > ClassDeclaration > ClassBody > " +
        'MethodDefinition:not([accessibility="private"]):not([key.type="PrivateIdentifier"]) > FunctionExpression',
    ":matches(ExportNamedDeclaration, ExportDefaultDeclaration) > ClassDeclaration > ClassBody > " +
        'PropertyDefinition:not([accessibility="private"]):not([key.type="PrivateIdentifier"]) > ' +
        ":matches(ArrowFunctionExpression, FunctionExpression)",
];
const ONE_LETTER_PARAMETER = {
    selector: EXPORTED_FUNCTIONS.flatMap((fn) => [
        `${fn} > Identifier.params${ONE_LETTER}`,
        `${fn} > AssignmentPattern.params > Identifier.left${ONE_LETTER}`,
        `${fn} > TSParameterProperty.params > Identifier.parameter${ONE_LETTER}`,
    ]).join(", "),
    message:
        "Name a parameter of an exported function or class for what it holds, not with one letter.",
};

export default tseslint.config(
    {
        ignores: [
            "node_modules/**",
            "bin/**",
            "policies/node_modules/**",
            "*.js",
            "*.cjs",
            "*.mjs",
        ],
    },
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
            "no-restricted-syntax": ["error", OUTPUT_IN_TEMPLATE, SDK_INTERNALS],
        },
    },
    {
        // The program's exported API. (A later block's no-restricted-syntax replaces this one's
        // for the files both match: each lists every selector it wants.)
        files: [
            "index.ts",
            "components/**/*.ts",
            "stacks/**/*.ts",
            "policies/**/*.ts",
            "tools/**/*.ts",
        ],
        rules: {
            "no-restricted-syntax": [
                "error",
                OUTPUT_IN_TEMPLATE,
                SDK_INTERNALS,
                ONE_LETTER_PARAMETER,
            ],
        },
    },
    {
        // Tests and policies read untyped resource properties.
        files: ["test/**/*.ts", "policies/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
