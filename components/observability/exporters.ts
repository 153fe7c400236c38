/**
 * Prometheus exporters that run beside a service's own container, for the stores that serve no
 * metrics themselves: Valkey (redis_exporter) and PostgreSQL (postgres_exporter), both the
 * upstream images pinned in components/versions.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import { Mirror, mirrorImage } from "../mirror";
import { containerSecurityContext, withLocalDisk } from "../security";
import { images } from "../versions";

/** redis_exporter's default listen port (`--web.listen-address` :9121). */
export const REDIS_EXPORTER_PORT = 9121;
/** postgres_exporter's default listen port (`--web.listen-address` :9187). */
export const POSTGRES_EXPORTER_PORT = 9187;

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** A small exporter container: non-root, read-only, 10m CPU. */
function exporter(
    name: string,
    image: string,
    port: number,
    env: EnvVar[],
    memory: string,
    mirror?: Mirror,
): Container {
    return {
        name,
        image: mirrorImage(image, mirror),
        env,
        ports: [{ name: "metrics", containerPort: port }],
        readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 30 },
        resources: withLocalDisk(
            {
                requests: { cpu: "10m", memory },
                limits: { cpu: "100m", memory: "64Mi" },
            },
            "32Mi",
            "8Mi",
        ),
        securityContext: containerSecurityContext(),
    };
}

/**
 * redis_exporter beside Valkey: it reads the store on loopback with the store's password
 * (`REDIS_ADDR`, `REDIS_PASSWORD`, oliver006/redis_exporter README, v1.89.0).
 */
export function redisExporter(password: EnvVar, mirror?: Mirror): Container {
    return exporter(
        "redis-exporter",
        images.redisExporter,
        REDIS_EXPORTER_PORT,
        [{ name: "REDIS_ADDR", value: "redis://localhost:6379" }, password],
        "16Mi",
        mirror,
    );
}

/**
 * postgres_exporter beside PostgreSQL: it connects on loopback as the database's user
 * (`DATA_SOURCE_URI`, `DATA_SOURCE_USER`, `DATA_SOURCE_PASS`, prometheus-community/
 * postgres_exporter README, v0.20.1).
 */
export function postgresExporter(
    database: string,
    user: string,
    password: EnvVar,
    mirror?: Mirror,
): Container {
    return exporter(
        "postgres-exporter",
        images.postgresExporter,
        POSTGRES_EXPORTER_PORT,
        [
            { name: "DATA_SOURCE_URI", value: `localhost:5432/${database}?sslmode=disable` },
            { name: "DATA_SOURCE_USER", value: user },
            password,
        ],
        "32Mi",
        mirror,
    );
}
