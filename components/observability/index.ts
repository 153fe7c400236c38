export * from "./exporters";
export * from "./monitoring";
export * from "./team-scrape";
