import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { Instance } from "@pulumi/aws/rds/instance";
import { SubnetGroup } from "@pulumi/aws/rds/subnetGroup";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AWS_NAME_RULES, awsName } from "./names";
import { aws as awsVersions } from "../versions";

/** Arguments of {@link RdsDatabase}. */
export interface RdsDatabaseArgs {
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets in at least two availability zones. */
    readonly subnetIds: readonly pulumi.Input<string>[];
    /** The security group of the clients (the cluster's nodes): the only source allowed in. */
    readonly clientSecurityGroupId: pulumi.Input<string>;
    /** @default "db.t4g.small" (2 vCPU burstable, 2 GiB) */
    readonly instanceClass?: string;
    /**
     * Protect production data: the instance `protect`ed, the cloud's deletion protection on,
     * 7 days of automated backups (else 1) and a final snapshot on deletion. @default true
     */
    readonly protect?: boolean;
    /** Multi-AZ: a standby in a second availability zone. @default true */
    readonly highAvailability?: boolean;
    /**
     * Apply changes at once, restarting the instance if a change needs it, rather than in the
     * next maintenance window. @default false
     */
    readonly applyImmediately?: boolean;
    /** @default "mlflow" */
    readonly databaseName?: string;
    /** @default "mlops" */
    readonly username?: string;
    /** Initial storage in GiB; RDS grows it up to 5× on its own. @default 20 */
    readonly allocatedStorage?: number;
}

/**
 * RDS for PostgreSQL in the private subnets only: not publicly accessible, storage encrypted,
 * automated backups, deletion protection and Multi-AZ unless turned off, a security group open to
 * the cluster's nodes on 5432 only, and a generated password that stays secret. PostgreSQL
 * 15 and later on RDS require TLS by default (`rds.force_ssl` 1).
 *
 * ```ts
 * const db = new RdsDatabase("mlops-db", { vpcId, subnetIds, clientSecurityGroupId });
 * ```
 */
export class RdsDatabase extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:RdsDatabase";
    public readonly instance: Instance;
    public readonly host: pulumi.Output<string>;
    public readonly port = 5432;
    public readonly databaseName: string;
    public readonly username: string;
    public readonly password: pulumi.Output<string>;

    constructor(name: string, args: RdsDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(RdsDatabase.__pulumiType, name, {}, opts);
        const protect = args.protect ?? true;
        const child = { parent: this };
        this.databaseName = args.databaseName ?? "mlflow";
        this.username = args.username ?? "mlops";
        const identifier = awsName(AWS_NAME_RULES.rdsIdentifier, [name]);

        const subnets = new SubnetGroup(
            name,
            {
                name: identifier,
                description: `${name}: private subnets`,
                subnetIds: [...args.subnetIds],
            },
            child,
        );
        const sg = new SecurityGroup(
            name,
            {
                name: awsName(AWS_NAME_RULES.securityGroup, [name]),
                description: "PostgreSQL from the cluster nodes only",
                vpcId: args.vpcId,
            },
            child,
        );
        new SecurityGroupIngressRule(
            `${name}-postgres`,
            {
                securityGroupId: sg.id,
                referencedSecurityGroupId: args.clientSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: this.port,
                toPort: this.port,
                description: "PostgreSQL from the cluster nodes",
            },
            child,
        );
        // RDS refuses '/', '@', '"' and spaces in the master password: letters and digits.
        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false },
            child,
        );
        this.password = pulumi.secret(password.result);
        const storage = args.allocatedStorage ?? 20;
        this.instance = new Instance(
            name,
            {
                identifier,
                engine: "postgres",
                engineVersion: awsVersions.rdsPostgres,
                autoMinorVersionUpgrade: true,
                instanceClass: args.instanceClass ?? "db.t4g.small",
                allocatedStorage: storage,
                maxAllocatedStorage: storage * 5,
                storageType: "gp3",
                storageEncrypted: true,
                dbName: this.databaseName,
                username: this.username,
                password: this.password,
                dbSubnetGroupName: subnets.name,
                vpcSecurityGroupIds: [sg.id],
                publiclyAccessible: false,
                multiAz: args.highAvailability ?? true,
                backupRetentionPeriod: protect ? 7 : 1,
                copyTagsToSnapshot: true,
                deletionProtection: protect,
                skipFinalSnapshot: !protect,
                ...(protect
                    ? {
                          finalSnapshotIdentifier: awsName(AWS_NAME_RULES.rdsIdentifier, [
                              name,
                              "final",
                          ]),
                      }
                    : {}),
                applyImmediately: args.applyImmediately ?? false,
            },
            { ...child, protect },
        );
        this.host = this.instance.address;
        this.registerOutputs({ host: this.host });
    }
}
