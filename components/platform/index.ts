export * from "./mlops-platform";
