/**
 * The mocks harness for component tests: install recording mocks, build components, wait for
 * every registration, then assert on the recorded children. Unknown invokes throw.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    Recording,
    RecordedResource,
    SecretValue,
    reveal,
    settle,
    startRecording,
} from "../../tools/plan/recorder";

export { Recording, RecordedResource, SecretValue, reveal };

/** Installs fresh recording mocks (call at the start of each test). */
export function record(stack = "test"): Recording {
    return startRecording({ stack });
}

/** Waits for every registration to finish. */
export function settled(): Promise<void> {
    return settle();
}

/** The resolved value of an Output (secret or not). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Whether an Output is secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(output);
}

/** The `type name` of each direct child, sorted, for exact-children assertions. */
export function childList(recording: Recording, parent: RecordedResource): string[] {
    return recording
        .childrenOf(parent.urn)
        .map((r) => `${r.type} ${r.name}`)
        .sort();
}

/** A property path into recorded inputs (secrets unwrapped). */
export function at(resource: RecordedResource, ...path: (string | number)[]): unknown {
    let cur: unknown = resource.inputs;
    for (const p of path) {
        if (cur instanceof SecretValue) cur = cur.value;
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string | number, unknown>)[p];
    }
    return reveal(cur);
}

/** The container security context every workload the project defines starts from. */
export const SECURE_CONTAINER = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};
