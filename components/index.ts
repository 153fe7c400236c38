/**
 * The cloud-neutral components. Cloud-specific ones (GkeCluster, GcsObjectStore,
 * CloudSqlDatabase, GcpWorkloadIdentity; EksCluster, S3ObjectStore, RdsDatabase,
 * EfsFileSystem, AwsIrsaIdentity) are imported from their own modules, so that a stack loads
 * only its cloud's SDK.
 */
export * from "./cluster";
export * from "./features";
export * from "./platform";
export * from "./routing";
export * from "./serving";
export * from "./storage";
export * from "./tenancy";
export * from "./tracking";
export * from "./workflows";
