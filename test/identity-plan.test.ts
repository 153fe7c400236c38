/**
 * Single sign-on in the plan of every shipped stack (the test run's one plan of each): no
 * IngressRoute without an authentication Middleware, every forwardAuth names who it admits,
 * team A's model is not open to team B's groups, and prod stacks refuse basic auth.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { admittedBy } from "../policies/identity";
import { ConfigError, loadConfig } from "../stacks/config";
import { readStackConfig } from "../tools/plan/stack-config";
import { planCli, ROOT, shippedStackPlan, shippedStacks, writeStackConfig } from "./support/plan";
import * as path from "node:path";

interface Resource {
    type: string;
    name: string;
    inputs: any;
}
const planOf = (stack: string): Resource[] => {
    const run = shippedStackPlan(stack);
    if (run.status !== 0) throw new Error(`plan of ${stack} exited ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout).resources as Resource[];
};
const stackFile = (stack: string) => path.join(ROOT, `Pulumi.${stack}.yaml`);
const MIDDLEWARE = "kubernetes:traefik.io/v1alpha1:Middleware";
const ROUTE = "kubernetes:traefik.io/v1alpha1:IngressRoute";

describe.each(shippedStacks())("the plan of %s", (stack) => {
    it("has no route without an authentication Middleware, unless it is a sign-in page", () => {
        const resources = planOf(stack);
        const auth = new Set(
            resources
                .filter((r) => r.type === MIDDLEWARE)
                .filter((m) => m.inputs.spec?.forwardAuth || m.inputs.spec?.basicAuth)
                .map((m) => m.inputs.metadata.name as string),
        );
        const sso = resources.some((r) => r.type === MIDDLEWARE && r.inputs.spec?.forwardAuth);
        const unguarded = resources
            .filter((r) => r.type === ROUTE)
            .filter((r) => !r.inputs.metadata.annotations?.["mlops.dev/public"])
            // With basic auth (dev only), Argo's server checks its own client tokens.
            .filter((r) => sso || !r.inputs.metadata.annotations?.["mlops.dev/authenticated-by"])
            .flatMap((r) => r.inputs.spec.routes as { match: string; middlewares: any[] }[])
            .filter((route) => !route.middlewares.some((m) => auth.has(m.name)))
            .map((route) => route.match);
        expect(unguarded).toEqual([]);
    });

    it("names who each forwardAuth admits", () => {
        for (const m of planOf(stack).filter((r) => r.type === MIDDLEWARE)) {
            const address = m.inputs.spec?.forwardAuth?.address;
            if (address === undefined) continue;
            const { groups, emails } = admittedBy(address);
            expect({ name: m.name, admits: groups.length + emails.length > 0 }).toEqual({
                name: m.name,
                admits: true,
            });
        }
    });
});

describe("single sign-on in the shipped stacks", () => {
    const configOf = (stack: string) => yaml.load(fs.readFileSync(stackFile(stack), "utf8")) as any;

    it("is on in every prod stack, and prod stacks refuse basic auth", () => {
        const prod = shippedStacks().filter(
            (s) => configOf(s).config["mlops:environment"] === "prod",
        );
        expect(prod.sort()).toEqual(["aws", "gcp", "onprem"]);
        for (const stack of prod) {
            const routes = planOf(stack).filter((r) => r.type === MIDDLEWARE);
            expect(routes.filter((m) => m.inputs.spec?.basicAuth)).toEqual([]);
            expect(routes.filter((m) => m.inputs.spec?.forwardAuth).length).toBeGreaterThan(0);
            const config = readStackConfig(stackFile(stack)).config;
            const routing = JSON.parse(config["mlops:routing"]);
            const basic = {
                ...config,
                "mlops:routing": JSON.stringify({ ...routing, auth: { mode: "basic" } }),
            };
            expect(() => loadConfig(basic)).toThrow(ConfigError);
            expect(() => loadConfig(basic)).toThrow(
                'mlops:routing.auth.mode: got "basic"; prod stacks require "oidc" (basic auth shares one password per route and knows no users)',
            );
        }
    });

    it("gives the gcp stack's teams their own groups on their own servers, admins on the shared ones", () => {
        const resources = planOf("gcp");
        const address = (name: string) =>
            admittedBy(
                resources.find((r) => r.type === MIDDLEWARE && r.name === name)!.inputs.spec
                    .forwardAuth.address,
            );
        expect(address("mlops-traefik-dashboard-sso")).toEqual({
            groups: ["ml-platform-admins@example.com"],
            emails: [],
        });
        // The shared MLflow is the admins'; each team has its own, for its own group.
        expect(address("mlops-mlflow-sso")).toEqual({
            groups: ["ml-platform-admins@example.com"],
            emails: [],
        });
        expect(address("mlops-tracking-vision-sso")).toEqual({
            groups: ["ml-platform-admins@example.com", "ml-vision@example.com"],
            emails: [],
        });
    });
});

describe("team A against team B", () => {
    it("a model owned by vision admits vision's group and the admins, not nlp's", () => {
        const file = writeStackConfig(
            "owned-model",
            [
                "config:",
                "  mlops:teams:",
                "    - name: vision",
                "      members: [group:ml-vision, sub:repo:acme/cv:ref:refs/heads/main]",
                "    - name: nlp",
                "      members: [group:ml-nlp]",
                "  mlops:serving:",
                "    models:",
                "      - { name: detector, format: sklearn, storageUri: s3://b/teams/vision/m, team: vision }",
                "      - { name: shared, format: sklearn, storageUri: s3://b/m }",
            ].join("\n"),
        );
        const run = planCli("--config", file, "--json");
        expect(run.status).toBe(0);
        const resources = JSON.parse(run.stdout).resources as Resource[];
        const admits = (name: string) =>
            admittedBy(
                resources.find((r) => r.type === MIDDLEWARE && r.name === name)!.inputs.spec
                    .forwardAuth.address,
            );
        expect(admits("mlops-serving-detector-sso")).toEqual({
            groups: ["mlops-admins", "ml-vision"],
            emails: [],
        });
        expect(admits("mlops-serving-detector-jwt")).toEqual({
            groups: [],
            emails: ["repo:acme/cv:ref:refs/heads/main"],
        });
        expect(admits("mlops-serving-shared-sso")).toEqual({
            groups: ["mlops-admins", "ml-vision", "ml-nlp"],
            emails: [],
        });
        // vision's pipeline writes the artifact its model server loads (a pickle runs code):
        // an admin's session cookie or token never reaches it, on either rule.
        const middlewares = (name: string) =>
            resources
                .find((r) => r.type === ROUTE && r.name === name)!
                .inputs.spec.routes.map((x: any) => x.middlewares.map((m: any) => m.name));
        expect(middlewares("mlops-serving-detector")).toEqual([
            ["mlops-serving-detector-sso", "mlops-serving-detector-strip-credentials"],
            ["mlops-serving-detector-jwt", "mlops-serving-detector-strip-credentials"],
        ]);
        expect(middlewares("mlops-serving-shared")).toEqual([
            ["mlops-serving-shared-sso", "mlops-serving-shared-strip-credentials"],
            ["mlops-serving-shared-jwt", "mlops-serving-shared-strip-credentials"],
        ]);
    });
});
