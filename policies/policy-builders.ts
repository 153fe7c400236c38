/**
 * How the pack's policies are built: a resource policy over listed resource types, a stack
 * policy, a policy over each container of each workload; and readers for the shapes several
 * policies inspect (pod specs inside workloads, resources of a type). An input unknown during
 * `pulumi preview` skips the resource it belongs to (unknown-inputs.ts).
 */
import {
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { causedByUnknown, validateSkippingUnknowns } from "./unknown-inputs";

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
