export * from "./existing";
export * from "./gpus";
export * from "./types";
