export * from "./mlops-platform";
export * from "./network";
