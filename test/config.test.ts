import { CLOUD_SCOPED_KEYS, ConfigError, keyPath, loadConfig, parseConfig } from "../stacks/config";
import { configProblems, SSO } from "./support/fixtures";

const problems = configProblems;

const l4Pool = { name: "l4", gpuType: "nvidia-l4", machineType: "g2-standard-8", maxNodes: 4 };

/** A valid aws section. */
const AWS = { region: "us-east-1", accountId: "123456789012" };

describe("defaults", () => {
    it("an empty config is the local dev platform", () => {
        const c = parseConfig({});
        expect(c.kind).toBe("platform");
        expect(c.cloud).toBe("local");
        expect(c.environment).toBe("dev");
        expect(c.domain).toBe("mlops.localtest.me");
        expect(c.cluster).toEqual({
            name: "mlops",
            gpuOversubscription: 1,
            nvidiaDevicePlugin: false,
            systemPool: { minNodes: 1, maxNodes: 3 },
            gpuPools: [],
        });
        expect(c.storage).toEqual({
            objectStore: { size: "20Gi", publicRead: false },
            sharedFilesystem: {
                enabled: true,
                size: "50Gi",
                tier: "BASIC_HDD",
                inCluster: false,
                nodeCidrs: [],
            },
        });
        expect(c.database).toEqual({
            size: "10Gi",
            tier: "db-custom-1-3840",
            instanceClass: "db.t4g.small",
            publicAccess: false,
        });
        expect(c.routing).toEqual({
            tls: { mode: "selfSigned" },
            // kind, k3d and minikube have no load-balancer controller as they come.
            serviceType: "NodePort",
            // Single sign-on through the bundled Dex: no issuer, a generated client secret.
            auth: {
                enabled: true,
                mode: "oidc",
                username: "admin",
                oidc: {
                    clientId: "mlops-platform",
                    groupsClaim: "groups",
                    emailClaim: "email",
                    adminGroups: ["mlops-admins"],
                    cookie: { expire: "12h", refresh: "1h", sameSite: "lax", secure: true },
                    jwtIssuers: [],
                },
            },
        });
        expect(c.tracking).toEqual({ enabled: true });
        expect(c.serving).toEqual({ enabled: true, engine: "kserve", models: [] });
        expect(c.teams).toEqual([]);
    });

    it("GPU pools scale from zero and are on-demand unless asked", () => {
        const c = parseConfig({
            cloud: "gcp",
            cluster: { gcp: { project: "my-project", region: "us-central1" }, gpuPools: [l4Pool] },
            routing: SSO,
        });
        expect(c.cluster.gpuPools).toEqual([
            { ...l4Pool, gpusPerNode: 1, minNodes: 0, spot: false },
        ]);
    });

    it("aws: a private API endpoint across three zones, a LoadBalancer router", () => {
        const c = parseConfig({ cloud: "aws", cluster: { aws: AWS }, routing: SSO });
        expect(c.cluster.aws).toEqual({
            ...AWS,
            endpointPublicAccessCidrs: [],
            availabilityZoneCount: 3,
            accessEntries: [],
        });
        expect(c.routing.serviceType).toBe("LoadBalancer");
    });

    it("a team has no GPUs unless granted", () => {
        const c = parseConfig({ teams: [{ name: "vision" }] });
        expect(c.teams[0].quota).toEqual({
            cpu: "8",
            memory: "32Gi",
            gpu: 0,
            storage: "100Gi",
            pods: 50,
            claims: 10,
            sharedClaims: 1,
            ephemeralStorage: "100Gi",
        });
    });

    it("acme settings default to the Let's Encrypt production directory", () => {
        const c = parseConfig({
            routing: { tls: { mode: "acme", acme: { email: "ops@example.com" } } },
        });
        expect(c.routing.tls.acme).toEqual({
            email: "ops@example.com",
            server: "https://acme-v02.api.letsencrypt.org/directory",
        });
    });
});

