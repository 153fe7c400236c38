/**
 * The cloud-neutral components. Cloud-specific ones live in components/gcp/ (GkeCluster,
 * GcsObjectStore, CloudSqlDatabase, GcpWorkloadIdentity) and components/aws/ (EksCluster,
 * S3ObjectStore, RdsDatabase, EfsFileSystem, AwsIrsaIdentity) and are imported from their own
 * modules, so that a stack loads only its cloud's SDK.
 */
export * from "./cluster";
export * from "./features";
export * from "./observability";
export * from "./platform";
export * from "./routing";
export * from "./serving";
export * from "./storage";
export * from "./tenancy";
export * from "./tracking";
export * from "./workflows";
