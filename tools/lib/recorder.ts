/**
 * Runs Pulumi programs under the SDK's mocks and records every registered resource, with its
 * parent, inputs (secrets marked), protect flag and provider. Used by the offline plan and by
 * the tests (through test/support), so both see exactly the same resource graph.
 */
import * as pulumi from "@pulumi/pulumi";
import { awsInvokes, awsOutputs } from "./aws-mocks";

/** A value that was a secret when it was registered. */
export class SecretValue {
    constructor(public readonly value: unknown) {}
    toJSON() {
        return "[secret]";
    }
}

/** A value not known until the update runs (an output of a resource not yet created). */
export class UnknownValue {
    toJSON() {
        return "[unknown]";
    }
}

/** One registered resource, as the engine would have received it. */
export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** URN of the parent, if any. */
    readonly parent?: string;
    /** Custom (provider-managed) or component. */
    readonly custom: boolean;
    readonly protect: boolean;
    /** Provider reference (`urn::id`) for custom resources. */
    readonly provider?: string;
    readonly dependsOn: readonly string[];
    /** Inputs with secret values wrapped in {@link SecretValue}. */
    readonly inputs: Record<string, unknown>;
}

/** Answers an invoke; the harness throws for any token that has none. */
export type InvokeHandler = (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;

/** Options of {@link startRecording}. */
export interface RecordingOptions {
    readonly project?: string;
    readonly stack?: string;
    /** Handlers of the invokes a program may make, by token. */
    readonly invokes?: Readonly<Record<string, InvokeHandler>>;
    /** Outputs of the stacks a program references, by stack name. */
    readonly stackReferences?: Readonly<Record<string, Record<string, unknown>>>;
    /**
     * Answer registrations with the SDK's own mock monitor, protobuf answer included, instead of
     * {@link answerWithoutProtobuf} (for comparing the two).
     */
    readonly sdkAnswers?: boolean;
}

/** The resources a run has registered so far. */
export interface Recording {
    readonly resources: RecordedResource[];
    /** Invokes the program made, by token. */
    readonly invokes: string[];
    /** Resources of one type. */
    ofType(type: string): RecordedResource[];
    /** The one resource of `type` named `name`; throws if absent. */
    get(type: string, name: string): RecordedResource;
    /** Direct children of the resource with this URN. */
    childrenOf(urn: string): RecordedResource[];
}

const { specialSigKey, specialSecretSig } = pulumi.runtime;

/**
 * Replaces Pulumi's wire encoding of secrets with {@link SecretValue}, and unknown values with
 * {@link UnknownValue}.
 */
export function markSecrets(value: unknown): unknown {
    if (pulumi.isUnknown(value)) return new UnknownValue();
    if (Array.isArray(value)) return value.map(markSecrets);
    if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o[specialSigKey] === specialSecretSig) return new SecretValue(markSecrets(o.value));
        if (o[specialSigKey] !== undefined) return value;
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, markSecrets(v)]));
    }
    return value;
}

/** Plain value with secrets unwrapped, for assertions on content. */
export function reveal(value: unknown): unknown {
    if (value instanceof SecretValue) return reveal(value.value);
    if (value instanceof UnknownValue) return value;
    if (Array.isArray(value)) return value.map(reveal);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}

