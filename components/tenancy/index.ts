export * from "./team";
export * from "./members";
export * from "./admission";
export * from "./team-workloads";
