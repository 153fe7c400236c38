import { Policies } from "@pulumi/policy";
import { awsPolicies } from "./aws";
import { clusterPolicies } from "./clusters";
import { databasePolicies } from "./database";
import { gcpPolicies } from "./gcp";
import { identityPolicies } from "./identity";
import { routingPolicies } from "./routing";
import { storagePolicies } from "./storage";
import { tenancyPolicies } from "./tenancy";
import { workloadPolicies } from "./workloads";

/**
 * Every policy of the mlops-guardrails pack. Exported as a list so that tests and the offline
 * plan use the policies without starting the pack's server.
 */
export const policies: Policies = [
    ...workloadPolicies,
    ...routingPolicies,
    ...identityPolicies,
    ...storagePolicies,
    ...databasePolicies,
    ...clusterPolicies,
    ...tenancyPolicies,
    ...gcpPolicies,
    ...awsPolicies,
];

/** The pack's name. */
export const PACK_NAME = "mlops-guardrails";