/** Outputs a provider would compute, so that programs depending on them resolve. */
function computedOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const { type, name, inputs } = args;
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return {
                result: `mock-password-${name}`,
                bcryptHash: `$2a$10$mockbcrypthashof${name}`,
            };
        case "random:index/randomString:RandomString":
            return { result: `mock-string-${name}` };
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock-${name}\n-----END PRIVATE KEY-----\n`,
                publicKeyPem: `-----BEGIN PUBLIC KEY-----\nmock-${name}\n-----END PUBLIC KEY-----\n`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return {
                certPem: `-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----\n`,
            };
        case "kubernetes:helm.sh/v3:Release":
            return {
                status: {
                    name: inputs.name ?? name,
                    namespace: inputs.namespace,
                    status: "deployed",
                },
            };
    }
    if (type.startsWith("gcp:")) return gcpOutputs(type, name, inputs);
    if (type.startsWith("aws:")) return awsOutputs(type, name, inputs);
    if (type.startsWith("kubernetes:") && inputs.metadata) {
        // The provider auto-names objects without a name; a stable mock name stands in.
        return {
            metadata: {
                ...inputs.metadata,
                name: inputs.metadata.name ?? `${name}-mock`,
                resourceVersion: "1",
            },
        };
    }
    return {};
}

/** Outputs Google Cloud would compute, with documentation-range addresses. */
function gcpOutputs(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
): Record<string, unknown> {
    const project = (inputs.project as string | undefined) ?? "mock-project";
    const resourceName = inputs.name ?? name;
    switch (type) {
        case "gcp:serviceaccount/account:Account": {
            const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
            return { email, name: `projects/${project}/serviceAccounts/${email}` };
        }
        case "gcp:compute/network:Network":
            return {
                name: resourceName,
                selfLink: `projects/${project}/global/networks/${resourceName}`,
            };
        case "gcp:container/cluster:Cluster":
            return {
                name: resourceName,
                endpoint: "192.0.2.10",
                masterAuth: {
                    clusterCaCertificate: Buffer.from(`mock-ca-${name}`).toString("base64"),
                },
            };
        case "gcp:sql/databaseInstance:DatabaseInstance":
            return {
                name: resourceName,
                privateIpAddress: "10.100.0.3",
                connectionName: `${project}:${inputs.region}:${resourceName}`,
            };
        default:
            return { name: resourceName };
    }
}

/**
 * What the SDK captures per resource and per promise for the engine and for leak reports:
 * the full call stack of every resource (its source position; the mock monitor drops it) and,
 * on every internal promise, a stack trace and a label, then a `.then().catch()` chain that
 * removes the promise from the leak candidates when it settles. Under the mocks neither the
 * stacks nor the labels are read (they are printed only with PULUMI_DEBUG_PROMISE_LEAKS, which
 * keeps the SDK's own version), and a plan has some twenty such promises in flight per
 * resource, so a recording skips the call stacks and keeps, of each promise, only the leak
 * bookkeeping: the promise joins the candidates and leaves them when it settles, and the
 * SDK's exit check (see {@link installExitCheck}) reports one that never did. The promise
 * itself is returned, so a rejection reaches its callers unchanged (without the SDK's
 * `err.promise` debug field).
 */
let sdkDebugPromise: (<T>(p: Promise<T>, ctx: unknown) => Promise<T>) | undefined;

/**
 * Installs the SDK's exit check, which fails a process that exits with a promise still pending
 * (the SDK installs it on its first debug promise; a recording replaces those, so a process
 * that exits after a plan, as the CLIs do, installs it here). Not for a test runner's
 * long-lived workers: the check's listener on the process would keep each test file's SDK.
 */
export function installExitCheck(): void {
    void sdkDebugPromise?.(Promise.resolve(), "the SDK's exit check");
}

function skipUnreadStacks(): void {
    const resource = pulumi.Resource as unknown as { callsites: () => unknown[]; __plan?: true };
    if (resource.__plan) return;
    resource.__plan = true;
    resource.callsites = () => [];
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
        debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
    };
    const state = require("@pulumi/pulumi/runtime/state") as {
        getStore(): { leakCandidates: Set<Promise<unknown>> };
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    sdkDebugPromise = debuggable.debuggablePromise;
    debuggable.debuggablePromise = (p) => {
        const candidates = state.getStore().leakCandidates;
        candidates.add(p);
        const settled = forgetting(candidates, p);
        p.then(settled, settled);
        return p;
    };
}

/**
 * A callback that takes `p` out of `candidates`. Made here rather than as a named arrow in the
 * hot path: tsx (esbuild's keepNames) names each such arrow with a call wherever it is created,
 * once per promise of the SDK.
 */
function forgetting(candidates: Set<Promise<unknown>>, p: Promise<unknown>): () => void {
    return () => void candidates.delete(p);
}

/**
 * Installs recording mocks. Call before the program's modules are loaded; the returned
 * recording fills as resources register. Unknown invokes throw, naming the token.
 */
export function startRecording(opts: RecordingOptions = {}): Recording {
    const resources: RecordedResource[] = [];
    const invokes: string[] = [];
    const handlers = { ...awsInvokes, ...opts.invokes };
    skipUnreadStacks();
    // The inputs the mock monitor deserialized for newResource, which it calls before its
    // first await: the recording takes them instead of deserializing the request again.
    let lastInputs: Record<string, unknown> | undefined;

    pulumi.runtime.setMocks(
        {
            newResource(args) {
                lastInputs = args.inputs;
                if (args.type === "pulumi:pulumi:StackReference") {
                    const outputs = opts.stackReferences?.[args.inputs.name];
                    if (!outputs)
                        throw new Error(`no outputs for referenced stack ${args.inputs.name}`);
                    return {
                        id: args.inputs.name,
                        state: { name: args.inputs.name, outputs, secretOutputNames: [] },
                    };
                }
                return {
                    id: `${args.name}-id`,
                    state: { ...args.inputs, ...computedOutputs(args) },
                };
            },
            call(args) {
                invokes.push(args.token);
                const handler = handlers[args.token];
                if (!handler) throw new Error(`unmocked invoke: ${args.token}`);
                return handler(args);
            },
        },
        opts.project ?? "mlops-platform",
        opts.stack ?? "test",
        true,
    );

    // The mock monitor keeps no parents or options; wrap its registration to record them.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(
            req: RegisterRequest,
            cb: (err: unknown, res?: RegisterResponse) => void,
        ): void;
    };
    const original = opts.sdkAnswers
        ? monitor.registerResource.bind(monitor)
        : answerWithoutProtobuf(monitor as unknown as MockMonitor);
    monitor.registerResource = (req, cb) => {
        lastInputs = undefined;
        const captured: { inputs?: Record<string, unknown> } = {};
        original(req, (err, res) => {
            if (!err && res) {
                resources.push({
                    urn: res.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || undefined,
                    custom: req.getCustom(),
                    protect: req.getProtect() === true,
                    provider: req.getProvider() || undefined,
                    dependsOn: req.getDependenciesList(),
                    inputs: markSecrets(
                        captured.inputs ?? pulumi.runtime.deserializeProperties(req.getObject()),
                    ) as Record<string, unknown>,
                });
            }
            cb(err, res);
        });
        captured.inputs = lastInputs;
    };

    return {
        resources,
        invokes,
        ofType: (type) => resources.filter((r) => r.type === type),
        get(type, name) {
            const found = resources.find((r) => r.type === type && r.name === name);
            if (!found) {
                const names = resources.filter((r) => r.type === type).map((r) => r.name);
                throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
            }
            return found;
        },
        childrenOf: (urn) => resources.filter((r) => r.parent === urn),
    };
}

/** What {@link answerWithoutProtobuf} uses of the SDK's MockMonitor (runtime/mocks.js). */
interface MockMonitor {
    readonly mocks: pulumi.runtime.Mocks;
    readonly resources: Map<string, { urn: string; id: string | null; state: unknown }>;
    newUrn(parent: string, type: string, name: string): string;
}

/**
 * The SDK's mock registration (MockMonitor.registerResource) with its answer's object handed
 * over as it is instead of through a protobuf Struct: the SDK reads the answer's object only
 * through `toJavaScript()`, which gives back the JSON-like value the Struct was built from, each
 * object's keys sorted (so {@link keysSorted} here). The
 * same steps in the same order and with the same awaits, so registrations finish in the same
 * order as with the SDK's monitor (`sdkAnswers`, compared in test/recorder.test.ts); the mock
 * monitor's own table of resources is filled as it fills it.
 */
function answerWithoutProtobuf(
    monitor: MockMonitor,
): (req: RegisterRequest, cb: (err: unknown, res?: RegisterResponse) => void) => void {
    return async (req, callback) => {
        try {
            const result = await monitor.mocks.newResource({
                type: req.getType(),
                name: req.getName(),
                inputs: pulumi.runtime.deserializeProperties(req.getObject()),
                provider: req.getProvider(),
                custom: req.getCustom(),
                id: req.getImportid(),
            });
            const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
            const state = await pulumi.runtime.serializeProperties("", result.state);
            monitor.resources.set(urn, { urn, id: result.id ?? null, state });
            const id = result.id || "";
            // Methods, not arrow properties: tsx would name each arrow with a call, per resource.
            const answer = {
                getUrn() {
                    return urn;
                },
                getId() {
                    return id;
                },
                getObject() {
                    return { toJavaScript: () => keysSorted(state) };
                },
                // What an answer without property dependencies and with a SUCCESS result reads as.
                getPropertydependenciesMap() {
                    return undefined;
                },
                getResult() {
                    return 0;
                },
            };
            callback(null, answer);
        } catch (err) {
            callback(err, undefined);
        }
    };
}

/** A JSON-like value with every object's keys in sorted order, as Struct.toJavaScript gives it. */
function keysSorted(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(keysSorted);
    if (value === null || typeof value !== "object") return value;
    const o = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) sorted[k] = keysSorted(o[k]);
    return sorted;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProtect(): boolean | undefined;
    getProvider(): string;
    getDependenciesList(): string[];
    getImportid(): string;
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
interface RegisterResponse {
    getUrn(): string;
}

const waitForRPCs: () => Promise<void> = (
    pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> }
).waitForRPCs;

/**
 * Waits until every registration the program started has finished: the SDK's own RPC queue
 * (which re-waits while work is added), then a turn of the event loop for registrations that
 * were waiting on other resources' outputs, until nothing new arrives.
 */
export async function settle(recording: Recording): Promise<void> {
    let seen = -1;
    while (seen !== recording.resources.length) {
        seen = recording.resources.length;
        await waitForRPCs();
        await new Promise((r) => setImmediate(r));
    }
}
