/**
 * The test runner's stand-ins for `typescript` and `@npmcli/arborist` (jest.config.js
 * moduleNameMapper): Pulumi's SDK requires both at start-up for closure serialization, which
 * no test does; each loads, from its package's own main file, on first use.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { deferred } from "../../tools/lib/deferred";

export function deferredPackage(name: string): object {
    const dir = path.join(__dirname, "..", "..", "node_modules", name);
    const main = (
        JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
            main: string;
        }
    ).main;
    // By path: the mapper applies to the package name only.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return deferred(() => require(path.join(dir, main)) as object);
}
