/**
 * What a cluster of simulated (kwok) nodes lacks, done from outside, for the loopback e2e
 * cluster only (tools/e2e/cluster.sh starts it; a real cluster such as kind needs none of it):
 *
 * 1. A volume provisioner. Every pending claim of a StorageClass whose provisioner is not
 *    in-tree gets a PersistentVolume made for it (hostPath, never mounted: kwok runs no
 *    containers), pre-bound to the claim; the PV controller then binds them. This stands in
 *    for the e2e class's provisioner and for provisioners whose pods only pretend to run on
 *    simulated nodes (the NFS Ganesha chart's). Released volumes it made are deleted.
 * 2. Admission webhooks. A webhook served by a Service is served by a pod, and pods on kwok
 *    nodes run nothing: the API server's calls fail, and with `failurePolicy: Fail` every
 *    matching request is refused (cert-manager's webhooks refuse every Certificate, KServe's
 *    every InferenceService). Each such webhook is switched to `failurePolicy: Ignore` as soon
 *    as it appears (the original is kept in an annotation); nothing else in it changes.
 *
 * Every action is logged, one line each, to stdout.
 *
 *   tsx tools/e2e/simulate.ts [--kubeconfig FILE] [--interval-ms 1000] [--no-webhooks]
 */
import { KubeClient, KubeList, KubeObject, kubeconfigFiles, message } from "./kube";

export const SIMULATED_ANNOTATION = "e2e.mlops.dev/simulated";
export const FAILURE_POLICY_ANNOTATION = "e2e.mlops.dev/original-failure-policies";

interface Claim extends KubeObject {
    spec: {
        storageClassName?: string;
        accessModes?: string[];
        volumeMode?: string;
        volumeName?: string;
        resources?: { requests?: { storage?: string } };
    };
    status?: { phase?: string };
}

interface StorageClass extends KubeObject {
    provisioner: string;
}

interface Volume extends KubeObject {
    spec: { claimRef?: { namespace: string; name: string; uid?: string } };
    status?: { phase?: string };
}

interface Webhook {
    name: string;
    failurePolicy?: string;
    clientConfig: { service?: { name: string; namespace: string }; url?: string };
}

