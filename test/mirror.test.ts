/**
 * `mlops:mirror`: the rewrite rule, the config checks, every chart and image of whole stacks
 * moved to the mirror (chart values included), and the listing an operator fills it from.
 */
import * as path from "node:path";
import {
    canonicalImage,
    chartName,
    chartSource,
    formatImage,
    mirrorImage,
    mirrorImageName,
    mirrorImageParts,
    parseImage,
} from "../components/mirror";
import { chartImages, charts, images } from "../components/versions";
import { loadConfig, parseConfig } from "../stacks/config";
import { platformStack } from "../stacks/platform";
import { teamStack } from "../stacks/team";
import { TEAM_FACTS_CONFIGMAP, teamFactsData } from "../components/tenancy/team";
import {
    RecordedResource,
    SecretValue,
    reveal,
    settle,
    startRecording,
} from "../tools/plan/recorder";
import { readStackConfig } from "../tools/plan/stack-config";
import { mirrorListing } from "../tools/mirror-list";
import { configProblems as problems, SSO } from "./support/fixtures";
import { ROOT, mirrorListCli, writeStackConfig } from "./support/plan";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const OCI = "oci://registry.example.com/charts";
const HTTP = "https://charts.example.com/mlops";
const PREFIX = "registry.example.com/mirror";

describe("the image rewrite rule: <prefix>/<source registry>/<path>, same tag or digest", () => {
    it.each([
        ["postgres:18.6", "registry.example.com/mirror/docker.io/library/postgres:18.6"],
        ["curlimages/curl:8.17.0", "registry.example.com/mirror/docker.io/curlimages/curl:8.17.0"],
        [
            "ghcr.io/mlflow/mlflow:v3.18.0-full",
            "registry.example.com/mirror/ghcr.io/mlflow/mlflow:v3.18.0-full",
        ],
        [
            "docker.io/traefik:v3.7.11",
            "registry.example.com/mirror/docker.io/library/traefik:v3.7.11",
        ],
        [
            "quay.io/jetstack/cert-manager-controller:v1.21.1",
            "registry.example.com/mirror/quay.io/jetstack/cert-manager-controller:v1.21.1",
        ],
        [
            `nvcr.io/nvidia/tritonserver@sha256:${"a".repeat(64)}`,
            `registry.example.com/mirror/nvcr.io/nvidia/tritonserver@sha256:${"a".repeat(64)}`,
        ],
        [
            `kserve/agent:v0.20.0@sha256:${"b".repeat(64)}`,
            `registry.example.com/mirror/docker.io/kserve/agent:v0.20.0@sha256:${"b".repeat(64)}`,
        ],
        ["localhost:5000/tools/x:1", "registry.example.com/mirror/localhost-5000/tools/x:1"],
    ])("%s → %s", (source, target) => {
        expect(mirrorImage(source, { images: PREFIX })).toBe(target);
        // A trailing slash on the prefix changes nothing.
        expect(mirrorImage(source, { images: `${PREFIX}/` })).toBe(target);
    });

    it("keeps names from different registries apart", () => {
        const same = ["docker.io/x/y:1", "quay.io/x/y:1", "ghcr.io/x/y:1"];
        const targets = same.map((s) => mirrorImage(s, { images: PREFIX }));
        expect(new Set(targets).size).toBe(3);
    });

    it("leaves every reference alone without a mirror (or with charts only)", () => {
        expect(mirrorImage("postgres:18.6")).toBe("postgres:18.6");
        expect(mirrorImage("postgres:18.6", { charts: OCI })).toBe("postgres:18.6");
        expect(mirrorImageParts("docker.io/traefik:v3.7.11")).toEqual({
            registry: "docker.io",
            repository: "traefik",
            tag: "v3.7.11",
        });
        expect(mirrorImageName("kserve/agent:v0.20.0")).toBe("kserve/agent");
    });

    it("splits for charts that take registry, repository and tag apart", () => {
        const parts = mirrorImageParts("quay.io/argoproj/argocli:v4.0.6", { images: PREFIX });
        expect(parts).toEqual({
            registry: "registry.example.com/mirror/quay.io",
            repository: "argoproj/argocli",
            tag: "v4.0.6",
        });
        expect(formatImage(parts)).toBe(
            mirrorImage("quay.io/argoproj/argocli:v4.0.6", { images: PREFIX }),
        );
        expect(mirrorImageName("kserve/agent:v0.20.0", { images: PREFIX })).toBe(
            "registry.example.com/mirror/docker.io/kserve/agent",
        );
    });

    it("reads references the way the container runtime does", () => {
        expect(parseImage("valkey/valkey:8.1.5")).toEqual({
            registry: "docker.io",
            repository: "valkey/valkey",
            tag: "8.1.5",
        });
        expect(canonicalImage("busybox:1.37.0")).toEqual({
            registry: "docker.io",
            repository: "library/busybox",
            tag: "1.37.0",
        });
        expect(parseImage("localhost/x:1").registry).toBe("localhost");
        expect(() => parseImage("postgres")).toThrow(
            'image reference "postgres" needs a tag or a digest',
        );
    });

    it("maps every pinned image to a distinct, valid reference", () => {
        // The reference grammar of the distribution spec (domain, path components, tag).
        const REFERENCE =
            /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
        const pinned = [
            ...Object.values(images),
            ...Object.values(chartImages).flatMap((byRole) => Object.values(byRole)),
        ];
        const sources = new Set(pinned.map((p) => formatImage(canonicalImage(p))));
        const targets = new Set([...sources].map((s) => mirrorImage(s, { images: PREFIX })));
        expect(targets.size).toBe(sources.size);
        for (const t of targets) expect(t).toMatch(REFERENCE);
    });
});

