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
}

/**
 * A ReadWriteMany filesystem for an existing cluster: the NFS Ganesha server and provisioner
 * from its upstream chart, backed by one persistent volume, behind a StorageClass that any
 * namespace can claim shared volumes from.
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

        this.storageClassName = release.status.apply(() => storageClassName);
        this.registerOutputs({ storageClassName: this.storageClassName });
    }
}
