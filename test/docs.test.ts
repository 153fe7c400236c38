/**
 * The docs hold: every key a shipped stack sets is documented with its default (and the
 * literal defaults are the program's), every stack output is documented, every relative link
 * and anchor resolves, every `npm run X` names a script, no onboarding step overwrites a team,
 * and `engines.node` is within what every installed package declares.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as semver from "semver";
import * as ts from "typescript";
import { ExistingCluster } from "../components/cluster/existing";
import { MlopsPlatform } from "../components/platform/mlops-platform";
import { keySchemas, parseConfig } from "../stacks/config";
import { platformArgs } from "./support/fixtures";
import { at, record, settled } from "./support/harness";

const ROOT = path.resolve(__dirname, "..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
/** The Markdown files of a folder under the root. */
const markdownIn = (dir: string) =>
    fs
        .readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `${dir}/${f}`);
const DOCS = [
    "README.md",
    "tools/plan/README.md",
    ...markdownIn("docs"),
    ...markdownIn("docs/identity"),
];
const SHIPPED = fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f));

/** Markdown without its fenced code blocks (links and headings there are not real). */
const prose = (md: string) => md.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");

/** The rows of every Markdown table: first cell → the other cells. */
function tableRows(md: string): Map<string, string[]> {
    const rows = new Map<string, string[]>();
    for (const line of md.split("\n")) {
        if (!/^\|.*\|\s*$/.test(line) || /^\|[\s:|-]+\|\s*$/.test(line)) continue;
        const cells = line
            .slice(1, line.lastIndexOf("|"))
            .split(/(?<!\\)\|/)
            .map((c) => c.trim());
        rows.set(cells[0], cells.slice(1));
    }
    return rows;
}

/** A value set with `pulumi config set --secret`: the stack file holds `{secure: <ciphertext>}`. */
const isSecret = (v: unknown): boolean =>
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { secure?: unknown }).secure === "string";

/** Every leaf key path a stack file sets: `mlops:cluster.gpuPools[].maxNodes`; a secret is a leaf. */
export function configKeys(config: Record<string, unknown>): string[] {
    const keys = new Set<string>();
    const walk = (v: unknown, p: string) => {
        if (isSecret(v)) {
            keys.add(p);
        } else if (Array.isArray(v)) {
            if (v.some((x) => x !== null && typeof x === "object" && !Array.isArray(x))) {
                for (const x of v) walk(x, `${p}[]`);
            } else keys.add(p);
        } else if (v !== null && typeof v === "object") {
            for (const [k, x] of Object.entries(v)) walk(x, `${p}.${k}`);
        } else keys.add(p);
    };
    for (const [k, v] of Object.entries(config)) walk(v, k);
    return [...keys].sort();
}

const configDoc = tableRows(read("docs/config.md"));
const readmeKeys = tableRows(read("README.md"));
const documentedDefault = (key: string) =>
    (configDoc.get(`\`${key}\``) ?? readmeKeys.get(`\`${key}\``))?.[0];

