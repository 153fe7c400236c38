/** A `mlops:teams[].members` entry: what kind of identity it names, and its value. */
export interface Member {
    /** `group`: a group of the IdP's groups claim; `user`: an email; `sub`: a JWT subject. */
    readonly kind: "group" | "user" | "sub";
    readonly value: string;
}

/** `group:x`, `user:x` or a bare email (a user), `sub:x`. */
export function parseMember(entry: string): Member {
    const m = /^(group|user|sub):(.*)$/.exec(entry);
    if (m) return { kind: m[1] as Member["kind"], value: m[2] };
    return { kind: "user", value: entry };
}

/** The values of the members of one kind, in order. */
export function membersOfKind(entries: readonly string[], kind: Member["kind"]): string[] {
    return entries
        .map(parseMember)
        .filter((m) => m.kind === kind)
        .map((m) => m.value);
}
