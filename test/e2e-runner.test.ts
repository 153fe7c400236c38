/**
 * What `npm run test:e2e` decides before it reaches a cluster: its options (--charts against
 * --serve-charts), the chart repository it serves from a directory of chart packages (the
 * index.yaml it generates from their Chart.yaml files) and the stack config it writes
 * (`mlops:mirror` pointed at the repository given). The run itself needs a cluster and the
 * Pulumi CLI: docs/e2e.md.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as tar from "tar";
import { loadConfig } from "../stacks/config";
import {
    ChartServer,
    chartPackages,
    indexYaml,
    readChartPackage,
    serveCharts,
} from "../tools/e2e/charts";
import { e2eStackConfig, mirrorConfig, parseArgs, UsageError } from "../tools/e2e/run";

const ROOT = path.resolve(__dirname, "..");
let tmp: string;

beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlops-e2e-test-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh directory under the test's temp folder. */
function freshDir(name: string): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

/**
 * Writes FILES under a staging directory and packs them as `helm package` lays a chart out
 * (`<top>/Chart.yaml`, `<top>/templates/...`) into DIR/NAME, with the given modification time.
 */
function writePackage(
    dir: string,
    name: string,
    files: Record<string, string>,
    mtime = new Date("2026-01-02T03:04:05.000Z"),
): string {
    const stage = fs.mkdtempSync(path.join(tmp, "stage-"));
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
        fs.writeFileSync(path.join(stage, rel), text);
    }
    const file = path.join(dir, name);
    tar.c({ gzip: true, file, cwd: stage, sync: true, portable: true }, fs.readdirSync(stage));
    fs.utimesSync(file, mtime, mtime);
    return file;
}

const sha256 = (file: string) =>
    crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("options: --charts URL or --serve-charts DIR", () => {
    let charts: string;
    beforeAll(() => {
        charts = freshDir("options-charts");
        writePackage(charts, "demo-1.2.3.tgz", {
            "demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.2.3\n",
        });
    });

    const usage = (argv: string[]): string => {
        try {
            parseArgs(argv);
        } catch (e) {
            expect(e).toBeInstanceOf(UsageError);
            return (e as Error).message;
        }
        throw new Error(`parseArgs(${JSON.stringify(argv)}) accepted it`);
    };

    it("defaults: upstream charts, the vision team stack, no plugin download, destroy on failure", () => {
        expect(parseArgs([])).toEqual({
            pluginDownload: false,
            keepOnFailure: false,
            team: "Pulumi.team-vision.yaml",
        });
    });

    it.each([
        ["https://charts.example.com/mlops"],
        ["http://127.0.0.1:8879"],
        ["oci://registry.example.com/charts"],
    ])("--charts %s is taken as given", (url) => {
        const o = parseArgs(["--charts", url, "--images", "registry.example.com/mirror"]);
        expect(o.charts).toBe(url);
        expect(o.serveCharts).toBeUndefined();
        expect(o.images).toBe("registry.example.com/mirror");
    });

    it("--serve-charts DIR with chart packages is taken, as an absolute path", () => {
        const rel = path.relative(process.cwd(), charts);
        expect(parseArgs(["--serve-charts", rel]).serveCharts).toBe(charts);
    });

    it("refuses both, naming each value and what to give instead", () => {
        expect(usage(["--charts", "https://charts.example.com", "--serve-charts", charts])).toBe(
            `--charts https://charts.example.com and --serve-charts ${charts} exclude each other: ` +
                "give --charts with a chart repository, or --serve-charts with a directory of chart packages",
        );
    });

    it.each([["ftp://charts.example.com"], ["charts.example.com/mlops"], ["https://"]])(
        "refuses --charts %s, saying what is allowed",
        (url) => {
            expect(usage(["--charts", url])).toBe(
                `--charts ${url}: must be a Helm repository URL (http:// or https://, e.g. ` +
                    "https://charts.example.com/mlops) or an OCI prefix (e.g. oci://registry.example.com/charts)",
            );
        },
    );

    it("refuses a --serve-charts directory that does not exist", () => {
        const missing = path.join(tmp, "no-such-dir");
        expect(usage(["--serve-charts", missing])).toBe(
            `--serve-charts ${missing}: no such directory; must be a directory of chart packages ` +
                "(.tgz, as `helm pull --destination DIR` writes them; see docs/e2e.md)",
        );
    });

    it("refuses a file, and a directory without chart packages, as --serve-charts", () => {
        const file = path.join(charts, "demo-1.2.3.tgz");
        expect(usage(["--serve-charts", file])).toBe(
            `--serve-charts ${file}: no such directory; must be a directory of chart packages ` +
                "(.tgz, as `helm pull --destination DIR` writes them; see docs/e2e.md)",
        );
        const empty = freshDir("options-empty");
        fs.writeFileSync(path.join(empty, "index.yaml"), "apiVersion: v1\nentries: {}\n");
        expect(usage(["--serve-charts", empty])).toBe(
            `--serve-charts ${empty}: no chart packages (*.tgz) in it; must be a directory of chart ` +
                "packages (.tgz, as `helm pull --destination DIR` writes them; see docs/e2e.md)",
        );
    });

    it("refuses an unknown option and an option without its value", () => {
        expect(usage(["--build-charts"])).toBe("unknown option --build-charts");
        expect(usage(["--charts"])).toBe("--charts needs a value");
        expect(usage(["--serve-charts"])).toBe("--serve-charts needs a value");
    });
});

