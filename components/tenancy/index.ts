export * from "./team";
export * from "./members";
