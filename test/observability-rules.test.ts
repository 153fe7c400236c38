/**
 * The alert rules' shape (every alert has a duration, a severity and a summary that names what
 * it is about; every alert has promtool unit tests where it fires), and where alerts go: the
 * Alertmanager config built from `mlops:observability.alerting.receivers`. promtool itself runs
 * the unit tests in CI (.ci/run, tools/promtool.sh).
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { SEVERITIES, alertmanagerConfig } from "../components/observability/alerting";
import { RULES_DIR, loadRuleFiles } from "../components/observability/metrics/inventory";
import { isSecret, record, valueOf } from "./support/harness";
import { configProblems } from "./support/fixtures";

const alerts = loadRuleFiles().flatMap((f) =>
    f.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => ({ file: f.file, ...r }))),
);
const ALERT_NAMES = [
    "MlopsCertificateExpiresSoon",
    "MlopsGpuPoolFullPodsPending",
    "MlopsModelErrorRate",
    "MlopsModelLatencyHigh",
    "MlopsNodeNotReady",
    "MlopsPodCrashLooping",
    "MlopsTeamGpuIdle",
    "MlopsTeamQuotaNearlyFull",
    "MlopsTrackingServerErrors",
    "MlopsVolumeAlmostFull",
    "MlopsVolumeFillingUp",
    "MlopsWorkflowFailureRate",
];

type UnitTests = {
    rule_files: string[];
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
};
const TESTS_DIR = path.join(RULES_DIR, "tests");
const unitTests = fs
    .readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => ({
        file: f,
        doc: yaml.load(fs.readFileSync(path.join(TESTS_DIR, f), "utf8")) as UnitTests,
    }));

describe("alert rules", () => {
    test("the ML alerts are all there", () => {
        expect([...new Set(alerts.map((a) => a.alert))].sort()).toEqual(ALERT_NAMES);
    });
    test.each(
        alerts.map((a): [string, (typeof alerts)[number]] => [
            `${a.file} ${a.alert} ${a.labels?.severity}`,
            a,
        ]),
    )("%s has a duration, a severity and a summary naming its subject", (_n, a) => {
        expect(a.for).toMatch(/^[0-9]+[smh]$/);
        expect(SEVERITIES).toContain(a.labels?.severity);
        expect(Object.keys(a.annotations ?? {}).sort()).toEqual(["description", "summary"]);
        // The summary names the team, model, pool, node, volume, pod or certificate.
        expect(a.annotations!.summary).toMatch(
            /\{\{ \$labels\.(team|model|namespace|pool|node|persistentvolumeclaim|cn) \}\}/,
        );
    });
    test("alerts about teams' namespaces carry the team label", () => {
        const teamAlerts = alerts.filter((a) =>
            a.expr.includes('"team", "$1", "namespace", "team-(.+)"'),
        );
        expect(teamAlerts.map((a) => a.alert).sort()).toEqual([
            "MlopsModelErrorRate",
            "MlopsModelLatencyHigh",
            "MlopsPodCrashLooping",
            "MlopsTeamGpuIdle",
            "MlopsTeamQuotaNearlyFull",
            "MlopsTrackingServerErrors",
            "MlopsVolumeAlmostFull",
            "MlopsVolumeFillingUp",
            "MlopsWorkflowFailureRate",
        ]);
    });
});

describe("promtool unit tests", () => {
    test("every rule file has a test file that loads it, and every test file a rule file", () => {
        const ruleFiles = fs
            .readdirSync(RULES_DIR)
            .filter((f) => f.endsWith(".yaml"))
            .sort();
        expect(unitTests.map((t) => t.file).sort()).toEqual(
            ruleFiles.map((f) => f.replace(/\.yaml$/, ".test.yaml")),
        );
        for (const t of unitTests) {
            expect(t.doc.rule_files).toEqual([`../${t.file.replace(/\.test\.yaml$/, ".yaml")}`]);
        }
    });
    test.each(ALERT_NAMES)(
        "%s fires in a unit test, beside series that must not fire it",
        (name) => {
            const cases = unitTests.flatMap((t) =>
                t.doc.tests.flatMap((c) => c.alert_rule_test ?? []),
            );
            const firing = cases.filter((c) => c.alertname === name && c.exp_alerts.length > 0);
            expect(firing.length).toBeGreaterThan(0);
        },
    );
});

describe("alertmanagerConfig", () => {
    beforeEach(() => record());

    test("no receiver: every alert is dropped", async () => {
        const c = await valueOf(alertmanagerConfig([]));
        expect(c.route.receiver).toBe("null");
        expect(c.route.routes).toEqual([
            { receiver: "null", matchers: ['alertname=~"Watchdog|InfoInhibitor"'] },
        ]);
        expect(c.receivers).toEqual([{ name: "null" }]);
    });

    test("slack, email and webhook receivers, each with its routes; URLs stay secret", async () => {
        const out = alertmanagerConfig([
            {
                name: "oncall",
                type: "slack",
                url: "https://hooks.slack.com/services/T/B/x",
                channel: "#ml-oncall",
                severities: ["critical"],
            },
            {
                name: "nlp-mail",
                type: "email",
                to: "nlp@example.com",
                from: "alerts@example.com",
                smarthost: "smtp.example.com:587",
                username: "alerts",
                password: "pw",
                teams: ["nlp"],
            },
            { name: "pager", type: "webhook", url: "https://pager.example.com/hook?token=t" },
        ]);
        expect(await isSecret(out)).toBe(true);
        const c = await valueOf(out);
        expect(c.route.routes).toEqual([
            { receiver: "null", matchers: ['alertname=~"Watchdog|InfoInhibitor"'] },
            { receiver: "oncall", matchers: ['severity=~"critical"'], continue: true },
            { receiver: "nlp-mail", matchers: ['team=~"nlp"'], continue: true },
            { receiver: "pager", matchers: [], continue: true },
        ]);
        expect(c.receivers).toEqual([
            { name: "null" },
            {
                name: "oncall",
                slack_configs: [
                    {
                        api_url: "https://hooks.slack.com/services/T/B/x",
                        channel: "#ml-oncall",
                        send_resolved: true,
                        title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                        text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
                    },
                ],
            },
            {
                name: "nlp-mail",
                email_configs: [
                    {
                        to: "nlp@example.com",
                        from: "alerts@example.com",
                        smarthost: "smtp.example.com:587",
                        require_tls: true,
                        send_resolved: true,
                        auth_username: "alerts",
                        auth_password: "pw",
                    },
                ],
            },
            {
                name: "pager",
                webhook_configs: [
                    { url: "https://pager.example.com/hook?token=t", send_resolved: true },
                ],
            },
        ]);
    });

    test("a team's receiver gets its team's alerts only, not another team's", async () => {
        const c = await valueOf(
            alertmanagerConfig([
                { name: "nlp", type: "webhook", url: "https://a.example.com/", teams: ["nlp"] },
                {
                    name: "vision",
                    type: "webhook",
                    url: "https://b.example.com/",
                    teams: ["vision"],
                },
            ]),
        );
        const matchersOf = (r: string) =>
            (c.route.routes as { receiver: string; matchers: string[] }[]).find(
                (x) => x.receiver === r,
            )!.matchers;
        // Alertmanager's matcher is an anchored regex: team=~"nlp" matches nlp only.
        const routeMatches = (r: string, team: string) =>
            matchersOf(r).every((m) =>
                new RegExp(`^(?:${/^team=~"(.*)"$/.exec(m)![1]})$`).test(team),
            );
        expect(routeMatches("nlp", "nlp")).toBe(true);
        expect(routeMatches("nlp", "vision")).toBe(false);
        expect(routeMatches("vision", "vision")).toBe(true);
        expect(routeMatches("vision", "nlp")).toBe(false);
    });

    test("reserved and repeated names are refused", () => {
        expect(() =>
            alertmanagerConfig([{ name: "null", type: "webhook", url: "https://a/" }]),
        ).toThrow('alert receiver name "null" is reserved');
        expect(() =>
            alertmanagerConfig([
                { name: "a", type: "webhook", url: "https://a/" },
                { name: "a", type: "webhook", url: "https://b/" },
            ]),
        ).toThrow('alert receiver "a" is named twice');
    });
});

describe("mlops:observability.alerting.receivers", () => {
    const receivers = (list: unknown[], extra: Record<string, unknown> = {}) => ({
        ...extra,
        observability: { alerting: { receivers: list } },
    });

    test("none by default, and a valid list parses", () => {
        expect(configProblems({})).toEqual([]);
        expect(
            configProblems(
                receivers([
                    {
                        name: "oncall",
                        type: "slack",
                        url: "https://hooks.slack.com/services/T/B/x",
                        severities: ["critical"],
                    },
                    {
                        name: "mail",
                        type: "email",
                        to: "ml@example.com",
                        from: "am@example.com",
                        smarthost: "smtp.example.com:25",
                    },
                ]),
            ),
        ).toEqual([]);
    });

    test("prod refuses a plain http webhook, without echoing the URL", () => {
        const raw = receivers(
            [{ name: "hook", type: "webhook", url: "http://hooks.internal/alert?token=s3cret" }],
            {
                environment: "prod",
            },
        );
        const problems = configProblems(raw);
        expect(problems).toContain(
            "mlops:observability.alerting.receivers[0].url: got an http:// URL; prod stacks send alerts over https only (the URL is a secret and is not shown)",
        );
        expect(problems.join("\n")).not.toContain("s3cret");
        // dev allows it (a receiver on the cluster's own network).
        expect(configProblems({ ...raw, environment: "dev" })).toEqual([]);
    });

    test("invalid receivers name the key and what is allowed, never a secret value", () => {
        expect(configProblems(receivers([{ name: "x", type: "pager" }]))).toEqual([
            'mlops:observability.alerting.receivers[0].type: got "pager"; must have type slack, email or webhook',
        ]);
        expect(
            configProblems(receivers([{ name: "x", type: "slack", url: "ftp://token@host" }])),
        ).toEqual([
            "mlops:observability.alerting.receivers[0].url: got a value (secret, not shown); must be an http(s) URL",
        ]);
        expect(
            configProblems(
                receivers([
                    { name: "a", type: "webhook", url: "https://a.example.com/" },
                    { name: "a", type: "webhook", url: "https://b.example.com/" },
                ]),
            ),
        ).toEqual([
            'mlops:observability.alerting.receivers[1].name: got "a"; names must be unique, already used by mlops:observability.alerting.receivers[0]',
        ]);
        expect(
            configProblems(
                receivers([
                    { name: "n", type: "webhook", url: "https://a/", severities: ["info"] },
                ]),
            ),
        ).toEqual([
            'mlops:observability.alerting.receivers[0].severities[0]: got "info"; must be one of "critical", "warning"',
        ]);
    });
});
