export * from "./model-serving";
