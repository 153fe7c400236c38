export * from "./database";
export * from "./object-store";
export * from "./shared-filesystem";
export * from "./team-database";
