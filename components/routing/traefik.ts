import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ServiceEndpoint } from "../endpoint";
import { helmRelease } from "../helm-release";
import { Mirror, mirrorImage, mirrorImageParts } from "../mirror";
import { ContainerResources } from "../security";
import { containerSecurityContext } from "../security";
import { chartImages, charts, images } from "../versions";
import { ExposedService, ExposeArgs, RouterAuth, RouterSettings } from "./exposed-service";

/** How HTTPS certificates are obtained. */
export type TlsArgs =
    | { readonly mode: "selfSigned" }
    /** Plain HTTP on port 80: for experiments only. */
    | { readonly mode: "none" }
    | {
          readonly mode: "acme";
          /** Contact address of the ACME account. */
          readonly email: string;
          /** @default Let's Encrypt production */
          readonly server?: string;
      };

/** Arguments of {@link Traefik}. */
export interface TraefikArgs {
    /** Namespace of the router and of the routes it serves. */
    readonly namespace: pulumi.Input<string>;
    /** Base domain: services are exposed at `<subdomain>.<domain>`. */
    readonly domain: string;
    /** @default `{ mode: "selfSigned" }`: a generated wildcard certificate for `*.<domain>` */
    readonly tls?: TlsArgs;
    /** How the router's Service is exposed. @default "LoadBalancer" */
    readonly serviceType?: "LoadBalancer" | "NodePort" | "ClusterIP";
    /** @default 1 */
    readonly replicas?: number;
    /** @default requests 100m/128Mi, limits 1/512Mi */
    readonly resources?: ContainerResources;
    /**
     * How routes authenticate their callers: single sign-on (`OAuth2Proxy`), a generated
     * password per route, or not at all. @default basic auth, user "admin"
     */
    readonly auth?: RouterAuth;
    /** Chart and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** The name of the ACME certificate resolver configured when `tls.mode` is `acme`. */
export const ACME_RESOLVER = "letsencrypt";

/** The release name the chart is installed under. */
const RELEASE = "traefik";
/**
 * `app.kubernetes.io/name` of the router's pods: the chart's name (traefik.labelselector in
 * traefik/templates/_helpers.tpl, traefik-helm-chart v41.3.0; no `nameOverride` is set).
 */
export const ROUTER_APP = "traefik";
/**
 * The `web` and `websecure` entry points' container ports: `ports.web.port` and
 * `ports.websecure.port` in traefik/values.yaml, traefik-helm-chart v41.3.0.
 */
const ENTRY_POINT_PORTS = [8000, 8443];
/**
 * The `metrics` entry point's container port, where Traefik serves Prometheus metrics
 * (`ports.metrics.port`, `metrics.prometheus.entryPoint: metrics` in traefik/values.yaml,
 * traefik-helm-chart v41.3.0; not exposed on the Service).
 */
const METRICS_PORT = 9100;

/**
 * Traefik from its upstream chart as the platform's single entry point: HTTPS on 443 with
 * every HTTP request redirected to it, and a helper that exposes a service at
 * `<service>.<domain>` behind optional basic auth.
 *
 * ```ts
 * const router = new Traefik("mlops-traefik", { namespace: "mlops", domain: "ml.example.com" });
 * const ui = router.expose("mlflow", { namespace: "mlops", service: { name: "mlflow", port: 5000 } });
 * export const url = ui.url;
 * ```
 */
export class Traefik extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:routing:Traefik";
    public readonly release: k8s.helm.v3.Release;
    public readonly domain: string;
    /** The router's pods and entry points, open to anyone. */
    public readonly serviceEndpoint: ServiceEndpoint;
    /**
     * The self-signed certificate the router presents (PEM), for pods that call a route by its
     * public name and so must trust it. Undefined with ACME or without TLS.
     */
    public readonly selfSignedCertificate?: pulumi.Output<string>;
    private readonly settings: RouterSettings;

    constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Traefik.__pulumiType, name, {}, opts);
        const tlsArgs: TlsArgs = args.tls ?? { mode: "selfSigned" };
        this.domain = args.domain;
        const child = { parent: this };

        // Traefik's built-in ACME client keeps its certificates in one ReadWriteOnce volume and
        // does not coordinate between instances: with ACME there is one replica.
        const replicas = tlsArgs.mode === "acme" ? 1 : (args.replicas ?? 1);
        const values: Record<string, unknown> = {
            image: mirrorImageParts(chartImages.traefik.traefik, args.mirror),
            deployment: { replicas },
            global: { checkNewVersion: false, sendAnonymousUsage: false },
            ports: {
                web:
                    tlsArgs.mode === "none"
                        ? {}
                        : {
                              http: {
                                  redirections: {
                                      entryPoint: {
                                          to: "websecure",
                                          scheme: "https",
                                          permanent: true,
                                      },
                                  },
                              },
                          },
                websecure: {
                    http: {
                        tls: {
                            enabled: true,
                            ...(tlsArgs.mode === "acme" ? { certResolver: ACME_RESOLVER } : {}),
                        },
                    },
                },
            },
            service: { spec: { type: args.serviceType ?? "LoadBalancer" } },
            // Routes come from IngressRoutes this project creates; the dashboard is exposed
            // through the same helper, behind auth, rather than by the chart.
            ingressRoute: { dashboard: { enabled: false } },
            providers: {
                kubernetesCRD: { enabled: true, allowCrossNamespace: false },
                kubernetesIngress: { enabled: false },
            },
            resources: args.resources ?? {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "1", memory: "512Mi" },
            },
        };

        this.selfSignedCertificate = this.tlsValues(name, args, tlsArgs, values);

        this.release = helmRelease(
            name,
            {
                pin: charts.traefik,
                mirror: args.mirror,
                releaseName: RELEASE,
                namespace: args.namespace,
                values,
            },
            child,
        );

        this.settings = {
            domain: args.domain,
            tls: tlsArgs.mode !== "none",
            certResolver: tlsArgs.mode === "acme" ? ACME_RESOLVER : undefined,
            auth: args.auth ?? { mode: "basic", username: "admin" },
            crds: this.release,
        };
        this.serviceEndpoint = {
            name: "traefik",
            // traefik.labelselector (see ROUTER_APP): the instance is `<release>-<namespace>`
            // unless `instanceLabelOverride`, which is not set.
            pods: {
                matchLabels: {
                    "app.kubernetes.io/name": ROUTER_APP,
                    "app.kubernetes.io/instance": pulumi.interpolate`${RELEASE}-${args.namespace}`,
                },
            },
            ports: ENTRY_POINT_PORTS,
            // The entry point: from anywhere (a load balancer, node ports, ACME's TLS challenge).
            callers: { anyone: true },
            metrics: { port: METRICS_PORT },
        };
        this.registerOutputs({});
    }

    /**
     * The TLS part of the chart's values: a self-signed wildcard certificate as the default
     * one, or Let's Encrypt through Traefik's ACME resolver with a volume for its certificates.
     * Returns the self-signed certificate, if any.
     */
    private tlsValues(
        name: string,
        args: TraefikArgs,
        tlsArgs: TlsArgs,
        values: Record<string, unknown>,
    ): pulumi.Output<string> | undefined {
        const child = { parent: this };
        if (tlsArgs.mode === "selfSigned") {
            const key = new tls.PrivateKey(
                `${name}-tls`,
                { algorithm: "ECDSA", ecdsaCurve: "P256" },
                child,
            );
            const cert = new tls.SelfSignedCert(
                `${name}-tls`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { commonName: `*.${args.domain}`, organization: "mlops-platform" },
                    dnsNames: [args.domain, `*.${args.domain}`],
                    validityPeriodHours: 24 * 365,
                    earlyRenewalHours: 24 * 30,
                    allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
                },
                child,
            );
            const secret = new k8s.core.v1.Secret(
                `${name}-default-cert`,
                {
                    metadata: { name: `${name}-default-cert`, namespace: args.namespace },
                    type: "kubernetes.io/tls",
                    stringData: {
                        "tls.crt": cert.certPem,
                        "tls.key": pulumi.secret(key.privateKeyPem),
                    },
                },
                child,
            );
            values.tlsStore = {
                default: { defaultCertificate: { secretName: secret.metadata.name } },
            };
            return cert.certPem;
        } else if (tlsArgs.mode === "acme") {
            values.certificatesResolvers = {
                [ACME_RESOLVER]: {
                    acme: {
                        email: tlsArgs.email,
                        caServer:
                            tlsArgs.server ?? "https://acme-v02.api.letsencrypt.org/directory",
                        storage: "/data/acme.json",
                        tlsChallenge: true,
                    },
                },
            };
            // Certificates survive restarts; the volume is owned by Traefik's non-root user.
            values.persistence = {
                enabled: true,
                size: "128Mi",
                path: "/data",
                accessMode: "ReadWriteOnce",
            };
            values.podSecurityContext = {
                runAsNonRoot: true,
                runAsUser: 65532,
                runAsGroup: 65532,
                fsGroup: 65532,
                fsGroupChangePolicy: "OnRootMismatch",
                seccompProfile: { type: "RuntimeDefault" },
            };
            // Traefik refuses an acme.json readable by the group, which fsGroup makes it on
            // every restart: put it back to 600 first.
            (values.deployment as Record<string, unknown>).initContainers = [
                {
                    name: "acme-permissions",
                    image: mirrorImage(images.busybox, args.mirror),
                    command: ["sh", "-c", "touch /data/acme.json && chmod 600 /data/acme.json"],
                    volumeMounts: [{ name: "data", mountPath: "/data" }],
                    securityContext: containerSecurityContext(),
                    resources: {
                        requests: { cpu: "10m", memory: "8Mi" },
                        limits: { cpu: "50m", memory: "16Mi" },
                    },
                },
            ];
        }
        return undefined;
    }

    /**
     * Exposes a Service at `https://<subdomain>.<domain>` (the subdomain defaults to `name`)
     * through an IngressRoute behind the router's authentication (`access` says who passes).
     * Pass `{ parent }` so the route belongs to the component it serves.
     */
    public expose(
        name: string,
        args: ExposeArgs,
        opts?: pulumi.ComponentResourceOptions,
    ): ExposedService {
        return new ExposedService(name, { ...args, router: this.settings }, opts);
    }
}
