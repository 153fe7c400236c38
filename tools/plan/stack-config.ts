/**
 * Reads a `Pulumi.<stack>.yaml` into Pulumi's flat config map, as the CLI would hand it to
 * the program: structured values as JSON, `secure:` values replaced by a placeholder and
 * their keys marked secret (the plan has no passphrase and needs none).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/** Stands in for every `secure:` value. */
export const SECRET_PLACEHOLDER = "plan-secret-placeholder";

/** A stack's config as the program receives it. */
export interface StackConfig {
    /** Stack name: `dev` for `Pulumi.dev.yaml`. */
    readonly stack: string;
    readonly file: string;
    /** `{"mlops:cluster": "<json>", "mlops:cloud": "local"}`. */
    readonly config: Record<string, string>;
    /** Keys that held a `secure:` value anywhere inside. */
    readonly secretKeys: string[];
}

function isSecure(v: unknown): v is { secure: string } {
    return (
        v !== null &&
        typeof v === "object" &&
        !Array.isArray(v) &&
        Object.keys(v).length === 1 &&
        typeof (v as { secure?: unknown }).secure === "string"
    );
}

function replaceSecure(v: unknown, found: { secret: boolean }): unknown {
    if (isSecure(v)) {
        found.secret = true;
        return SECRET_PLACEHOLDER;
    }
    if (Array.isArray(v)) return v.map((x) => replaceSecure(x, found));
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceSecure(x, found)]));
    }
    return v;
}

/** A stack file that is not valid YAML or not a stack file: one line, for exit code 2. */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/** Parses YAML; a syntax error becomes `file:line:column: reason` (1-based, as editors count). */
function parseYaml(file: string): unknown {
    try {
        return yaml.load(fs.readFileSync(file, "utf8"), { filename: file });
    } catch (e) {
        if (e instanceof yaml.YAMLException) {
            const { line, column } = e.mark ?? { line: 0, column: 0 };
            throw new StackFileError(
                `${file}:${line + 1}:${column + 1}: invalid YAML: ${e.reason}`,
            );
        }
        throw e;
    }
}

/** The stack name of a `Pulumi.<stack>.yaml` path. */
export function stackNameOf(file: string): string {
    const base = path.basename(file);
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(base);
    return m ? m[1] : base.replace(/\.ya?ml$/, "");
}

/** Parses a stack config file. `project` namespaces keys written without one. */
export function readStackConfig(file: string, project = "mlops-platform"): StackConfig {
    const doc = parseYaml(file) as {
        config?: Record<string, unknown>;
    } | null;
    if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
        throw new StackFileError(`${file}: expected a YAML mapping with a 'config:' section`);
    }
    if (
        doc?.config !== undefined &&
        doc.config !== null &&
        (typeof doc.config !== "object" || Array.isArray(doc.config))
    ) {
        throw new StackFileError(`${file}: 'config:' must be a mapping of keys to values`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, rawValue] of Object.entries(doc?.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        const found = { secret: false };
        const value = replaceSecure(rawValue, found);
        if (found.secret) secretKeys.push(key);
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { stack: stackNameOf(file), file, config, secretKeys };
}

/**
 * The stack config file a command's `--stack NAME` (Pulumi.NAME.yaml at the project root) or
 * `--config FILE` names.
 */
export function stackFileOf(flag: "--stack" | "--config", value: string): string {
    return flag === "--stack"
        ? path.resolve(__dirname, "..", "..", `Pulumi.${value}.yaml`)
        : path.resolve(value);
}