describe("charts from the mirror, same name and version", () => {
    it("an OCI prefix: <prefix>/<name>, no repository", () => {
        expect(chartSource(charts.traefik, { charts: OCI })).toEqual({
            chart: "oci://registry.example.com/charts/traefik",
        });
        expect(chartSource(charts.certManager, { charts: `${OCI}/` })).toEqual({
            chart: "oci://registry.example.com/charts/cert-manager",
        });
    });

    it("a repository URL: the chart by name in that repository", () => {
        expect(chartSource(charts.kserveCrd, { charts: HTTP })).toEqual({
            chart: "kserve-crd",
            repositoryOpts: { repo: HTTP },
        });
    });

    it("upstream without one (or with images only)", () => {
        expect(chartSource(charts.traefik, { images: PREFIX })).toEqual({
            chart: "traefik",
            repositoryOpts: { repo: "https://traefik.github.io/charts" },
        });
        expect(chartSource(charts.kserveResources)).toEqual({
            chart: "oci://ghcr.io/kserve/charts/kserve-resources",
        });
    });

    it("every pinned chart has a distinct name", () => {
        const names = Object.values(charts).map(chartName);
        expect(new Set(names).size).toBe(names.length);
    });
});

describe("mlops:mirror config", () => {
    it.each([
        [{ charts: OCI, images: PREFIX }],
        [{ charts: HTTP }],
        [{ charts: "http://127.0.0.1:8879" }],
        [{ charts: "http://[::1]:8879/charts/" }],
        [{ charts: "oci://localhost:5000" }],
        [{ images: "localhost:5000" }],
        [{ images: "127.0.0.1:5000/mirror" }],
        [{ images: "registry.example.com" }],
        [{ images: "registry.example.com:443/a/b_c/d-e" }],
        [{}],
    ])("accepts %j on every cloud", (mirror) => {
        expect(problems({ mirror })).toEqual([]);
        expect(
            problems({
                cloud: "gcp",
                cluster: { gcp: { project: "my-project", region: "us-central1" } },
                routing: SSO,
                mirror,
            }),
        ).toEqual([]);
        expect(parseConfig({ mirror }).mirror).toEqual(mirror);
    });

    it("is absent unless set", () => {
        expect(parseConfig({}).mirror).toBeUndefined();
    });

    const CHARTS =
        "must be a Helm repository URL (http:// or https://, e.g. https://charts.example.com/mlops) or an OCI prefix (e.g. oci://registry.example.com/charts)";
    const IMAGES =
        "must be a registry prefix: a host with a '.' or a port (or localhost), an optional lowercase path, no scheme and no tag, e.g. registry.example.com/mirror";
    it.each([
        [
            { charts: "ftp://charts.example.com" },
            `mlops:mirror.charts: got "ftp://charts.example.com"; ${CHARTS}`,
        ],
        [
            { charts: "charts.example.com/mlops" },
            `mlops:mirror.charts: got "charts.example.com/mlops"; ${CHARTS}`,
        ],
        [
            { charts: "oci://Registry.example.com/Charts" },
            `mlops:mirror.charts: got "oci://Registry.example.com/Charts"; ${CHARTS}`,
        ],
        [
            { charts: "https://charts.example.com/a b" },
            `mlops:mirror.charts: got "https://charts.example.com/a b"; ${CHARTS}`,
        ],
        [
            { images: "https://registry.example.com/mirror" },
            `mlops:mirror.images: got "https://registry.example.com/mirror"; ${IMAGES}`,
        ],
        [
            { images: "registry.example.com/mirror:1.0" },
            `mlops:mirror.images: got "registry.example.com/mirror:1.0"; ${IMAGES}`,
        ],
        [{ images: "mirror/images" }, `mlops:mirror.images: got "mirror/images"; ${IMAGES}`],
        [
            { images: "registry.example.com/Mirror" },
            `mlops:mirror.images: got "registry.example.com/Mirror"; ${IMAGES}`,
        ],
        [
            { images: "registry.example.com/mirror/" },
            `mlops:mirror.images: got "registry.example.com/mirror/"; ${IMAGES}`,
        ],
        [{ images: 5000 }, "mlops:mirror.images: got 5000; must be a string"],
        [{ registry: PREFIX }, "mlops:mirror.registry: unknown key; allowed keys: charts, images"],
    ])("refuses %j", (mirror, message) => {
        expect(problems({ mirror })).toEqual([message]);
    });

    it("refuses a mirror that is not a mapping", () => {
        expect(problems({ mirror: PREFIX })).toEqual([
            `mlops:mirror: got "${PREFIX}"; must be a mapping`,
        ]);
    });

    it("reads from Pulumi's config map as a structured key", () => {
        const c = loadConfig({ "mlops:mirror": JSON.stringify({ charts: OCI, images: PREFIX }) });
        expect(c.mirror).toEqual({ charts: OCI, images: PREFIX });
    });
});

