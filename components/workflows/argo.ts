import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceEndpoint, podsWith } from "../endpoint";
import { helmRelease } from "../helm-release";
import { ARGO_EXECUTOR_RULE, boundRole } from "../rbac";
import { Mirror, mirrorImageParts } from "../mirror";
import { ExposedService } from "../routing/exposed-service";
import { Traefik } from "../routing/traefik";
import { RouteAccess } from "../routing/exposed-service";
import { OBJECT_STORE_ENDPOINT, ObjectStoreConnection } from "../storage/object-store";
import { containerSecurityContext } from "../security";
import { chartImages, charts } from "../versions";

/** Arguments of {@link ArgoWorkflows}. */
export interface ArgoWorkflowsArgs {
    /** Namespace of the controller and server, also a workflow namespace. */
    readonly namespace: pulumi.Input<string>;
    /**
     * Further namespaces whose workflows the controller runs (team namespaces, which bring
     * their own `runner` service account). @default []
     */
    readonly workflowNamespaces?: readonly pulumi.Input<string>[];
    /** The object store; workflow artifacts go to its `workflows` bucket. */
    readonly objectStore: ObjectStoreConnection;
    /** The router that serves the UI at `argo.<domain>`. */
    readonly router: Traefik;
    /** Annotations of the workflow pods' and the server's Kubernetes service account (cloud identity binding). @default none */
    readonly serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Who may use its route, besides the router's admin groups. @default the admin groups */
    readonly access?: RouteAccess;
    /**
     * Single sign-on for the server (its `sso` auth mode, RBAC by group, delegated to each
     * namespace's `argo-sso` account). @default none: the `client` auth mode, where every
     * caller brings a Kubernetes bearer token
     */
    readonly signOn?: ArgoSignOn;
    /**
     * Secrets that workflows of the other namespaces read their artifacts with (the team
     * runners' store keys): under single sign-on the admins' account may read them, for the
     * UI's artifact view. @default none
     */
    readonly workflowNamespaceSecrets?: readonly string[];
    /** Chart and images from a mirror. @default upstream */
    readonly mirror?: Mirror;
}

/** Argo Server's single sign-on: who the issuer is, the server's client there, and the admins. */
export interface ArgoSignOn {
    /** The issuer's URL, the `iss` of its ID tokens: the server reads its discovery document at start. */
    readonly issuer: string;
    /** The client registered at the issuer with the redirect URI {@link argoRedirectUri}. */
    readonly clientId: string;
    /** The client's secret. */
    readonly clientSecret: pulumi.Input<string>;
    /** Scopes asked for besides `openid`, which the server always adds. @default ["email", "profile", "groups"] */
    readonly scopes?: readonly string[];
    /** The ID token's claim that lists the caller's groups. @default "groups" */
    readonly groupsClaim?: string;
    /** Groups whose members manage workflows in every namespace; at least one. */
    readonly adminGroups: readonly string[];
    /**
     * The issuer is a route of this platform's router (the bundled Dex), and its public name
     * may not lead there from inside the cluster (a `localtest.me` name is 127.0.0.1 in a pod
     * too): the server's pod maps the issuer's host to the router and trusts the router's
     * self-signed certificate. @default false
     */
    readonly issuerOnRouter?: boolean;
}

