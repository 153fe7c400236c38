/**
 * Renders the Kubernetes objects of a plan as manifests, one YAML file per object, for
 * scanners that read manifests (kube-score, kubeconform, ...). Helm releases cannot be
 * rendered offline: they are listed, with chart and version, in `helm-releases.txt` so that a
 * reader knows what no scanner has seen.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { RecordedResource, SecretValue, UnknownValue } from "./recorder";

/** Stands in for every secret value, and for every value of a Secret's `stringData`. */
export const REDACTED = "<redacted>";
/** The value of every key of a Secret's `data`: {@link REDACTED}, base64-encoded. */
export const REDACTED_BASE64 = Buffer.from(REDACTED).toString("base64");
/** Stands in for a value not known until the update runs. */
export const UNKNOWN = "<unknown>";
/** The file, in the render directory, that lists the Helm releases not rendered. */
export const HELM_RELEASES_FILE = "helm-releases.txt";

/** One Kubernetes object, as the API server would receive it. */
export interface RenderedObject {
    readonly urn: string;
    readonly apiVersion: string;
    readonly kind: string;
    /** Absent for cluster-scoped objects and for objects left to the provider's namespace. */
    readonly namespace?: string;
    readonly name: string;
    /** File name inside the render directory. */
    readonly file: string;
    readonly manifest: Record<string, unknown>;
}

/** A Helm release (or chart) of the plan: rendered by Helm at `pulumi up`, not here. */
export interface HelmReleaseEntry {
    readonly urn: string;
    readonly type: string;
    readonly release: string;
    readonly namespace: string;
    readonly chart: string;
    readonly version: string;
    readonly repository: string;
}

export interface Rendering {
    readonly objects: RenderedObject[];
    readonly helmReleases: HelmReleaseEntry[];
}

/**
 * The `apiVersion` and `kind` of a Pulumi Kubernetes type token:
 * `kubernetes:apps/v1:Deployment` → `apps/v1` `Deployment`, `kubernetes:core/v1:Secret` → `v1`
 * `Secret`. Undefined for anything else.
 */
export function apiVersionKindOf(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^/:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    const [, group, version, kind] = m;
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** Helm's resource types: releases and charts, whose objects Helm renders at deploy time. */
export function isHelm(type: string): boolean {
    return type.startsWith("kubernetes:helm.sh/");
}

/** Every resource that is one Kubernetes object: custom, `kubernetes:` and not Helm's. */
export function isKubernetesObject(resource: RecordedResource): boolean {
    return resource.custom && resource.type.startsWith("kubernetes:") && !isHelm(resource.type);
}

/**
 * A recorded input as plain YAML-able data: secrets redacted (every scalar inside a secret,
 * keeping its structure), unknowns as {@link UNKNOWN}, undefined properties dropped. Anything
 * else that is not plain data is an error naming its path, never `[object Object]`.
 */
export function plainValue(value: unknown, where: string, inSecret = false): unknown {
    if (value instanceof SecretValue) return plainValue(value.value, where, true);
    if (value instanceof UnknownValue) return UNKNOWN;
    if (value === null) return null;
    if (Array.isArray(value)) return value.map((v, i) => plainValue(v, `${where}[${i}]`, inSecret));
    switch (typeof value) {
        case "string":
        case "number":
        case "boolean":
            return inSecret ? REDACTED : value;
        case "object": {
            const proto = Object.getPrototypeOf(value);
            if (proto !== Object.prototype && proto !== null) {
                throw new Error(`${where}: cannot render a ${proto?.constructor?.name} as YAML`);
            }
            const out: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
                if (v === undefined) continue;
                out[k] = plainValue(v, `${where}.${k}`, inSecret);
            }
            return out;
        }
        default:
            throw new Error(`${where}: cannot render a ${typeof value} as YAML`);
    }
}

/** Replaces every value of a Secret's data map, secret-marked or not, keeping its keys. */
function redactMap(map: unknown, replacement: string): unknown {
    if (map === null || typeof map !== "object" || Array.isArray(map)) return map;
    return Object.fromEntries(Object.keys(map).map((k) => [k, replacement]));
}

/** Keeps a name's characters that are safe in a file name. */
function fileSafe(s: string): string {
    return s.replace(/[^A-Za-z0-9._-]/g, "_");
}

function asText(value: unknown, where: string): string {
    if (value === undefined) return "-";
    const v = plainValue(value, where);
    if (v === undefined || v === null) return "-";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
}

