/** Guardrails for the tracking database. */
import { resourcePolicy } from "./policy-builders";

export const databaseNotPublic = resourcePolicy({
    name: "database-not-public",
    description:
        "Databases are reachable only from inside the network: no public IP, load balancer or node port.",
    enforcementLevel: "advisory",
    types: [
        "kubernetes:core/v1:Service",
        "gcp:sql/databaseInstance:DatabaseInstance",
        "aws:rds/instance:Instance",
    ],
    validate: (props, report, args) => {
        if (args.type === "kubernetes:core/v1:Service") {
            if (props?.metadata?.labels?.["app.kubernetes.io/name"] !== "postgresql") return;
            const t = props?.spec?.type ?? "ClusterIP";
            if (t !== "ClusterIP") report(`PostgreSQL Service is of type ${t}`);
        } else if (args.type === "gcp:sql/databaseInstance:DatabaseInstance") {
            if (props?.settings?.ipConfiguration?.ipv4Enabled !== false)
                report("Cloud SQL has a public IPv4 address");
        } else if (props?.publiclyAccessible === true) {
            report("RDS instance is publicly accessible");
        }
    },
});

export const databaseBackups = resourcePolicy({
    name: "database-backups",
    description: "Managed databases keep automated backups.",
    enforcementLevel: "mandatory",
    types: ["gcp:sql/databaseInstance:DatabaseInstance", "aws:rds/instance:Instance"],
    validate: (props, report, args) => {
        if (args.type === "aws:rds/instance:Instance") {
            if (!(props?.backupRetentionPeriod > 0)) report("backupRetentionPeriod is not above 0");
        } else if (props?.settings?.backupConfiguration?.enabled !== true) {
            report("settings.backupConfiguration.enabled is not true");
        }
    },
});

export const databaseDeletionProtection = resourcePolicy({
    name: "database-deletion-protection",
    description: "Managed databases have the cloud's deletion protection on.",
    enforcementLevel: "advisory",
    types: ["gcp:sql/databaseInstance:DatabaseInstance", "aws:rds/instance:Instance"],
    validate: (props, report) => {
        if (props?.deletionProtection !== true) report("deletionProtection is not true");
    },
});

export const rdsEncrypted = resourcePolicy({
    name: "rds-storage-encrypted",
    description: "RDS instances encrypt their storage.",
    enforcementLevel: "mandatory",
    types: ["aws:rds/instance:Instance"],
    validate: (props, report) => {
        if (props?.storageEncrypted !== true) report("storageEncrypted is not true");
    },
});

export const databaseProductionTier = resourcePolicy({
    name: "database-production-tier",
    description:
        "Managed databases run on a production tier: no Cloud SQL shared-core tier, no burstable RDS class.",
    enforcementLevel: "advisory",
    types: ["gcp:sql/databaseInstance:DatabaseInstance", "aws:rds/instance:Instance"],
    validate: (props, report, args) => {
        if (args.type === "gcp:sql/databaseInstance:DatabaseInstance") {
            const tier = props?.settings?.tier;
            if (tier === "db-f1-micro" || tier === "db-g1-small")
                report(`Cloud SQL tier ${tier} is shared-core, with no SLA`);
        } else if (String(props?.instanceClass ?? "").startsWith("db.t")) {
            report(`RDS instance class ${props.instanceClass} is burstable`);
        }
    },
});

export const databasePolicies = [
    databaseNotPublic,
    databaseBackups,
    databaseDeletionProtection,
    rdsEncrypted,
    databaseProductionTier,
];
