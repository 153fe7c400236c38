/**
 * What the clouds and Kubernetes accept, as config validation checks it: identifier formats,
 * CIDR lists, host names, the GPUs a machine type carries, machines too small for the platform.
 * Pure functions over plain values; stacks/config.ts reports their answers with the key.
 */
import { Cloud } from "../components/cluster/gpus";
import { coversWholeInternet, parseCidr } from "../policies/cidr";

/** A GCP project ID: 6-30 lowercase letters, digits and '-', a letter first, no '-' last. */
export const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A GCP region: `us-central1`, `europe-west4`, `me-central2`. */
export const GCP_REGION = /^[a-z]+-[a-z]+[0-9]+$/;
/** A Compute Engine machine type: `e2-standard-4`, `a2-highgpu-1g`, `n2-custom-4-16384`. */
const GCP_MACHINE_TYPE = /^[a-z][a-z0-9]*-[a-z0-9]+(-[a-z0-9]+)*$/;
/** An EC2 instance type: `m6i.xlarge`, `p4d.24xlarge`, `m7i-flex.large`, `u-6tb1.metal`. */
const AWS_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** Why a machine type is not one the cloud could name, or undefined. */
export function machineTypeProblem(cloud: Cloud, machineType: string): string | undefined {
    if (cloud === "gcp" && !GCP_MACHINE_TYPE.test(machineType))
        return "must be a Compute Engine machine type such as e2-standard-4 or g2-standard-8";
    if (cloud === "aws" && !AWS_INSTANCE_TYPE.test(machineType))
        return "must be an EC2 instance type such as m6i.xlarge or g6.xlarge";
    return undefined;
}

/**
 * Machine types with 2 GiB of memory or less (GCP shared-core, EC2 nano, micro and small):
 * after the kubelet's and the cloud's reservations (GKE keeps 25% of the first 4 GiB) under
 * 1.5 GiB is left, less than the platform's own pods request.
 */
const TOO_SMALL: Readonly<Record<"gcp" | "aws", RegExp>> = {
    gcp: /^(e2-micro|e2-small|f1-micro|g1-small)$/,
    aws: /^[a-z][a-z0-9-]*\.(nano|micro|small)$/,
};

/** Why a system pool's machine type cannot hold the platform's pods, or undefined. */
export function systemMachineProblem(cloud: Cloud, machineType: string): string | undefined {
    if (cloud === "local") return undefined;
    if (TOO_SMALL[cloud].test(machineType))
        return "has 2 GiB of memory or less, which after the node's reservations holds less than the platform's system pods request: choose e2-standard-4 or m6i.xlarge (the defaults) or larger";
    return undefined;
}

/**
 * GPUs per machine for the accelerator-optimized types (the count is fixed by the type: GCE
 * "GPU machine types", EC2 "Accelerated computing instances"), and the counts N1 machines may
 * attach per GPU type. A machine type not listed here is not checked.
 */
const GPU_COUNTS: Readonly<Record<"gcp" | "aws", Readonly<Record<string, number>>>> = {
    gcp: {
        "g2-standard-4": 1,
        "g2-standard-8": 1,
        "g2-standard-12": 1,
        "g2-standard-16": 1,
        "g2-standard-32": 1,
        "g2-standard-24": 2,
        "g2-standard-48": 4,
        "g2-standard-96": 8,
        "a2-megagpu-16g": 16,
        "a3-megagpu-8g": 8,
        "a3-ultragpu-8g": 8,
    },
    aws: {
        "g4dn.xlarge": 1,
        "g4dn.2xlarge": 1,
        "g4dn.4xlarge": 1,
        "g4dn.8xlarge": 1,
        "g4dn.16xlarge": 1,
        "g4dn.12xlarge": 4,
        "g4dn.metal": 8,
        ...Object.fromEntries(
            ["g5", "g6", "g6e"].flatMap((f) => [
                ...["xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"].map((s) => [
                    `${f}.${s}`,
                    1,
                ]),
                [`${f}.12xlarge`, 4],
                [`${f}.24xlarge`, 4],
                [`${f}.48xlarge`, 8],
            ]),
        ),
        "p3.2xlarge": 1,
        "p3.8xlarge": 4,
        "p3.16xlarge": 8,
        "p3dn.24xlarge": 8,
        "p4d.24xlarge": 8,
        "p4de.24xlarge": 8,
        "p5.4xlarge": 1,
        "p5.48xlarge": 8,
        "p5e.48xlarge": 8,
        "p5en.48xlarge": 8,
    },
};

