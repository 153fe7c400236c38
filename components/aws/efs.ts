import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { AccessPoint } from "@pulumi/aws/efs/accessPoint";
import { BackupPolicy } from "@pulumi/aws/efs/backupPolicy";
import { FileSystem } from "@pulumi/aws/efs/fileSystem";
import { FileSystemPolicy } from "@pulumi/aws/efs/fileSystemPolicy";
import { MountTarget } from "@pulumi/aws/efs/mountTarget";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import * as k8s from "@pulumi/kubernetes";
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
 * The file-system policy: NFS clients mount and write only through an access point (each
 * volume's or team's own root directory and POSIX user) and only over TLS; no client has root
 * access. Without a policy EFS lets any client that reaches a mount target mount the root of
 * the file system; once a policy exists, what it does not allow is denied (EFS User Guide,
 * "Using IAM to control file system data access": anonymous NFS clients are the `*` principal;
 * "Creating file system policies": `elasticfilesystem:AccessPointArn`,
 * `elasticfilesystem:AccessedViaMountTarget`, `aws:SecureTransport`).
 */
export function efsFileSystemPolicy(fileSystemArn: string): string {
    // arn:<partition>:elasticfilesystem:<region>:<account>:file-system/<id> → the access
    // points of that account and region.
    const [, partition, , region, account] = fileSystemArn.split(":");
    const accessPoints = `arn:${partition}:elasticfilesystem:${region}:${account}:access-point/*`;
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyWithoutTls",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "*",
                Resource: fileSystemArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "MountThroughAccessPoints",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                Resource: fileSystemArn,
                Condition: {
                    Bool: { "elasticfilesystem:AccessedViaMountTarget": "true" },
                    ArnLike: { "elasticfilesystem:AccessPointArn": accessPoints },
                },
            },
        ],
    });
}

/**
 * An encrypted EFS file system for ReadWriteMany volumes: elastic throughput, infrequent
 * access after 30 days, a mount target in each private subnet, a security group that lets
 * the cluster's nodes reach NFS and nothing else in, and a file-system policy that admits
 * clients only through an access point and over TLS ({@link efsFileSystemPolicy}).
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
        new FileSystemPolicy(
            name,
            {
                fileSystemId: this.fileSystem.id,
                policy: this.fileSystem.arn.apply(efsFileSystemPolicy),
            },
            child,
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

/** The CSI driver of EFS volumes. */
export const EFS_CSI_DRIVER = "efs.csi.aws.com";

/** Arguments of {@link EfsTeamVolume}. */
export interface EfsTeamVolumeArgs {
    /** The file system. */
    readonly fileSystemId: pulumi.Input<string>;
    /** The team: its directory is `/teams/<team>`, its claim `team-<team>/<claimName>`. */
    readonly team: string;
    /** The POSIX user and group every file operation through the access point runs as. */
    readonly posixId: number;
    /** The claim in the team's namespace the volume is bound to. @default "shared" */
    readonly claimName?: string;
    /** The volume's nominal capacity (EFS is elastic; Kubernetes needs a number). @default "1Ti" */
    readonly capacity?: string;
}

/** POSIX ids of team access points: above system and dynamic-provisioning ranges. */
export const TEAM_POSIX_ID_MIN = 100000;
const TEAM_POSIX_ID_SPAN = 1000000;

/**
 * A team's POSIX id on EFS, stable for its name (FNV-1a of the name in a range of a million
 * ids above {@link TEAM_POSIX_ID_MIN}), so that adding or removing a team changes no other
 * team's owner. Callers check that the teams of one file system do not collide.
 */
export function teamPosixId(team: string): number {
    let h = 0x811c9dc5;
    for (const c of Buffer.from(team, "utf8")) {
        h ^= c;
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return TEAM_POSIX_ID_MIN + (h % TEAM_POSIX_ID_SPAN);
}

/**
 * A team's own directory on EFS: an access point rooted at `/teams/<team>` (created owned by
 * the team's POSIX id, mode 0750) that runs every operation as that id, and a persistent
 * volume on it bound in advance to one claim in the team's namespace, so no other namespace
 * can claim it. With the file-system policy ({@link efsFileSystemPolicy}) no client reaches
 * the file system except through an access point, so a team sees its directory and nothing
 * above it.
 *
 * ```ts
 * new EfsTeamVolume("mlops-efs-vision", { fileSystemId: fs.fileSystem.id, team: "vision",
 *     posixId: teamPosixId("vision") }, { provider });
 * // in team-vision: a PVC "shared", storageClassName "", volumeName team-vision-shared
 * ```
 */
export class EfsTeamVolume extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:EfsTeamVolume";
    public readonly accessPoint: AccessPoint;
    /** The persistent volume's name, `team-<team>-<claimName>`. */
    public readonly volumeName: string;

    constructor(name: string, args: EfsTeamVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(EfsTeamVolume.__pulumiType, name, {}, opts);
        if (!/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(args.team)) {
            throw new Error(
                `EfsTeamVolume ${name}: team: got ${JSON.stringify(args.team)}; must be a DNS label`,
            );
        }
        if (!Number.isInteger(args.posixId) || args.posixId < 1000 || args.posixId > 2 ** 31 - 1) {
            throw new Error(
                `EfsTeamVolume ${name}: posixId: got ${args.posixId}; must be an integer from 1000 to 2147483647 (not root, not a system id)`,
            );
        }
        const claimName = args.claimName ?? "shared";
        const namespace = `team-${args.team}`;
        this.accessPoint = new AccessPoint(
            name,
            {
                fileSystemId: args.fileSystemId,
                rootDirectory: {
                    path: `/teams/${args.team}`,
                    creationInfo: {
                        ownerUid: args.posixId,
                        ownerGid: args.posixId,
                        permissions: "750",
                    },
                },
                posixUser: { uid: args.posixId, gid: args.posixId },
                tags: { Name: name, "mlops.dev/team": args.team },
            },
            { parent: this },
        );
        this.volumeName = `${namespace}-${claimName}`;
        new k8s.core.v1.PersistentVolume(
            name,
            {
                metadata: { name: this.volumeName, labels: { "mlops.dev/team": args.team } },
                spec: {
                    capacity: { storage: args.capacity ?? "1Ti" },
                    accessModes: ["ReadWriteMany"],
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: "",
                    // Bound in advance: only this claim, in the team's namespace, gets it.
                    claimRef: { namespace, name: claimName },
                    csi: {
                        driver: EFS_CSI_DRIVER,
                        // <file system>::<access point>; `tls` is the driver's default.
                        volumeHandle: pulumi.interpolate`${args.fileSystemId}::${this.accessPoint.id}`,
                    },
                    mountOptions: ["tls"],
                },
            },
            { parent: this },
        );
        this.registerOutputs({ accessPointId: this.accessPoint.id });
    }
}
