/**
 * object-store-no-anonymous-access during a fresh `pulumi preview`: the identities Secret
 * holds generated keys, unknown until they exist, so the policy judges from the annotation
 * the ObjectStore writes beside them (known at preview) and checks the two agree once known.
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { ANONYMOUS_ACTIONS_ANNOTATION, objectStoreNoAnonymous } from "../../policies/storage";
import { ObjectStore } from "../../components/storage/object-store";
import { at, record, reveal, settled } from "../support/harness";

// Internal to @pulumi/policy 1.21.0 (proxy.js), so typed here by hand.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy: <T extends object>(o: T) => T;
    unknownStringValue: string;
};
const UNKNOWN = sdk.unknownStringValue;

function secret(annotation: string | undefined, s3json: string) {
    return sdk.unknownCheckingProxy({
        metadata: {
            labels: { "app.kubernetes.io/name": "seaweedfs" },
            ...(annotation !== undefined
                ? { annotations: { [ANONYMOUS_ACTIONS_ANNOTATION]: annotation } }
                : {}),
        },
        stringData: { "s3.json": s3json },
    });
}

async function run(props: object): Promise<string[]> {
    const out: string[] = [];
    const report: ReportViolation = (message) => out.push(message);
    const args = {
        type: "kubernetes:core/v1:Secret",
        props,
        urn: "urn:pulumi:test::p::kubernetes:core/v1:Secret::s3",
        name: "s3",
        getConfig: () => ({}),
        notApplicable: () => {
            throw new Error("not applicable");
        },
    } as unknown as ResourceValidationArgs;
    await (objectStoreNoAnonymous.validateResource as ResourceValidation)(args, report);
    return out;
}

const grants = (anonymous?: string[]) =>
    JSON.stringify({
        identities: [
            { name: "platform", actions: ["Admin"] },
            ...(anonymous ? [{ name: "anonymous", actions: anonymous }] : []),
        ],
    });

describe("object-store-no-anonymous-access during preview", () => {
    // What a real `pulumi preview` gives (seen under the engine, npm run test:e2e): a Secret's
    // whole stringData is unknown, not only its values.
    const wholeUnknown = (annotation?: string) =>
        sdk.unknownCheckingProxy({
            metadata: {
                labels: { "app.kubernetes.io/name": "seaweedfs" },
                ...(annotation !== undefined
                    ? { annotations: { [ANONYMOUS_ACTIONS_ANNOTATION]: annotation } }
                    : {}),
            },
            stringData: UNKNOWN,
        });

    it("judges from the annotation when the whole stringData is unknown", async () => {
        expect(await run(wholeUnknown("Read,List"))).toEqual(["anonymous callers may Read, List"]);
        expect(await run(wholeUnknown(""))).toEqual([]);
        // The store's other Secrets carry no annotation: nothing to judge, nothing thrown.
        expect(await run(wholeUnknown())).toEqual([]);
    });

    it("reports a public store while its keys are unknown", async () => {
        expect(await run(secret("Read,List", UNKNOWN))).toEqual([
            "anonymous callers may Read, List",
        ]);
    });

    it("passes a private store while its keys are unknown", async () => {
        expect(await run(secret("", UNKNOWN))).toEqual([]);
    });

    it("skips a Secret that is not the store's without reading its data", async () => {
        const other = sdk.unknownCheckingProxy({
            metadata: { labels: { "app.kubernetes.io/name": "postgresql" } },
            stringData: { password: UNKNOWN },
        });
        expect(await run(other)).toEqual([]);
    });

    it("skips the store's other Secrets (no s3.json)", async () => {
        const keys = sdk.unknownCheckingProxy({
            metadata: { labels: { "app.kubernetes.io/name": "seaweedfs" } },
            stringData: { AWS_ACCESS_KEY_ID: UNKNOWN },
        });
        expect(await run(keys)).toEqual([]);
    });

    it("reports a Secret whose annotation is missing or says less than it grants", async () => {
        expect(await run(secret(undefined, grants()))).toEqual([
            "the identities Secret does not declare mlops.dev/anonymous-actions",
        ]);
        expect(await run(secret("", grants(["Read"])))).toEqual([
            "anonymous callers may Read, but mlops.dev/anonymous-actions says ''",
        ]);
    });
});

describe("the ObjectStore declares what anonymous callers may do", () => {
    it.each([
        [false, ""],
        [true, "Read,List"],
    ])("publicRead %s: annotation '%s', matching its identities", async (publicRead, actions) => {
        const rec = record();
        new ObjectStore("store", { namespace: "mlops", size: "1Gi", publicRead });
        await settled();
        const s3 = rec.get("kubernetes:core/v1:Secret", "store-s3-config");
        expect(at(s3, "metadata", "annotations")).toEqual({
            [ANONYMOUS_ACTIONS_ANNOTATION]: actions,
            // No team identities in this store.
            "mlops.dev/identity-policies": "{}",
        });
        const identities = JSON.parse(at(s3, "stringData", "s3.json") as string).identities;
        expect(
            identities.find((i: { name: string }) => i.name === "anonymous")?.actions.join(",") ??
                "",
        ).toBe(actions);
        // The whole recorded Secret, keys known (as in `pulumi up`): both checks run.
        expect(await run(reveal(s3.inputs) as object)).toEqual(
            actions ? [`anonymous callers may ${actions.split(",").join(", ")}`] : [],
        );
    });
});