describe("the chart repository served from a directory of chart packages", () => {
    let dir: string;
    const generated = new Date("2026-02-03T04:05:06.000Z");
    beforeAll(() => {
        dir = freshDir("repository");
        writePackage(dir, "demo-1.2.3.tgz", {
            // appVersion unquoted: YAML reads a number, Helm a string.
            "demo/Chart.yaml":
                "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: 1.16\ndescription: A demo\n" +
                "dependencies:\n  - name: sub\n    version: 0.1.0\n",
            "demo/values.yaml": "replicas: 1\n",
            "demo/templates/deployment.yaml": "kind: Deployment\n",
            // A subchart's Chart.yaml is not the chart's.
            "demo/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        });
        writePackage(
            dir,
            "demo-1.10.0.tgz",
            { "demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.10.0\nappVersion: v2\n" },
            new Date("2026-01-05T00:00:00.000Z"),
        );
        // helm pull names a package after the chart and version, but the index reads Chart.yaml.
        writePackage(dir, "cert-manager.tgz", {
            "cert-manager/Chart.yaml": "apiVersion: v2\nname: cert-manager\nversion: v1.21.1\n",
        });
        fs.writeFileSync(path.join(dir, "README.md"), "not a package\n");
    });

    it("reads each package's own Chart.yaml, its digest and its modification time", () => {
        const file = path.join(dir, "demo-1.2.3.tgz");
        expect(readChartPackage(file)).toEqual({
            file: "demo-1.2.3.tgz",
            name: "demo",
            version: "1.2.3",
            digest: sha256(file),
            metadata: {
                apiVersion: "v2",
                name: "demo",
                version: "1.2.3",
                appVersion: 1.16,
                description: "A demo",
                dependencies: [{ name: "sub", version: "0.1.0" }],
            },
            created: "2026-01-02T03:04:05.000Z",
        });
    });

    it("writes index.yaml as helm repo index does: versions newest first, relative URLs", () => {
        const index = yaml.load(indexYaml(chartPackages(dir), generated));
        expect(index).toEqual({
            apiVersion: "v1",
            generated: "2026-02-03T04:05:06.000Z",
            entries: {
                "cert-manager": [
                    {
                        apiVersion: "v2",
                        name: "cert-manager",
                        version: "v1.21.1",
                        created: "2026-01-02T03:04:05.000Z",
                        digest: sha256(path.join(dir, "cert-manager.tgz")),
                        urls: ["cert-manager.tgz"],
                    },
                ],
                demo: [
                    {
                        apiVersion: "v2",
                        name: "demo",
                        version: "1.10.0",
                        appVersion: "v2",
                        created: "2026-01-05T00:00:00.000Z",
                        digest: sha256(path.join(dir, "demo-1.10.0.tgz")),
                        urls: ["demo-1.10.0.tgz"],
                    },
                    {
                        apiVersion: "v2",
                        name: "demo",
                        version: "1.2.3",
                        appVersion: "1.16",
                        description: "A demo",
                        dependencies: [{ name: "sub", version: "0.1.0" }],
                        created: "2026-01-02T03:04:05.000Z",
                        digest: sha256(path.join(dir, "demo-1.2.3.tgz")),
                        urls: ["demo-1.2.3.tgz"],
                    },
                ],
            },
        });
    });

    it("refuses a package without a chart, naming the file", () => {
        const bad = freshDir("not-a-chart");
        const file = writePackage(bad, "notes-1.0.0.tgz", { "notes/readme.txt": "hello\n" });
        expect(() => chartPackages(bad)).toThrow(
            `${file}: no <chart>/Chart.yaml at the top of the archive; a chart package is the .tgz ` +
                "that `helm pull` or `helm package` writes",
        );
    });

    it("refuses a Chart.yaml without a SemVer version, naming the file", () => {
        const bad = freshDir("bad-version");
        const file = writePackage(bad, "demo-latest.tgz", {
            "demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: latest\n",
        });
        expect(() => readChartPackage(file)).toThrow(
            `${file}: demo/Chart.yaml must give the chart's name and a SemVer version ` +
                '(got name "demo", version "latest")',
        );
    });

    it("refuses a .tgz that is not a readable gzipped tar archive, naming the file", () => {
        const bad = freshDir("not-gzip");
        const file = path.join(bad, "demo-1.0.0.tgz");
        fs.writeFileSync(file, "plain text, not an archive\n");
        expect(() => readChartPackage(file)).toThrow(
            new RegExp(
                `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a readable gzipped tar archive`,
            ),
        );
    });

    describe("served on loopback", () => {
        let server: ChartServer;
        beforeAll(async () => {
            server = await serveCharts(dir);
        });
        afterAll(() => server.close());

        const get = (p: string) =>
            new Promise<{ status: number; type?: string; body: Buffer }>((resolve, reject) => {
                http.get(server.url + p, (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () =>
                        resolve({
                            status: res.statusCode ?? 0,
                            type: res.headers["content-type"],
                            body: Buffer.concat(chunks),
                        }),
                    );
                }).on("error", reject);
            });

        it("listens on 127.0.0.1 and serves the generated index and the packages", async () => {
            expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
            expect(server.packages.map((p) => p.file)).toEqual([
                "cert-manager.tgz",
                "demo-1.10.0.tgz",
                "demo-1.2.3.tgz",
            ]);
            const index = await get("/index.yaml");
            expect(index.status).toBe(200);
            expect(index.type).toBe("text/yaml");
            const entries = (yaml.load(index.body.toString()) as { entries: object }).entries;
            expect(entries).toEqual(
                (yaml.load(indexYaml(server.packages, generated)) as { entries: object }).entries,
            );
            const pkg = await get("/demo-1.2.3.tgz");
            expect(pkg.status).toBe(200);
            expect(pkg.type).toBe("application/gzip");
            expect(pkg.body.equals(fs.readFileSync(path.join(dir, "demo-1.2.3.tgz")))).toBe(true);
        });

        it("serves nothing else, and writes nothing into the directory", async () => {
            for (const p of ["/README.md", "/missing-1.0.0.tgz", "/../package.json", "/"]) {
                expect((await get(p)).status).toBe(404);
            }
            expect(fs.existsSync(path.join(dir, "index.yaml"))).toBe(false);
            expect(server.requests).toContainEqual({ path: "/README.md", status: 404 });
            expect(server.requests).toContainEqual({ path: "/demo-1.2.3.tgz", status: 200 });
        });
    });
});

describe("the e2e stacks' config: mlops:mirror is the repository given", () => {
    const dev = (
        yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        }
    ).config;
    /** The config as the program reads it from Pulumi (structured values as JSON). */
    const asProgramReads = (config: Record<string, unknown>) =>
        loadConfig(
            Object.fromEntries(
                Object.entries(config).map(([k, v]) => [
                    k,
                    typeof v === "string" ? v : JSON.stringify(v),
                ]),
            ),
        );

    it("--charts URL: mlops:mirror.charts is that URL; the context is set, the rest is Pulumi.dev.yaml", () => {
        const o = parseArgs(["--charts", "oci://registry.example.com/charts"]);
        const config = e2eStackConfig(dev, "kind-mlops-e2e", mirrorConfig(o.charts, o.images));
        expect(config["mlops:mirror"]).toEqual({ charts: "oci://registry.example.com/charts" });
        expect(config["mlops:cluster"]).toEqual({ name: "mlops", context: "kind-mlops-e2e" });
        const without = (c: Record<string, unknown>, ...keys: string[]) =>
            Object.fromEntries(Object.entries(c).filter(([k]) => !keys.includes(k)));
        expect(without(config, "mlops:mirror", "mlops:cluster")).toEqual(
            without(dev, "mlops:cluster"),
        );
        const read = asProgramReads(config);
        expect(read.mirror).toEqual({ charts: "oci://registry.example.com/charts" });
        expect(read.cluster.context).toBe("kind-mlops-e2e");
    });

    it("--serve-charts: mlops:mirror.charts is the served repository's URL, with --images", () => {
        const config = e2eStackConfig(
            dev,
            "kind-mlops-e2e",
            mirrorConfig("http://127.0.0.1:40123", "registry.example.com/mirror"),
        );
        expect(asProgramReads(config).mirror).toEqual({
            charts: "http://127.0.0.1:40123",
            images: "registry.example.com/mirror",
        });
    });

    it("neither: no mlops:mirror, the charts come from upstream", () => {
        expect(mirrorConfig(undefined, undefined)).toBeUndefined();
        const config = e2eStackConfig(dev, "kind-mlops-e2e", undefined);
        expect("mlops:mirror" in config).toBe(false);
        expect(asProgramReads(config).mirror).toBeUndefined();
    });

    it("the team stack keeps its own keys and gets the same context and mirror", () => {
        const team = (
            yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.team-vision.yaml"), "utf8")) as {
                config: Record<string, unknown>;
            }
        ).config;
        const config = e2eStackConfig(
            team,
            "ctx",
            mirrorConfig("https://charts.example.com", undefined),
        );
        expect(config["mlops:mirror"]).toEqual({ charts: "https://charts.example.com" });
        expect((config["mlops:cluster"] as { context: string }).context).toBe("ctx");
        for (const key of Object.keys(team)) expect(config).toHaveProperty([key]);
    });
});
