/**
 * Prints, as JSON, what `identity.sh` runs against the real Traefik and oauth2-proxy: the
 * program run under the offline plan's recording mocks (tools/plan/run.ts) with a stack file,
 * and from its resources
 * - every Traefik Middleware and IngressRoute, as the API server would receive them;
 * - oauth2-proxy's command line, environment and config file, made from the chart values the
 *   program sets the way the chart's templates make them (chart oauth2-proxy 10.7.0,
 *   templates/deployment.yaml and the legacy config in _helpers.tpl: `--http-address`,
 *   `--https-address`, `--metrics-address` when metrics are on, `extraArgs` as `--key=value`
 *   in key order, `--config` with `email_domains` and `upstreams`, and the client ID, client
 *   secret and cookie secret as `OAUTH2_PROXY_*` variables from the Secret it names);
 * - the clients registered at the bundled Dex (from the Dex config Secret), which the test
 *   issuer serves in Dex's place;
 * - the stack's first JWT issuer and audience, and the first `sub:` member of its first team;
 * - every MLflow server's Deployment (namespace, name, command, args): the platform's and each
 *   team's; `identity.sh --browser` runs one behind its route;
 * - Traefik's default certificate as the program asks for it: the Secret the chart's
 *   `tlsStore` names and the self-signed certificate's subject, names, lifetime and uses.
 *
 *     npx tsx tools/verify/identity-render.ts STACK_FILE
 *
 * Secrets are revealed (the mocks' stand-ins), except the cookie secret: the mocks' stand-in
 * is not an AES key, so a fresh one of the generated length and alphabet takes its place.
 */
import * as crypto from "node:crypto";
import * as yaml from "js-yaml";
import { RecordedResource, reveal } from "../plan/recorder";
import { runPlan } from "../plan/run";
import { readStackConfig } from "../plan/stack-config";

const TRAEFIK = "kubernetes:traefik.io/v1alpha1:";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";

/** The parts of the oauth2-proxy chart's values the program may set and the chart reads here. */
interface ProxyValues {
    config?: {
        existingSecret?: string;
        clientID?: string;
        clientSecret?: string;
        cookieSecret?: string;
        cookieName?: string;
        configFile?: string;
        existingConfig?: string;
        emailDomains?: string[];
        upstreams?: string[];
        forceLegacyConfig?: boolean;
        requiredSecretKeys?: string[];
    };
    alphaConfig?: { enabled?: boolean };
    extraArgs?: Record<string, unknown> | string[];
    extraEnv?: { name: string; value?: string }[];
    metrics?: { enabled?: boolean };
    proxyVarsAsSecrets?: boolean;
}

interface Team {
    name: string;
    members?: string[];
}

function fail(message: string): never {
    throw new Error(`identity-render: ${message}`);
}

/** oauth2-proxy's container as chart 10.7.0 renders it from `values`. */
function proxyContainer(values: ProxyValues, secrets: Record<string, string>) {
    const config = values.config ?? {};
    if (values.alphaConfig?.enabled) fail("alphaConfig is not rendered here");
    if (config.existingConfig) fail("config.existingConfig is not rendered here");
    const args = ["--http-address=0.0.0.0:4180", "--https-address=0.0.0.0:4443"];
    if (values.metrics?.enabled ?? true) args.push("--metrics-address=0.0.0.0:44180");
    if (config.cookieName) args.push(`--cookie-name=${config.cookieName}`);
    const extra = values.extraArgs ?? {};
    if (Array.isArray(extra)) args.push(...extra);
    else
        for (const key of Object.keys(extra).sort()) {
            const v = extra[key];
            args.push(v === null || v === undefined ? `--${key}` : `--${key}=${String(v)}`);
        }
    // The legacy config: inline when configFile is set, generated unless forceLegacyConfig is
    // false (then none at all).
    let configFile: string | undefined;
    if (config.configFile) configFile = config.configFile;
    else if (config.forceLegacyConfig ?? true)
        configFile =
            `email_domains = ${JSON.stringify(config.emailDomains ?? ["*"])}\n` +
            `upstreams = ${JSON.stringify(config.upstreams ?? ["file:///dev/null"])}`;
    if (configFile !== undefined) args.push("--config=/etc/oauth2_proxy/oauth2_proxy.cfg");

    const env: Record<string, string> = {};
    if (values.proxyVarsAsSecrets ?? true) {
        const keys = config.requiredSecretKeys ?? ["client-id", "client-secret", "cookie-secret"];
        const vars: Record<string, string> = {
            "client-id": "OAUTH2_PROXY_CLIENT_ID",
            "client-secret": "OAUTH2_PROXY_CLIENT_SECRET",
            "cookie-secret": "OAUTH2_PROXY_COOKIE_SECRET",
        };
        for (const key of keys) env[vars[key]] = secrets[key];
    }
    for (const e of values.extraEnv ?? []) if (e.value !== undefined) env[e.name] = e.value;
    return { args, env, configFile: configFile ?? "" };
}

