/**
 * Helpers shared by the policy modules: a terse constructor, and readers for the shapes that
 * several policies inspect (pod specs inside workloads, Helm values).
 */
import {
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/** A resource policy that applies to the listed resource types. */
export function resourcePolicy(def: {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    types: readonly string[];
    configSchema?: ResourceValidationPolicy["configSchema"];
    validate: (props: any, report: ReportViolation, args: ResourceValidationArgs) => void;
}): ResourceValidationPolicy {
    return {
        name: def.name,
        description: def.description,
        enforcementLevel: def.enforcementLevel,
        configSchema: def.configSchema,
        validateResource: (args, report) => {
            if (!def.types.includes(args.type)) return;
            try {
                def.validate(args.props, report, args);
            } catch (e) {
                // An input unknown during preview: this resource cannot be judged yet.
                if (!causedByUnknown(e, args.props)) throw e;
            }
        },
    };
}

/** A stack policy over every resource. */
export function stackPolicy(def: {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: StackValidationPolicy["configSchema"];
    validate: (args: StackValidationArgs, report: ReportViolation) => void;
}): StackValidationPolicy {
    return {
        name: def.name,
        description: def.description,
        enforcementLevel: def.enforcementLevel,
        configSchema: def.configSchema,
        validateStack: (args, report) => validateSkippingUnknowns(args, report, def.validate),
    };
}

/** Kubernetes workload types whose pods these policies inspect. */
export const WORKLOAD_TYPES = [
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
] as const;

/** The pod spec of a workload's props, whatever the workload kind. */
export function podSpecOf(type: string, props: any): any | undefined {
    if (type === "kubernetes:core/v1:Pod") return props?.spec;
    if (type === "kubernetes:batch/v1:CronJob")
        return props?.spec?.jobTemplate?.spec?.template?.spec;
    return props?.spec?.template?.spec;
}

/** Every container of a pod spec, init containers included. */
export function containersOf(pod: any): any[] {
    return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/** A policy over each container of each workload. */
export function containerPolicy(def: {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    check: (container: any, pod: any) => string | undefined;
}): ResourceValidationPolicy {
    return resourcePolicy({
        name: def.name,
        description: def.description,
        enforcementLevel: def.enforcementLevel,
        types: WORKLOAD_TYPES,
        validate: (props, report, args) => {
            const pod = podSpecOf(args.type, props);
            for (const c of containersOf(pod)) {
                const problem = def.check(c, pod);
                if (problem) report(`container '${c.name}': ${problem}`);
            }
        },
    });
}

/** Whether any of a Pulumi stack's resources has this type. */
export function ofType(args: StackValidationArgs, type: string) {
    return args.resources.filter((r) => r.type === type);
}

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
function causedByUnknown(e: unknown, props: unknown): boolean {
    if (e instanceof Error && "unknownTypeSentinel" in e) return true;
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
function validateSkippingUnknowns(
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
