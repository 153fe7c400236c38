/**
 * Runs a policy pack's policies over planned resources without the Pulumi CLI, with the
 * @pulumi/policy server's semantics: the level is the pack config's, else the policy's, else
 * the pack's; `disabled` skips, `remediate` reports as mandatory; config defaults come from
 * each policy's schema; `notApplicable` skips; stack policies see parents and dependencies.
 * Props reach policies as they do under the engine (unknowns behind the SDK's proxy), and a
 * policy that reads an unknown value is reported, mandatory, as one that cannot run.
 */
import {
    EnforcementLevel,
    Policies,
    PolicyPackConfig,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { RecordedResource, SecretValue, UnknownValue } from "./recorder";

/**
 * The policy SDK's own view of props during `pulumi preview` (@pulumi/policy 1.21.0
 * proxy.js): an unknown value is a sentinel string, and reading it through the proxy throws
 * UnknownValueError, which the engine reports as "can't run policy ... during preview".
 * Internal to the SDK, so typed here by hand.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy: <T extends object>(o: T) => T;
    unknownStringValue: string;
    UnknownValueError: new (...args: unknown[]) => Error;
};

/**
 * Props already built, by recorded inputs object: a resource's props are built once however
 * many policy runs see it (recorded inputs are never changed after registration).
 */
const builtProps = new WeakMap<object, Record<string, unknown>>();

/** {@link enginePropsOf}, once per inputs object. */
function cachedPropsOf(inputs: Record<string, unknown>): Record<string, unknown> {
    let props = builtProps.get(inputs);
    if (!props) builtProps.set(inputs, (props = enginePropsOf(inputs)));
    return props;
}

/**
 * Props as the engine gives them to policies: secrets unwrapped, unknowns as the SDK's sentinel,
 * behind its proxy.
 */
function enginePropsOf(inputs: unknown): Record<string, unknown> {
    const view = (v: unknown): unknown => {
        if (v instanceof SecretValue) return view(v.value);
        if (v instanceof UnknownValue) return sdk.unknownStringValue;
        if (Array.isArray(v)) return v.map(view);
        if (v !== null && typeof v === "object")
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, view(x)]));
        return v;
    };
    const props = view(inputs);
    return props !== null && typeof props === "object"
        ? sdk.unknownCheckingProxy(props as Record<string, unknown>)
        : {};
}

/** What the engine prints when a policy reads an unknown value; a finding here. */
const cannotRun = (e: unknown) =>
    e instanceof sdk.UnknownValueError
        ? `can't run during preview: ${(e as Error).message}`
        : undefined;

type PolicyConfig = PolicyPackConfig[string];
type PolicyConfigObject = Exclude<PolicyConfig, string>;

/** One violation. */
export interface PolicyViolation {
    readonly policy: string;
    readonly level: "advisory" | "mandatory";
    readonly urn: string;
    readonly message: string;
}

class NotApplicable extends Error {}

function levelOf(
    config: PolicyPackConfig,
    name: string,
    own: EnforcementLevel | undefined,
    packLevel: EnforcementLevel,
): EnforcementLevel {
    const c = config[name];
    const fromConfig =
        typeof c === "string" ? c : (c as PolicyConfigObject | undefined)?.enforcementLevel;
    return fromConfig || own || packLevel;
}

function configOf(config: PolicyPackConfig, p: ResourceValidationPolicy | StackValidationPolicy) {
    const defaults = Object.fromEntries(
        Object.entries(p.configSchema?.properties ?? {})
            .filter(([, s]) => (s as { default?: unknown }).default !== undefined)
            .map(([k, s]) => [k, (s as { default?: unknown }).default]),
    );
    const c = config[p.name];
    const own = typeof c === "object" && c !== null ? { ...(c as PolicyConfigObject) } : {};
    delete (own as { enforcementLevel?: unknown }).enforcementLevel;
    return { ...defaults, ...own };
}

type ResourceClass = { __pulumiType?: string };
const typeChecks = (type: string, props: Record<string, unknown>) => ({
    isType: (cls: unknown) => (cls as ResourceClass).__pulumiType === type,
    asType: (cls: unknown) => ((cls as ResourceClass).__pulumiType === type ? props : undefined),
});

