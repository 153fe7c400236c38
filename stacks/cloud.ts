/**
 * Picks the selected cloud's foundation. Each cloud's module is loaded only when selected,
 * so a stack loads only its own cloud's SDK.
 */
import { PlatformConfig } from "./config";
import { CloudFoundation } from "./foundation";

/** Builds the selected cloud's foundation. */
export function cloudFoundation(config: PlatformConfig): CloudFoundation {
    switch (config.cloud) {
        case "local":
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return (require("./local") as typeof import("./local")).localFoundation(config);
        case "gcp":
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return (require("./gcp") as typeof import("./gcp")).gcpFoundation(config);
        case "aws":
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return (require("./aws") as typeof import("./aws")).awsFoundation(config);
    }
}
