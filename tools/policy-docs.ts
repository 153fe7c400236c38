/**
 * npm run docs: writes docs/policies.md, the table of the mlops-guardrails policies, from the
 * pack itself. `--check` exits 1 when the file is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { profiles } from "../policies/profiles";
import { rationale } from "../policies/rationale";
import { policies } from "../policies/rules";

export const DOC = path.resolve(__dirname, "..", "docs", "policies.md");

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** The Markdown of the policy table. */
export function policyDoc(): string {
    const levelIn = (env: "dev" | "prod", name: string) => {
        const override = profiles[env][name];
        return typeof override === "string" ? override : override?.enforcementLevel;
    };
    const rows = policies.map((p) => {
        const overrides = (["dev", "prod"] as const)
            .map((env) => [env, levelIn(env, p.name)] as const)
            .filter(([, l]) => l && l !== p.enforcementLevel)
            .map(([env, l]) => `${env}: ${l}`);
        const level = overrides.length
            ? `${p.enforcementLevel} (${overrides.join(", ")})`
            : p.enforcementLevel;
        return `| \`${p.name}\` | ${level} | ${cell(p.description)} | ${cell(rationale[p.name] ?? "")} |`;
    });
    return [
        "# mlops-guardrails policies",
        "",
        "Generated from `policies/` by `npm run docs`; do not edit by hand.",
        "",
        `${policies.length} policies. The level is the policy's own; \`(prod: …)\` and \`(dev: …)\` are the`,
        "levels the prod and dev profiles (`policies/config.prod.json`, `policies/config.dev.json`)",
        "set. The offline plan picks the profile from",
        "`mlops:environment`; with the CLI:",
        "",
        "```bash",
        "(cd policies && npm install)",
        "pulumi preview --policy-pack policies --policy-pack-config policies/config.prod.json",
        "```",
        "",
        "| policy | level | what | why |",
        "|---|---|---|---|",
        ...rows,
        "",
    ].join("\n");
}

if (require.main === module) {
    const want = policyDoc();
    if (process.argv.includes("--check")) {
        const have = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "";
        if (have !== want) {
            process.stderr.write(
                `${path.relative(process.cwd(), DOC)} is out of date: run npm run docs\n`,
            );
            process.exit(1);
        }
    } else {
        fs.mkdirSync(path.dirname(DOC), { recursive: true });
        fs.writeFileSync(DOC, want);
    }
}
