export * from "./dex";
export * from "./oauth2-proxy";
