export * from "./existing";
export * from "./gpus";
export * from "./kubernetes-cluster";
