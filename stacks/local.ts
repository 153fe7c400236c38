import { ExistingCluster } from "../components/cluster/existing";
import { CloudFoundation } from "./cloud";
import { PlatformConfig } from "./config";

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
        }),
    };
}