/** Image references found under keys named image, *Image, repository and registry. */
function imageValues(value: unknown, where: string, out: [string, string][] = []) {
    if (value instanceof SecretValue) return imageValues(value.value, where, out);
    if (Array.isArray(value)) {
        value.forEach((v, i) => imageValues(v, `${where}[${i}]`, out));
    } else if (value !== null && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (typeof o.registry === "string") {
            out.push([`${where}.registry`, `${o.registry}/${String(o.repository)}`]);
        } else if (typeof o.repository === "string") {
            out.push([`${where}.repository`, o.repository]);
        }
        for (const [k, v] of Object.entries(o)) {
            if (typeof v === "string" && /^image$|Image$/.test(k)) out.push([`${where}.${k}`, v]);
            else imageValues(v, `${where}.${k}`, out);
        }
    }
    return out;
}

async function plan(raw: Record<string, unknown>, stack = "mirror"): Promise<RecordedResource[]> {
    const rec = startRecording({ stack });
    platformStack(parseConfig(raw));
    await settle();
    return rec.resources;
}

/** A local platform that installs every chart it can: device plugin, NFS, ACME, a team. */
const FULL = {
    environment: "prod",
    cluster: { nvidiaDevicePlugin: true },
    routing: { tls: { mode: "acme", acme: { email: "ops@example.com" } } },
    serving: {
        models: [{ name: "iris", format: "sklearn", storageUri: "s3://b/iris" }],
    },
    teams: [{ name: "vision" }],
};