/** One resource as a manifest. */
function renderObject(r: RecordedResource): RenderedObject {
    const av = apiVersionKindOf(r.type);
    if (!av) throw new Error(`${r.urn}: not a Kubernetes type token: ${r.type}`);
    const { apiVersion, kind } = av;
    const where = r.urn;
    const inputs = plainValue(r.inputs, where) as Record<string, unknown>;
    for (const [key, expected] of [
        ["apiVersion", apiVersion],
        ["kind", kind],
    ] as const) {
        if (inputs[key] !== undefined && inputs[key] !== expected) {
            throw new Error(`${where}: ${key} ${String(inputs[key])} does not match ${r.type}`);
        }
    }
    const metadata = { ...((inputs.metadata as Record<string, unknown> | undefined) ?? {}) };
    // The provider names an object without a name after its resource; the plan's mocks call it
    // `<name>-mock` (tools/plan/recorder.ts), which is what references to it resolved to.
    if (metadata.name === undefined) metadata.name = `${r.name}-mock`;
    const rest = Object.fromEntries(
        Object.entries(inputs).filter(([k]) => !["apiVersion", "kind", "metadata"].includes(k)),
    );
    if (apiVersion === "v1" && kind === "Secret") {
        if ("data" in rest) rest.data = redactMap(rest.data, REDACTED_BASE64);
        if ("stringData" in rest) rest.stringData = redactMap(rest.stringData, REDACTED);
    }
    const manifest = { apiVersion, kind, metadata: orderMetadata(metadata), ...rest };
    const name = String(metadata.name);
    const namespace = metadata.namespace === undefined ? undefined : String(metadata.namespace);
    const group = apiVersion.includes("/") ? `.${apiVersion.split("/")[0]}` : "";
    const file = `${fileSafe(`${kind.toLowerCase()}${group}`)}_${fileSafe(namespace ?? "-")}_${fileSafe(name)}.yaml`;
    return { urn: r.urn, apiVersion, kind, namespace, name, file, manifest };
}

/** `name` and `namespace` first, as kubectl prints them. */
function orderMetadata(m: Record<string, unknown>): Record<string, unknown> {
    const { name, namespace, ...rest } = m;
    return { name, ...(namespace === undefined ? {} : { namespace }), ...rest };
}

function helmEntry(r: RecordedResource): HelmReleaseEntry {
    const i = r.inputs;
    const repo = (i.repositoryOpts as Record<string, unknown> | undefined)?.repo;
    return {
        urn: r.urn,
        type: r.type,
        release: asText(i.name ?? r.name, `${r.urn}.name`),
        namespace: asText(i.namespace, `${r.urn}.namespace`),
        chart: asText(i.chart, `${r.urn}.chart`),
        version: asText(i.version, `${r.urn}.version`),
        repository: asText(repo, `${r.urn}.repositoryOpts.repo`),
    };
}

/**
 * Every Kubernetes object of a plan as a manifest, and its Helm releases. Two objects that
 * would land in the same file (same kind, group, namespace and name) are an error.
 */
export function renderObjects(resources: readonly RecordedResource[]): Rendering {
    const objects = resources.filter(isKubernetesObject).map(renderObject);
    const byFile = new Map<string, RenderedObject>();
    for (const o of objects) {
        const other = byFile.get(o.file);
        if (other) throw new Error(`${o.urn} and ${other.urn} are the same object (${o.file})`);
        byFile.set(o.file, o);
    }
    const helmReleases = resources.filter((r) => isHelm(r.type)).map(helmEntry);
    return { objects, helmReleases };
}

/** The YAML file of one object, headed by the resource it comes from. */
export function manifestYaml(object: RenderedObject): string {
    return `# ${object.urn}\n` + yaml.dump(object.manifest, { noRefs: true, lineWidth: -1 });
}

/** `helm-releases.txt`: what was not rendered, and so not scanned. */
export function helmReleasesText(stack: string, releases: readonly HelmReleaseEntry[]): string {
    const head = [
        `# Helm releases of stack ${stack}: ${releases.length}. Helm renders their objects at`,
        "# `pulumi up`; they are not in this directory and no scanner of it has seen them.",
        "# release\tnamespace\tchart\tversion\trepository",
    ];
    const lines = releases.map((h) =>
        [h.release, h.namespace, h.chart, h.version, h.repository].join("\t"),
    );
    return [...head, ...lines].join("\n") + "\n";
}

/**
 * Writes a rendering into `dir`, which must be empty or absent: files left from another
 * render would be scanned as if they were this stack's.
 */
export function writeRendering(rendering: Rendering, stack: string, dir: string): void {
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
        throw new Error(`--render ${dir}: the directory is not empty`);
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const o of rendering.objects) {
        fs.writeFileSync(path.join(dir, o.file), manifestYaml(o));
    }
    fs.writeFileSync(
        path.join(dir, HELM_RELEASES_FILE),
        helmReleasesText(stack, rendering.helmReleases),
    );
}
