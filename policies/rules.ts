import { ResourceValidationPolicy } from "@pulumi/policy";

/**
 * Every policy of the mlops-guardrails pack. Exported as a list so that tests and the offline
 * plan use the policies without starting the pack's server.
 */
export const policies: ResourceValidationPolicy[] = [];