describe("a platform with a mirror: no chart from upstream, no image outside the mirror", () => {
    const gcp = readStackConfig(path.join(ROOT, "Pulumi.gcp.yaml")).config;
    const cases: [string, () => Promise<RecordedResource[]>][] = [
        [
            "local, KServe, every optional chart",
            () => plan({ ...FULL, mirror: { charts: OCI, images: PREFIX } }),
        ],
        [
            "local, Seldon",
            () =>
                plan({
                    ...FULL,
                    serving: { ...FULL.serving, engine: "seldon" },
                    mirror: { charts: OCI, images: PREFIX },
                }),
        ],
        [
            "gcp (Pulumi.gcp.yaml)",
            async () => {
                const rec = startRecording({ stack: "gcp" });
                platformStack(
                    loadConfig({
                        ...gcp,
                        "mlops:mirror": JSON.stringify({ charts: OCI, images: PREFIX }),
                    }),
                );
                await settle();
                return rec.resources;
            },
        ],
    ];

    it.each(cases)("%s", async (_, run) => {
        const resources = await run();
        const releases = resources.filter((r) => r.type === RELEASE);
        expect(releases.length).toBeGreaterThan(0);
        for (const r of releases) {
            expect(r.inputs.chart).toMatch(new RegExp(`^${OCI}/[a-z0-9-]+$`));
            expect(r.inputs.repositoryOpts).toBeUndefined();
        }
        const found = resources.flatMap((r) => imageValues(r.inputs, `${r.type} ${r.name}`));
        // Not vacuous: the charts' images and the platform's own are all there.
        expect(found.length).toBeGreaterThan(releases.length);
        const outside = found.filter(([, ref]) => !ref.startsWith(`${PREFIX}/`));
        expect(outside).toEqual([]);
    });

    it("a Helm repository URL: every release names its chart in it", async () => {
        const resources = await plan({ ...FULL, mirror: { charts: HTTP } });
        const releases = resources.filter((r) => r.type === RELEASE);
        expect(releases.map((r) => [r.inputs.chart, r.inputs.repositoryOpts]).sort()).toEqual(
            [
                "argo-workflows",
                "cert-manager",
                "dcgm-exporter",
                "dex",
                "kserve-crd",
                "kserve-resources",
                "kserve-runtime-configs",
                "kube-prometheus-stack",
                "nfs-server-provisioner",
                "nvidia-device-plugin",
                "oauth2-proxy",
                "opencost",
                "traefik",
            ].map((c) => [c, { repo: HTTP }]),
        );
        // Charts only: images stay upstream.
        const mlflow = resources.find(
            (r) => r.name === "mlops-mlflow" && r.type.endsWith("Deployment"),
        )!;
        expect(reveal(mlflow.inputs) as any).toMatchObject({
            spec: { template: { spec: { containers: [{ image: images.mlflow }] } } },
        });
    });

    it("a team stack's reference pipeline pulls from the mirror", async () => {
        const rec = startRecording({
            stack: "team-vision",
            existing: [
                {
                    type: "kubernetes:core/v1:ConfigMap",
                    id: `team-vision/${TEAM_FACTS_CONFIGMAP}`,
                    state: {
                        data: teamFactsData({
                            team: "vision",
                            namespace: "team-vision",
                            runnerServiceAccount: "runner",
                            trackingUrl: "http://mlflow.team-vision.svc.cluster.local:5000",
                            quota: { cpu: "8", memory: "32Gi", gpu: 2, storage: "1Ti", pods: 50 },
                            stack: true,
                            objectStore: {
                                scheme: "s3",
                                endpoint: "http://s3.mlops.svc.cluster.local:8333",
                                region: "us-east-1",
                                buckets: { tracking: "t", workflows: "w" },
                                prefix: "teams/vision/",
                            },
                            gpuScheduling: { nodeSelector: {}, tolerations: [] },
                        }),
                    },
                },
            ],
        });
        teamStack(
            loadConfig({
                ...readStackConfig(path.join(ROOT, "Pulumi.team-vision.yaml")).config,
                "mlops:mirror": JSON.stringify({ images: PREFIX }),
            }),
        );
        await settle();
        const found = rec.resources.flatMap((r) => imageValues(r.inputs, r.name));
        expect([...new Set(found.map(([, ref]) => ref))]).toEqual([
            `${PREFIX}/ghcr.io/mlflow/mlflow:v3.18.0-full`,
        ]);
    });
});

