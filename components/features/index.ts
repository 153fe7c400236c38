export * from "./feast";
export * from "./team-feast";
