import * as path from "node:path";
import { runPlan } from "../tools/plan/run";
import { checkSchemas, dottedPath, modelFor } from "../tools/plan/schema-check";

describe("schema check", () => {
    it("fails an object with a wrong field type, naming the path", async () => {
        const result = await runPlan(
            { stack: "schema", file: "inline", config: {}, secretKeys: [] },
            path.join(__dirname, "fixtures", "invalid-object.ts"),
        );
        const report = await checkSchemas(result.resources);
        expect(report.checked).toBe(1);
        expect(report.problems).toEqual([
            {
                urn: "urn:pulumi:schema::mlops-platform::pulumi:pulumi:Stack$kubernetes:apps/v1:Deployment::broken",
                path: "spec.replicas",
                message: "must be integer",
            },
            {
                urn: "urn:pulumi:schema::mlops-platform::pulumi:pulumi:Stack$kubernetes:apps/v1:Deployment::broken",
                path: "spec.template.spec.containers[0].ports[0].containerPort",
                message: "must be integer",
            },
        ]);
    });

    it("finds models for core kinds and Traefik's CRDs, and none for kinds without one", async () => {
        expect(await modelFor("kubernetes:apps/v1:StatefulSet")).toBeDefined();
        expect(await modelFor("kubernetes:core/v1:Secret")).toBeDefined();
        expect(await modelFor("kubernetes:rbac.authorization.k8s.io/v1:Role")).toBeDefined();
        expect(await modelFor("kubernetes:traefik.io/v1alpha1:IngressRoute")).toBeDefined();
        expect(await modelFor("kubernetes:traefik.io/v1alpha1:TraefikService")).toBeDefined();
        expect(
            await modelFor("kubernetes:serving.kserve.io/v1beta1:InferenceService"),
        ).toBeUndefined();
        expect(await modelFor("kubernetes:helm.sh/v3:Release")).toBeUndefined();
    });

    it("renders JSON pointers as dotted paths", () => {
        expect(dottedPath("/spec/template/spec/containers/0/image")).toBe(
            "spec.template.spec.containers[0].image",
        );
        expect(dottedPath("/metadata/annotations/mlops.dev~1config")).toBe(
            "metadata.annotations.mlops.dev/config",
        );
        expect(dottedPath("")).toBe("");
    });
});
