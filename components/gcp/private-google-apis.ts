import { Network } from "@pulumi/gcp/compute/network";
import { ManagedZone } from "@pulumi/gcp/dns/managedZone";
import { RecordSet } from "@pulumi/gcp/dns/recordSet";
import * as pulumi from "@pulumi/pulumi";

/**
 * `private.googleapis.com`: the addresses through which Private Google Access serves Google
 * APIs (Cloud Storage, IAM credentials, Secure Token Service) to a VPC, and nothing else.
 */
export const PRIVATE_GOOGLE_APIS_CIDR = "199.36.153.8/30";
const PRIVATE_GOOGLE_APIS = ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"];

/** Arguments of {@link PrivateGoogleApis}. */
export interface PrivateGoogleApisArgs {
    readonly project: string;
    /** The VPC whose lookups of `*.googleapis.com` resolve to the private addresses. */
    readonly network: Network;
}

/**
 * A private Cloud DNS zone for `googleapis.com` on the cluster's VPC that resolves every Google
 * API to `private.googleapis.com` ({@link PRIVATE_GOOGLE_APIS_CIDR}), which the subnetwork's
 * Private Google Access serves. Team network policies can then allow Google's storage and
 * token endpoints by address, instead of every address on port 443.
 *
 * ```ts
 * new PrivateGoogleApis("mlops", { project: "my-project", network: cluster.network });
 * ```
 */
export class PrivateGoogleApis extends pulumi.ComponentResource {
    /** The type token: the permanent identity of this component in URNs and policies. */
    public static readonly __pulumiType = "mlops:gcp:PrivateGoogleApis";
    /** The addresses Google APIs resolve to in the VPC. */
    public readonly cidr = PRIVATE_GOOGLE_APIS_CIDR;
    public readonly zone: ManagedZone;

    constructor(name: string, args: PrivateGoogleApisArgs, opts?: pulumi.ComponentResourceOptions) {
        super(PrivateGoogleApis.__pulumiType, name, {}, opts);
        const child = { parent: this };
        this.zone = new ManagedZone(
            `${name}-googleapis`,
            {
                project: args.project,
                name: `${name}-googleapis`,
                dnsName: "googleapis.com.",
                description: "Google APIs through Private Google Access (private.googleapis.com)",
                visibility: "private",
                privateVisibilityConfig: { networks: [{ networkUrl: args.network.id }] },
            },
            child,
        );
        new RecordSet(
            `${name}-googleapis-private`,
            {
                project: args.project,
                managedZone: this.zone.name,
                name: "private.googleapis.com.",
                type: "A",
                ttl: 300,
                rrdatas: PRIVATE_GOOGLE_APIS,
            },
            child,
        );
        new RecordSet(
            `${name}-googleapis-wildcard`,
            {
                project: args.project,
                managedZone: this.zone.name,
                name: "*.googleapis.com.",
                type: "CNAME",
                ttl: 300,
                rrdatas: ["private.googleapis.com."],
            },
            child,
        );
        this.registerOutputs({ cidr: this.cidr });
    }
}
