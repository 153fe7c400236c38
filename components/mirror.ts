/**
 * A chart and image mirror: where a platform in a regulated or air-gapped network installs
 * from instead of the upstream chart repositories and registries. Names and versions stay;
 * only the location changes. docs/mirror.md says how to fill one.
 */
import { ChartPin } from "./versions";

/**
 * Where charts and images come from instead of upstream (`mlops:mirror`).
 *
 * ```ts
 * const mirror: Mirror = { charts: "oci://registry.example.com/charts", images: "registry.example.com/mirror" };
 * chartSource(charts.traefik, mirror); // { chart: "oci://registry.example.com/charts/traefik" }
 * mirrorImage("postgres:18.6", mirror); // "registry.example.com/mirror/docker.io/library/postgres:18.6"
 * ```
 */
export interface Mirror {
    /**
     * A Helm repository URL (`https://charts.example.com/mlops`) or an OCI prefix
     * (`oci://registry.example.com/charts`) holding every chart under its own name and version.
     * @default each chart's upstream repository
     */
    readonly charts?: string;
    /**
     * A registry prefix (`registry.example.com/mirror`) holding every image at
     * `<prefix>/<source registry>/<path>`, same tag or digest (see {@link mirrorTarget}).
     * @default each image's upstream registry
     */
    readonly images?: string;
}

/** An image reference in its parts, as the container runtime reads it. */
export interface ImageRef {
    /**
     * Registry host (and port); `docker.io` when the reference names none. In a mirror: the
     * mirror's prefix and the source registry (`registry.example.com/mirror/docker.io`).
     */
    readonly registry: string;
    /** Path in the registry as written (`postgres`, `mlflow/mlflow`). */
    readonly repository: string;
    readonly tag?: string;
    /** `sha256:…`, without the `@`. */
    readonly digest?: string;
}

const DOCKER_HUB = "docker.io";

/**
 * Splits an image reference the way the container runtime does: the first path component is
 * a registry host when it contains a `.` or a `:` or is `localhost`; otherwise the image is on
 * Docker Hub.
 */
export function parseImage(ref: string): ImageRef {
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const slash = rest.indexOf("/");
    const first = slash < 0 ? "" : rest.slice(0, slash);
    const isHost = first.includes(".") || first.includes(":") || first === "localhost";
    const registry = isHost ? first : DOCKER_HUB;
    const repository = isHost ? rest.slice(slash + 1) : rest;
    if (!repository || (digest === undefined && tag === undefined)) {
        throw new Error(`image reference ${JSON.stringify(ref)} needs a tag or a digest`);
    }
    return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `registry/repository[:tag][@digest]`. */
export function formatImage(ref: ImageRef): string {
    return (
        `${ref.registry}/${ref.repository}` +
        (ref.tag ? `:${ref.tag}` : "") +
        (ref.digest ? `@${ref.digest}` : "")
    );
}

/**
 * The fully qualified form of a reference, the one a registry client pulls: Docker Hub named,
 * and its official images under `library/` (`postgres:18.6` → `docker.io/library/postgres:18.6`).
 */
export function canonicalImage(ref: string): ImageRef {
    const r = parseImage(ref);
    return r.registry === DOCKER_HUB && !r.repository.includes("/")
        ? { ...r, repository: `library/${r.repository}` }
        : r;
}

/**
 * THE rewrite rule: `<prefix>/<source registry>/<path>`, same tag and digest, from the
 * canonical form; a port in the source registry becomes `-<port>` (a path cannot hold `:`).
 * Keeping the source registry in the path keeps names from different registries apart
 * (`docker.io/library/postgres:18.6` → `<prefix>/docker.io/library/postgres:18.6`,
 * `ghcr.io/mlflow/mlflow:v3.18.0-full` → `<prefix>/ghcr.io/mlflow/mlflow:v3.18.0-full`).
 */
export function mirrorTarget(ref: string, prefix: string): ImageRef {
    const r = canonicalImage(ref);
    return { ...r, registry: `${prefix.replace(/\/+$/, "")}/${r.registry.replace(":", "-")}` };
}

/** An image reference as the platform sets it: moved to the mirror when one is set. */
export function mirrorImage(ref: string, mirror?: Mirror): string {
    return mirror?.images ? formatImage(mirrorTarget(ref, mirror.images)) : ref;
}

/**
 * An image in the parts a chart's values take (`registry`, `repository`, `tag`): as written
 * upstream without a mirror (so they equal the chart's defaults); with one, the registry is
 * `<prefix>/<source registry>` and the repository the source's canonical path.
 */
export function mirrorImageParts(ref: string, mirror?: Mirror): ImageRef {
    return mirror?.images ? mirrorTarget(ref, mirror.images) : parseImage(ref);
}

/**
 * An image's name without tag or digest, for charts that take the name and the tag apart and
 * no registry: `kserve/sklearnserver`, or `<prefix>/docker.io/kserve/sklearnserver`.
 */
export function mirrorImageName(ref: string, mirror?: Mirror): string {
    if (!mirror?.images) return ref.replace(/@.*$/, "").replace(/:[^:/]*$/, "");
    const r = mirrorTarget(ref, mirror.images);
    return `${r.registry}/${r.repository}`;
}

/** An image's tag (`parseImage`); every pinned image has one. */
export function imageTag(ref: string): string {
    const tag = parseImage(ref).tag;
    if (!tag) throw new Error(`image reference ${JSON.stringify(ref)} has no tag`);
    return tag;
}

/** A chart's name: its name in a repository, or the last part of its OCI reference. */
export function chartName(pin: Pick<ChartPin, "chart">): string {
    return pin.chart.replace(/\/+$/, "").split("/").pop()!;
}

/** Where Helm fetches a chart from: `chart` and, for a repository URL, `repositoryOpts`. */
export interface ChartSource {
    readonly chart: string;
    readonly repositoryOpts?: { readonly repo: string };
}

/**
 * Where a pinned chart is installed from: upstream, or the mirror under the same name (an
 * OCI prefix: `<prefix>/<name>`; a repository URL: `<name>` in that repository).
 */
export function chartSource(pin: ChartPin, mirror?: Mirror): ChartSource {
    const target = mirror?.charts;
    if (!target) {
        return pin.repo
            ? { chart: pin.chart, repositoryOpts: { repo: pin.repo } }
            : { chart: pin.chart };
    }
    const name = chartName(pin);
    return target.startsWith("oci://")
        ? { chart: `${target.replace(/\/+$/, "")}/${name}` }
        : { chart: name, repositoryOpts: { repo: target } };
}
