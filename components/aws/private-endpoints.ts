import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { Subnet } from "@pulumi/aws/ec2/subnet";
import { Vpc } from "@pulumi/aws/ec2/vpc";
import { VpcEndpoint } from "@pulumi/aws/ec2/vpcEndpoint";
import * as pulumi from "@pulumi/pulumi";
import { AWS_NAME_RULES, awsName } from "./names";

/** The AWS services a team's pods reach: S3 for data, STS to exchange IRSA tokens. */
export const PRIVATE_ENDPOINT_SERVICES = ["s3", "sts"] as const;

/** Arguments of {@link AwsPrivateEndpoints}. */
export interface AwsPrivateEndpointsArgs {
    readonly region: string;
    readonly vpc: Vpc;
    /** The subnets the endpoints' interfaces are placed in (the nodes' private subnets). */
    readonly subnets: readonly Subnet[];
}

/**
 * Interface VPC endpoints for S3 and STS in the private subnets, with private DNS for every
 * resolver in the VPC: the services' regional names resolve to addresses in those subnets, so
 * that team network policies allow them by the subnets' ranges instead of every address on
 * port 443. The endpoints admit HTTPS from the VPC only.
 *
 * ```ts
 * new AwsPrivateEndpoints("mlops", { region: "us-east-1", vpc: cluster.vpc,
 *     subnets: cluster.privateSubnets }, { providers: { aws } });
 * ```
 */
export class AwsPrivateEndpoints extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:aws:AwsPrivateEndpoints";
    public readonly endpoints: Record<(typeof PRIVATE_ENDPOINT_SERVICES)[number], VpcEndpoint>;

    constructor(
        name: string,
        args: AwsPrivateEndpointsArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(AwsPrivateEndpoints.__pulumiType, name, {}, opts);
        const child = { parent: this };
        const sg = new SecurityGroup(
            `${name}-endpoints`,
            {
                name: awsName(AWS_NAME_RULES.securityGroup, [name, "endpoints"]),
                vpcId: args.vpc.id,
                description: "HTTPS from the VPC to the S3 and STS interface endpoints",
                ingress: [
                    {
                        protocol: "tcp",
                        fromPort: 443,
                        toPort: 443,
                        cidrBlocks: [args.vpc.cidrBlock],
                        description: "HTTPS from the VPC",
                    },
                ],
                tags: { Name: `${name}-endpoints` },
            },
            child,
        );
        const endpoint = (service: (typeof PRIVATE_ENDPOINT_SERVICES)[number]) =>
            new VpcEndpoint(
                `${name}-${service}`,
                {
                    vpcId: args.vpc.id,
                    serviceName: `com.amazonaws.${args.region}.${service}`,
                    vpcEndpointType: "Interface",
                    subnetIds: args.subnets.map((s) => s.id),
                    securityGroupIds: [sg.id],
                    privateDnsEnabled: true,
                    // S3: every resolver in the VPC, not inbound resolvers only (there is no
                    // gateway endpoint to take the VPC's own traffic).
                    ...(service === "s3"
                        ? { dnsOptions: { privateDnsOnlyForInboundResolverEndpoint: false } }
                        : {}),
                    tags: { Name: `${name}-${service}` },
                },
                child,
            );
        this.endpoints = { s3: endpoint("s3"), sts: endpoint("sts") };
        this.registerOutputs({});
    }
}
