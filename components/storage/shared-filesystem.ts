import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmRelease } from "../helm-release";
import { Mirror, imageTag, mirrorImageName } from "../mirror";
import { ContainerResources, podSecurityLabels } from "../security";
import { chartImages, charts } from "../versions";

/** Arguments of {@link SharedFilesystem}. */
export interface SharedFilesystemArgs {
    /** Namespace created for the NFS server. @default the component name */
    readonly namespace?: string;
    /** Capacity of the backing volume. @default "50Gi" */
    readonly size?: string;
    /** StorageClass of the backing volume. @default the cluster's default class */
    readonly storageClass?: pulumi.Input<string>;
    /** Name of the ReadWriteMany StorageClass to create. @default the component name */
    readonly storageClassName?: string;
    /**
     * Protect production data: volumes provisioned from the class are kept (`Retain`) when
     * their claim is deleted. @default true
     */
    readonly protect?: boolean;
    /** @default requests 100m/128Mi, limits 1/512Mi */
    readonly resources?: ContainerResources;
    /** Chart and image from a mirror. @default upstream */
    readonly mirror?: Mirror;
    /**
     * Address ranges (CIDR) that the nodes' kubelets mount volumes from: the nodes' addresses,
     * and on overlay networks (flannel, Calico VXLAN or IPIP) each node's tunnel address. The
     * server's namespace admits NFS from these and from the server's own node only.
     * @default none: only the node that runs the server mounts (a single-node cluster)
     */
    readonly nodeCidrs?: readonly string[];
}

/**
 * The ports of the chart's NFS Service (NFS, and the NFSv3 side protocols: rpcbind, mountd,
 * rquotad, statd, nlockmgr), over TCP and UDP.
 */
export const NFS_SERVER_PORTS = [2049, 111, 20048, 875, 662, 32803] as const;

/**
 * A ReadWriteMany filesystem for an existing cluster: the NFS Ganesha server and provisioner
 * from its upstream chart, backed by one persistent volume, behind a StorageClass that any
 * namespace can claim shared volumes from.
 *
 * The boundary between teams: every claim gets its own directory and export (the provisioner
 * names both after the volume), a claim lives in its team's namespace and a volume binds to one
 * claim; team pods run under Pod Security `restricted`, which admits only claims, not `nfs`
 * volumes, so no pod names an export; and the server's namespace is closed to pods by a
 * default-deny NetworkPolicy, so no pod speaks NFS to it: only the kubelets mount, from the
 * nodes ({@link SharedFilesystemArgs.nodeCidrs}).
 *
 * ```ts
 * const nfs = new SharedFilesystem("mlops-nfs", { size: "100Gi" }, { provider });
 * // PVCs with storageClassName: nfs.storageClassName and accessModes: [ReadWriteMany]
 * ```
 */
export class SharedFilesystem extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:SharedFilesystem";
    /** The ReadWriteMany StorageClass. */
    public readonly storageClassName: pulumi.Output<string>;

    constructor(
        name: string,
        args: SharedFilesystemArgs = {},
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(SharedFilesystem.__pulumiType, name, {}, opts);
        const storageClassName = args.storageClassName ?? name;
        const protect = args.protect ?? true;

        // The exception to the platform's Pod Security baseline, kept to this one namespace: an
        // NFS server runs as root and needs the DAC_READ_SEARCH and SYS_RESOURCE capabilities to
        // export volumes owned by any user, which only the `privileged` level allows.
        const ns = new k8s.core.v1.Namespace(
            name,
            { metadata: { name: args.namespace ?? name, labels: podSecurityLabels("privileged") } },
            { parent: this },
        );

        const provisioner = chartImages.nfsServerProvisioner.provisioner;
        const release = helmRelease(
            name,
            {
                pin: charts.nfsServerProvisioner,
                mirror: args.mirror,
                releaseName: "nfs-server-provisioner",
                namespace: ns.metadata.name,
                values: {
                    image: {
                        repository: mirrorImageName(provisioner, args.mirror),
                        tag: imageTag(provisioner),
                        pullPolicy: "IfNotPresent",
                    },
                    persistence: {
                        enabled: true,
                        accessMode: "ReadWriteOnce",
                        size: args.size ?? "50Gi",
                        storageClass: args.storageClass,
                    },
                    storageClass: {
                        create: true,
                        name: storageClassName,
                        defaultClass: false,
                        allowVolumeExpansion: true,
                        reclaimPolicy: protect ? "Retain" : "Delete",
                    },
                    resources: args.resources ?? {
                        requests: { cpu: "100m", memory: "128Mi" },
                        limits: { cpu: "1", memory: "512Mi" },
                    },
                },
            },
            { parent: this },
        );

        // Pods get nothing here: volumes are mounted by the kubelet, from the node (Kubernetes
        // admits a pod's own node into an isolated pod), never from a pod. Without this, any
        // pod that speaks NFS could mount every claim's export.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            {
                metadata: { name: "default-deny", namespace: ns.metadata.name },
                spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [] },
            },
            { parent: this },
        );
        if (args.nodeCidrs?.length) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-allow-nodes`,
                {
                    metadata: { name: "allow-nodes", namespace: ns.metadata.name },
                    spec: {
                        podSelector: {},
                        policyTypes: ["Ingress"],
                        ingress: [
                            {
                                from: args.nodeCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                                ports: NFS_SERVER_PORTS.flatMap((port) =>
                                    (["TCP", "UDP"] as const).map((protocol) => ({
                                        protocol,
                                        port,
                                    })),
                                ),
                            },
                        ],
                    },
                },
                { parent: this },
            );
        }

        this.storageClassName = release.status.apply(() => storageClassName);
        this.registerOutputs({ storageClassName: this.storageClassName });
    }
}
