import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { BackupPolicy } from "@pulumi/aws/efs/backupPolicy";
import { FileSystem } from "@pulumi/aws/efs/fileSystem";
import { MountTarget } from "@pulumi/aws/efs/mountTarget";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import * as pulumi from "@pulumi/pulumi";
import { AWS_NAME_RULES, awsName } from "./names";

/** NFS, the only port EFS mount targets serve. */
export const NFS_PORT = 2049;

/** Arguments of {@link EfsFileSystem}. */
export interface EfsFileSystemArgs {
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets, one mount target each (one per availability zone). */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** The security group of the nodes: the only source allowed to mount. */
    readonly nodeSecurityGroupId: pulumi.Input<string>;
    /** Protect production data: the file system `protect`ed, with AWS Backup on. @default true */
    readonly protect?: boolean;
}

/**
 * An encrypted EFS file system for ReadWriteMany volumes: elastic throughput, infrequent
 * access after 30 days, a mount target in each private subnet, and a security group that lets
 * the cluster's nodes reach NFS and nothing else in.
 *
 * ```ts
 * const fs = new EfsFileSystem("mlops-efs", { vpcId, subnetIds, nodeSecurityGroupId });
 * ```
 */
export class EfsFileSystem extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:EfsFileSystem";
    public readonly fileSystem: FileSystem;
    public readonly securityGroup: SecurityGroup;

    constructor(name: string, args: EfsFileSystemArgs, opts?: pulumi.ComponentResourceOptions) {
        super(EfsFileSystem.__pulumiType, name, {}, opts);
        const protect = args.protect ?? true;
        const child = { parent: this };
        this.securityGroup = new SecurityGroup(
            name,
            {
                name: awsName(AWS_NAME_RULES.securityGroup, [name]),
                description: "EFS mount targets: NFS from the cluster nodes only",
                vpcId: args.vpcId,
            },
            child,
        );
        new SecurityGroupIngressRule(
            `${name}-nfs`,
            {
                securityGroupId: this.securityGroup.id,
                referencedSecurityGroupId: args.nodeSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: NFS_PORT,
                toPort: NFS_PORT,
                description: "NFS from the cluster nodes",
            },
            child,
        );
        this.fileSystem = new FileSystem(
            name,
            {
                encrypted: true,
                performanceMode: "generalPurpose",
                throughputMode: "elastic",
                lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }],
                tags: { Name: name },
            },
            { ...child, protect },
        );
        new BackupPolicy(
            name,
            {
                fileSystemId: this.fileSystem.id,
                backupPolicy: { status: protect ? "ENABLED" : "DISABLED" },
            },
            child,
        );
        args.subnetIds.forEach((subnetId, i) => {
            new MountTarget(
                `${name}-az${i + 1}`,
                {
                    fileSystemId: this.fileSystem.id,
                    subnetId,
                    securityGroups: [this.securityGroup.id],
                },
                child,
            );
        });
        this.registerOutputs({ fileSystemId: this.fileSystem.id });
    }
}