async function main() {
    const file = process.argv[2] ?? fail("usage: identity-render.ts STACK_FILE");
    const stack = readStackConfig(file);
    const plan = await runPlan(stack);
    const inputs = (r: RecordedResource) => reveal(r.inputs) as Record<string, unknown>;
    const ofType = (type: string) => plan.resources.filter((r) => r.type === type);
    const release = (name: string) =>
        ofType(RELEASE).find((r) => inputs(r).name === name) ??
        fail(`no Helm release named ${name}`);
    const secretData = (name: string) => {
        const s = ofType(SECRET).find(
            (r) => (inputs(r).metadata as { name?: string }).name === name,
        );
        return ((s && inputs(s).stringData) ?? fail(`no Secret ${name}`)) as Record<string, string>;
    };

    const objects = plan.resources
        .filter((r) => r.type === `${TRAEFIK}Middleware` || r.type === `${TRAEFIK}IngressRoute`)
        .map(inputs);

    const proxyValues = inputs(release("oauth2-proxy")).values as ProxyValues;
    const c = proxyValues.config ?? {};
    const secrets = c.existingSecret
        ? { ...secretData(c.existingSecret) }
        : {
              "client-id": c.clientID ?? "",
              "client-secret": c.clientSecret ?? "",
              "cookie-secret": c.cookieSecret ?? "",
          };
    const cookieSecret = plan.resources.find(
        (r) => r.type === PASSWORD && secrets["cookie-secret"] === `mock-password-${r.name}`,
    );
    const cookieLength = cookieSecret ? (inputs(cookieSecret).length as number) : undefined;
    if (cookieLength !== undefined) {
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        secrets["cookie-secret"] = Array.from(
            crypto.randomBytes(cookieLength),
            (b) => alphabet[b % alphabet.length],
        ).join("");
    }

    const dexValues = inputs(release("dex")).values as { configSecret?: { name?: string } };
    const dexConfig = yaml.load(
        secretData(dexValues.configSecret?.name ?? fail("Dex has no configSecret"))["config.yaml"],
    ) as {
        issuer: string;
        staticClients: { id: string; secret: string; redirectURIs: string[] }[];
    };

    const cfg = (key: string) => JSON.parse(stack.config[`mlops:${key}`] ?? "null");
    const jwtIssuer = (cfg("routing")?.auth?.oidc?.jwtIssuers ?? [])[0] as
        { issuer: string; audience: string } | undefined;
    const teams = (cfg("teams") ?? []) as Team[];
    const subject = (teams[0]?.members ?? [])
        .find((m) => m.startsWith("sub:"))
        ?.slice("sub:".length);

    // The MLflow servers: the Deployments whose container runs `mlflow server`.
    interface Pod {
        metadata: { name: string; namespace: string };
        spec: { template: { spec: { containers: { command?: string[]; args?: string[] }[] } } };
    }
    const mlflowServers = ofType(DEPLOYMENT)
        .map((r) => inputs(r) as unknown as Pod)
        .filter(
            (d) =>
                d.spec.template.spec.containers[0]?.command?.[0] === "mlflow" &&
                d.spec.template.spec.containers[0]?.args?.[0] === "server",
        )
        .map((d) => ({
            namespace: d.metadata.namespace,
            name: d.metadata.name,
            command: d.spec.template.spec.containers[0].command,
            args: d.spec.template.spec.containers[0].args,
        }));

    // Traefik's default certificate: the chart's tlsStore names the Secret; the program makes
    // the certificate in it from a private key and a self-signed certificate.
    const traefik = inputs(release("traefik"));
    const tlsStore = (traefik.values as { tlsStore?: Record<string, unknown> }).tlsStore as
        { default?: { defaultCertificate?: { secretName?: string } } } | undefined;
    const cert = ofType(SELF_SIGNED).map(inputs)[0] as
        | {
              subject?: { commonName?: string; organization?: string };
              dnsNames?: string[];
              validityPeriodHours?: number;
              allowedUses?: string[];
          }
        | undefined;
    const key = ofType(PRIVATE_KEY).map(inputs)[0] as
        { algorithm?: string; ecdsaCurve?: string } | undefined;
    const secretName = tlsStore?.default?.defaultCertificate?.secretName;

    process.stdout.write(
        JSON.stringify(
            {
                stack: plan.stack,
                domain: stack.config["mlops:domain"],
                objects,
                oauth2Proxy: proxyContainer(proxyValues, secrets),
                cookieSecretLength: cookieLength,
                dexIssuer: dexConfig.issuer,
                issuerClients: dexConfig.staticClients.map((s) => ({
                    id: s.id,
                    secret: s.secret,
                    redirectURIs: s.redirectURIs,
                })),
                machineIssuer: jwtIssuer && subject ? { ...jwtIssuer, subject } : null,
                mlflowServers,
                defaultCertificate:
                    secretName && cert
                        ? {
                              namespace: traefik.namespace,
                              secretName,
                              commonName: cert.subject?.commonName,
                              organization: cert.subject?.organization,
                              dnsNames: cert.dnsNames,
                              validityPeriodHours: cert.validityPeriodHours,
                              allowedUses: cert.allowedUses,
                              keyAlgorithm: key?.algorithm,
                              ecdsaCurve: key?.ecdsaCurve,
                          }
                        : null,
            },
            null,
            2,
        ) + "\n",
    );
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
