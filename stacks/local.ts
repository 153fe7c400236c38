import * as pulumi from "@pulumi/pulumi";
import { ExistingCluster } from "../components/cluster/existing";
import { PlatformConfig, kubernetesMemberPrefix } from "./config";
import { CloudFoundation } from "./foundation";

/** An existing cluster from a kubeconfig; storage and database run inside it. */
export function localFoundation(config: PlatformConfig): CloudFoundation {
    const c = config.cluster;
    return {
        cluster: new ExistingCluster(c.name, {
            kubeconfig: c.kubeconfig,
            context: c.context,
            storageClass: c.storageClass,
            nvidiaDevicePlugin: c.nvidiaDevicePlugin,
            mirror: config.mirror,
            oidcPrefix: kubernetesMemberPrefix(config),
            // Only a run under an engine has a cluster to ask (the engine's address is set);
            // the offline plan and the tests run under mocks, without one.
            preflight: pulumi.runtime.getEngine() !== undefined,
        }),
    };
}
