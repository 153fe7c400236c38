/**
 * Helpers shared by the policy modules: a terse constructor, and readers for the shapes that
 * several policies inspect (pod specs inside workloads, Helm values).
 */
import {
    EnforcementLevel,
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
            def.validate(args.props, report, args);
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
        validateStack: (args, report) => def.validate(args, report),
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
