/**
 * Inputs unknown during `pulumi preview`: how a policy reads an input that may not be known
 * yet, and how a policy that trips over one skips that resource rather than failing.
 */
import { PolicyResource, ReportViolation, StackValidationArgs } from "@pulumi/policy";

export const UNKNOWN = Symbol("unknown");

/** An input of any shape, or UNKNOWN when the policy SDK cannot know it during preview. */
export function input(read: () => unknown): unknown {
    try {
        return read();
    } catch (e) {
        if (e instanceof Error && "unknownTypeSentinel" in e) return UNKNOWN;
        throw e;
    }
}

/**
 * A string input, `undefined` when absent, or UNKNOWN when it cannot be known yet: during
 * `pulumi preview` the policy SDK throws on reading an unknown input (an error carrying
 * `unknownTypeSentinel`, @pulumi/policy proxy.js), and the offline plan passes a non-string
 * placeholder.
 */
export function stringInput(read: () => unknown): string | undefined | typeof UNKNOWN {
    const v = input(read);
    if (v === UNKNOWN || v === undefined || v === null) return v ?? undefined;
    return typeof v === "string" ? v : UNKNOWN;
}

/**
 * The value of an unknown input as the engine sends it to policies during preview (the
 * Pulumi protocol's unknown sentinel; @pulumi/policy proxy.js `unknownStringValue`).
 */
export const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value holds an unknown anywhere. */
function holdsUnknown(v: unknown, depth = 0): boolean {
    if (v === UNKNOWN_SENTINEL) return true;
    if (depth > 12 || v === null || typeof v !== "object") return false;
    try {
        return Object.values(v).some((x) => holdsUnknown(x, depth + 1));
    } catch (e) {
        // Read through the SDK's proxy, an unknown throws rather than shows.
        if (e instanceof Error && "unknownTypeSentinel" in e) return true;
        throw e;
    }
}

/**
 * Whether an error comes from an unknown input: the SDK's UnknownValueError, or any error
 * while the props being read hold an unknown (a policy that took the sentinel string for a
 * list, say).
 */
export function causedByUnknown(error: unknown, props: unknown): boolean {
    if (error instanceof Error && "unknownTypeSentinel" in error) return true;
    return holdsUnknown(props);
}

/**
 * A stack resource as a stack policy sees it, which notes when its props are read: every
 * member of the policy SDK's PolicyResource reads through to the resource (TypeScript holds
 * the list to the SDK's interface), `props` noting the read. (A plain class, not a Proxy:
 * policies read `type` and the other fields of every resource, and a Proxy trap on each read
 * was most of a large stack's policy time; so was copying each resource's fields.)
 */
class Watched implements PolicyResource {
    readonly #r: PolicyResource;
    readonly #onRead: (r: PolicyResource) => void;
    constructor(resource: PolicyResource, onRead: (r: PolicyResource) => void) {
        this.#r = resource;
        this.#onRead = onRead;
    }
    get props() {
        this.#onRead(this.#r);
        return this.#r.props;
    }
    get type() {
        return this.#r.type;
    }
    get urn() {
        return this.#r.urn;
    }
    get name() {
        return this.#r.name;
    }
    get opts() {
        return this.#r.opts;
    }
    get provider() {
        return this.#r.provider;
    }
    get parent() {
        return this.#r.parent;
    }
    get dependencies() {
        return this.#r.dependencies;
    }
    get propertyDependencies() {
        return this.#r.propertyDependencies;
    }
    isType(resourceClass: any): boolean {
        return this.#r.isType(resourceClass);
    }
    asType(resourceClass: any): any {
        return this.#r.asType(resourceClass);
    }
}

/**
 * Runs a stack policy so that a resource with an input unknown during preview is skipped,
 * not the whole policy: when the policy trips over an unknown, the resource whose props it
 * read last is left out and the policy runs again. Every resource it can judge is judged;
 * reports of the aborted attempts are dropped.
 */
export function validateSkippingUnknowns(
    args: StackValidationArgs,
    report: ReportViolation,
    validate: (args: StackValidationArgs, report: ReportViolation) => void,
): void {
    let resources = args.resources;
    for (;;) {
        let last: (typeof resources)[number] | undefined;
        const watched = resources.map((r) => new Watched(r, (read) => (last = read)));
        const reports: Parameters<ReportViolation>[] = [];
        try {
            validate({ ...args, resources: watched }, (...a) => reports.push(a));
        } catch (e) {
            if (last && causedByUnknown(e, last.props)) {
                const skipped = last;
                resources = resources.filter((r) => r !== skipped);
                continue;
            }
            throw e;
        }
        for (const a of reports) report(...a);
        return;
    }
}
