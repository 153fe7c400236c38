/**
 * The browser half of `identity.sh --browser`: a real Chromium (headless, driven by
 * puppeteer-core) goes through the real Traefik and oauth2-proxy that `identity.sh` runs, to
 * the test issuer's login form and to a real MLflow server started with the args the program
 * renders. Each step writes a screenshot to `$SHOTS` and asserts what a person would see:
 *
 * 1. a member of the first team opens the team's MLflow route, lands on the issuer's login form, fills
 *    and submits it, and is sent back to MLflow (through oauth2-proxy's callback);
 * 2. MLflow's experiment list loads, then the Default experiment's runs table with the run the
 *    script created through MLflow's REST API; every POST the UI sends (runs/search and the
 *    others) carries the route's Origin and is answered 200, none 403;
 * 3. the member creates an experiment with the UI's Create dialog; the UI's POST is answered
 *    200 and MLflow's REST API, asked directly, knows the experiment;
 * 4. the member's own team's model route answers 200 with the member's identity; a member of
 *    the second team, in a fresh browser context, signs in on the first team's model route and
 *    gets 403 with oauth2-proxy's body (`Forbidden`), and 200 on its own team's model route.
 *
 * The browser trusts the route's certificate through the NSS database in `$HOME/.pki/nssdb`
 * of the HOME it is given (`identity.sh` imports the default certificate there); certificate
 * errors are not ignored. Control: the same browser with an empty HOME refuses the route with
 * `net::ERR_CERT_AUTHORITY_INVALID`. Every host name resolves to the router's address
 * (`--host-resolver-rules`), as DNS would send it there. Chromium runs with `--no-sandbox`: its
 * sandbox cannot start as root in a container.
 *
 *     CHROMIUM=... SHOTS=... npx tsx tools/verify/browser-sso.ts CONFIG.json
 *
 * CONFIG.json (written by identity.sh): `{ domain, router, issuer, home, emptyHome, mlflowHost, mlflowApi,
 * member: { login, password }, other: { login, password }, ownModel, otherModel,
 * experiment }`. Exit status 0 only when every check passes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import puppeteer, { Browser, BrowserContext, HTTPResponse, Page } from "puppeteer-core";

interface User {
    readonly login: string;
    readonly password: string;
}
interface Config {
    readonly domain: string;
    /** The address every host name resolves to: Traefik's entry points. */
    readonly router: string;
    readonly issuer: string;
    /** HOME for Chromium, with the NSS database that trusts the routes' certificate. */
    readonly home: string;
    /** HOME for the control: no NSS database, so the certificate is not trusted. */
    readonly emptyHome: string;
    /** The host of the member's team's MLflow route. */
    readonly mlflowHost: string;
    /** That MLflow's REST API on loopback, bypassing the route. */
    readonly mlflowApi: string;
    readonly member: User;
    readonly other: User;
    /** The member's team's model host, and the other team's. */
    readonly ownModel: string;
    readonly otherModel: string;
    /** The name of the experiment the member creates. */
    readonly experiment: string;
}

const chromium = process.env.CHROMIUM ?? "";
const shots = process.env.SHOTS ?? "";
if (!chromium || !shots || !process.argv[2]) {
    console.error("usage: CHROMIUM=<chromium binary> SHOTS=<directory> browser-sso.ts CONFIG.json");
    process.exit(2);
}
const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as Config;
const mlflowOrigin = `https://${config.mlflowHost}`;
const TIMEOUT = 60_000;

