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
    /**
     * What already exists where the program reads (`<Resource>.get`), by type and id: a read
     * of anything else fails, as the engine's does.
     */
    readonly existing?: readonly ExistingObject[];
}

/** An object that exists before the run, for the program's reads. */
export interface ExistingObject {
    /** The resource type, e.g. `kubernetes:core/v1:ConfigMap`. */
    readonly type: string;
    /** Its id, e.g. `team-vision/mlops-team`. */
    readonly id: string;
    /** Its state, as a read returns it. */
    readonly state: Record<string, unknown>;
}

/** A read the program made (`<Resource>.get`): not a create. */
export interface RecordedRead {
    readonly type: string;
    readonly name: string;
    readonly id: string;
}

/** The resources a run has registered so far. */
export interface Recording {
    readonly resources: RecordedResource[];
    /** Reads the program made (not in `resources`: nothing is created). */
    readonly reads: RecordedRead[];
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
        const metadata = {
            ...inputs.metadata,
            name: inputs.metadata.name ?? `${name}-mock`,
            resourceVersion: "1",
        };
        // The API server gives a Service its cluster address; a documentation-range one stands in.
        if (type === "kubernetes:core/v1:Service" && inputs.spec?.type !== "ExternalName") {
            return { metadata, spec: { clusterIP: "192.0.2.96", ...inputs.spec } };
        }
        return { metadata };
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
        case "gcp:projects/serviceIdentity:ServiceIdentity": {
            // The GKE service agent of a project numbered 123456789012.
            const email = "service-123456789012@container-engine-robot.iam.gserviceaccount.com";
            return { email, member: `serviceAccount:${email}` };
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
 * Installs recording mocks. Call before the program's modules are loaded; the returned
 * recording fills as resources register. Unknown invokes throw, naming the token.
 */
export function startRecording(opts: RecordingOptions = {}): Recording {
    const resources: RecordedResource[] = [];
    const reads: RecordedRead[] = [];
    const invokes: string[] = [];
    const handlers = { ...awsInvokes, ...opts.invokes };

    pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (args.id) {
                    // A read (`<Resource>.get`): what the cluster holds, or nothing to read.
                    const { type, id } = args;
                    const found = opts.existing?.find((o) => o.type === type && o.id === id);
                    if (!found) throw new Error(`${type} ${id}: not found`);
                    return { id: found.id, state: { ...found.state } };
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

    // The mocks see no parents or options: wrap the mock monitor's registration and reads (the
    // monitor getMonitor returns once setMocks has run) to record them from each request.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(
            req: RegisterRequest,
            cb: (err: unknown, res?: RegisterResponse) => void,
        ): void;
        readResource(req: ReadRequest, cb: (err: unknown, res?: unknown) => void): void;
    };
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req, cb) => {
        reads.push({ type: req.getType(), name: req.getName(), id: req.getId() });
        read(req, cb);
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) =>
        register(req, (err, res) => {
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
                        pulumi.runtime.deserializeProperties(req.getObject()),
                    ) as Record<string, unknown>,
                });
            }
            cb(err, res);
        });

    return {
        resources,
        reads,
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

/** What the recording reads of a registration request and its answer. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProtect(): boolean | undefined;
    getProvider(): string;
    getDependenciesList(): string[];
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
/** What the recording reads of a read request. */
interface ReadRequest {
    getType(): string;
    getName(): string;
    getId(): string;
}
interface RegisterResponse {
    getUrn(): string;
}

/**
 * Waits until every registration the program started has finished: `pulumi.runtime.disconnect`
 * waits for the SDK's queue of pending operations to drain, as the language host does when a
 * program ends. (Under the mocks it closes no connection; the next {@link startRecording}
 * installs a fresh mock monitor.)
 */
export async function settle(): Promise<void> {
    await pulumi.runtime.disconnect();
}