describe("each chart's own images, set from its values at the pinned version", () => {
    let releases: Record<string, any> = {};
    beforeAll(async () => {
        const resources = [
            ...(await plan({ ...FULL, mirror: { images: PREFIX } })),
            ...(await plan({
                ...FULL,
                serving: { engine: "seldon" },
                mirror: { images: PREFIX },
            })),
        ];
        releases = Object.fromEntries(
            resources
                .filter((r) => r.type === RELEASE)
                .map((r) => [r.name, reveal(r.inputs.values)]),
        );
    });
    const m = (path: string) => `${PREFIX}/${path}`;

    it("Traefik: image.{registry,repository,tag} (traefik-helm-chart v41.3.0, traefik/values.yaml; appVersion v3.7.11)", () => {
        expect(releases["mlops-traefik"].image).toEqual({
            registry: m("docker.io"),
            repository: "library/traefik",
            tag: "v3.7.11",
        });
        // The ACME volume's init container (ours).
        expect(releases["mlops-traefik"].deployment.initContainers[0].image).toBe(
            m("docker.io/library/busybox:1.37.0"),
        );
    });

    it("oauth2-proxy: image.{registry,repository,tag} (oauth2-proxy-10.7.0, values.yaml; registry defaults to quay.io in templates/deployment.yaml)", () => {
        expect(releases["mlops-sso"].image).toEqual({
            registry: m("quay.io"),
            repository: "oauth2-proxy/oauth2-proxy",
            tag: "v7.15.3",
        });
    });

    it("Dex: image.{repository,tag} (dex-0.24.0, charts/dex/values.yaml)", () => {
        expect(releases["mlops-dex"].image).toEqual({
            repository: m("ghcr.io/dexidp/dex"),
            tag: "v2.45.1",
        });
    });

    it("NFS: image.{repository,tag} (nfs-server-provisioner-1.8.0, values.yaml)", () => {
        expect(releases["mlops-nfs"].image).toEqual({
            repository: m("registry.k8s.io/sig-storage/nfs-provisioner"),
            tag: "v4.0.8",
            pullPolicy: "IfNotPresent",
        });
    });

    it("NVIDIA device plugin v0.20.0 (image, tag v + appVersion) and its node-feature-discovery 0.19.0 subchart (nfd.image)", () => {
        const v = releases["mlops-nvidia-device-plugin"];
        expect(v.image).toEqual({
            repository: m("nvcr.io/nvidia/k8s-device-plugin"),
            tag: "v0.20.0",
        });
        expect(v.nfd.image).toEqual({
            repository: m("registry.k8s.io/nfd/node-feature-discovery"),
            tag: "v0.19.0",
        });
    });

    it("Argo Workflows: controller, server and executor image.{registry,repository,tag} (argo-workflows-1.0.18, appVersion v4.0.6)", () => {
        const v = releases["mlops-argo"];
        const quay = (repository: string) => ({
            registry: m("quay.io"),
            repository,
            tag: "v4.0.6",
        });
        expect(v.controller.image).toEqual(quay("argoproj/workflow-controller"));
        expect(v.server.image).toEqual(quay("argoproj/argocli"));
        expect(v.executor.image).toEqual(quay("argoproj/argoexec"));
    });

    it("cert-manager v1.21.1: each component's image.repository (imageRegistry quay.io, imageNamespace jetstack) and tag", () => {
        const v = releases["mlops-serving-cert-manager"];
        const jetstack = (name: string) => ({
            repository: m(`quay.io/jetstack/${name}`),
            tag: "v1.21.1",
        });
        expect(v.image).toEqual(jetstack("cert-manager-controller"));
        expect(v.webhook.image).toEqual(jetstack("cert-manager-webhook"));
        expect(v.cainjector.image).toEqual(jetstack("cert-manager-cainjector"));
        expect(v.startupapicheck.image).toEqual(jetstack("cert-manager-startupapicheck"));
        expect(v.acmesolver.image).toEqual(jetstack("cert-manager-acmesolver"));
    });

    it("KServe v0.20.0 kserve-resources: controller, kube-rbac-proxy, agent, router, storage initializer, ART explainer", () => {
        const k = releases["mlops-serving-kserve"].kserve;
        const kserve = (name: string) => ({ image: m(`docker.io/kserve/${name}`), tag: "v0.20.0" });
        expect(k.controller).toMatchObject(kserve("kserve-controller"));
        expect(k.controller.rbacProxyImage).toBe(m("quay.io/brancz/kube-rbac-proxy:v0.18.0"));
        expect(k.agent).toEqual(kserve("agent"));
        expect(k.router).toEqual(kserve("router"));
        expect(k.storage).toMatchObject(kserve("storage-initializer"));
        expect(k.localmodel).toEqual({
            defaultJobImage: m("docker.io/kserve/storage-initializer"),
            defaultJobTag: "v0.20.0",
        });
        expect(k.servingruntime.art).toEqual({
            image: m("docker.io/kserve/art-explainer"),
            defaultVersion: "v0.20.0",
        });
    });

    it("KServe v0.20.0 kserve-runtime-configs: every serving runtime's image and tag (values.yaml; empty tags are kserve.version)", () => {
        const s = releases["mlops-serving-kserve-runtimes"].kserve.servingruntime;
        const rt = (image: string, tag: string) => ({ image: m(image), tag });
        expect(s).toEqual({
            enabled: true,
            sklearnserver: rt("docker.io/kserve/sklearnserver", "v0.20.0"),
            xgbserver: rt("docker.io/kserve/xgbserver", "v0.20.0"),
            lgbserver: rt("docker.io/kserve/lgbserver", "v0.20.0"),
            pmmlserver: rt("docker.io/kserve/pmmlserver", "v0.20.0"),
            paddleserver: rt("docker.io/kserve/paddleserver", "v0.20.0"),
            predictiveserver: rt("docker.io/kserve/predictiveserver", "v0.20.0"),
            autogluonserver: rt("docker.io/kserve/autogluonserver", "v0.20.0"),
            huggingfaceserver: rt("docker.io/kserve/huggingfaceserver", "v0.20.0"),
            mlserver: rt("docker.io/seldonio/mlserver", "1.5.0"),
            tensorflow: rt("docker.io/tensorflow/serving", "2.6.2"),
            torchserve: rt("docker.io/pytorch/torchserve-kfs", "0.9.0"),
            tritonserver: rt("nvcr.io/nvidia/tritonserver", "23.05-py3"),
            vllmserver: rt("docker.io/vllm/vllm-openai", "latest"),
        });
        // The multinode runtime's image is huggingfaceserver's with "-gpu" appended by the
        // chart (files/runtimes/clusterservingruntimes-patch.yaml); listed for the mirror.
        expect(chartImages.kserveRuntimeConfigs.huggingfaceserverGpu).toBe(
            `${chartImages.kserveRuntimeConfigs.huggingfaceserver}-gpu`,
        );
    });

    it("Seldon Core v2.9.1 setup: each component's image.{registry,repository,tag}; the other Seldon charts set none", () => {
        const v = releases["mlops-serving-seldon-core-v2-setup"];
        const seldon = (repository: string, tag = "2.9.1", registry = "docker.io") => ({
            registry: m(registry),
            repository,
            tag,
        });
        for (const c of ["scheduler", "envoy", "hodometer", "modelgateway", "pipelinegateway"]) {
            expect(v[c].image).toEqual(seldon(`seldonio/seldon-${c}`));
        }
        expect(v.controller.image).toEqual(seldon("seldonio/seldonv2-controller"));
        expect(v.dataflow.image).toEqual(seldon("seldonio/seldon-dataflow-engine"));
        expect(v.serverConfig.rclone.image).toEqual(seldon("seldonio/seldon-rclone"));
        expect(v.serverConfig.agent.image).toEqual(seldon("seldonio/seldon-agent"));
        expect(v.serverConfig.mlserver.image).toEqual(seldon("seldonio/mlserver", "1.7.1"));
        expect(v.serverConfig.triton.image).toEqual(
            seldon("nvidia/tritonserver", "23.03-py3", "nvcr.io"),
        );
        for (const chart of ["crds", "runtime", "servers"]) {
            expect(imageValues(releases[`mlops-serving-seldon-core-v2-${chart}`], chart)).toEqual(
                [],
            );
        }
    });
});