let failures = 0;
function check(name: string, ok: boolean, detail = ""): void {
    if (!ok) failures++;
    console.log(`${ok ? "PASS" : "FAIL"}: ${name}${detail ? ` (${detail})` : ""}`);
}
function log(message: string): void {
    console.log(`[browser ${new Date().toISOString().slice(11, 19)}] ${message}`);
}
async function shot(page: Page, name: string, what: string): Promise<void> {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${file}: ${what}`);
}

/** MLflow's REST API on loopback (no Origin: as the Python client calls it). */
async function mlflowApi(method: string, api: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${config.mlflowApi}/api/2.0/mlflow/${api}`, {
        method,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`MLflow ${method} ${api}: ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
}

/** The page's text, for assertions on what a person reads. */
function text(page: Page): Promise<string> {
    return page.evaluate("document.body.innerText") as Promise<string>;
}

/**
 * Waits until the page's text contains each of `texts` (and, with `noDialog`, no dialog is
 * open); false when that does not happen within the timeout. (Expressions, not functions: the
 * project's TypeScript has no DOM library.)
 */
async function shows(page: Page, texts: string[], noDialog = false): Promise<boolean> {
    const expression =
        `${JSON.stringify(texts)}.every((t) => document.body.innerText.includes(t))` +
        (noDialog ? ` && !document.querySelector('[role="dialog"]')` : "");
    return page.waitForFunction(expression, { timeout: TIMEOUT }).then(
        () => true,
        () => false,
    );
}

/** Records every answer to MLflow's UI API calls in a page. */
function recordApi(
    page: Page,
): { method: string; url: string; status: number; origin?: string; body?: string }[] {
    const calls: { method: string; url: string; status: number; origin?: string; body?: string }[] =
        [];
    page.on("response", (res: HTTPResponse) => {
        const req = res.request();
        const url = new URL(res.url());
        if (url.host !== config.mlflowHost || !url.pathname.startsWith("/ajax-api/")) return;
        const call = {
            method: req.method(),
            url: url.pathname,
            status: res.status(),
            origin: req.headers()["origin"],
            body: undefined as string | undefined,
        };
        calls.push(call);
        if (res.status() >= 400)
            res.text().then(
                (t) => (call.body = t.slice(0, 200)),
                () => undefined,
            );
    });
    return calls;
}

/**
 * Opens `url` signed out, expects the issuer's login form, fills and submits it as `user`, and
 * returns the answer to the page it lands on. Screenshots: the filled form.
 */
async function signIn(page: Page, url: string, user: User, shotName: string, who: string) {
    const documents: { url: string; status: number }[] = [];
    page.on("response", (res) => {
        if (res.request().isNavigationRequest() && res.frame() === page.mainFrame())
            documents.push({ url: res.url(), status: res.status() });
    });
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: TIMEOUT });
    const form = new URL(page.url());
    check(
        `${who}: ${url} without a session lands on the issuer's login page`,
        `${form.origin}${form.pathname}` === `${config.issuer}/auth`,
        `at ${form.origin}${form.pathname}`,
    );
    await page.waitForSelector("form input[name=login]", { timeout: TIMEOUT });
    check(
        `${who}: the issuer's login page is a form of email and password`,
        (await page.$("form input[name=password][type=password]")) !== null,
    );
    await page.type("input[name=login]", user.login);
    await page.type("input[name=password]", user.password);
    await shot(page, shotName, `the issuer's login form filled in for ${user.login}`);
    const [landed] = await Promise.all([
        page.waitForNavigation({ waitUntil: "domcontentloaded", timeout: TIMEOUT }),
        page.click("#submit-login"),
    ]);
    const chain = documents.map(
        (d) => `${d.status} ${new URL(d.url).host}${new URL(d.url).pathname}`,
    );
    log(`${who}: ${chain.join(" -> ")}`);
    check(
        `${who}: the form's post goes through oauth2-proxy's callback at auth.${config.domain}`,
        documents.some(
            (d) =>
                d.url.startsWith(`https://auth.${config.domain}/oauth2/callback?`) &&
                d.status === 302,
        ),
    );
    return landed;
}

