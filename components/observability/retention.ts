/**
 * Retention in whole days, for a managed Prometheus (Amazon Managed Service for Prometheus keeps
 * whole days); no cloud SDK import, so that the config validation reads it on every cloud.
 */

/** A workspace keeps samples 1 to 1095 days (AMP User Guide, "Configure your workspace"). */
export const AMP_MAX_RETENTION_DAYS = 1095;

const RETENTION = /^([1-9][0-9]{0,3})([hdw])$/;

/**
 * A retention such as `36h`, `7d` or `2w` (`mlops:observability.retention`) in whole days,
 * rounded up: a workspace keeps whole days.
 */
export function retentionDays(retention: string): number {
    const m = RETENTION.exec(retention);
    if (!m)
        throw new Error(
            `retention: got ${JSON.stringify(retention)}; must be such as 36h, 7d or 2w`,
        );
    const n = Number(m[1]);
    return m[2] === "h" ? Math.ceil(n / 24) : m[2] === "d" ? n : n * 7;
}

/**
 * How long the in-cluster Prometheus keeps samples when a managed backend stores them: long
 * enough to ride out an outage of the sending (Prometheus retries from its write-ahead log),
 * for every rule's window when the rules run in the cluster, and for OpenCost, which reads it.
 */
export const MANAGED_LOCAL_RETENTION = "1d";
