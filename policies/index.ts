import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./rules";

// Constructing the pack starts its gRPC server: only the Pulumi CLI loads this file.
new PolicyPack(PACK_NAME, { policies });