describe("npm run mirror:list", () => {
    const run = mirrorListCli;
    const DEV_CHARTS = [
        "traefik",
        "oauth2Proxy",
        "dex",
        "nfsServerProvisioner",
        "argoWorkflows",
        "certManager",
        "kserveCrd",
        "kserveResources",
        "kserveRuntimeConfigs",
        "kubePrometheusStack",
        "dcgmExporter",
        "opencost",
    ] as const;
    const canonical = (ref: string) => formatImage(canonicalImage(ref));
    const devImages = [
        // The ACME init container's busybox and the managed backends' images (aws's query
        // signer, Google's Prometheus build and query frontend) are the pinned images dev
        // does not run.
        ...Object.entries(images)
            .filter(
                ([k]) => !["busybox", "awsSigv4Proxy", "gmpPrometheus", "gmpFrontend"].includes(k),
            )
            .map(([, ref]) => ref),
        ...DEV_CHARTS.flatMap((k) =>
            Object.values((chartImages as Record<string, Record<string, string>>)[k] ?? {}),
        ),
    ];

    it("lists every chart and image of the dev stack, upstream, sorted", () => {
        const r = run("--stack", "dev", "--json");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const listing = JSON.parse(r.stdout);
        expect(listing.stack).toBe("dev");
        expect(listing.mirror).toEqual({});
        expect(listing.problems).toEqual([]);
        expect(listing.charts).toEqual(
            DEV_CHARTS.map((k) => charts[k])
                .map((pin) => ({
                    name: chartName(pin),
                    version: pin.version,
                    source: pin.repo || pin.chart,
                }))
                .sort((a, b) => (a.name < b.name ? -1 : 1)),
        );
        expect(listing.images).toEqual(
            [...new Set(devImages.map(canonical))].sort().map((source) => ({ source })),
        );
    });

    it("with a mirror, prints each source with its target, as text", () => {
        const file = writeStackConfig(
            "dev-mirrored",
            `config:\n  mlops:mirror:\n    charts: ${OCI}\n    images: ${PREFIX}\n`,
        );
        const r = run("--config", file);
        expect(r.status).toBe(0);
        const lines = r.stdout.split("\n");
        expect(lines.slice(0, 3)).toEqual([
            "Mirror listing of stack dev-mirrored",
            `mlops:mirror.charts: ${OCI}`,
            `mlops:mirror.images: ${PREFIX}`,
        ]);
        expect(r.stdout).toMatch(
            /\n {2}traefik +41\.3\.0 +https:\/\/traefik\.github\.io\/charts +→ {2}oci:\/\/registry\.example\.com\/charts\/traefik\n/,
        );
        expect(r.stdout).toMatch(
            /\n {2}docker\.io\/library\/postgres:18\.6 +→ {2}registry\.example\.com\/mirror\/docker\.io\/library\/postgres:18\.6\n/,
        );
        const imageLines = lines
            .slice(lines.findIndex((l) => l.startsWith("Images (")) + 1)
            .filter((l) => l !== "");
        expect(imageLines.length).toBeGreaterThan(30);
        for (const l of imageLines) {
            const [source, target] = l.trim().split(/ +→ +/);
            expect(target).toBe(mirrorImage(source, { images: PREFIX }));
        }
    });

    it("lists a team stack's pipeline image", () => {
        const r = run("--stack", "team-vision", "--json");
        expect(r.status).toBe(0);
        const listing = JSON.parse(r.stdout);
        expect(listing.charts).toEqual([]);
        expect(listing.images).toEqual([{ source: canonical(images.mlflow) }]);
    });

    it("stops on a stack file that is not YAML with exit code 2, naming the file, line and column", () => {
        const file = writeStackConfig("broken-mirror", "config:\n  mlops:mirror: [\n");
        const r = run("--config", file);
        expect(r.status).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(
            new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:1: `),
        );
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });

    it("stops on an invalid mirror config with exit code 2", () => {
        const file = writeStackConfig(
            "bad-mirror",
            "config:\n  mlops:mirror:\n    images: https://x.example.com\n",
        );
        const r = run("--config", file);
        expect(r.status).toBe(2);
        expect(r.stderr).toContain('mlops:mirror.images: got "https://x.example.com"');
    });
});

describe("the listing flags what the program sets outside versions.ts or the mirror", () => {
    const pod = (image: string) => ({
        type: "kubernetes:apps/v1:Deployment",
        name: "d",
        inputs: { spec: { template: { spec: { containers: [{ name: "c", image }] } } } },
    });

    it("an image not pinned in versions.ts", () => {
        expect(mirrorListing([pod("nginx:1.27")]).problems).toEqual([
            "d: image nginx:1.27 is not pinned in components/versions.ts",
        ]);
    });

    it("an image left upstream although a mirror is set", () => {
        expect(mirrorListing([pod(images.postgres)], { images: PREFIX }).problems).toEqual([
            `d: image postgres:18.6 is outside the mirror ${PREFIX}`,
        ]);
    });

    it("a chart installed from upstream although a mirror is set, and an unpinned chart", () => {
        const release = (inputs: Record<string, unknown>) => ({ type: RELEASE, name: "r", inputs });
        expect(
            mirrorListing(
                [
                    release({
                        chart: "traefik",
                        version: "41.3.0",
                        repositoryOpts: { repo: charts.traefik.repo },
                    }),
                    release({ chart: "oci://x.example.com/foo", version: "1.0.0" }),
                ],
                { charts: OCI },
            ).problems,
        ).toEqual([
            `r: installs traefik from https://traefik.github.io/charts, expected ${OCI}/traefik`,
            "r: chart foo 1.0.0 is not pinned in components/versions.ts",
        ]);
    });
});