describe("invalid config: one message per problem, naming key, value and what is allowed", () => {
    const cases: [string, Record<string, unknown>, string][] = [
        [
            "unknown cloud",
            { cloud: "azure" },
            'mlops:cloud: got "azure"; must be one of "local", "gcp", "aws"',
        ],
        [
            "unknown kind",
            { kind: "tenant" },
            'mlops:kind: got "tenant"; must be one of "platform", "team"',
        ],
        [
            "unknown environment",
            { environment: "staging" },
            'mlops:environment: got "staging"; must be one of "dev", "prod"',
        ],
        [
            "domain not a DNS name",
            { domain: "Not A Domain" },
            'mlops:domain: got "Not A Domain"; must be a lowercase DNS name with at least two labels, e.g. mlops.example.com',
        ],
        [
            "negative maxNodes",
            {
                cluster: {
                    gpuPools: [
                        { name: "a", gpuType: "nvidia-l4", maxNodes: 1 },
                        { name: "b", gpuType: "nvidia-l4", maxNodes: -1 },
                    ],
                },
            },
            "mlops:cluster.gpuPools[1].maxNodes: got -1; must be an integer ≥ 1: a pool of at most 0 nodes never runs a pod",
        ],
        [
            "fractional node count",
            {
                cluster: {
                    gpuPools: [{ name: "a", gpuType: "nvidia-l4", minNodes: 0.5, maxNodes: 1 }],
                },
            },
            "mlops:cluster.gpuPools[0].minNodes: got 0.5; must be an integer",
        ],
        [
            "minNodes above maxNodes",
            {
                cluster: {
                    gpuPools: [{ name: "a", gpuType: "nvidia-l4", minNodes: 3, maxNodes: 2 }],
                },
            },
            "mlops:cluster.gpuPools[0].maxNodes: got 2; must be ≥ minNodes (3)",
        ],
        [
            "system pool minNodes above maxNodes",
            { cluster: { systemPool: { minNodes: 5, maxNodes: 2 } } },
            "mlops:cluster.systemPool.maxNodes: got 2; must be ≥ minNodes (5)",
        ],
        [
            "GPU pool without maxNodes",
            { cluster: { gpuPools: [{ name: "a", gpuType: "nvidia-l4" }] } },
            "mlops:cluster.gpuPools[0].maxNodes: got nothing; must be an integer",
        ],
        [
            "misspelt key",
            { cluster: { gpuPool: [] } },
            "mlops:cluster.gpuPool: unknown key (did you mean mlops:cluster.gpuPools?); allowed keys: name, kubeconfig, context, storageClass, gpuOversubscription, nvidiaDevicePlugin, oidcPrefix, gcp, aws, systemPool, gpuPools",
        ],
        [
            "unknown top-level key",
            { tracing: { enabled: true } },
            "mlops:tracing: unknown key (did you mean mlops:tracking?); allowed keys: kind, cloud, environment, domain, cluster, storage, database, routing, tracking, workflows, featureStore, serving, observability, teams, platformStack, mirror",
        ],
        [
            "team name not a DNS label",
            { teams: [{ name: "Vision_Team" }] },
            "mlops:teams[0].name: got \"Vision_Team\"; a team name must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
        ],
        [
            "duplicate team names",
            { teams: [{ name: "nlp" }, { name: "vision" }, { name: "nlp" }] },
            'mlops:teams[2].name: got "nlp"; names must be unique, already used by mlops:teams[0]',
        ],
        [
            "duplicate GPU pool names",
            {
                cluster: {
                    gpuPools: [
                        { name: "a", gpuType: "nvidia-l4", maxNodes: 1 },
                        { name: "a", gpuType: "nvidia-l4", maxNodes: 2 },
                    ],
                },
            },
            'mlops:cluster.gpuPools[1].name: got "a"; names must be unique, already used by mlops:cluster.gpuPools[0]',
        ],
        [
            "negative GPU quota",
            { teams: [{ name: "nlp", quota: { gpu: -2 } }] },
            "mlops:teams[0].quota.gpu: got -2; must be an integer ≥ 0",
        ],
        [
            "bad memory quantity",
            { teams: [{ name: "nlp", quota: { memory: "32 gigs" } }] },
            'mlops:teams[0].quota.memory: got "32 gigs"; must be a Kubernetes size such as "512Mi" or "10Gi"',
        ],
        [
            "gcp without its section",
            { cloud: "gcp", routing: SSO },
            "mlops:cluster.gcp: got nothing; required when mlops:cloud is gcp ({project, region})",
        ],
        [
            "aws without its section",
            { cloud: "aws", routing: SSO },
            "mlops:cluster.aws: got nothing; required when mlops:cloud is aws ({region, accountId})",
        ],
        [
            "GPU type the cloud does not offer",
            {
                cloud: "aws",
                routing: SSO,
                cluster: {
                    aws: { region: "us-east-1", accountId: "123456789012" },
                    gpuPools: [
                        {
                            name: "a",
                            gpuType: "nvidia-tesla-a100",
                            machineType: "p4d.24xlarge",
                            maxNodes: 1,
                        },
                    ],
                },
            },
            'mlops:cluster.gpuPools[0].gpuType: got "nvidia-tesla-a100"; GPU types known for aws: nvidia-t4, nvidia-a10g, nvidia-l4, nvidia-l40s, nvidia-v100, nvidia-a100, nvidia-h100, nvidia-h200',
        ],
        [
            "aws region that is no region",
            {
                cloud: "aws",
                routing: SSO,
                cluster: { aws: { region: "US East", accountId: "123456789012" } },
            },
            'mlops:cluster.aws.region: got "US East"; must be an AWS region such as us-east-1',
        ],
        [
            "aws account ID as a number",
            {
                cloud: "aws",
                routing: SSO,
                cluster: { aws: { region: "us-east-1", accountId: 123456789012 } },
            },
            "mlops:cluster.aws.accountId: got 123456789012; must be a 12-digit AWS account ID in quotes",
        ],
        [
            "EKS endpoint open to the whole internet",
            {
                cloud: "aws",
                routing: SSO,
                cluster: {
                    aws: {
                        region: "us-east-1",
                        accountId: "123456789012",
                        endpointPublicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"],
                    },
                },
            },
            'mlops:cluster.aws.endpointPublicAccessCidrs[1]: got "0.0.0.0/0"; must not be the whole internet (/0): list your networks',
        ],
        [
            "too many availability zones",
            {
                cloud: "aws",
                routing: SSO,
                cluster: {
                    aws: {
                        region: "us-east-1",
                        accountId: "123456789012",
                        availabilityZoneCount: 6,
                    },
                },
            },
            "mlops:cluster.aws.availabilityZoneCount: got 6; must be 2, 3 or 4 (EKS needs two zones at least)",
        ],
        [
            "RDS instance class that is none",
            {
                cloud: "aws",
                routing: SSO,
                cluster: { aws: AWS },
                database: { instanceClass: "t4g.small" },
            },
            'mlops:database.instanceClass: got "t4g.small"; must be an RDS instance class such as db.t4g.small',
        ],
        [
            "GPU sharing on aws",
            {
                cloud: "aws",
                routing: SSO,
                cluster: {
                    aws: AWS,
                    gpuPools: [
                        {
                            name: "l4",
                            gpuType: "nvidia-l4",
                            machineType: "g6.xlarge",
                            maxNodes: 1,
                            sharing: { strategy: "TIME_SHARING", maxSharedClientsPerGpu: 2 },
                        },
                    ],
                },
            },
            'mlops:cluster.gpuPools[0].sharing: got {"strategy":"TIME_SHARING","maxSharedClientsPerGpu":2}; not used when mlops:cloud is aws (GPU sharing is a GKE node pool setting; elsewhere configure it in the device plugin); it applies to mlops:cloud gcp: remove it',
        ],
        [
            "aws GPU on the wrong instance family",
            {
                cloud: "aws",
                routing: SSO,
                cluster: {
                    aws: AWS,
                    gpuPools: [
                        { name: "l4", gpuType: "nvidia-l4", machineType: "g5.xlarge", maxNodes: 1 },
                    ],
                },
            },
            'mlops:cluster.gpuPools[0].machineType: got "g5.xlarge"; nvidia-l4 needs a machine type of g6.*',
        ],
        [
            "GPU on the wrong machine family",
            {
                cloud: "gcp",
                routing: SSO,
                cluster: {
                    gcp: { project: "my-project", region: "us-central1" },
                    gpuPools: [{ ...l4Pool, machineType: "n1-standard-8" }],
                },
            },
            'mlops:cluster.gpuPools[0].machineType: got "n1-standard-8"; nvidia-l4 needs a machine type of g2-*',
        ],
        [
            "cloud GPU pool without a machine type",
            {
                cloud: "gcp",
                routing: SSO,
                cluster: {
                    gcp: { project: "my-project", region: "us-central1" },
                    gpuPools: [{ name: "l4", gpuType: "nvidia-l4", maxNodes: 1 }],
                },
            },
            "mlops:cluster.gpuPools[0].machineType: got nothing; required on gcp (nvidia-l4 runs on g2-*)",
        ],
        [
            "system pool max below the default min",
            { cluster: { systemPool: { minNodes: 2, maxNodes: 1 } } },
            "mlops:cluster.systemPool.maxNodes: got 1; must be ≥ minNodes (2)",
        ],
        [
            "model replicas out of order",
            {
                serving: {
                    models: [
                        {
                            name: "m",
                            format: "sklearn",
                            storageUri: "s3://b/m",
                            minReplicas: 3,
                            maxReplicas: 2,
                        },
                    ],
                },
            },
            "mlops:serving.models[0].maxReplicas: got 2; must be ≥ minReplicas (3)",
        ],
        [
            "serving engine not offered",
            { serving: { engine: "bentoml" } },
            'mlops:serving.engine: got "bentoml"; must be one of "kserve", "seldon"',
        ],
        [
            "canary traffic out of range",
            {
                serving: {
                    models: [
                        {
                            name: "m",
                            format: "sklearn",
                            storageUri: "s3://b/m",
                            canary: { storageUri: "s3://b/m2", trafficPercent: 100 },
                        },
                    ],
                },
            },
            "mlops:serving.models[0].canary.trafficPercent: got 100; must be between 1 and 99",
        ],
        [
            "acme without an email",
            { routing: { tls: { mode: "acme" } } },
            "mlops:routing.tls.acme: got nothing; is required when mode is acme (set acme.email)",
        ],
        [
            "platform stack naming a platform stack",
            { platformStack: "org/mlops-platform/dev" },
            'mlops:platformStack: got "org/mlops-platform/dev"; not used by a platform stack (team stacks no longer read it either): remove it',
        ],
        [
            "team stack without exactly one team",
            {
                kind: "team",
                teams: [{ name: "a" }, { name: "b" }],
            },
            "mlops:teams: got 2 teams; a team stack (mlops:kind: team) declares exactly one",
        ],
        [
            "pipeline asking for more GPUs than the quota",
            { teams: [{ name: "nlp", quota: { gpu: 1 }, pipeline: { gpu: 2 } }] },
            "mlops:teams[0].pipeline.gpu: got 2; must be ≤ quota.gpu (1)",
        ],
        [
            "structured key given a string",
            { storage: "big" },
            'mlops:storage: got "big"; must be a mapping',
        ],
        [
            "boolean given a string",
            { tracking: { enabled: "yes" } },
            'mlops:tracking.enabled: got "yes"; must be true or false',
        ],
    ];

    it.each(cases)("%s", (_what, raw, message) => {
        expect(problems(raw)).toEqual([message]);
    });

    it("lists every problem of a config in one error", () => {
        let error: unknown;
        try {
            parseConfig({
                cloud: "azure",
                domain: "x",
                teams: [{ name: "a", quota: { gpu: -1 } }, { name: "a" }],
            });
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toBe(
            [
                "Invalid stack config (4 problems):",
                '  - mlops:cloud: got "azure"; must be one of "local", "gcp", "aws"',
                '  - mlops:domain: got "x"; must be a lowercase DNS name with at least two labels, e.g. mlops.example.com',
                "  - mlops:teams[0].quota.gpu: got -1; must be an integer ≥ 0",
                '  - mlops:teams[1].name: got "a"; names must be unique, already used by mlops:teams[0]',
            ].join("\n"),
        );
    });
});

describe("reading Pulumi's config map", () => {
    it("parses structured keys from JSON and leaves string keys alone", () => {
        const c = loadConfig({
            "mlops:cloud": "local",
            "mlops:domain": "ml.example.com",
            "mlops:cluster": JSON.stringify({ name: "lab", context: "kind-lab" }),
            "other:key": "ignored",
        });
        expect(c.domain).toBe("ml.example.com");
        expect(c.cluster.name).toBe("lab");
        expect(c.cluster.context).toBe("kind-lab");
    });

    it("reports a structured key that holds plain text", () => {
        expect(() => loadConfig({ "mlops:cluster": "big" })).toThrow(
            'mlops:cluster: got "big"; must be a mapping',
        );
    });

    it("renders key paths with list indices", () => {
        expect(keyPath(["cluster", "gpuPools", 1, "maxNodes"])).toBe(
            "mlops:cluster.gpuPools[1].maxNodes",
        );
    });
});

describe("every key is honoured on the selected cloud or refused there", () => {
    const gcp = { project: "my-project", region: "us-central1" };
    const aws = { region: "us-east-1", accountId: "123456789012" };
    /** A valid base config for each cloud. */
    const base: Record<"local" | "gcp" | "aws", Record<string, unknown>> = {
        local: { cloud: "local" },
        gcp: { cloud: "gcp", cluster: { gcp }, routing: SSO },
        aws: { cloud: "aws", cluster: { aws }, routing: SSO },
    };
    /** One example value per cloud-scoped key, as a raw config fragment. */
    const set = (path: readonly string[], value: unknown): Record<string, unknown> => {
        const out: Record<string, unknown> = {};
        let cur = out;
        path.forEach((seg, i) => {
            if (i === path.length - 1) cur[seg] = value;
            else cur = (cur[seg] = {}) as Record<string, unknown>;
        });
        return out;
    };
    const merge = (a: Record<string, unknown>, b: Record<string, unknown>) => {
        const out: Record<string, unknown> = { ...a };
        for (const [k, v] of Object.entries(b)) {
            out[k] =
                typeof v === "object" && v && !Array.isArray(v) && typeof out[k] === "object"
                    ? merge(out[k] as Record<string, unknown>, v as Record<string, unknown>)
                    : v;
        }
        return out;
    };
    const examples: [readonly string[], unknown][] = [
        [["cluster", "kubeconfig"], "/tmp/kubeconfig"],
        [["cluster", "context"], "kind-mlops"],
        [["cluster", "storageClass"], "standard"],
        [["cluster", "nvidiaDevicePlugin"], true],
        [["cluster", "oidcPrefix"], "oidc:"],
        [["cluster", "systemPool"], { minNodes: 1 }],
        [["storage", "objectStore", "size"], "20Gi"],
        [["storage", "objectStore", "publicRead"], false],
        [["storage", "sharedFilesystem", "size"], "50Gi"],
        [["storage", "sharedFilesystem", "tier"], "BASIC_HDD"],
        [["storage", "sharedFilesystem", "inCluster"], true],
        [["database", "size"], "10Gi"],
        [["database", "tier"], "db-custom-1-3840"],
        [["database", "instanceClass"], "db.t4g.small"],
        [["database", "publicAccess"], false],
        [["routing", "auth", "dex"], { connectors: [] }],
    ];

    it("covers every cloud-scoped key of the table", () => {
        const table = CLOUD_SCOPED_KEYS.map((k) => k.path.join(".")).filter(
            (p) => !p.includes("[]") && p !== "cluster.gcp" && p !== "cluster.aws",
        );
        expect(examples.map(([p]) => p.join(".")).sort()).toEqual(table.sort());
    });

    for (const cloud of ["local", "gcp", "aws"] as const) {
        for (const [path, value] of examples) {
            const scoped = CLOUD_SCOPED_KEYS.find((k) => k.path.join(".") === path.join("."))!;
            const honoured = scoped.clouds.includes(cloud);
            it(`${path.join(".")} on ${cloud}: ${honoured ? "accepted" : "refused"}`, () => {
                const got = problems(merge(base[cloud], set(path, value)));
                if (honoured) expect(got).toEqual([]);
                else {
                    expect(got).toHaveLength(1);
                    expect(got[0]).toMatch(
                        new RegExp(
                            `^mlops:${path.join("\\.")}: got .*; not used when mlops:cloud is ${cloud} \\(.+\\); it applies to mlops:cloud ${scoped.clouds.join(" or ")}: remove it$`,
                        ),
                    );
                }
            });
        }
    }

    it("refuses GPU pool settings an existing cluster does not use, naming each entry", () => {
        expect(
            problems({
                cluster: {
                    gpuPools: [
                        { name: "a", gpuType: "nvidia-l4", maxNodes: 1 },
                        {
                            name: "b",
                            gpuType: "nvidia-l4",
                            maxNodes: 1,
                            minNodes: 0,
                            spot: true,
                            machineType: "g2-standard-8",
                            sharing: { strategy: "MPS", maxSharedClientsPerGpu: 2 },
                        },
                    ],
                },
            }),
        ).toEqual([
            'mlops:cluster.gpuPools[1].machineType: got "g2-standard-8"; not used when mlops:cloud is local (an existing cluster\'s nodes are not provisioned by the platform); it applies to mlops:cloud gcp or aws: remove it',
            "mlops:cluster.gpuPools[1].minNodes: got 0; not used when mlops:cloud is local (an existing cluster's nodes are not provisioned by the platform); it applies to mlops:cloud gcp or aws: remove it",
            "mlops:cluster.gpuPools[1].spot: got true; not used when mlops:cloud is local (an existing cluster's nodes are not provisioned by the platform); it applies to mlops:cloud gcp or aws: remove it",
            'mlops:cluster.gpuPools[1].sharing: got {"strategy":"MPS","maxSharedClientsPerGpu":2}; not used when mlops:cloud is local (GPU sharing is a GKE node pool setting; elsewhere configure it in the device plugin); it applies to mlops:cloud gcp: remove it',
        ]);
    });

    it("refuses a GKE section on the local target and an EKS one on gcp", () => {
        expect(problems({ cluster: { gcp } })).toEqual([
            'mlops:cluster.gcp: got {"project":"my-project","region":"us-central1"}; not used when mlops:cloud is local (it configures a GKE cluster); it applies to mlops:cloud gcp: remove it',
        ]);
        expect(problems({ cloud: "gcp", cluster: { gcp, aws: AWS }, routing: SSO })).toEqual([
            'mlops:cluster.aws: got {"region":"us-east-1","accountId":"123456789012"}; not used when mlops:cloud is gcp (it configures an EKS cluster); it applies to mlops:cloud aws: remove it',
        ]);
    });

    it("the router's Service is a NodePort on local and a LoadBalancer on gcp unless set", () => {
        expect(parseConfig({}).routing.serviceType).toBe("NodePort");
        expect(parseConfig(base.gcp).routing.serviceType).toBe("LoadBalancer");
        expect(parseConfig({ routing: { serviceType: "LoadBalancer" } }).routing.serviceType).toBe(
            "LoadBalancer",
        );
    });
});

describe("quantities as YAML numbers, as Kubernetes takes them", () => {
    it("accepts cpu: 8, memory and storage in bytes, gpu: 1", () => {
        const c = parseConfig({
            teams: [
                {
                    name: "a",
                    quota: { cpu: 8, memory: 34359738368, gpu: 1, storage: 1000000000 },
                },
                { name: "b", quota: { cpu: 0.5 } },
            ],
            storage: { objectStore: { size: 21474836480 } },
        });
        expect(c.teams[0].quota).toEqual({
            cpu: "8",
            memory: "34359738368",
            gpu: 1,
            storage: "1000000000",
            pods: 50,
            claims: 10,
            sharedClaims: 1,
            ephemeralStorage: "100Gi",
        });
        expect(c.teams[1].quota.cpu).toBe("0.5");
        expect(c.storage.objectStore.size).toBe("21474836480");
    });

    it("still refuses what is not a quantity", () => {
        expect(problems({ teams: [{ name: "a", quota: { cpu: -1, memory: true } }] })).toEqual([
            'mlops:teams[0].quota.cpu: got -1; must be a CPU quantity such as 8 or "500m"',
            'mlops:teams[0].quota.memory: got true; must be a Kubernetes size such as "512Mi" or "10Gi"',
        ]);
    });
});

describe("names: the limits that keep every derived name valid", () => {
    it("names each limit and why", () => {
        expect(problems({ cluster: { name: "c".repeat(33) } })).toEqual([
            `mlops:cluster.name: got "${"c".repeat(33)}"; the cluster name must be at most 32 characters (the longest Kubernetes name derived from it, the MLflow schema Job's, is a 63-character label)`,
        ]);
        expect(problems({ teams: [{ name: "t".repeat(57) }] })).toEqual([
            `mlops:teams[0].name: got "${"t".repeat(57)}"; a team name must be at most 56 characters (its tracking server's host is mlflow-<name>, a 63-character label)`,
        ]);
        expect(
            problems({
                serving: {
                    models: [{ name: "m".repeat(47), format: "sklearn", storageUri: "s3://b/m" }],
                },
            }),
        ).toEqual([
            `mlops:serving.models[0].name: got "${"m".repeat(47)}"; a model name must be at most 46 characters (KServe names the canary's Service <name>-canary-predictor, a 63-character label)`,
        ]);
    });

    it("reserves the name of the system pool", () => {
        expect(
            problems({
                cluster: { gpuPools: [{ name: "system", gpuType: "nvidia-l4", maxNodes: 1 }] },
            }),
        ).toEqual([
            'mlops:cluster.gpuPools[0].name: got "system"; reserved for the system node pool, choose another name',
        ]);
    });
});
