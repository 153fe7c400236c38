import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

// Constructing the pack starts its gRPC server: only the Pulumi CLI loads this file.
new PolicyPack("mlops-guardrails", { policies });
