export * from "./exposed-service";
export * from "./traefik";