const optionsOf = (r: RecordedResource) => ({
    protect: r.protect,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
});

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
    v !== null && typeof v === "object" && typeof (v as { then?: unknown }).then === "function";

/** Evaluates every policy over the resources; returns the violations, resources in order. */
export async function checkPolicies(
    resources: readonly RecordedResource[],
    policies: Policies,
    config: PolicyPackConfig = {},
    packLevel: EnforcementLevel = "advisory",
): Promise<PolicyViolation[]> {
    const out: PolicyViolation[] = [];
    const throwNotApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };
    const plain = resources.map((r) => ({ r, props: cachedPropsOf(r.inputs) }));
    // What a resource policy's args hold apart from the policy's own config, built once per
    // resource (each policy gets a copy, as each gets its own args from the engine).
    let resourceArgs: (Omit<ResourceValidationArgs, "getConfig"> & { urn: string })[] | undefined;
    const argsOfResources = () =>
        (resourceArgs ??= plain.map(({ r, props }) => ({
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optionsOf(r) as ResourceValidationArgs["opts"],
            stackTags: new Map(),
            ...typeChecks(r.type, props),
            notApplicable: throwNotApplicable,
        })) as unknown as (Omit<ResourceValidationArgs, "getConfig"> & { urn: string })[]);

    for (const p of policies) {
        let level = levelOf(config, p.name, p.enforcementLevel, packLevel);
        if (level === "disabled") continue;
        if (level === "remediate") level = "mandatory";
        const reported = level as "advisory" | "mandatory";
        const policyConfig = configOf(config, p);

        if ("validateResource" in p && p.validateResource) {
            const validations = Array.isArray(p.validateResource)
                ? p.validateResource
                : [p.validateResource];
            const getConfig = <T extends object>() => policyConfig as T;
            // The resource being validated: a validation finishes before the next starts.
            let current = "";
            const report = (message: string, urn?: string) =>
                out.push({ policy: p.name, level: reported, urn: urn ?? current, message });
            for (const base of argsOfResources()) {
                const args = { ...base, getConfig } as ResourceValidationArgs;
                current = base.urn;
                for (const validate of validations) {
                    try {
                        const done = validate(args, report);
                        if (isThenable(done)) await done;
                    } catch (e) {
                        const why = cannotRun(e);
                        if (why)
                            out.push({
                                policy: p.name,
                                level: "mandatory",
                                urn: base.urn,
                                message: why,
                            });
                        else if (!(e instanceof NotApplicable)) throw e;
                    }
                    current = base.urn;
                }
            }
        } else if ("validateStack" in p && p.validateStack) {
            const byUrn = new Map<string, PolicyResource>();
            const stackResources: PolicyResource[] = plain.map(({ r, props }) => {
                const pr = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: optionsOf(r),
                    dependencies: [],
                    propertyDependencies: {},
                    ...typeChecks(r.type, props),
                } as unknown as PolicyResource;
                byUrn.set(r.urn, pr);
                return pr;
            });
            plain.forEach(({ r }, i) => {
                const pr = stackResources[i] as {
                    parent?: PolicyResource;
                    dependencies: PolicyResource[];
                };
                if (r.parent && byUrn.has(r.parent)) pr.parent = byUrn.get(r.parent);
                pr.dependencies = r.dependsOn
                    .map((d) => byUrn.get(d))
                    .filter((d): d is PolicyResource => !!d);
            });
            try {
                await p.validateStack(
                    {
                        resources: stackResources,
                        getConfig: <T extends object>() => policyConfig as T,
                        notApplicable: throwNotApplicable,
                        stackTags: new Map(),
                    } as unknown as Parameters<
                        NonNullable<StackValidationPolicy["validateStack"]>
                    >[0],
                    (message, urn) =>
                        out.push({ policy: p.name, level: reported, urn: urn ?? "", message }),
                );
            } catch (e) {
                const why = cannotRun(e);
                if (why) out.push({ policy: p.name, level: "mandatory", urn: "", message: why });
                else if (!(e instanceof NotApplicable)) throw e;
            }
        }
    }
    return out;
}
