import { GlobalAddress } from "@pulumi/gcp/compute/globalAddress";
import { Network } from "@pulumi/gcp/compute/network";
import { Connection } from "@pulumi/gcp/servicenetworking/connection";
import { Database } from "@pulumi/gcp/sql/database";
import { DatabaseInstance } from "@pulumi/gcp/sql/databaseInstance";
import { User } from "@pulumi/gcp/sql/user";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { GCP_ID_RULES, gcpId, sqlInstanceRule } from "./names";

/** Length of the random suffix of the instance ID. */
const SUFFIX_LENGTH = 8;

/** Arguments of {@link CloudSqlDatabase}. */
export interface CloudSqlDatabaseArgs {
    readonly project: string;
    readonly region: string;
    /** The VPC the instance gets its private IP in (the cluster's network). */
    readonly network: Network;
    /** @default "db-custom-1-3840" */
    readonly tier?: string;
    /**
     * Protect production data: the instance and its database `protect`ed, and the cloud's
     * deletion protection on (both the Pulumi provider's and the API's). @default true
     */
    readonly protect?: boolean;
    /** Regional high availability (a standby in a second zone), else zonal. @default true */
    readonly highAvailability?: boolean;
    /** @default "mlflow" */
    readonly databaseName?: string;
    /** @default "mlops" */
    readonly username?: string;
}

/**
 * Cloud SQL for PostgreSQL on a private IP only: a peering range and the service networking
 * connection in the cluster's VPC, backups with point-in-time recovery, deletion protection and
 * regional high availability unless turned off, and a generated password that stays secret.
 *
 * ```ts
 * const db = new CloudSqlDatabase("mlops-sql", { project, region, network: gke.network });
 * ```
 */
export class CloudSqlDatabase extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:storage:CloudSqlDatabase";
    public readonly instance: DatabaseInstance;
    /** The private IP. */
    public readonly host: pulumi.Output<string>;
    public readonly port = 5432;
    public readonly databaseName: string;
    public readonly username: string;
    public readonly password: pulumi.Output<string>;

    constructor(name: string, args: CloudSqlDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CloudSqlDatabase.__pulumiType, name, {}, opts);
        const protect = args.protect ?? true;
        const highAvailability = args.highAvailability ?? true;
        const child = { parent: this };
        this.databaseName = args.databaseName ?? "mlflow";
        this.username = args.username ?? "mlops";

        const range = new GlobalAddress(
            `${name}-peering`,
            {
                project: args.project,
                name: gcpId(GCP_ID_RULES.compute, [name, "peering"]),
                purpose: "VPC_PEERING",
                addressType: "INTERNAL",
                prefixLength: 16,
                network: args.network.id,
            },
            child,
        );
        const peering = new Connection(
            `${name}-peering`,
            {
                network: args.network.id,
                service: "servicenetworking.googleapis.com",
                reservedPeeringRanges: [range.name],
            },
            child,
        );

        // A deleted instance's ID stays taken for up to a week: a random suffix lets a dev stack
        // be destroyed and brought up again at once. The stem is valid for any name (names.ts).
        const suffix = new random.RandomString(
            `${name}-suffix`,
            { length: SUFFIX_LENGTH, lower: true, numeric: true, upper: false, special: false },
            child,
        );
        const stem = gcpId(sqlInstanceRule(args.project, SUFFIX_LENGTH + 1), [name]);
        this.instance = new DatabaseInstance(
            name,
            {
                project: args.project,
                name: pulumi.interpolate`${stem}-${suffix.result}`,
                region: args.region,
                databaseVersion: "POSTGRES_17",
                deletionProtection: protect,
                settings: {
                    tier: args.tier ?? "db-custom-1-3840",
                    // Left unset, the API makes a POSTGRES_16+ instance Enterprise Plus, which
                    // refuses custom and shared-core tiers (pulumi-gcp's own docs of `edition`).
                    edition: "ENTERPRISE",
                    availabilityType: highAvailability ? "REGIONAL" : "ZONAL",
                    diskAutoresize: true,
                    ipConfiguration: {
                        ipv4Enabled: false,
                        privateNetwork: args.network.id,
                        sslMode: "ENCRYPTED_ONLY",
                    },
                    backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
                    deletionProtectionEnabled: protect,
                },
            },
            { ...child, dependsOn: [peering], protect },
        );
        this.host = this.instance.privateIpAddress;

        new Database(
            name,
            { project: args.project, instance: this.instance.name, name: this.databaseName },
            { ...child, protect },
        );
        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false },
            child,
        );
        this.password = pulumi.secret(password.result);
        new User(
            name,
            {
                project: args.project,
                instance: this.instance.name,
                name: this.username,
                password: this.password,
            },
            child,
        );
        this.registerOutputs({ host: this.host });
    }
}
