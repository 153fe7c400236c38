export * from "./exporters";
export * from "./monitoring";
