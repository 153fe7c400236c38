import { Provider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import { EfsTeamVolume, teamPosixId } from "../components/aws/efs";
import { EksCluster } from "../components/aws/eks";
import { AwsBucketGrant, AwsIrsaIdentity } from "../components/aws/irsa";
import { AwsManagedPrometheus } from "../components/aws/managed-prometheus";
import { AwsPrivateEndpoints } from "../components/aws/private-endpoints";
import { RdsDatabase } from "../components/aws/rds";
import { S3ObjectStore } from "../components/aws/s3";
import {
    ServiceKey,
    monitoringServiceAccountsOf,
    serviceAccountsOf,
} from "../components/platform/mlops-platform";
import { BucketKey, TEAM_BUCKETS, teamPrefix } from "../components/storage/object-store";
import { RUNNER } from "../components/tenancy/team";
import { PlatformConfig, kubernetesMemberPrefix } from "./config";
import { CloudFoundation } from "./foundation";

/** Which buckets each service may use, and how. */
const ACCESS: Record<ServiceKey, { key: BucketKey; access: AwsBucketGrant["access"] }[]> = {
    tracking: [{ key: "tracking", access: "write" }],
    workflows: [
        { key: "workflows", access: "write" },
        { key: "datasets", access: "read" },
    ],
    features: [
        { key: "features", access: "write" },
        { key: "datasets", access: "read" },
    ],
    // Models are registered in MLflow's artifact store.
    serving: [{ key: "tracking", access: "read" }],
};

/**
 * EKS, S3, RDS PostgreSQL in the private subnets, and one IRSA role per service and team,
 * all through one AWS provider pinned to the configured region and account.
 */
export function awsFoundation(config: PlatformConfig): CloudFoundation {
    const c = config.cluster;
    const a = c.aws!; // parseConfig requires it for cloud aws
    const prod = config.environment === "prod";
    const name = c.name;

    const provider = new Provider(name, {
        region: a.region,
        // A stack configured for one account never changes another.
        allowedAccountIds: [a.accountId],
        defaultTags: { tags: { "mlops.dev/cluster": name, "mlops.dev/stack": pulumi.getStack() } },
    });
    const opts = { providers: { aws: provider } };
    const auth = config.routing.auth;
    // With single sign-on, kubectl trusts the same issuer and client; parseConfig requires the
    // issuer on aws.
    const sso = auth.enabled && auth.mode === "oidc" ? auth.oidc : undefined;

    const cluster = new EksCluster(
        name,
        {
            region: a.region,
            availabilityZoneCount: a.availabilityZoneCount,
            publicAccessCidrs: a.endpointPublicAccessCidrs,
            systemPool: c.systemPool,
            gpuPools: c.gpuPools.map((p) => ({ ...p, machineType: p.machineType! })),
            natPerZone: prod,
            sharedFilesystem: config.storage.sharedFilesystem.enabled,
            protect: prod,
            mirror: config.mirror,
            oidc: sso && {
                issuer: sso.issuer!,
                clientId: sso.clientId,
                groupsClaim: sso.groupsClaim,
                usernameClaim: sso.emailClaim,
            },
            oidcPrefix: kubernetesMemberPrefix(config),
            accessEntries: a.accessEntries,
        },
        opts,
    );
    const store = new S3ObjectStore(
        name,
        { region: a.region, accountId: a.accountId, protect: prod },
        opts,
    );
    const db = new RdsDatabase(
        `${name}-db`,
        {
            vpcId: cluster.vpc.id,
            subnetIds: cluster.privateSubnets.map((s) => s.id),
            clientSecurityGroupId: cluster.nodeSecurityGroupId,
            instanceClass: config.database.instanceClass,
            protect: prod,
            highAvailability: prod,
            applyImmediately: !prod,
        },
        opts,
    );

    const irsa = { oidcProviderArn: cluster.oidcProvider.arn, oidcIssuer: cluster.oidcIssuer };
    const accounts = serviceAccountsOf(name);
    const identities: CloudFoundation["identities"] = {};
    for (const svc of Object.keys(ACCESS) as ServiceKey[]) {
        const id = new AwsIrsaIdentity(
            `${name}-${svc}`,
            {
                ...irsa,
                kubernetesServiceAccounts: accounts[svc],
                buckets: ACCESS[svc].map((g) => ({
                    key: g.key,
                    bucketArn: store.bucketResources[g.key].arn,
                    access: g.access,
                })),
            },
            opts,
        );
        identities[svc] = id.annotations;
    }

    // S3 and STS at addresses in the private subnets, which team network policies allow.
    new AwsPrivateEndpoints(
        name,
        { region: a.region, vpc: cluster.vpc, subnets: cluster.privateSubnets },
        opts,
    );

    // Each inline team's runner: its prefix of the team buckets (objects under teams/<team>/,
    // and listing there only), nothing of any other prefix.
    const teamIdentities: Record<string, pulumi.Output<Record<string, string>>> = {};
    for (const t of config.teams) {
        const id = new AwsIrsaIdentity(
            `${name}-team-${t.name}`,
            {
                ...irsa,
                kubernetesServiceAccounts: [`team-${t.name}/${RUNNER}`],
                team: t.name,
                buckets: TEAM_BUCKETS.map((key) => ({
                    key,
                    bucketArn: store.bucketResources[key].arn,
                    access: "write" as const,
                    prefix: teamPrefix(t.name),
                })),
            },
            opts,
        );
        teamIdentities[t.name] = id.annotations;
    }

    // `backend: managed`: Amazon Managed Service for Prometheus, written and read by the
    // monitoring namespace's two service accounts alone.
    const o = config.observability;
    const amp =
        o.enabled && o.backend === "managed"
            ? new AwsManagedPrometheus(
                  name,
                  {
                      region: a.region,
                      ...irsa,
                      writerServiceAccount: monitoringServiceAccountsOf().writer,
                      readerServiceAccount: monitoringServiceAccountsOf().reader,
                      retention: o.retention,
                  },
                  opts,
              )
            : undefined;

    // Each inline team's own directory on EFS, through its own access point.
    if (cluster.efs) {
        const owners = new Map<number, string>();
        for (const t of config.teams) {
            const posixId = teamPosixId(t.name);
            const other = owners.get(posixId);
            if (other !== undefined)
                throw new Error(
                    `teams: '${t.name}' and '${other}' would share the EFS POSIX id ${posixId}: rename one of them`,
                );
            owners.set(posixId, t.name);
            new EfsTeamVolume(
                `${name}-efs-${t.name}`,
                { fileSystemId: cluster.efs.fileSystem.id, team: t.name, posixId },
                { providers: { aws: provider, kubernetes: cluster.provider } },
            );
        }
    }

    return {
        cluster,
        teamIdentities,
        // S3 and STS (IRSA's token exchange) over HTTPS at their interface endpoints in the
        // private subnets, not every address on 443.
        teamCloudEgress: [
            {
                to: cluster.privateCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ports: [{ protocol: "TCP", port: 443 }],
            },
        ],
        apiServerCidrs: cluster.privateCidrs,
        objectStore: store.connection,
        database: {
            host: db.host,
            port: db.port,
            databaseName: db.databaseName,
            username: db.username,
            password: db.password,
            // RDS's address is a name: its private subnets.
            cidrs: cluster.privateCidrs,
        },
        identities,
        managedPrometheus: amp?.managed,
        outputs: {
            kubeconfig: cluster.kubeconfig,
            clusterName: cluster.cluster.name,
            ...(amp ? { prometheusWorkspace: amp.workspace.arn } : {}),
        },
    };
}
