export * from "./mlflow";
export * from "./team-tracking";
