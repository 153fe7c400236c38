export * from "./feast";
