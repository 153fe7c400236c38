/**
 * The GPU types the platform knows per cloud, and the machine families that carry them.
 * Config validation uses this table to reject a GPU type a cloud does not offer, or a machine
 * type that cannot hold it, before anything is created.
 */

/** The clouds a platform can target. */
export type Cloud = "local" | "gcp" | "aws";

/** What a GPU type needs from the machine type of its pool. */
export interface GpuTypeInfo {
    /** Machine type prefixes that can carry this accelerator (`g2-` on GCP, `g5.` on AWS). */
    readonly machinePrefixes: readonly string[];
}

/** GCE accelerator types (the `accelerator_type` of a GKE node pool) and their machine series. */
export const gcpGpuTypes: Readonly<Record<string, GpuTypeInfo>> = {
    "nvidia-tesla-t4": { machinePrefixes: ["n1-"] },
    "nvidia-tesla-v100": { machinePrefixes: ["n1-"] },
    "nvidia-tesla-p4": { machinePrefixes: ["n1-"] },
    "nvidia-l4": { machinePrefixes: ["g2-"] },
    "nvidia-tesla-a100": { machinePrefixes: ["a2-highgpu-", "a2-megagpu-"] },
    "nvidia-a100-80gb": { machinePrefixes: ["a2-ultragpu-"] },
    "nvidia-h100-80gb": { machinePrefixes: ["a3-highgpu-"] },
    "nvidia-h100-mega-80gb": { machinePrefixes: ["a3-megagpu-"] },
    "nvidia-h200-141gb": { machinePrefixes: ["a3-ultragpu-"] },
};

/** EC2 GPU types, named by the GPU, and the instance families that carry them. */
export const awsGpuTypes: Readonly<Record<string, GpuTypeInfo>> = {
    "nvidia-t4": { machinePrefixes: ["g4dn."] },
    "nvidia-a10g": { machinePrefixes: ["g5."] },
    "nvidia-l4": { machinePrefixes: ["g6."] },
    "nvidia-l40s": { machinePrefixes: ["g6e."] },
    "nvidia-v100": { machinePrefixes: ["p3.", "p3dn."] },
    "nvidia-a100": { machinePrefixes: ["p4d.", "p4de."] },
    "nvidia-h100": { machinePrefixes: ["p5."] },
    "nvidia-h200": { machinePrefixes: ["p5e.", "p5en."] },
};

/**
 * On an existing cluster the nodes are already there: any GPU name either cloud knows is
 * accepted as a label for the pool, and the machine type is not checked.
 */
export const localGpuTypes: Readonly<Record<string, GpuTypeInfo>> = Object.fromEntries(
    [...Object.keys(gcpGpuTypes), ...Object.keys(awsGpuTypes)].map((t) => [
        t,
        { machinePrefixes: [] },
    ]),
);

/** The known GPU types of a cloud. */
export function gpuTypesFor(cloud: Cloud): Readonly<Record<string, GpuTypeInfo>> {
    switch (cloud) {
        case "gcp":
            return gcpGpuTypes;
        case "aws":
            return awsGpuTypes;
        case "local":
            return localGpuTypes;
    }
}
