/** CIDR and IP address parsing, for config checks and for reading network policies. */

/**
 * Whether `cidr` is a CIDR in canonical form (no host bits set), IPv4 or IPv6, and what is wrong
 * with it when it is not.
 */
export function cidrProblem(cidr: string): string | undefined {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
    if (!m) return "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32";
    const bits = parseIpAddress(m[1]);
    if (!bits) return "must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32";
    const prefix = Number(m[2]);
    const width = bits.length;
    if (prefix > width) return `the prefix must be at most /${width}`;
    if (bits.slice(prefix).includes("1")) return "has host bits set: write the network address";
    return undefined;
}

/** An IPv4 or IPv6 address as a string of bits, or undefined. */
export function parseIpAddress(address: string): string | undefined {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
    if (v4) {
        const octets = v4.slice(1).map(Number);
        if (octets.some((o) => o > 255)) return undefined;
        return octets.map((o) => o.toString(2).padStart(8, "0")).join("");
    }
    if (!/^[0-9a-fA-F:]+$/.test(address) || (address.match(/::/g) ?? []).length > 1)
        return undefined;
    const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
    const groups = (x: string) => (x === "" ? [] : x.split(":"));
    const h = groups(head);
    const t = tail === undefined ? [] : groups(tail);
    const missing = 8 - h.length - t.length;
    if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
    const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...t];
    if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
    return all.map((g) => parseInt(g, 16).toString(2).padStart(16, "0")).join("");
}

/** Whether the address `ip` is inside the CIDR `cidr` (both IPv4, or both IPv6). */
export function cidrContains(cidr: string, ip: string): boolean {
    const [network, prefix] = cidr.split("/");
    const net = parseIpAddress(network);
    const addr = parseIpAddress(ip);
    if (!net || !addr || net.length !== addr.length) return false;
    const n = Number(prefix);
    return net.slice(0, n) === addr.slice(0, n);
}

/** Whether every address of the CIDR `inner` is inside the CIDR `outer`. */
export function cidrCovers(outer: string, inner: string): boolean {
    const [network, prefix] = inner.split("/");
    return Number(prefix) >= Number(outer.split("/")[1]) && cidrContains(outer, network);
}
