/**
 * Cloud names derived from the names a user chooses (the cluster name, pool and team names:
 * DNS labels that may start with a digit). Each kind of name has its own length and alphabet
 * (a {@link DerivedNameRule}); this module turns a list of name parts into a valid name of a
 * kind, deterministically. components/gcp/names.ts and components/aws/names.ts hold each
 * cloud's rules.
 *
 * A name that is already valid, short enough and does not look like a shortened one is used
 * verbatim (`mlops-tracking`). Any other name becomes `<readable stem>-<8 hex of SHA-256 of the
 * parts>`: never ending in '-', always starting as the kind requires. Every shortened name ends
 * in `-` and 8 hex digits and no verbatim name does (a name that does is shortened too), so a
 * verbatim name never equals a shortened one, and two shortened names are equal only if their
 * parts collide in 32 bits of SHA-256.
 */
import { createHash } from "node:crypto";

/** What every kind of derived name states: its length, alphabet and source. */
export interface NameRuleBase {
    /** What the name is, for messages. */
    readonly what: string;
    readonly min: number;
    readonly max: number;
    /** The whole name must match this. */
    readonly pattern: RegExp;
    /** Characters that are not allowed anywhere (replaced by '-'). */
    readonly disallowed: RegExp;
    /** The first character must be a letter (else: a letter or a digit). */
    readonly letterFirst: boolean;
    /** The documentation the limits come from. */
    readonly source: string;
}

/** A kind of derived name, with the constraints only some services have. */
export interface DerivedNameRule extends NameRuleBase {
    /**
     * Substrings the service reserves (Cloud Storage buckets): each one in a shortened name is
     * split by a '-' after its second character (g[o0][o0]g → g[o0]-[o0]g).
     */
    readonly reserved?: RegExp;
    /** No two hyphens in a row (RDS identifiers): runs of '-' become one in a shortened name. */
    readonly noDoubleHyphen?: boolean;
    /** Prefixes the service reserves; a stem starting with one is prefixed with `<filler>-`. */
    readonly reservedPrefixes?: readonly string[];
}

/** How one cloud words and fills its derived names. */
export interface DerivedNameStyle {
    /** The noun of the error message ("identifier", "name"). */
    readonly noun: string;
    /** The stem when nothing readable is left, and the prefix of a reserved one. */
    readonly filler: string;
}

/** Length of the hash suffix of a shortened name. */
export const HASH_LENGTH = 8;
const HASHED = new RegExp(`-[0-9a-f]{${HASH_LENGTH}}$`);

function shortHash(parts: readonly string[]): string {
    // '/' is in no part (DNS labels, project IDs, regions), so distinct part lists hash
    // distinctly.
    return createHash("sha256").update(parts.join("/")).digest("hex").slice(0, HASH_LENGTH);
}

/** Splits every reserved substring (g[o0][o0]g → g[o0]-[o0]g) until none is left. */
function unreserve(s: string, reserved: RegExp | undefined): string {
    if (!reserved) return s;
    const global = new RegExp(reserved.source, "g");
    let out = s;
    while (reserved.test(out)) out = out.replace(global, (m) => `${m.slice(0, 2)}-${m.slice(2)}`);
    return out;
}

function valid(rule: DerivedNameRule, name: string): boolean {
    return (
        name.length >= rule.min &&
        name.length <= rule.max &&
        rule.pattern.test(name) &&
        !rule.reserved?.test(name) &&
        !(rule.noDoubleHyphen && name.includes("--")) &&
        !(rule.reservedPrefixes ?? []).some((p) => name.startsWith(p))
    );
}

/**
 * A valid, deterministic name of `rule` for the name made of `parts` (joined with '-'); throws
 * for an empty part, or when no valid name can be made.
 */
export function derivedName(
    rule: DerivedNameRule,
    parts: readonly string[],
    style: DerivedNameStyle,
): string {
    if (parts.length === 0 || parts.some((p) => p.length === 0)) {
        throw new Error(
            `${rule.what}: got parts ${JSON.stringify(parts)}; every part must be a non-empty string`,
        );
    }
    const joined = parts.join("-");
    if (valid(rule, joined) && !HASHED.test(joined)) return joined;

    const room = rule.max - HASH_LENGTH - 1;
    let clean = joined.toLowerCase().replace(rule.disallowed, "-");
    if (rule.noDoubleHyphen) clean = clean.replace(/-+/g, "-");
    clean = unreserve(clean, rule.reserved).replace(
        rule.letterFirst ? /^[^a-z]+/ : /^[^a-z0-9]+/,
        "",
    );
    if ((rule.reservedPrefixes ?? []).some((p) => clean.startsWith(p))) {
        clean = `${style.filler}-${clean}`;
    }
    // Cutting and trimming only remove characters, so no reserved word reappears; the '-'
    // before the hash keeps one from forming across the junction.
    const stem = clean.slice(0, room).replace(/[^a-z0-9]+$/, "");
    const name = `${stem || style.filler}-${shortHash(parts)}`;
    if (!valid(rule, name)) {
        throw new Error(`${rule.what}: could not derive a valid ${style.noun} from "${joined}"`);
    }
    return name;
}
