import { ExistingCluster } from "../../components/cluster/existing";
import { GPU_POOL_LABEL } from "../../components/cluster/kubernetes-cluster";
import { charts } from "../../components/versions";
import { SecretValue, at, childList, record, settled } from "../support/harness";

describe("ExistingCluster", () => {
    it("is a provider for the kubeconfig and context, and nothing else by default", async () => {
        const rec = record();
        const cluster = new ExistingCluster("lab", {
            kubeconfig: "/home/me/.kube/config",
            context: "kind-lab",
            storageClass: "standard",
        });
        await settled();
        expect(childList(rec, rec.get("mlops:cluster:ExistingCluster", "lab"))).toEqual([
            "pulumi:providers:kubernetes lab",
        ]);
        const provider = rec.get("pulumi:providers:kubernetes", "lab");
        expect(provider.inputs.kubeconfig).toBeInstanceOf(SecretValue);
        expect(at(provider, "kubeconfig")).toBe("/home/me/.kube/config");
        expect(provider.inputs).toMatchObject({
            context: "kind-lab",
            enableServerSideApply: "true",
        });
        expect(cluster.cloud).toBe("local");
        expect(cluster.storageClasses).toEqual({
            readWriteOnce: "standard",
            readWriteMany: undefined,
        });
    });

    it("schedules GPU work on labelled GPU nodes, tolerating their taint", () => {
        record();
        const cluster = new ExistingCluster("lab2", {});
        const toleration = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };
        expect(cluster.gpuScheduling()).toEqual({
            nodeSelector: { "nvidia.com/gpu.present": "true" },
            tolerations: [toleration],
        });
        expect(cluster.gpuScheduling("a100")).toEqual({
            nodeSelector: { "nvidia.com/gpu.present": "true", [GPU_POOL_LABEL]: "a100" },
            tolerations: [toleration],
        });
        const custom = new ExistingCluster("lab3", { gpuNodeLabels: { accelerator: "nvidia" } });
        expect(custom.gpuScheduling().nodeSelector).toEqual({ accelerator: "nvidia" });
    });

    it("installs the NVIDIA device plugin chart on GPU nodes when asked", async () => {
        const rec = record();
        new ExistingCluster("gpu", { nvidiaDevicePlugin: true });
        await settled();
        expect(childList(rec, rec.get("mlops:cluster:ExistingCluster", "gpu"))).toEqual([
            "kubernetes:core/v1:Namespace gpu-nvidia-device-plugin",
            "kubernetes:helm.sh/v3:Release gpu-nvidia-device-plugin",
            "pulumi:providers:kubernetes gpu",
        ]);
        const release = rec.get("kubernetes:helm.sh/v3:Release", "gpu-nvidia-device-plugin");
        expect(release.inputs).toMatchObject({
            chart: "nvidia-device-plugin",
            version: charts.nvidiaDevicePlugin.version,
            repositoryOpts: { repo: "https://nvidia.github.io/k8s-device-plugin" },
            namespace: "nvidia-device-plugin",
        });
        expect(at(release, "values")).toEqual({
            // The charts' own defaults, set explicitly so that a mirror can move them
            // (k8s-device-plugin v0.20.0: deployments/helm/nvidia-device-plugin/values.yaml
            // image.repository, tag v + appVersion; its node-feature-discovery 0.19.0
            // subchart: deployment/helm/node-feature-discovery/values.yaml, appVersion v0.19.0).
            image: { repository: "nvcr.io/nvidia/k8s-device-plugin", tag: "v0.20.0" },
            nfd: {
                image: { repository: "registry.k8s.io/nfd/node-feature-discovery", tag: "v0.19.0" },
            },
            gfd: { enabled: true },
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
            resources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "200m", memory: "256Mi" },
            },
        });
        // Both use the cluster's own provider.
        expect(release.provider).toMatch(/::gpu::/);
    });
});