describe("config keys", () => {
    it("are found in every shipped stack", () => {
        expect(SHIPPED.sort()).toEqual(
            expect.arrayContaining(["Pulumi.dev.yaml", "Pulumi.gcp.yaml", "Pulumi.team-nlp.yaml"]),
        );
        const dev = configKeys((yaml.load(read("Pulumi.dev.yaml")) as any).config);
        expect(dev).toEqual(
            expect.arrayContaining([
                "mlops:cloud",
                "mlops:storage.objectStore.size",
                "mlops:serving.models[].canary.trafficPercent",
                "mlops:teams[].stack",
            ]),
        );
        // A secret (`{secure: ...}` in the file) is the key it was set at.
        const gcp = configKeys((yaml.load(read("Pulumi.gcp.yaml")) as any).config);
        expect(gcp).toContain("mlops:routing.auth.oidc.clientSecret");
        expect(gcp.filter((k) => k.endsWith(".secure"))).toEqual([]);
    });

    it.each(SHIPPED)("every key %s sets is documented with its default", (file) => {
        const keys = configKeys((yaml.load(read(file)) as any).config ?? {});
        expect(keys.length).toBeGreaterThan(0);
        const undocumented = keys.filter((k) => !documentedDefault(k));
        expect(undocumented).toEqual([]);
    });

    it("documents literal defaults that are the program's own", () => {
        // The defaults of a local platform, with one item in each list so that item defaults apply.
        const parsed = parseConfig({
            cluster: { gpuPools: [{ name: "p", gpuType: "nvidia-l4", maxNodes: 1 }] },
            serving: { models: [{ name: "m", format: "sklearn", storageUri: "gs://b/m" }] },
            teams: [{ name: "t" }],
        }) as unknown as Record<string, unknown>;
        const valueAt = (key: string): unknown => {
            let v: unknown = parsed;
            for (const part of key.replace(/^mlops:/, "").split(".")) {
                const name = part.replace(/\[\]$/, "");
                v = (v as Record<string, unknown> | undefined)?.[name];
                if (part.endsWith("[]")) v = (v as unknown[] | undefined)?.[0];
            }
            return v;
        };
        let checked = 0;
        const wrong: string[] = [];
        for (const [keyCell, [dflt]] of configDoc) {
            const key = /^`(mlops:[^`]+)`$/.exec(keyCell)?.[1];
            const literal = /^`([^`]+)`$/.exec(dflt ?? "")?.[1];
            if (!key || literal === undefined) continue;
            const actual = valueAt(key);
            if (actual === undefined) continue;
            // Lists given one item above are not at their default.
            if (["mlops:cluster.gpuPools", "mlops:serving.models", "mlops:teams"].includes(key))
                continue;
            checked++;
            const documented = yaml.load(literal);
            if (JSON.stringify(documented) !== JSON.stringify(actual)) {
                wrong.push(`${key}: documented ${literal}, program ${JSON.stringify(actual)}`);
            }
        }
        expect(wrong).toEqual([]);
        expect(checked).toBeGreaterThanOrEqual(40);
    });
});

/** The names of the object a stack function returns, spreads of `outputs` included. */
function returnedKeys(file: string, fn: string): string[] {
    const sf = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);
    const spreadOutputs = () =>
        fs
            .readdirSync(path.join(ROOT, "stacks"))
            .filter((f) => f.endsWith(".ts"))
            .flatMap((f) => {
                const s = ts.createSourceFile(f, read(`stacks/${f}`), ts.ScriptTarget.ES2022, true);
                const names: string[] = [];
                const visit = (n: ts.Node) => {
                    if (
                        ts.isPropertyAssignment(n) &&
                        n.name.getText(s) === "outputs" &&
                        ts.isObjectLiteralExpression(n.initializer)
                    ) {
                        names.push(...keysOf(n.initializer, s));
                    }
                    ts.forEachChild(n, visit);
                };
                visit(s);
                return names;
            });
    /** The keys an expression spreads: `x.outputs`, or an object literal in either branch of `c ? {…} : {…}`. */
    const spreadKeys = (e: ts.Expression, s: ts.SourceFile): string[] => {
        while (ts.isParenthesizedExpression(e)) e = e.expression;
        if (ts.isConditionalExpression(e))
            return [...spreadKeys(e.whenTrue, s), ...spreadKeys(e.whenFalse, s)];
        if (ts.isObjectLiteralExpression(e)) return keysOf(e, s);
        if (e.getText(s).endsWith(".outputs")) return spreadOutputs();
        throw new Error(`unexpected spread ${e.getText(s)}`);
    };
    const keysOf = (o: ts.ObjectLiteralExpression, s: ts.SourceFile): string[] =>
        o.properties.flatMap((p) =>
            ts.isSpreadAssignment(p) ? spreadKeys(p.expression, s) : [p.name!.getText(s)],
        );
    const keys: string[] = [];
    const visit = (n: ts.Node) => {
        if (ts.isFunctionDeclaration(n) && n.name?.text === fn) {
            const inner = (m: ts.Node) => {
                if (ts.isReturnStatement(m) && m.expression) {
                    let e: ts.Expression = m.expression;
                    while (
                        ts.isSatisfiesExpression(e) ||
                        ts.isAsExpression(e) ||
                        ts.isParenthesizedExpression(e)
                    )
                        e = e.expression;
                    if (ts.isObjectLiteralExpression(e)) keys.push(...keysOf(e, sf));
                }
                if (!ts.isFunctionLike(m) || m === n) ts.forEachChild(m, inner);
            };
            ts.forEachChild(n, inner);
        }
        ts.forEachChild(n, visit);
    };
    visit(sf);
    return [...new Set(keys)].sort();
}

