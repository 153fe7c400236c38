export * from "./cluster";
export * from "./platform";
export * from "./routing";
export * from "./storage";