/** GPUs an N1 machine may attach, by GPU type (GCE "GPUs on N1"). */
const N1_ATTACHABLE: Readonly<Record<string, readonly number[]>> = {
    "nvidia-tesla-t4": [1, 2, 4],
    "nvidia-tesla-p4": [1, 2, 4],
    "nvidia-tesla-v100": [1, 2, 4, 8],
};

/** The GPU counts a node of this machine type can carry, or undefined when not known here. */
export function gpuCountsOf(
    cloud: Cloud,
    machineType: string,
    gpuType: string,
): readonly number[] | undefined {
    if (cloud === "local") return undefined;
    const fixed = GPU_COUNTS[cloud][machineType];
    if (fixed !== undefined) return [fixed];
    if (cloud === "gcp") {
        // a2-highgpu-4g, a2-ultragpu-8g, a3-highgpu-2g: the count ends the name.
        const n = /^a[23]-(highgpu|ultragpu)-([0-9]+)g$/.exec(machineType)?.[2];
        if (n) return [Number(n)];
        if (machineType.startsWith("n1-")) return N1_ATTACHABLE[gpuType];
    }
    return undefined;
}

/** Why a list of CIDR blocks would be refused, one message per block or for the list. */
export function cidrListProblems(
    cidrs: readonly string[],
    opts: { readonly max: number; readonly ipv6: boolean; readonly limit: string },
): { index?: number; message: string }[] {
    const out: { index?: number; message: string }[] = [];
    cidrs.forEach((c, index) => {
        const parsed = parseCidr(c);
        if ("problem" in parsed) out.push({ index, message: parsed.problem });
        else if (parsed.range.first === 0n && c.endsWith("/0"))
            out.push({ index, message: "must not be the whole internet (/0): list your networks" });
        else if (parsed.family === 6 && !opts.ipv6)
            out.push({ index, message: "must be an IPv4 CIDR block (IPv6 is not accepted here)" });
        else if (!parsed.canonical) {
            const slash = c.indexOf("/");
            out.push({
                index,
                message: `has host bits set after the /${c.slice(slash + 1)} prefix: write the network address (${networkAddress(c)})`,
            });
        }
    });
    if (coversWholeInternet(cidrs) && !cidrs.some((c) => c.endsWith("/0")))
        out.push({ message: "together the blocks admit the whole internet: list your networks" });
    if (cidrs.length > opts.max)
        out.push({ message: `lists ${cidrs.length} blocks; ${opts.limit} allows ${opts.max}` });
    return out;
}

/** `203.0.113.7/24` → `203.0.113.0/24` (IPv4 only; IPv6 blocks are shown as given). */
function networkAddress(cidr: string): string {
    const parsed = parseCidr(cidr);
    if ("problem" in parsed || parsed.family !== 4) return cidr;
    const a = parsed.range.first;
    const octets = [24n, 16n, 8n, 0n].map((s) => String((a >> s) & 255n));
    return `${octets.join(".")}${cidr.slice(cidr.indexOf("/"))}`;
}

/** The longest DNS name (RFC 1035: 253 characters written without the final dot). */
export const DNS_NAME_MAX = 253;
/** The longest DNS label. */
export const DNS_LABEL_MAX = 63;

/**
 * Why a host `<label>.<domain>` is not a valid DNS name, or undefined: each label at most 63
 * characters, the whole name at most 253.
 */
export function hostProblem(label: string, domain: string): string | undefined {
    const host = `${label}.${domain}`;
    if (label.length > DNS_LABEL_MAX)
        return `its route ${host} starts with a ${label.length}-character label; DNS allows ${DNS_LABEL_MAX}`;
    if (host.length > DNS_NAME_MAX)
        return `its route ${host.slice(0, 40)}... is ${host.length} characters long; DNS allows ${DNS_NAME_MAX}`;
    return undefined;
}