/**
 * The documented key paths under a config schema: every leaf, and every list (`[]` stands for
 * its items); a mapping of free-form settings (`z.record`) is a leaf.
 */
function schemaKeys(schema: unknown, at: string): string[] {
    // zod 4 keeps wrappers' inner schemas in `_zod.def`.
    const unwrap = (s: any): any => {
        const def = s?._zod?.def;
        if (def && ["default", "prefault", "optional", "nullable"].includes(def.type))
            return unwrap(def.innerType);
        if (def?.type === "pipe") return unwrap(def.in);
        return s;
    };
    const def = unwrap(schema)?._zod?.def;
    if (def?.type === "object") {
        return Object.entries(def.shape as Record<string, unknown>).flatMap(([k, v]) =>
            schemaKeys(v, `${at}.${k}`),
        );
    }
    if (def?.type === "array") {
        const item = unwrap(def.element)?._zod?.def;
        return item?.type === "object" ? [at, ...schemaKeys(def.element, `${at}[]`)] : [at];
    }
    return [at];
}

describe("the sign-on settings (docs/identity/README.md)", () => {
    const page = tableRows(read("docs/identity/README.md"));
    const documented = [...page.keys()]
        .map((c) => /^`(mlops:routing\.auth\.[^`]+)`$/.exec(c)?.[1])
        .filter((k): k is string => k !== undefined);
    const keys = schemaKeys(keySchemas.routing, "mlops:routing").filter((k) =>
        k.startsWith("mlops:routing.auth."),
    );

    it("are found in the schema", () => {
        expect(keys).toEqual(
            expect.arrayContaining([
                "mlops:routing.auth.mode",
                "mlops:routing.auth.oidc.cookie.secure",
                "mlops:routing.auth.oidc.jwtIssuers",
                "mlops:routing.auth.oidc.jwtIssuers[].audience",
                "mlops:routing.auth.dex.connectors[].config",
            ]),
        );
        expect(keys.length).toBeGreaterThanOrEqual(23);
    });

    it("are each documented there, and nothing else is", () => {
        expect([...documented].sort()).toEqual([...keys].sort());
    });

    it("have there the defaults the configuration reference gives", () => {
        const differ = documented.filter(
            (k) =>
                JSON.stringify(page.get(`\`${k}\``)![0]) !==
                JSON.stringify(configDoc.get(`\`${k}\``)?.[0]),
        );
        expect(differ).toEqual([]);
    });
});

describe("stack outputs", () => {
    const outputsSection = read("docs/config.md").split("## Stack outputs")[1] ?? "";
    const documented = [...tableRows(outputsSection).keys()]
        .map((c) => /^`(\w+)`$/.exec(c)?.[1])
        .filter((c): c is string => c !== undefined);

    it("are found in the program", () => {
        expect(returnedKeys("stacks/platform.ts", "platformStack")).toEqual(
            // `logins` is spread in only when the bundled Dex runs.
            expect.arrayContaining(["urls", "credentials", "kubeconfig", "teams", "logins"]),
        );
        expect(returnedKeys("stacks/team.ts", "teamStack")).toEqual(["namespace", "team"]);
    });

    it("of platform and team stacks are each documented, and nothing else is", () => {
        const exported = [
            ...returnedKeys("stacks/platform.ts", "platformStack"),
            ...returnedKeys("stacks/team.ts", "teamStack"),
        ];
        expect(exported.filter((o) => !documented.includes(o))).toEqual([]);
        expect(documented.filter((o) => !exported.includes(o))).toEqual([]);
    });
});

