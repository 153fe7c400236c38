/**
 * Validates every Kubernetes object a plan would create against its OpenAPI schema, offline,
 * with kubernetes-models (core kinds) and @kubernetes-models/traefik (Traefik's CRDs). Kinds
 * without a published model (KServe, Seldon) are listed as unchecked rather than passed.
 */
import { RecordedResource, UnknownValue, reveal } from "./recorder";

/** One schema violation of one object. */
export interface SchemaProblem {
    readonly urn: string;
    /** Dotted path into the object, e.g. `spec.template.spec.containers[0].image`. */
    readonly path: string;
    readonly message: string;
}

export interface SchemaReport {
    readonly problems: SchemaProblem[];
    /** How many objects were validated. */
    readonly checked: number;
    /** Kinds no schema was available for, with how many objects of each. */
    readonly unchecked: Record<string, number>;
}

/** Model packages by API group (CommonJS). */
const CRD_PACKAGES: Record<string, string> = { "traefik.io": "@kubernetes-models/traefik" };
/** Model packages by API group that are published as ES modules only. */
const ESM_PACKAGES: Record<string, string> = { "argoproj.io": "@kubernetes-models/argo-workflows" };
// A real dynamic import, kept as such whatever the TypeScript module setting.
const importModule = new Function("s", "return import(s)") as (
    s: string,
) => Promise<Record<string, unknown>>;

type Model = new (data: unknown) => { validate(): void };

/** Models already looked up, by type token: a plan asks once per object. */
const models = new Map<string, Promise<Model | undefined>>();

/** The kubernetes-models class for a Pulumi Kubernetes type token, if one exists. */
export function modelFor(type: string): Promise<Model | undefined> {
    let model = models.get(type);
    if (!model) models.set(type, (model = findModel(type)));
    return model;
}

async function findModel(type: string): Promise<Model | undefined> {
    const m = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
    if (!m) return undefined;
    const [, group, version, kind] = m;
    if (group === "helm.sh") return undefined;
    if (ESM_PACKAGES[group]) {
        try {
            return (await importModule(`${ESM_PACKAGES[group]}/${group}/${version}/${kind}`))[
                kind
            ] as Model;
        } catch {
            return undefined;
        }
    }
    const base =
        group === "core"
            ? `kubernetes-models/${version}`
            : CRD_PACKAGES[group]
              ? `${CRD_PACKAGES[group]}/${group}/${version}`
              : `kubernetes-models/${group}/${version}`;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(`${base}/${kind}`) as Record<string, Model>)[kind];
    } catch {
        return undefined;
    }
}

/** `/spec/containers/0/image` → `spec.containers[0].image`. */
export function dottedPath(pointer: string): string {
    return pointer
        .split("/")
        .slice(1)
        .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
        .reduce(
            (acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
            "",
        );
}

/** Whether the value at a JSON pointer, or any value above it, is unknown at plan time. */
function throughUnknown(root: unknown, pointer: string): boolean {
    let cur: unknown = root;
    for (const seg of pointer.split("/").slice(1)) {
        if (cur instanceof UnknownValue) return true;
        if (cur === null || typeof cur !== "object") return false;
        cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return cur instanceof UnknownValue;
}

/** Validates every Kubernetes object among the resources. */
export async function checkSchemas(resources: readonly RecordedResource[]): Promise<SchemaReport> {
    const problems: SchemaProblem[] = [];
    const unchecked: Record<string, number> = {};
    let checked = 0;
    for (const r of resources) {
        if (
            !r.custom ||
            !r.type.startsWith("kubernetes:") ||
            r.type.startsWith("kubernetes:helm.sh/")
        )
            continue;
        const model = await modelFor(r.type);
        if (!model) {
            unchecked[r.type] = (unchecked[r.type] ?? 0) + 1;
            continue;
        }
        checked++;
        const object = reveal(r.inputs);
        try {
            new model(object).validate();
        } catch (e) {
            const errors = (e as { errors?: { instancePath: string; message?: string }[] }).errors;
            if (!errors) throw e;
            for (const err of errors) {
                // A value only the update will know is not a schema error yet.
                if (throughUnknown(object, err.instancePath)) continue;
                problems.push({
                    urn: r.urn,
                    path: dottedPath(err.instancePath) || "(root)",
                    message: err.message ?? "invalid",
                });
            }
        }
    }
    return { problems, checked, unchecked };
}