interface WebhookConfiguration extends KubeObject {
    webhooks?: Webhook[];
}

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function provision(kube: KubeClient): Promise<void> {
    const classes = await kube.get<KubeList<StorageClass>>(
        "/apis/storage.k8s.io/v1/storageclasses",
    );
    const external = new Map(
        classes.items
            .filter((c) => !c.provisioner.startsWith("kubernetes.io/"))
            .map((c) => [c.metadata.name, c.provisioner]),
    );
    const defaultClass = classes.items.find(
        (c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true",
    )?.metadata.name;
    const claims = await kube.get<KubeList<Claim>>("/api/v1/persistentvolumeclaims");
    for (const c of claims.items) {
        const cls = c.spec.storageClassName ?? defaultClass;
        if (c.status?.phase !== "Pending" || c.spec.volumeName || c.metadata.deletionTimestamp)
            continue;
        if (!cls || !external.has(cls)) continue;
        const name = `pvc-${c.metadata.uid}`;
        const pv = {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: {
                name,
                annotations: {
                    "pv.kubernetes.io/provisioned-by": external.get(cls)!,
                    [SIMULATED_ANNOTATION]: "true",
                },
            },
            spec: {
                capacity: { storage: c.spec.resources?.requests?.storage ?? "1Gi" },
                accessModes: c.spec.accessModes ?? ["ReadWriteOnce"],
                volumeMode: c.spec.volumeMode ?? "Filesystem",
                storageClassName: cls,
                persistentVolumeReclaimPolicy: "Delete",
                claimRef: {
                    apiVersion: "v1",
                    kind: "PersistentVolumeClaim",
                    namespace: c.metadata.namespace,
                    name: c.metadata.name,
                    uid: c.metadata.uid,
                },
                hostPath: { path: `/var/lib/e2e-simulated/${name}`, type: "DirectoryOrCreate" },
            },
        };
        const r = await kube.request("POST", "/api/v1/persistentvolumes", pv);
        if (r.status === 201) {
            log(
                `provisioned PV ${name} (${pv.spec.capacity.storage}, ${cls}) for ${c.metadata.namespace}/${c.metadata.name}`,
            );
        } else if (r.status !== 409) {
            log(
                `could not create PV for ${c.metadata.namespace}/${c.metadata.name}: ${r.status} ${message(r.body)}`,
            );
        }
    }
    const volumes = await kube.get<KubeList<Volume>>("/api/v1/persistentvolumes");
    for (const v of volumes.items) {
        const mine = v.metadata.annotations?.[SIMULATED_ANNOTATION] === "true";
        if (!mine || v.metadata.deletionTimestamp) continue;
        if (v.status?.phase === "Released" || v.status?.phase === "Failed") {
            const r = await kube.request("DELETE", `/api/v1/persistentvolumes/${v.metadata.name}`);
            if (r.status < 300) {
                log(
                    `deleted ${v.status.phase} PV ${v.metadata.name} (was ${v.spec.claimRef?.namespace}/${v.spec.claimRef?.name})`,
                );
            }
        }
    }
}

const WEBHOOK_KINDS = ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"];
const webhookBase = (kind: string) => `/apis/admissionregistration.k8s.io/v1/${kind}`;

/** Every webhook configuration, now (the periodic pass; the watches act within milliseconds). */
async function relaxWebhooks(kube: KubeClient): Promise<void> {
    for (const kind of WEBHOOK_KINDS) {
        const list = await kube.get<KubeList<WebhookConfiguration>>(webhookBase(kind));
        for (const cfg of list.items) await relaxWebhook(kube, kind, cfg);
    }
}

/**
 * Watches the webhook configurations and relaxes each as it appears: a release that installs
 * a webhook must not leave it failing for the next release, which Pulumi starts as soon as
 * the first is ready (KServe's controller, then its ClusterServingRuntimes).
 */
async function watchWebhooks(kube: KubeClient, kind: string): Promise<never> {
    for (;;) {
        try {
            await kube.watch<WebhookConfiguration>(webhookBase(kind), (type, cfg) => {
                if (type !== "ADDED" && type !== "MODIFIED") return;
                relaxWebhook(kube, kind, cfg).catch((e: unknown) =>
                    log(
                        `${kind} ${cfg.metadata.name}: ${e instanceof Error ? e.message : String(e)}`,
                    ),
                );
            });
        } catch (e) {
            log(`watch ${kind}: ${e instanceof Error ? e.message : String(e)}; again in 1s`);
            await new Promise((r) => setTimeout(r, 1000));
        }
    }
}

/** Switches every service-backed webhook of CFG that fails closed to failurePolicy Ignore. */
async function relaxWebhook(
    kube: KubeClient,
    kind: string,
    cfg: WebhookConfiguration,
): Promise<void> {
    const hooks = cfg.webhooks ?? [];
    const failing = hooks
        .map((h, i) => ({ h, i }))
        .filter(({ h }) => h.clientConfig.service && (h.failurePolicy ?? "Fail") === "Fail");
    if (failing.length === 0) return;
    const before = JSON.parse(cfg.metadata.annotations?.[FAILURE_POLICY_ANNOTATION] ?? "{}");
    for (const { h } of failing) before[h.name] = h.failurePolicy ?? "Fail";
    // Applies only to the version read (indexes stay right); a newer one comes as an event.
    const patch: unknown[] = [
        { op: "test", path: "/metadata/resourceVersion", value: cfg.metadata.resourceVersion },
        ...failing.map(({ i }) => ({
            op: hooks[i].failurePolicy ? "replace" : "add",
            path: `/webhooks/${i}/failurePolicy`,
            value: "Ignore",
        })),
        {
            op: "add",
            path: cfg.metadata.annotations
                ? `/metadata/annotations/${FAILURE_POLICY_ANNOTATION.replace("/", "~1")}`
                : "/metadata/annotations",
            value: cfg.metadata.annotations
                ? JSON.stringify(before)
                : { [FAILURE_POLICY_ANNOTATION]: JSON.stringify(before) },
        },
    ];
    const r = await kube.request(
        "PATCH",
        `${webhookBase(kind)}/${cfg.metadata.name}`,
        patch,
        "application/json-patch+json",
    );
    const names = failing.map(({ h }) => h.name).join(", ");
    if (r.status < 300)
        log(`${kind} ${cfg.metadata.name}: failurePolicy Fail -> Ignore for ${names}`);
    else if (r.status !== 404 && r.status !== 409 && r.status !== 422) {
        log(`${kind} ${cfg.metadata.name}: patch failed: ${r.status} ${message(r.body)}`);
    }
}

async function main(argv: string[]): Promise<void> {
    const opt = (name: string) => {
        const i = argv.indexOf(name);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const kube = new KubeClient(kubeconfigFiles(opt("--kubeconfig")));
    const interval = Number(opt("--interval-ms") ?? 1000);
    const webhooks = !argv.includes("--no-webhooks");
    log(
        `simulating for ${kube.server} (provisioner${webhooks ? ", webhooks" : ""}) every ${interval} ms`,
    );
    if (webhooks) for (const kind of WEBHOOK_KINDS) void watchWebhooks(kube, kind);
    for (;;) {
        for (const step of webhooks ? [provision, relaxWebhooks] : [provision]) {
            try {
                await step(kube);
            } catch (e) {
                log(`${step.name}: ${e instanceof Error ? e.message : String(e)}`);
            }
        }
        await new Promise((r) => setTimeout(r, interval));
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
}