/** The anchor GitHub gives a heading. */
function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** GitHub's anchors of a Markdown file's headings. */
function anchors(md: string): Set<string> {
    return new Set([...prose(md).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
}

describe("links in README.md and docs/", () => {
    it.each(DOCS)("every relative link and anchor in %s resolves", (doc) => {
        const md = read(doc);
        const broken: string[] = [];
        let links = 0;
        for (const m of prose(md).matchAll(/\]\(([^)\s]+)\)/g)) {
            const target = m[1];
            if (/^[a-z]+:/i.test(target)) continue;
            links++;
            const [file, anchor] = target.split("#");
            const resolved = file
                ? path.join(path.dirname(path.join(ROOT, doc)), file)
                : path.join(ROOT, doc);
            if (!fs.existsSync(resolved)) {
                broken.push(`${target}: no such file`);
                continue;
            }
            if (anchor && !anchors(fs.readFileSync(resolved, "utf8")).has(anchor)) {
                broken.push(`${target}: no such heading`);
            }
        }
        expect(broken).toEqual([]);
        if (doc === "README.md") expect(links).toBeGreaterThan(10);
    });

    it("anchors are GitHub's", () => {
        expect(anchorOf("Running the reference pipeline")).toBe("running-the-reference-pipeline");
        expect(anchorOf("MLflow answers 403 (`Invalid Host header`)")).toBe(
            "mlflow-answers-403-invalid-host-header",
        );
    });
});