async function member(browser: Browser): Promise<void> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    const calls = recordApi(page);
    const who = `member ${config.member.login}`;

    // 1. Sign in at the issuer, from MLflow's route.
    log(`step 1: ${who} opens ${mlflowOrigin}/`);
    const landed = await signIn(page, `${mlflowOrigin}/`, config.member, "01-issuer-login", who);
    check(
        `${who}: back on MLflow after signing in (200)`,
        landed?.status() === 200 && new URL(page.url()).origin === mlflowOrigin,
        `${landed?.status()} ${page.url()}`,
    );
    check(
        `${who}: MLflow's UI renders (its sidebar's Experiments)`,
        await shows(page, ["Experiments"]),
    );
    await page.waitForNetworkIdle({ idleTime: 1000, timeout: TIMEOUT }).catch(() => undefined);
    await closeAssistant(page);
    await shot(page, "02-mlflow-signed-in", "MLflow's home page after the login");

    // 2. The experiment list, then the Default experiment's runs table.
    log("step 2: the experiment list and the runs table");
    await page.goto(`${mlflowOrigin}/#/experiments`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector('[data-testid="experiment-list-item-link"]', { timeout: TIMEOUT });
    await closeAssistant(page);
    await shot(page, "03-experiment-list", "MLflow's experiment list");
    const [training] = await page.$$("xpath/.//*[normalize-space(text())='Model training']");
    if (training) await training.click();
    const runsSearch = page.waitForResponse(
        (r) =>
            r.url().endsWith("/ajax-api/2.0/mlflow/runs/search") && r.request().method() === "POST",
        { timeout: TIMEOUT },
    );
    const defaultLink = await page.$$(
        "xpath/.//a[@data-testid='experiment-list-item-link'][normalize-space(.)='Default']",
    );
    if (defaultLink.length !== 1) throw new Error("no Default experiment in the list");
    await defaultLink[0].click();
    const search = await runsSearch;
    check(
        "the runs table's POST ajax-api/2.0/mlflow/runs/search is answered 200",
        search.status() === 200,
        `${search.status()}, Origin ${search.request().headers()["origin"]}`,
    );
    check(
        "the browser sent that POST with the route's Origin",
        search.request().headers()["origin"] === mlflowOrigin,
    );
    check(
        "the runs table shows the run made through the REST API (verify-run, 1 matching run)",
        await shows(page, ["verify-run", "1 matching run"]),
    );
    await shot(page, "04-runs-table", "the Default experiment's runs table with verify-run");

    // 3. Create an experiment through the UI.
    log(`step 3: create experiment ${config.experiment}`);
    await page.goto(`${mlflowOrigin}/#/experiments`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector('[data-testid="create-experiment-button"]', { timeout: TIMEOUT });
    await page.click('[data-testid="create-experiment-button"]');
    await page.waitForSelector('[role="dialog"] input#experimentName', { timeout: TIMEOUT });
    await page.type('[role="dialog"] input#experimentName', config.experiment);
    await shot(
        page,
        "05-create-experiment",
        `the Create Experiment dialog with ${config.experiment}`,
    );
    const created = page.waitForResponse(
        (r) =>
            r.url().endsWith("/ajax-api/2.0/mlflow/experiments/create") &&
            r.request().method() === "POST",
        { timeout: TIMEOUT },
    );
    const [create] = await page.$$(
        "xpath/.//*[@role='dialog']//button[normalize-space(.)='Create']",
    );
    if (!create) throw new Error("the dialog has no Create button");
    await create.click();
    const answer = await created;
    const createdBody = (await answer.json().catch(() => ({}))) as { experiment_id?: string };
    check(
        "the UI's POST ajax-api/2.0/mlflow/experiments/create is answered 200",
        answer.status() === 200,
        `${answer.status()}, experiment_id ${createdBody.experiment_id}`,
    );
    check(
        `the dialog closes and the UI shows ${config.experiment}`,
        await shows(page, [config.experiment], true),
    );
    const byName = (await mlflowApi(
        "GET",
        `experiments/get-by-name?experiment_name=${encodeURIComponent(config.experiment)}`,
    )) as { experiment: { experiment_id: string; name: string } };
    check(
        `MLflow's REST API knows experiment ${config.experiment}, with the ID the UI got`,
        byName.experiment.name === config.experiment &&
            byName.experiment.experiment_id === createdBody.experiment_id,
        `id ${byName.experiment.experiment_id}`,
    );
    await closeAssistant(page);
    await shot(page, "06-experiment-created", `MLflow after creating ${config.experiment}`);

    const posts = calls.filter((c) => c.method !== "GET");
    const refused = calls.filter((c) => c.status === 403 || c.status === 401);
    const describe = (call: (typeof calls)[number]) =>
        [call.method, call.url, call.status, call.body ?? ""].join(" ").trim();
    const distinct = [...new Set(posts.map(describe))].join(", ");
    log(`MLflow UI calls: ${calls.length}, ${posts.length} not GET: ${distinct}`);
    check(
        "every POST, PATCH or DELETE the UI sent is answered 200 and carries the route's Origin",
        posts.length > 0 && posts.every((c) => c.status === 200 && c.origin === mlflowOrigin),
    );
    check(
        "no UI call is refused (401/403, e.g. Cross-origin request blocked)",
        refused.length === 0,
        refused.map(describe).join("; "),
    );

    // 4 (control). The member's own team's model.
    log(`step 4: ${who} on the own team's model ${config.ownModel}`);
    const own = await page.goto(`https://${config.ownModel}/`, { waitUntil: "domcontentloaded" });
    const ownText = await text(page);
    check(
        `${who} on ${config.ownModel}: 200, the backend sees the member`,
        own?.status() === 200 &&
            ownText.includes(`"x-auth-request-email":"${config.member.login}"`),
        `${own?.status()}`,
    );
    await shot(page, "07-own-model", `${config.ownModel} as ${config.member.login}`);
    await context.close();
}

async function otherTeam(browser: Browser): Promise<void> {
    const context: BrowserContext = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    const who = `other team's member ${config.other.login}`;
    log(`step 4: ${who} opens ${config.ownModel} in a fresh browser context`);
    const landed = await signIn(
        page,
        `https://${config.ownModel}/`,
        config.other,
        "08-other-team-login",
        who,
    );
    const body = await text(page);
    check(
        `${who} on ${config.ownModel}: 403 with oauth2-proxy's body, Forbidden`,
        landed?.status() === 403 &&
            new URL(page.url()).host === config.ownModel &&
            body.trim() === "Forbidden",
        `${landed?.status()} ${page.url()}: ${body.trim().slice(0, 120)}`,
    );
    await shot(page, "09-other-team-403", `${config.ownModel} as ${config.other.login}: 403`);
    const own = await page.goto(`https://${config.otherModel}/`, { waitUntil: "domcontentloaded" });
    check(
        `control: ${who} on the own team's ${config.otherModel}: 200`,
        own?.status() === 200 &&
            (await text(page)).includes(`"x-auth-request-email":"${config.other.login}"`),
        `${own?.status()}`,
    );
    await shot(page, "10-other-team-own-model", `${config.otherModel} as ${config.other.login}`);
    await context.close();
}

/** Closes MLflow's assistant side panel, if it is open, so it does not cover the page. */
async function closeAssistant(page: Page): Promise<void> {
    const close = await page.$('button[aria-label="Close"]');
    if (close) await close.click().catch(() => undefined);
}

/** Chromium with `home` as HOME (its NSS database), every host name sent to the router. */
function launch(home: string): Promise<Browser> {
    return puppeteer.launch({
        executablePath: chromium,
        headless: true,
        acceptInsecureCerts: false,
        env: { ...process.env, HOME: home },
        args: [
            // Chromium's sandbox cannot start as root in a container.
            "--no-sandbox",
            `--host-resolver-rules=MAP * ${config.router}, EXCLUDE localhost`,
            "--no-proxy-server",
            "--lang=en-US",
        ],
    });
}

/** The control: without the certificate in its NSS database, Chromium refuses the route. */
async function untrusted(): Promise<void> {
    const browser = await launch(config.emptyHome);
    try {
        const page = await browser.newPage();
        const error = await page.goto(`${mlflowOrigin}/`, { timeout: TIMEOUT }).then(
            () => "",
            (e: unknown) => (e instanceof Error ? e.message : String(e)),
        );
        check(
            "control: Chromium without the certificate in its NSS database refuses the route",
            error.includes("net::ERR_CERT_AUTHORITY_INVALID"),
            error.split("\n")[0],
        );
    } finally {
        await browser.close();
    }
}

async function main(): Promise<void> {
    fs.mkdirSync(shots, { recursive: true });
    // A run in the Default experiment, so the runs table has a row to show.
    await mlflowApi("POST", "runs/create", { experiment_id: "0", run_name: "verify-run" });
    await untrusted();
    const browser = await launch(config.home);
    log(`${await browser.version()} (${chromium})`);
    try {
        await member(browser);
        await otherTeam(browser);
    } catch (e) {
        failures++;
        console.log(`FAIL: ${e instanceof Error ? e.message : String(e)}`);
        for (const [i, page] of (await browser.pages()).entries())
            await page
                .screenshot({ path: path.join(shots, `failure-${i}.png`) })
                .catch(() => undefined);
    } finally {
        await browser.close();
    }
    console.log(failures === 0 ? "browser: PASS" : `browser: FAIL (${failures})`);
    process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
