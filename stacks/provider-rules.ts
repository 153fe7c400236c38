/**
 * What the clouds and Kubernetes accept, as config validation checks it: identifier formats,
 * CIDR lists, host names, the GPUs a machine type carries, machines too small for the platform.
 * Pure functions over plain values; stacks/config.ts reports their answers with the key.
 */
import { Cloud } from "../components/cluster/gpus";
import { coversWholeInternet, parseCidr } from "../policies/cidr";

/**
 * A GCP project ID (Resource Manager, "Project ID requirements"): 6-30 lowercase letters,
 * digits and '-', a letter first, no '-' last. A legacy domain-scoped project carries its
 * domain first (`example.com:my-project`).
 */
export const GCP_PROJECT = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** What a GCP project ID may be, as the refusal says it. */
export const GCP_PROJECT_RULE =
    "must be a GCP project ID: 6-30 lowercase letters, digits and '-', starting with a letter and not ending with '-' (e.g. my-ml-project; the ID, not the project's name or number)";
/** A GCP region: `us-central1`, `europe-west4`, `northamerica-northeast2`. */
export const GCP_REGION = /^[a-z]+-[a-z]+[0-9]+$/;
/**
 * A GCP zone: its region, '-' and a letter (`us-central1-a`), or an AI zone's `ai<n>` and the
 * letter of its parent zone (`us-central1-ai1a`).
 */
export const GCP_ZONE = /^[a-z]+-[a-z]+[0-9]+-(ai[0-9]+)?[a-z]$/;
/**
 * An AWS region: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `us-isob-east-1`,
 * `eusc-de-east-1`.
 */
export const AWS_REGION = /^[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}$/;

/** Why a GCP region is not one, or undefined; a zone where a region belongs names its region. */
export function gcpRegionProblem(region: string): string | undefined {
    if (GCP_REGION.test(region)) return undefined;
    if (GCP_ZONE.test(region))
        return `is a zone; the region is ${region.replace(/-[a-z0-9]+$/, "")} (a zonal cluster sets cluster.gcp.zone as well)`;
    return "must be a GCP region such as us-central1 or europe-west4";
}

/** Why an AWS region is not one, or undefined; an availability zone names its region. */
export function awsRegionProblem(region: string): string | undefined {
    if (AWS_REGION.test(region)) return undefined;
    if (AWS_REGION.test(region.slice(0, -1)) && /[a-z]$/.test(region))
        return `is an availability zone; the region is ${region.slice(0, -1)} (the VPC picks its zones: cluster.aws.availabilityZoneCount)`;
    return "must be an AWS region such as us-east-1";
}

/**
 * A Compute Engine machine type: a series with a generation digit (`e2`, `n2d`, `ct5lp`) or N1's
 * legacy `custom`, then '-'-separated parts: `e2-standard-4`, `e2-medium`, `a2-highgpu-1g`,
 * `n2-custom-4-16384-ext`, `c3-standard-4-lssd`.
 */
const GCP_MACHINE_TYPE = /^([a-z]+[0-9][a-z0-9]*|custom)(-[a-z0-9]+)+$/;
/**
 * An EC2 instance type: a family with a generation digit, options after '-' (`m7i-flex`,
 * `u-6tb1`, `mac2-m2pro`, `p6-b200`), '.', and a size from EC2's vocabulary: `nano` to `medium`,
 * `large`, `xlarge`, `<n>xlarge`, `metal`, `metal-<n>xl`.
 */
const AWS_INSTANCE_TYPE =
    /^(?=[a-z0-9-]*[0-9][a-z0-9-]*\.)[a-z][a-z0-9]*(-[a-z0-9]+)*\.(nano|micro|small|medium|large|([1-9][0-9]*)?xlarge|metal(-[1-9][0-9]*xl)?)$/;

