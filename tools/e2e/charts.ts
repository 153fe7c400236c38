/**
 * A loopback Helm chart repository over a directory of chart packages: the `.tgz` files that
 * `helm pull` (or `helm package`) writes, e.g. fetched on a connected machine and carried to
 * an air-gapped one. The e2e runner serves it with `--serve-charts DIR` and points
 * `mlops:mirror.charts` at it.
 *
 * The repository's `index.yaml` is generated in memory from each package's own `Chart.yaml`,
 * as `helm repo index` writes it (the chart's metadata, its sha256 digest, a URL relative to
 * the index, the file's modification time as `created`); nothing is written into DIR.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as semver from "semver";
import * as tar from "tar";

/** One chart package of the directory. */
export interface ChartPackage {
    /** The package's file name in the directory, e.g. `traefik-41.3.0.tgz`. */
    readonly file: string;
    readonly name: string;
    readonly version: string;
    /** sha256 of the package, hex. */
    readonly digest: string;
    /** The package's `Chart.yaml`, as parsed. */
    readonly metadata: Record<string, unknown>;
    /** The file's modification time, ISO 8601. */
    readonly created: string;
}

/** The files of a `.tgz` at `<top>/Chart.yaml`: a chart's own, not its subcharts'. */
function chartYamls(file: string): { path: string; text: string }[] {
    const found: { path: string; text: string }[] = [];
    tar.t({
        file,
        sync: true,
        // A damaged or foreign archive throws instead of warning.
        strict: true,
        onReadEntry: (entry) => {
            const file = entry.type === "File" || entry.type === "OldFile";
            if (!file || !/^[^/]+\/Chart\.yaml$/.test(entry.path)) {
                entry.resume();
                return;
            }
            const chunks: Buffer[] = [];
            entry.on("data", (c: Buffer) => chunks.push(c));
            entry.on("end", () =>
                found.push({ path: entry.path, text: Buffer.concat(chunks).toString("utf8") }),
            );
        },
    });
    return found;
}

/**
 * Reads one chart package: its `<name>/Chart.yaml` must name the chart and a SemVer version.
 * Throws, naming the file, when it is not a chart package.
 */
export function readChartPackage(file: string): ChartPackage {
    const base = path.basename(file);
    let yamls: { path: string; text: string }[];
    try {
        yamls = chartYamls(file);
    } catch (e) {
        throw new Error(
            `${file}: not a readable gzipped tar archive (${e instanceof Error ? e.message : String(e)}); ` +
                "a chart package is the .tgz that `helm pull` or `helm package` writes",
        );
    }
    if (yamls.length !== 1) {
        throw new Error(
            `${file}: ${yamls.length === 0 ? "no" : `${yamls.length}`} <chart>/Chart.yaml at the ` +
                "top of the archive; a chart package is the .tgz that `helm pull` or `helm package` writes",
        );
    }
    const metadata = yaml.load(yamls[0].text) as Record<string, unknown> | undefined;
    const name = metadata?.name;
    const version = metadata?.version === undefined ? undefined : String(metadata.version);
    if (typeof name !== "string" || !name || !version || !semver.valid(version)) {
        throw new Error(
            `${file}: ${yamls[0].path} must give the chart's name and a SemVer version ` +
                `(got name ${JSON.stringify(name)}, version ${JSON.stringify(version)})`,
        );
    }
    const body = fs.readFileSync(file);
    return {
        file: base,
        name,
        version,
        digest: crypto.createHash("sha256").update(body).digest("hex"),
        metadata,
        created: fs.statSync(file).mtime.toISOString(),
    };
}

/** The `.tgz` files directly in DIR, by name. */
export function packageFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".tgz"))
        .map((e) => e.name)
        .sort();
}

/** Every chart package in DIR; throws when there is none or one is not a chart package. */
export function chartPackages(dir: string): ChartPackage[] {
    const files = packageFiles(dir);
    if (files.length === 0) {
        throw new Error(`${dir}: no chart packages (*.tgz) in it`);
    }
    return files.map((f) => readChartPackage(path.join(dir, f)));
}

/**
 * `index.yaml` of a chart repository holding these packages, as `helm repo index` writes it:
 * each chart's versions newest first, each entry its `Chart.yaml` plus `created`, `digest` and
 * `urls` (relative to the index). `version` and `appVersion` are written as strings, which is
 * what Helm reads them as.
 */
export function indexYaml(packages: readonly ChartPackage[], generated: Date): string {
    const entries: Record<string, Record<string, unknown>[]> = {};
    const sorted = [...packages].sort(
        (a, b) => a.name.localeCompare(b.name) || semver.rcompare(a.version, b.version),
    );
    for (const p of sorted) {
        const appVersion = p.metadata.appVersion;
        (entries[p.name] ??= []).push({
            ...p.metadata,
            version: p.version,
            ...(appVersion === undefined ? {} : { appVersion: String(appVersion) }),
            created: p.created,
            digest: p.digest,
            urls: [p.file],
        });
    }
    return yaml.dump(
        { apiVersion: "v1", entries, generated: generated.toISOString() },
        { lineWidth: -1 },
    );
}

export interface ChartServer {
    readonly url: string;
    /** The packages served. */
    readonly packages: readonly ChartPackage[];
    /** Paths requested so far, with their status codes. */
    readonly requests: { path: string; status: number }[];
    close(): Promise<void>;
}

/**
 * Serves DIR's chart packages and their generated `index.yaml` on http://127.0.0.1:PORT
 * (0: any free port). Only `/index.yaml` and the packages found when it started are served.
 */
export function serveCharts(
    dir: string,
    port = 0,
    log?: (line: string) => void,
): Promise<ChartServer> {
    const packages = chartPackages(dir);
    const index = Buffer.from(indexYaml(packages, new Date()));
    const files = new Set(packages.map((p) => p.file));
    const requests: { path: string; status: number }[] = [];
    const server = http.createServer((req, res) => {
        const name = decodeURIComponent((req.url ?? "/").split("?")[0]).replace(/^\/+/, "");
        const readable = req.method === "GET" || req.method === "HEAD";
        let status = 404;
        let body: Buffer | undefined;
        if (readable && name === "index.yaml") body = index;
        else if (readable && files.has(name)) {
            try {
                body = fs.readFileSync(path.join(dir, name));
            } catch {
                // removed since the server started: not found
            }
        }
        if (body) {
            status = 200;
            res.writeHead(200, {
                "content-type": name.endsWith(".yaml") ? "text/yaml" : "application/gzip",
                "content-length": body.length,
            });
            res.end(req.method === "HEAD" ? undefined : body);
        } else {
            res.writeHead(404, { "content-type": "text/plain" });
            res.end("not found\n");
        }
        requests.push({ path: `/${name}`, status });
        log?.(`${new Date().toISOString()} ${req.method} /${name} ${status}`);
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
            const addr = server.address() as { port: number };
            resolve({
                url: `http://127.0.0.1:${addr.port}`,
                packages,
                requests,
                close: () => new Promise((r) => server.close(() => r())),
            });
        });
    });
}