describe("commands in README.md and docs/", () => {
    const scripts = Object.keys(JSON.parse(read("package.json")).scripts);

    it.each(DOCS)("every `npm run X` in %s names a script of package.json", (doc) => {
        const named = [...read(doc).matchAll(/npm run (?:-s |--silent )?([\w:.-]+)/g)].map(
            (m) => m[1],
        );
        expect(named.filter((s) => !scripts.includes(s))).toEqual([]);
    });

    it.each(DOCS)("no step in %s sets a team at a fixed index (it would overwrite one)", (doc) => {
        expect(read(doc).match(/config set --path ['"]?mlops:teams\[\d+\]/g) ?? []).toEqual([]);
    });
});

describe("engines.node", () => {
    const lock = JSON.parse(read("package-lock.json")) as {
        packages: Record<string, { engines?: { node?: string } | string[] }>;
    };
    const ours = JSON.parse(read("package.json")).engines.node as string;
    const required = Object.entries(lock.packages)
        .filter(([p]) => p !== "")
        .flatMap(([p, v]) =>
            v.engines && !Array.isArray(v.engines) && v.engines.node
                ? [{ pkg: p.replace(/^.*node_modules\//, ""), path: p, range: v.engines.node }]
                : [],
        );

    it("is read from every installed package that declares one", () => {
        expect(required.length).toBeGreaterThan(100);
        expect(required.filter((r) => semver.validRange(r.range) === null)).toEqual([]);
    });

    /**
     * Development packages whose declared range leaves out part of `engines`, each with why
     * that part still works: the suite runs on Node 20 (these machines and CI run 20.x).
     */
    const DEV_ONLY_EXCEPTIONS: Record<string, string> = {
        "@kubernetes-models/argo-workflows":
            "2.0.0, the only release, declares >=22; the schema check of the plan and the tests loads its models on Node 20",
    };
    // An exception covers the package and what it nests in its own node_modules.
    const excepted = (lockPath: string) =>
        Object.keys(DEV_ONLY_EXCEPTIONS).some(
            (e) => lockPath === `node_modules/${e}` || lockPath.startsWith(`node_modules/${e}/`),
        );

    it("is within the intersection of what every installed package requires", () => {
        expect(semver.validRange(ours)).not.toBeNull();
        expect(semver.minVersion(ours)).not.toBeNull();
        const outside = required.filter((r) => !semver.subset(ours, r.range));
        expect(outside.filter((r) => !excepted(r.path)).map((r) => `${r.pkg}: ${r.range}`)).toEqual(
            [],
        );
        // Each exception is a development dependency, and still needed.
        const dev = lock.packages as Record<string, { dev?: boolean }>;
        for (const e of Object.keys(DEV_ONLY_EXCEPTIONS)) {
            expect(dev[`node_modules/${e}`]?.dev).toBe(true);
            expect(outside.some((r) => r.pkg === e)).toBe(true);
        }
    });

    it("includes the Node.js this suite runs on", () => {
        expect(semver.satisfies(process.versions.node, ours)).toBe(true);
    });

    it("is what the development guide says", () => {
        const text = read("docs/development.md").replace(/\s+/g, " ");
        expect(ours).toBe("^20.19.0 || ^22.13.0");
        expect(text).toContain("Needs Node.js 20.19 or later 20.x, or 22.13 or later 22.x");
    });
});

describe("names the pages use", () => {
    /** Each: a page, the text it uses, and the object of a platform named mlops it means. */
    const uses: [doc: string, text: string, type: string, name: string][] = [
        [
            "docs/backup-restore.md",
            "mlops-postgres-0",
            "kubernetes:apps/v1:StatefulSet",
            "mlops-postgres",
        ],
        [
            "docs/backup-restore.md",
            "mlops-postgres-credentials",
            "kubernetes:core/v1:Secret",
            "mlops-postgres-credentials",
        ],
        [
            "docs/backup-restore.md",
            "deployment mlops-mlflow",
            "kubernetes:apps/v1:Deployment",
            "mlops-mlflow",
        ],
        [
            "docs/backup-restore.md",
            "svc/mlops-objectstore 8333",
            "kubernetes:core/v1:Service",
            "mlops-objectstore",
        ],
        [
            "docs/backup-restore.md",
            "secret mlops-objectstore-credentials",
            "kubernetes:core/v1:Secret",
            "mlops-objectstore-credentials",
        ],
        [
            "docs/troubleshooting.md",
            "svc/mlops-mlflow",
            "kubernetes:core/v1:Service",
            "mlops-mlflow",
        ],
        [
            "docs/troubleshooting.md",
            "exceeded quota: team-quota",
            "kubernetes:core/v1:ResourceQuota",
            "team-quota",
        ],
    ];

    it("are the platform's objects", async () => {
        const rec = record();
        const cluster = new ExistingCluster("mlops", {});
        new MlopsPlatform(
            "mlops",
            platformArgs(cluster, {
                teams: [
                    {
                        name: "nlp",
                        members: [],
                        quota: { cpu: "8", memory: "32Gi", gpu: 0, storage: "100Gi", pods: 50 },
                    },
                ],
            }),
            { providers: { kubernetes: cluster.provider } },
        );
        await settled();
        const named = (type: string, name: string) =>
            rec.ofType(type).filter((r) => at(r, "metadata", "name") === name);
        for (const [doc, text, type, name] of uses) {
            expect([doc, read(doc).replace(/\s+/g, " ").includes(text)]).toEqual([doc, true]);
            expect([type, name, named(type, name).length]).toEqual([type, name, 1]);
        }
        const db = named("kubernetes:apps/v1:StatefulSet", "mlops-postgres")[0];
        const env = at(db, "spec", "template", "spec", "containers", 0, "env") as {
            name: string;
            value?: string;
        }[];
        expect(env.map((e) => [e.name, e.value])).toEqual([
            ["POSTGRES_USER", "mlops"],
            ["POSTGRES_DB", "mlflow"],
            ["POSTGRES_PASSWORD", undefined],
        ]);
        expect(read("docs/backup-restore.md")).toContain("pg_dump -U mlops -d mlflow");
        const ports = (name: string) =>
            (
                at(named("kubernetes:core/v1:Service", name)[0], "spec", "ports") as {
                    port: number;
                }[]
            ).map((p) => p.port);
        expect(ports("mlops-objectstore")).toContain(8333);
        expect(ports("mlops-mlflow")).toEqual([5000]);
        expect(
            Object.keys(
                at(
                    named("kubernetes:core/v1:Secret", "mlops-objectstore-credentials")[0],
                    "stringData",
                ) as object,
            ),
        ).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
        // The router's Service is the chart's, named after the release.
        expect(rec.ofType("kubernetes:helm.sh/v3:Release").map((r) => at(r, "name"))).toContain(
            "traefik",
        );
    });
});