/** Why a machine type is not one the cloud could name, or undefined. */
export function machineTypeProblem(cloud: Cloud, machineType: string): string | undefined {
    if (cloud === "gcp" && !GCP_MACHINE_TYPE.test(machineType))
        return "must be a Compute Engine machine type such as e2-standard-4 or g2-standard-8";
    if (cloud === "aws" && !AWS_INSTANCE_TYPE.test(machineType))
        return "must be an EC2 instance type such as m6i.xlarge or g6.xlarge: a family, '.', and a size (large, xlarge, <n>xlarge, metal, ...)";
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

/**
 * GPUs an N1 machine may attach, by GPU type, each count with the most vCPUs the machine may
 * have with it (GCE "GPU machine types", N1 general-purpose: a V100 admits 12 vCPUs, two 24).
 */
const N1_ATTACHABLE: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
    "nvidia-tesla-t4": [
        [1, 48],
        [2, 48],
        [4, 96],
    ],
    "nvidia-tesla-p4": [
        [1, 24],
        [2, 48],
        [4, 96],
    ],
    "nvidia-tesla-v100": [
        [1, 12],
        [2, 24],
        [4, 48],
        [8, 96],
    ],
};

/** The vCPUs of an N1 machine type (`n1-standard-8`, `n1-custom-6-23040`), or undefined. */
export function n1Vcpus(machineType: string): number | undefined {
    const m = /^n1-(standard|highmem|highcpu|custom)-([0-9]+)(-[0-9]+)?(-ext)?$/.exec(machineType);
    if (!m || (m[1] === "custom") !== (m[3] !== undefined)) return undefined;
    return Number(m[2]);
}

/** What a node of a machine type can carry: the GPU counts, and why when it is N1's vCPU rule. */
export interface GpuCounts {
    readonly counts: readonly number[];
    /** Set when an N1 machine's vCPUs rule out smaller counts: the limits, in words. */
    readonly vcpuRule?: string;
}

/** The GPU counts a node of this machine type can carry, or undefined when not known here. */
export function gpuCountsOf(
    cloud: Cloud,
    machineType: string,
    gpuType: string,
): GpuCounts | undefined {
    if (cloud === "local") return undefined;
    const fixed = GPU_COUNTS[cloud][machineType];
    if (fixed !== undefined) return { counts: [fixed] };
    if (cloud === "gcp") {
        // a2-highgpu-4g, a2-ultragpu-8g, a3-highgpu-2g: the count ends the name.
        const n = /^a[23]-(highgpu|ultragpu)-([0-9]+)g$/.exec(machineType)?.[2];
        if (n) return { counts: [Number(n)] };
        const attachable = N1_ATTACHABLE[gpuType];
        if (!machineType.startsWith("n1-") || !attachable) return undefined;
        const all = attachable.map(([c]) => c);
        const vcpus = n1Vcpus(machineType);
        if (vcpus === undefined) return { counts: all };
        const counts = attachable.filter(([, max]) => vcpus <= max).map(([c]) => c);
        // A machine larger than any count admits is not N1's to size here: let GCE say so.
        if (counts.length === 0) return undefined;
        if (counts.length === all.length) return { counts };
        const limits = attachable.map(([c, max]) => `${max} with ${c}`).join(", ");
        return {
            counts,
            vcpuRule: `its ${vcpus} vCPUs need at least ${counts[0]} (N1 allows at most ${limits})`,
        };
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

/**
 * Why a Cloud SQL custom tier (`db-custom-<vCPUs>-<MiB>`) is one Cloud SQL would refuse, or
 * undefined ("About instance settings": 1 or an even number of vCPUs up to 96; 0.9 to 6.5 GB
 * per vCPU, a multiple of 256 MB, 3.75 GB at least). The memory bounds are read leniently (GB
 * as 10^9 bytes at the bottom, as GiB at the top) so that no tier Cloud SQL takes is refused.
 */
export function cloudSqlTierProblem(tier: string): string | undefined {
    const m = /^db-custom-([0-9]+)-([0-9]+)$/.exec(tier);
    if (!m) return undefined;
    const vcpus = Number(m[1]);
    const mib = Number(m[2]);
    if (vcpus < 1 || vcpus > 96 || (vcpus > 1 && vcpus % 2 === 1))
        return `has ${vcpus} vCPUs; Cloud SQL takes 1 or an even number of vCPUs up to 96`;
    const lo = Math.max(3840, Math.ceil((vcpus * 0.9e9) / 2 ** 20 / 256) * 256);
    const hi = vcpus * 6656;
    if (mib % 256 !== 0 || mib < lo || mib > hi)
        return `has ${mib} MiB of memory; with ${vcpus} vCPU${vcpus === 1 ? "" : "s"} Cloud SQL takes ${lo} to ${hi} MiB in multiples of 256 (0.9 to 6.5 GB per vCPU, 3840 MiB at least)`;
    return undefined;
}