/** An Argo S3 artifact repository; without a keys Secret, the SDK's own credentials. */
export function s3Repository(repository: {
    readonly bucket: string;
    /** Endpoint URL of an S3-compatible store (scheme is dropped). @default AWS S3 */
    readonly endpoint?: string;
    readonly insecure: boolean;
    readonly region: string;
    readonly keyFormat: string;
    /** Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
    readonly keysSecret?: pulumi.Input<string>;
}): Record<string, unknown> {
    return {
        bucket: repository.bucket,
        ...(repository.endpoint
            ? { endpoint: repository.endpoint.replace(/^https?:\/\//, "") }
            : {}),
        insecure: repository.insecure,
        region: repository.region,
        keyFormat: repository.keyFormat,
        ...(repository.keysSecret
            ? {
                  accessKeySecret: { name: repository.keysSecret, key: "AWS_ACCESS_KEY_ID" },
                  secretKeySecret: { name: repository.keysSecret, key: "AWS_SECRET_ACCESS_KEY" },
              }
            : { useSDKCreds: true }),
    };
}

/** The service account workflows run as unless they name another. */
export const WORKFLOW_SERVICE_ACCOUNT = "argo-workflow";

/** The UI's subdomain: the server is at `https://argo.<domain>`. */
const SUBDOMAIN = "argo";

/** The redirect URI of the server's client at the issuer, for a domain. */
export function argoRedirectUri(domain: string): string {
    return `https://${SUBDOMAIN}.${domain}/oauth2/callback`;
}

/**
 * The annotation that makes a service account one the server may act as under single sign-on:
 * an expression over the caller's claims (`groups`, `email`, `sub`) that selects it
 * (argo-workflows v4.0.6, workflow/common/common.go:38; evaluated in server/auth/gatekeeper.go:251-264).
 */
export const RBAC_RULE = "workflows.argoproj.io/rbac-rule";
/** Which matching account wins: the highest number (gatekeeper.go:232-235, 250). */
export const RBAC_RULE_PRECEDENCE = "workflows.argoproj.io/rbac-rule-precedence";
/** The account, in each team namespace, that the server acts as for the team's members. */
export const ARGO_SSO_SERVICE_ACCOUNT = "argo-sso";
/** The admins' account in the server's namespace: every namespace. */
export const ARGO_SSO_ADMIN = "argo-sso-admin";
/**
 * Everyone signed in, in the server's namespace, with no rights: it lets the UI's calls that
 * name no namespace (its info and user info) through, which only the server's namespace
 * decides (gatekeeper.go:269-275, 294-311), as argo-server-sso.md's "Recommended usage" has it.
 */
export const ARGO_SSO_LOGIN = "argo-sso-login";
/**
 * The precedences: an admin who is also in a team keeps the admins' account (a namespace's
 * account is taken only over a lower login account, gatekeeper.go:304); a team member's
 * namespace account wins over the login account in its namespace.
 */
export const ARGO_SSO_PRECEDENCE = { login: 0, team: 1, admin: 2 } as const;

/**
 * The Secret the server reads an account's token from when the account names none:
 * `<account>.service-account-token` (util/secrets/secret_name.go:12-24, v4.0.6). Since
 * Kubernetes 1.24 nothing creates it unasked (docs/service-account-secrets.md).
 */
export function serviceAccountTokenName(account: string): string {
    return `${account}.service-account-token`;
}

/**
 * The rule that selects an account for members of any of `groups`: `'a' in groups || 'b' in
 * groups`, quoted for expr-lang (single-quoted strings take `\\` and `\'`, expr v1.17.7
 * parser/lexer/utils.go:101-104, the version argo-workflows v4.0.6 builds with).
 */
export function groupsRule(groups: readonly string[]): string {
    if (groups.length === 0) throw new Error("groupsRule: no groups; an empty rule selects no one");
    const quote = (g: string) => `'${g.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
    return [...new Set(groups)].map((g) => `${quote(g)} in groups`).join(" || ");
}

/**
 * What a person needs, through the server, to use Argo in a namespace: its workflows,
 * templates and cron workflows; the workflow pods' list, watch and logs
 * (util/logs/workflow-logger.go:130, 182, 190), delete for a retry
 * (server/workflow/workflow_server.go:497); the events the UI streams (workflow_server.go:393-394);
 * and the named Secrets that artifacts are read with (server/artifacts/resources.go:16, with
 * the caller's client, artifact_server.go:452, 515). ClusterWorkflowTemplates too, when the rules
 * are a ClusterRole's.
 */
export function argoUserRules(args: {
    readonly clusterWorkflowTemplates: boolean;
    readonly artifactSecrets: readonly pulumi.Input<string>[];
}): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        {
            apiGroups: ["argoproj.io"],
            resources: [
                "workflows",
                "workflowtemplates",
                "cronworkflows",
                ...(args.clusterWorkflowTemplates ? ["clusterworkflowtemplates"] : []),
            ],
            verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
        { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch", "delete"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["watch"] },
        ...(args.artifactSecrets.length > 0
            ? [
                  {
                      apiGroups: [""],
                      resources: ["secrets"],
                      resourceNames: [...args.artifactSecrets],
                      verbs: ["get"],
                  },
              ]
            : []),
    ];
}

/**
 * A service account the server acts as, under single sign-on, for the callers its `rule`
 * selects, and the long-lived token Secret the server reads (named so that the server finds it,
 * {@link serviceAccountTokenName}; Kubernetes fills in the token).
 */
export function argoSignOnAccount(
    name: string,
    args: {
        readonly namespace: pulumi.Input<string>;
        readonly account: string;
        readonly rule: string;
        readonly precedence: number;
        readonly labels?: Record<string, string>;
    },
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
    const labels = args.labels ? { labels: args.labels } : {};
    const sa = new k8s.core.v1.ServiceAccount(
        name,
        {
            metadata: {
                name: args.account,
                namespace: args.namespace,
                ...labels,
                annotations: {
                    [RBAC_RULE]: args.rule,
                    [RBAC_RULE_PRECEDENCE]: String(args.precedence),
                },
            },
        },
        opts,
    );
    new k8s.core.v1.Secret(
        `${name}-token`,
        {
            metadata: {
                name: serviceAccountTokenName(args.account),
                namespace: args.namespace,
                ...labels,
                // The account's name from the account: the token controller deletes a token
                // Secret whose account does not exist, so the account comes first.
                annotations: { "kubernetes.io/service-account.name": sa.metadata.name },
            },
            type: "kubernetes.io/service-account-token",
        },
        opts,
    );
    return sa;
}

/** The release name the chart is installed under. */
const RELEASE = "argo-workflows";
/**
 * The server's container port: `containerPort: 2746` in
 * templates/server/server-deployment.yaml, argo-helm argo-workflows-1.0.18.
 */
const SERVER_PORT = 2746;
/** The controller's metrics port (values.yaml `controller.metricsConfig.port`). */
const CONTROLLER_METRICS_PORT = 9090;
/**
 * The labels of the chart's pods: argo-workflows.selectorLabels in templates/_helpers.tpl,
 * argo-helm argo-workflows-1.0.18, gives `app.kubernetes.io/name: <chart name>-<component>`
 * (`server.name`, `controller.name` in values.yaml, not set here) and
 * `app.kubernetes.io/instance: <release>`.
 */
const chartPodLabels = (component: "server" | "workflow-controller") => ({
    "app.kubernetes.io/name": `argo-workflows-${component}`,
    "app.kubernetes.io/instance": RELEASE,
});
/**
 * Pods of Argo workflows: `workflows.argoproj.io/workflow: <workflow>`, set on every workflow
 * pod by the controller (workflow/controller/workflowpod.go, argo-workflows v4.0.6, the
 * chart's appVersion).
 */
const WORKFLOW_POD_LABEL = "workflows.argoproj.io/workflow";

/** Where the server's pod finds the router's certificate among its trusted roots. */
const ROUTER_CA_DIR = "/etc/ssl/mlops-router";

const resources = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
    requests: { cpu, memory },
    limits: { cpu: cpuLimit, memory: memoryLimit },
});

/**
 * Argo Workflows from its upstream chart: the object store as the default artifact repository,
 * a server behind Traefik that signs people in at the platform's issuer and acts for them as a
 * service account chosen by their groups (`sso` mode: the admins' account everywhere, a team's
 * `argo-sso` account in its namespace), or without `signOn` requires a Kubernetes bearer token
 * (`client` mode), a controller watching the platform and team namespaces, and a
 * least-privilege service account for workflow pods.
 *
 * ```ts
 * const argo = new ArgoWorkflows("argo", { namespace, objectStore, router });
 * export const workflowsUrl = argo.url;
 * ```
 */
export class ArgoWorkflows extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:workflows:ArgoWorkflows";
    public readonly release: k8s.helm.v3.Release;
    public readonly route: ExposedService;
    public readonly url: pulumi.Output<string>;
    /** Whether the server signs people in itself (`sso` mode) rather than taking Kubernetes tokens. */
    public readonly signOn: boolean;
    /**
     * The server, reached by the router; the controller, the server and this namespace's
     * workflows call the object store.
     */
    public readonly serviceEndpoint: ServiceEndpoint;
    /** The workflow controller: no callers, only its metrics. */
    public readonly controllerEndpoint: ServiceEndpoint;

    constructor(name: string, args: ArgoWorkflowsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ArgoWorkflows.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const store = args.objectStore;
        const keyFormat = "{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}";
        // On GCS, Workload Identity: no key secret. The chart renders the gcs block through
        // `tpl`, so Argo's own {{...}} placeholders are escaped for Helm.
        const repository =
            store.scheme === "gs"
                ? { gcs: { bucket: store.buckets.workflows, keyFormat: `{{ "${keyFormat}" }}` } }
                : {
                      s3: pulumi.output(store.endpoint).apply((endpoint) =>
                          s3Repository({
                              bucket: store.buckets.workflows,
                              endpoint,
                              insecure: store.insecure,
                              region: store.region,
                              keyFormat,
                              keysSecret: store.credentialsSecretName,
                          }),
                      ),
                  };
        const annotations = args.serviceAccountAnnotations;
        const image = (ref: string) => mirrorImageParts(ref, args.mirror);

        const serverAuth = args.signOn
            ? this.signOnServer(name, args, args.signOn)
            : // Every UI and API call carries the caller's Kubernetes token.
              { authModes: ["client"] };
        this.release = helmRelease(
            name,
            {
                pin: charts.argoWorkflows,
                mirror: args.mirror,
                releaseName: RELEASE,
                namespace: args.namespace,
                values: {
                    // From the chart itself: with `full: true` (the chart's default) a pre-install
                    // hook Job downloads the CRDs from raw.githubusercontent.com, which a cluster
                    // without egress to the internet cannot reach; `full: false` renders the
                    // chart's files/crds/minimal/*.yaml as ordinary objects
                    // (argo-helm argo-workflows-1.0.18, templates/crds.yaml, crds-install-job.yaml).
                    crds: { install: true, keep: true, full: false },
                    useStaticCredentials: store.credentialsSecretName !== undefined,
                    artifactRepository: { archiveLogs: true, ...repository },
                    controller: {
                        image: image(chartImages.argoWorkflows.controller),
                        workflowNamespaces: pulumi.all([
                            args.namespace,
                            ...(args.workflowNamespaces ?? []),
                        ]),
                        workflowDefaults: {
                            spec: { serviceAccountName: WORKFLOW_SERVICE_ACCOUNT },
                        },
                        resources: resources("100m", "128Mi", "1", "512Mi"),
                        // Prometheus metrics on the controller's port 9090 (values.yaml
                        // `controller.metricsConfig`, off by default).
                        metricsConfig: { enabled: true, port: CONTROLLER_METRICS_PORT },
                    },
                    // The executor runs in every workflow pod, team namespaces (Pod Security
                    // `restricted`) included.
                    executor: {
                        image: image(chartImages.argoWorkflows.executor),
                        resources: resources("50m", "64Mi", "500m", "256Mi"),
                        securityContext: containerSecurityContext(),
                    },
                    server: {
                        // Traefik terminates TLS.
                        image: image(chartImages.argoWorkflows.server),
                        secure: false,
                        resources: resources("50m", "128Mi", "500m", "512Mi"),
                        ...(annotations ? { serviceAccount: { annotations } } : {}),
                        ...serverAuth,
                        // /metrics on the server's port without a token (server/apiserver/
                        // argoserver.go); only the router and Prometheus reach that port.
                        extraEnv: [
                            ...("extraEnv" in serverAuth ? serverAuth.extraEnv : []),
                            { name: "ARGO_SERVER_METRICS_AUTH", value: "false" },
                        ],
                    },
                    // The service account below replaces the chart's, with exactly what the
                    // executor needs.
                    workflow: { serviceAccount: { create: false }, rbac: { create: false } },
                },
            },
            child,
        );

        this.workflowServiceAccount(name, args.namespace, annotations);
        if (args.signOn) this.signOnAccounts(name, args, args.signOn);
        this.signOn = args.signOn !== undefined;

        this.route = args.router.expose(
            name,
            {
                namespace: args.namespace,
                subdomain: SUBDOMAIN,
                service: { name: "argo-workflows-server", port: SERVER_PORT },
                // The server's client mode reads the Authorization header, which basic auth
                // would take: with basic auth the route relies on the server alone.
                authenticatedBy: args.signOn ? "argo-workflows sso" : "argo-workflows client token",
                access: args.access,
            },
            { ...child, dependsOn: [this.release] },
        );
        this.url = this.route.url;
        [this.serviceEndpoint, this.controllerEndpoint] = argoEndpoints();
        this.registerOutputs({ url: this.url });
    }

    /**
     * The server's values under single sign-on: the `sso` mode alone (no caller of the server
     * needs a Kubernetes token: the CLI and the pipelines talk to the API server), the issuer
     * and the client from a Secret, RBAC with the server's Secret reads limited to the client's
     * and the accounts' tokens, and delegation to the namespaces' accounts
     * (`SSO_DELEGATE_RBAC_TO_NAMESPACE`, read by gatekeeper.go:270).
     */
    private signOnServer(name: string, args: ArgoWorkflowsArgs, sso: ArgoSignOn) {
        if (sso.adminGroups.length === 0) {
            throw new Error(`${name}: signOn.adminGroups is empty; name at least one group`);
        }
        const client = new k8s.core.v1.Secret(
            `${name}-sso-client`,
            {
                metadata: { name: `${name}-sso-client`, namespace: args.namespace },
                stringData: {
                    "client-id": sso.clientId,
                    "client-secret": pulumi.secret(sso.clientSecret),
                },
            },
            { parent: this },
        );
        const claim = sso.groupsClaim ?? "groups";
        const issuerHost = sso.issuerOnRouter
            ? this.issuerThroughRouter(name, args, sso)
            : undefined;
        return {
            authModes: ["sso"],
            sso: {
                enabled: true,
                issuer: sso.issuer,
                // The chart's templates/controller/workflow-controller-config-map.yaml
                // renders these into the `sso` key of the server's config.
                clientId: { name: client.metadata.name, key: "client-id" },
                clientSecret: { name: client.metadata.name, key: "client-secret" },
                redirectUrl: argoRedirectUri(args.router.domain),
                scopes: [...(sso.scopes ?? ["email", "profile", "groups"])],
                ...(claim !== "groups" ? { customGroupClaimName: claim } : {}),
                rbac: {
                    enabled: true,
                    // Without it the chart lets the server read every Secret in the cluster
                    // (templates/server/server-cluster-roles.yaml); names hold in every namespace.
                    secretWhitelist: [
                        client.metadata.name,
                        ...[ARGO_SSO_ADMIN, ARGO_SSO_LOGIN, ARGO_SSO_SERVICE_ACCOUNT].map(
                            serviceAccountTokenName,
                        ),
                    ],
                },
            },
            ...issuerHost,
            extraEnv: [
                { name: "SSO_DELEGATE_RBAC_TO_NAMESPACE", value: "true" },
                ...(issuerHost?.volumes ? [{ name: "SSL_CERT_DIR", value: ROUTER_CA_DIR }] : []),
            ],
        };
    }

    /**
     * The server reaches the issuer by its public URL (discovery at start, then the code
     * exchange and the keys: server/auth/sso/sso.go:133, 190-193, 272; there is no setting for
     * separate endpoints). For an issuer behind this router, a ClusterIP Service in front of the
     * router's entry point and a host alias of the issuer's host to it take the server there, and
     * the router's self-signed certificate joins the system roots, which the server's HTTP client
     * reads with `SSL_CERT_DIR` (sso/clients.go:38-41).
     */
    private issuerThroughRouter(
        name: string,
        args: ArgoWorkflowsArgs,
        sso: ArgoSignOn,
    ): {
        hostAliases: k8s.types.input.core.v1.HostAlias[];
        volumes?: k8s.types.input.core.v1.Volume[];
        volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    } {
        const child = { parent: this };
        const url = new URL(sso.issuer);
        const https = url.protocol === "https:";
        const router = new k8s.core.v1.Service(
            `${name}-issuer`,
            {
                metadata: { name: `${name}-issuer`, namespace: args.namespace },
                spec: {
                    type: "ClusterIP",
                    selector: args.router.serviceEndpoint.pods.matchLabels,
                    // The router's container ports are named after its entry points
                    // (traefik.portname in _helpers.tpl, traefik-helm-chart v41.3.0).
                    ports: [
                        https
                            ? { name: "https", port: 443, targetPort: "websecure" }
                            : { name: "http", port: 80, targetPort: "web" },
                    ],
                },
            },
            child,
        );
        const hostAliases = [{ ip: router.spec.clusterIP, hostnames: [url.hostname] }];
        const certificate = args.router.selfSignedCertificate;
        if (!https || !certificate) return { hostAliases };
        const ca = new k8s.core.v1.ConfigMap(
            `${name}-router-ca`,
            {
                metadata: { name: `${name}-router-ca`, namespace: args.namespace },
                data: { "router.pem": certificate },
            },
            child,
        );
        return {
            hostAliases,
            volumes: [{ name: "router-ca", configMap: { name: ca.metadata.name } }],
            volumeMounts: [{ name: "router-ca", mountPath: ROUTER_CA_DIR, readOnly: true }],
        };
    }

    /**
     * The accounts of the server's namespace under single sign-on: the admins' (every
     * namespace, through a ClusterRole) and everyone's login account (no rights). Team
     * namespaces bring their own (`Team`).
     */
    private signOnAccounts(name: string, args: ArgoWorkflowsArgs, sso: ArgoSignOn) {
        const child = { parent: this };
        const admin = argoSignOnAccount(
            `${name}-sso-admin`,
            {
                namespace: args.namespace,
                account: ARGO_SSO_ADMIN,
                rule: groupsRule(sso.adminGroups),
                precedence: ARGO_SSO_PRECEDENCE.admin,
            },
            child,
        );
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-sso-admin`,
            {
                metadata: { name: `${name}-sso-admin` },
                rules: argoUserRules({
                    clusterWorkflowTemplates: true,
                    artifactSecrets: [
                        ...(args.objectStore.credentialsSecretName
                            ? [args.objectStore.credentialsSecretName]
                            : []),
                        ...(args.workflowNamespaceSecrets ?? []),
                    ],
                }),
            },
            child,
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-sso-admin`,
            {
                metadata: { name: `${name}-sso-admin` },
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: role.metadata.name,
                },
                subjects: [
                    {
                        kind: "ServiceAccount",
                        name: admin.metadata.name,
                        namespace: args.namespace,
                    },
                ],
            },
            child,
        );
        argoSignOnAccount(
            `${name}-sso-login`,
            {
                namespace: args.namespace,
                account: ARGO_SSO_LOGIN,
                rule: "true",
                precedence: ARGO_SSO_PRECEDENCE.login,
            },
            child,
        );
    }

    /** The executor's service account in one namespace: report task results, nothing else. */
    private workflowServiceAccount(
        name: string,
        namespace: pulumi.Input<string>,
        annotations?: pulumi.Input<Record<string, string>>,
    ) {
        const child = { parent: this };
        const meta = { name: WORKFLOW_SERVICE_ACCOUNT, namespace };
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-workflow`,
            { metadata: { ...meta, ...(annotations ? { annotations } : {}) } },
            child,
        );
        boundRole(`${name}-workflow`, meta, [ARGO_EXECUTOR_RULE], sa.metadata.name, child);
    }
}

/** The server's endpoint (its callers and calls) and the controller's (its metrics alone). */
function argoEndpoints(): [ServiceEndpoint, ServiceEndpoint] {
    const controller: ServiceEndpoint = {
        name: "argo-controller",
        pods: { matchLabels: chartPodLabels("workflow-controller") },
        ports: [],
        callers: {},
        metrics: { port: CONTROLLER_METRICS_PORT },
    };
    const server: ServiceEndpoint = {
        name: "argo-server",
        pods: { matchLabels: chartPodLabels("server") },
        ports: [SERVER_PORT],
        callers: { router: true },
        metrics: { port: SERVER_PORT },
        calls: [
            {
                endpoint: OBJECT_STORE_ENDPOINT,
                from: [
                    podsWith(chartPodLabels("workflow-controller")),
                    podsWith(chartPodLabels("server")),
                    // Workflows of this namespace save artifacts and archived logs.
                    {
                        podSelector: {
                            matchExpressions: [{ key: WORKFLOW_POD_LABEL, operator: "Exists" }],
                        },
                    },
                ],
            },
        ],
    };
    return [server, controller];
}
