/** `@npmcli/arborist`, loaded on first use (see ./deferred-module.ts). */
import { deferredPackage } from "./deferred-module";

export = deferredPackage("@npmcli/arborist");
