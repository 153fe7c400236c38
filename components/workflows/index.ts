export * from "./argo";
