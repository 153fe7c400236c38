/**
 * The mlops-platform program: reads and validates the stack config once, then builds the
 * platform stack. Exports are the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./stacks/config";
import { platformStack } from "./stacks/platform";

const config = loadConfig(pulumi.runtime.allConfig());

if (config.kind === "team") {
    throw new Error(
        'mlops:kind: got "team"; team stacks are not available in this version, use mlops:kind: platform',
    );
}

const outputs = platformStack(config);

export const namespace = outputs.namespace;
export const domain = outputs.domain;
export const objectStore = outputs.objectStore;
export const database = outputs.database;
export const readWriteManyStorageClass = outputs.readWriteManyStorageClass;
export const dashboard = outputs.dashboard;
export const urls = outputs.urls;
export const credentials = outputs.credentials;
export const trackingInternalUrl = outputs.trackingInternalUrl;
export const teams = outputs.teams;
export const kubeconfig = (outputs as { kubeconfig?: unknown }).kubeconfig;
