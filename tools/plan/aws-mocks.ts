/**
 * What AWS would compute for the resources and invokes the aws target uses, for the mocks of
 * the offline plan and the tests. Account `123456789012` and the example names are AWS's own
 * documentation placeholders.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The account of every mocked ARN. */
export const MOCK_ACCOUNT = "123456789012";
/** The region when an invoke names none. */
const MOCK_REGION = "us-east-1";

/** Outputs AWS would compute for a resource of `type`. */
export function awsOutputs(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
): Record<string, unknown> {
    const str = (key: string) => inputs[key] as string | undefined;
    switch (type) {
        case "aws:eks/cluster:Cluster": {
            const cluster = str("name") ?? name;
            return {
                name: cluster,
                arn: `arn:aws:eks:${MOCK_REGION}:${MOCK_ACCOUNT}:cluster/${cluster}`,
                endpoint: `https://${cluster.toUpperCase()}0EXAMPLE.gr7.${MOCK_REGION}.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(`mock-ca-${name}`).toString("base64") },
                identities: [
                    {
                        oidcs: [
                            {
                                issuer: `https://oidc.eks.${MOCK_REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
                            },
                        ],
                    },
                ],
                vpcConfig: {
                    ...(inputs.vpcConfig as Record<string, unknown>),
                    clusterSecurityGroupId: `sg-${name}-cluster`,
                },
            };
        }
        case "aws:eks/nodeGroup:NodeGroup":
            return {
                arn: `arn:aws:eks:${MOCK_REGION}:${MOCK_ACCOUNT}:nodegroup/${str("nodeGroupName")}`,
                resources: [{ autoscalingGroups: [{ name: `eks-${str("nodeGroupName")}-mock` }] }],
            };
        case "aws:ec2/launchTemplate:LaunchTemplate":
            // A new template's first version.
            return {
                latestVersion: 1,
                arn: `arn:aws:ec2:${MOCK_REGION}:${MOCK_ACCOUNT}:launch-template/${name}`,
            };
        case "aws:iam/role:Role":
            return {
                name: str("name") ?? name,
                arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${str("name") ?? name}`,
            };
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            return {
                arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${String(str("url")).replace(/^https:\/\//, "")}`,
            };
        case "aws:s3/bucket:Bucket":
            return { bucket: str("bucket"), arn: `arn:aws:s3:::${str("bucket")}` };
        case "aws:rds/instance:Instance":
            return {
                address: `${str("identifier")}.c9akciq32example.${MOCK_REGION}.rds.amazonaws.com`,
                port: 5432,
            };
        case "aws:amp/workspace:Workspace":
            // A workspace id per resource name (AMP computes ws-<uuid>).
            return {
                arn: `arn:aws:aps:${MOCK_REGION}:${MOCK_ACCOUNT}:workspace/ws-${name}`,
                prometheusEndpoint: `https://aps-workspaces.${MOCK_REGION}.amazonaws.com/workspaces/ws-${name}/`,
            };
        case "aws:rds/subnetGroup:SubnetGroup":
            return { name: str("name") ?? name };
        default:
            return { arn: `arn:aws:mock:${MOCK_REGION}:${MOCK_ACCOUNT}:${name}` };
    }
}

/** Answers of the AWS invokes the aws target makes, by token. */
export const awsInvokes: Readonly<
    Record<string, (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>>
> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": (args) => {
        const region = (args.inputs.region as string | undefined) ?? MOCK_REGION;
        const letters = ["a", "b", "c", "d", "e", "f"];
        return {
            id: region,
            region,
            names: letters.map((l) => `${region}${l}`),
            zoneIds: letters.map((_, i) => `use1-az${i + 1}`),
            groupNames: letters.map(() => region),
        };
    },
    "aws:index/getPartition:getPartition": () => ({
        id: "aws",
        partition: "aws",
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        id: MOCK_ACCOUNT,
        accountId: MOCK_ACCOUNT,
        arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`,
        userId: "AIDAEXAMPLE",
    }),
};
