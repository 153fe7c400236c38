export * from "./team";
export * from "./members";
export * from "./team-workloads";
