/**
 * Prints, as JSON, what `team-tracking.sh` runs against real MLflow and PostgreSQL: the program
 * run under the offline plan's recording mocks (tools/plan/run.ts) with a stack file that has
 * two inline teams on the in-cluster store and database (the shipped `Pulumi.onprem.yaml`),
 * and for each team
 * - its tracking server's container (command, args, env with Secret references by name);
 * - its database Job's container (command, env) and the SQL file its ConfigMap holds.
 *
 *     npx tsx tools/verify/team-tracking-render.ts STACK_FILE
 */
import { RecordedResource, reveal } from "../plan/recorder";
import { runPlan } from "../plan/run";
import { readStackConfig } from "../plan/stack-config";

function fail(message: string): never {
    throw new Error(`team-tracking-render: ${message}`);
}

async function main() {
    const file = process.argv[2] ?? fail("usage: team-tracking-render.ts STACK_FILE");
    const plan = await runPlan(readStackConfig(file));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs, read by path
    const inputs = (r: RecordedResource) => reveal(r.inputs) as any;
    const find = (type: string, name: string) =>
        plan.resources.find((r) => r.type === type && r.name === name) ??
        fail(`no ${type} named ${name}`);
    const teams = plan.resources
        .filter((r) => r.type === "mlops:tracking:TeamTrackingServer")
        .map((r) => r.name.replace(/^.*-tracking-/, ""));
    const out: Record<string, unknown> = {};
    for (const team of teams) {
        const server = plan.resources.find(
            (r) =>
                r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith(`-tracking-${team}`),
        )!;
        const dbName = server.name.replace(`-tracking-${team}`, `-${team}-database`);
        const job = inputs(find("kubernetes:batch/v1:Job", dbName));
        const sql = inputs(find("kubernetes:core/v1:ConfigMap", `${dbName}-sql`));
        const c = inputs(server).spec.template.spec.containers[0];
        const j = job.spec.template.spec.containers[0];
        out[team] = {
            server: { command: c.command, args: c.args, env: c.env },
            job: { command: j.command, env: j.env },
            sql: sql.data["team-database.sql"],
        };
    }
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
