/**
 * CIDR blocks as address ranges: parsing, and whether a list of blocks admits every address
 * (`0.0.0.0/0`, but also `0.0.0.0/1` + `128.0.0.0/1`, or any set that tiles the space). Used by
 * the guardrails and by config validation alike, so that both refuse the same lists.
 */

/** An address range, both ends included. */
interface Range {
    readonly first: bigint;
    readonly last: bigint;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The address family and range of a CIDR block, or a reason it is not one. */
export type ParsedCidr =
    | { readonly family: 4 | 6; readonly range: Range; readonly canonical: boolean }
    | { readonly problem: string };

function ipv6Words(address: string): number[] | undefined {
    if (!/^[0-9a-fA-F:]+$/.test(address)) return undefined;
    const halves = address.split("::");
    if (halves.length > 2) return undefined;
    const words = (s: string) => (s === "" ? [] : s.split(":"));
    const head = words(halves[0]);
    const tail = halves.length === 2 ? words(halves[1]) : [];
    const missing = 8 - head.length - tail.length;
    if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
    const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
    if (all.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return undefined;
    return all.map((w) => parseInt(w, 16));
}

/** Parses an IPv4 (`a.b.c.d/n`) or IPv6 (`x::/n`) CIDR block. */
export function parseCidr(cidr: string): ParsedCidr {
    let family: 4 | 6;
    let address: bigint;
    let prefix: number;
    const v4 = IPV4.exec(cidr);
    if (v4) {
        const octets = v4.slice(1, 5).map(Number);
        if (octets.some((o, i) => o > 255 || (v4[i + 1].length > 1 && v4[i + 1][0] === "0")))
            return { problem: "each of the four numbers must be 0-255, without leading zeros" };
        family = 4;
        prefix = Number(v4[5]);
        if (prefix > 32) return { problem: "the prefix length of an IPv4 block is 0-32" };
        address = octets.reduce((a, o) => (a << 8n) | BigInt(o), 0n);
    } else {
        const slash = cidr.lastIndexOf("/");
        const words = slash > 0 ? ipv6Words(cidr.slice(0, slash)) : undefined;
        const len = cidr.slice(slash + 1);
        if (!words || !/^\d{1,3}$/.test(len))
            return { problem: "must be a CIDR block such as 203.0.113.0/24 or 2001:db8::/32" };
        family = 6;
        prefix = Number(len);
        if (prefix > 128) return { problem: "the prefix length of an IPv6 block is 0-128" };
        address = words.reduce((a, w) => (a << 16n) | BigInt(w), 0n);
    }
    const bits = BigInt(family === 4 ? 32 : 128);
    const size = 1n << (bits - BigInt(prefix));
    const first = (address / size) * size;
    return { family, range: { first, last: first + size - 1n }, canonical: first === address };
}

/**
 * Whether the blocks together admit every IPv4 address, or every IPv6 address: the whole
 * internet, however it is spelt. Blocks that do not parse are ignored.
 */
export function coversWholeInternet(cidrs: readonly string[]): boolean {
    for (const family of [4, 6] as const) {
        const ranges = cidrs
            .map(parseCidr)
            .flatMap((p) => ("range" in p && p.family === family ? [p.range] : []))
            .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
        const end = (1n << BigInt(family === 4 ? 32 : 128)) - 1n;
        let next = 0n; // the first address not covered yet
        for (const r of ranges) {
            if (r.first > next) break;
            if (r.last + 1n > next) next = r.last + 1n;
        }
        if (ranges.length > 0 && next > end) return true;
    }
    return false;
}
