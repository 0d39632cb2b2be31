#!/usr/bin/env node
// The web console in a real browser: Playwright (playwright-core, from console/node_modules)
// drives Debian's chromium headless against a real `chatvault serve` on 127.0.0.1 at a free
// port, over a fresh archive whose users the CLI made before the service started. A
// drop-folder connector is added through the API and listed; the importer creates a second one
// through the wizard with a CSV mapping (checked line by line), drops the demo export into its
// folder, runs it and watches the progress reach done; pauses and resumes it; opens its run
// history; deletes the first; signs out. An eDiscovery manager creates a case, adds a custodian,
// places a case hold, adds and removes a reviewer, saves a search in the case and another from
// the content search page, exports it, waits for the export in the page, downloads the zip and
// finds in it the items the search found; adds a reviewer, who signs in, sees only the Review area
// and opens the case's saved search (the hits the manager's search found) and an item in its
// conversation; closes the case (the downloaded zip then leaves the list). An auditor (no connector or case
// rights) sees neither page nor any of their actions. An administrator sets their own password
// in the users page: signed out at once, they sign in again with it. Every step asserts what the page shows and
// saves a screenshot when it fails; no page may log a console error, and every response must
// carry a Content-Security-Policy.
//
// Usage: console_test.mjs --chatvault BUILD/chatvault [--chromium /usr/bin/chromium] [--keep]

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

import { CONSOLE_CSP, EXAMPLES, PASSWORD, Run, apiSession, chatvault, expect, sleep } from "./harness.mjs";

const run = new Run("cv-console-");
const { work } = run;
const check = (ok, what) => run.check(ok, what);
const step = (name, body) => run.step(name, body);
const drop = path.join(work, "drop");
fs.mkdirSync(drop);
const wizardDrop = path.join(work, "wizard-drop");
fs.mkdirSync(wizardDrop);
const OKAFOR = "m.okafor@bank.example";

// ---- the service ----------------------------------------------------------------------------

run.cli(["init", "--archive", run.archive]);
run.addUsers([
  ["importer", "mailbox-import-export"],
  ["counsel", "ediscovery-manager"],
  ["auditor", "auditor"],
  ["reviewer", "reviewer"],
  ["admin", "organization-management"],
]);
// No --console: the console `make` built beside the binary is the default.
run.serve();

async function until(what, predicate, timeout = 30_000, interval = 100) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last;
    await sleep(interval);
  }
  throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
}

// ---- the test -------------------------------------------------------------------------------

async function main() {
  const port = await run.port();
  const base = `http://127.0.0.1:${port}`;
  check(/web console from .*console/.test(run.log()), "serve found the console beside the binary");

  const api = await apiSession(base, "importer");
  const connector = {
    name: "desk",
    kind: "drop-folder",
    folder: drop,
    settle_seconds: 1,
    time_zone: "Europe/Berlin",
    schedule: "manual",
    default_region: "DE",
    mapping_csv: fs.readFileSync(path.join(EXAMPLES, "demo-mapping.csv"), "utf8"),
    owners: ["+49 151 12345678=helena.brandt@bank.example"],
  };
  const made = await api("POST", "/api/v1/connectors", connector);
  check(made.status === 201, `the connector is added through the API: ${made.status} ${await made.text()}`);

  // What the server sends for paths the console may or may not answer (raw paths: no client
  // normalises them first).
  const raw = (p, accept = "text/html") =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path: p, headers: { Accept: accept } }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    });
  const index = fs.readFileSync(path.join(path.dirname(chatvault), "console", "index.html"), "utf8");
  for (const [p, accept, want] of [
    ["/", "text/html", "index"],
    ["/connectors/desk", "text/html", "index"],
    ["/add-connector", "*/*", "404"],
    ["/assets/missing.js", "text/html", "404"],
    ["/api/v1/nope", "text/html", "404"],
    ["/api/v1/connectors", "text/html", "401"],
    ["/webhooks/nope", "text/html", "404"],
    ["/healthz", "text/html", "ok"],
    ["/../../../etc/passwd", "text/html", "404"],
    ["/assets/../../../../etc/passwd", "text/html", "404"],
    ["/favicon.svg", "*/*", "file"],
  ]) {
    const r = await raw(p, accept);
    const csp = r.headers["content-security-policy"] || "";
    const ok =
      want === "index" ? r.status === 200 && r.body === index && csp.startsWith(CONSOLE_CSP) && r.headers["content-type"].startsWith("text/html")
      : want === "file" ? r.status === 200 && csp.startsWith(CONSOLE_CSP) && r.headers["content-type"] === "image/svg+xml"
      : want === "ok" ? r.status === 200 && csp.startsWith("default-src 'none'")
      : r.status === Number(want) && r.headers["content-type"] === "application/json" && csp.startsWith("default-src 'none'") && !r.body.includes("<html");
    check(ok, `GET ${p} (Accept: ${accept}) → ${want}: got ${r.status} ${r.headers["content-type"]} ${csp.slice(0, 30)} ${r.body.slice(0, 80)}`);
  }
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index);
  const a = asset ? await raw(asset[1], "*/*") : null;
  check(a && a.status === 200 && a.headers["content-type"].startsWith("text/javascript") && a.headers["cache-control"].includes("immutable"),
    `a hashed asset is served as JavaScript and cached for good: ${a && a.status} ${a && a.headers["cache-control"]}`);

  try {
    const page = await run.openBrowser(base, { acceptDownloads: true });
    const nav = () => page.getByRole("navigation", { name: "Console" });
    const apiRow = () => page.locator('tr[data-connector="desk"]');
    // The wizard's connector, once it is made.
    const row = () => page.locator('tr[data-connector="wizard-desk"]');

    async function signIn(user) {
      await page.getByLabel("User name").fill(user);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Overview" }).waitFor({ timeout: 15_000 });
      expect((await page.getByTestId("who").textContent()) === user, `the top bar names ${user}`);
    }

    await step("the sign-in page is served and keyboard usable", async () => {
      const r = await page.goto("/");
      expect(r.status() === 200, `GET / answers 200, not ${r.status()}`);
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
      // Tab order: the user field is reached by keyboard and shows its focus.
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
      expect(focused === "user", `Tab reaches the user name field first, not ${focused}`);
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      expect(outline !== "none", "the focused field shows a visible focus outline");
    });

    await step("the importer signs in and sees only the areas the role allows", async () => {
      await signIn("importer");
      const links = await nav().getByRole("link").allTextContents();
      expect(links.includes("Data connectors"), `Data connectors in the navigation: ${links}`);
      expect(links.includes("Quarantine"), `Quarantine in the navigation: ${links}`);
      for (const hidden of ["Audit log", "Users and roles", "Holds", "Content search", "eDiscovery cases"])
        expect(!links.includes(hidden), `${hidden} is not in the importer's navigation: ${links}`);
    });

    await step("the connectors page lists the connector made through the API", async () => {
      await nav().getByRole("link", { name: "Data connectors" }).click();
      await page.getByRole("heading", { name: "Data connectors" }).waitFor();
      expect(page.url() === `${base}/connectors`, `the address is /connectors: ${page.url()}`);
      await apiRow().waitFor();
      expect((await apiRow().locator(".status").textContent()) === "active", "desk is active");
      expect((await apiRow().textContent()).includes("never"), "desk never ran");
      for (const action of ["Run now", "Pause", "Delete…"])
        expect(await apiRow().getByRole("button", { name: action }).isVisible(), `the importer may ${action}`);
      await page.getByRole("tab", { name: "WhatsApp Archiver" }).click();
      await page.getByTestId("product-card").getByRole("heading", { name: "WhatsApp Archiver" }).waitFor();
      expect((await page.getByTestId("product-card").textContent()).includes("1 connector configured"), "the card counts the connector");
      await page.getByRole("tab", { name: "WhatsApp Archiver" }).press("ArrowRight");
      await apiRow().waitFor();
    });

    await step("create a drop-folder connector through the wizard with a CSV mapping, checked line by line", async () => {
      await nav().getByRole("link", { name: "Data connectors" }).click();
      await page.getByRole("link", { name: "Add connector" }).click();
      await page.getByRole("heading", { name: /Add a WhatsApp Archiver connector: Terms/ }).waitFor();
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("alert").filter({ hasText: "Accept the terms to go on" }).waitFor();
      await page.getByLabel("I accept these terms").check();
      await page.getByRole("button", { name: "Next" }).click();

      await page.getByRole("heading", { name: /: Source$/ }).waitFor();
      await page.getByLabel("Name", { exact: true }).fill("wizard-desk");
      await page.getByLabel("Folder", { exact: true }).fill(wizardDrop);
      await page.getByLabel(/^Settle time/).fill("1");
      await page.getByLabel("Schedule", { exact: true }).fill("manual");
      await page.getByLabel(/^Time zone/).fill("Europe/Berlin");
      await page.getByRole("button", { name: "Next" }).click();

      await page.getByRole("heading", { name: /: User mapping$/ }).waitFor();
      const bad = "phone,email\n+44 7700 900461,m.okafor@bank.example\n0151 23456789,jonas.weber@bank.example\n+49 1,not-an-email\n";
      await page.getByLabel(/^Mapping CSV/).setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
      const csvCheck = page.getByTestId("csv-check");
      await csvCheck.getByText("bad.csv: 3 problems").waitFor();
      const lines = await csvCheck.getByRole("listitem").allTextContents();
      expect(lines.some((l) => l.startsWith("Line 3:") && l.includes("default region")), `line 3: a national number needs a region: ${lines}`);
      expect(lines.some((l) => l.startsWith("Line 4:") && l.includes("digits")), `line 4: too few digits: ${lines}`);
      expect(lines.some((l) => l.startsWith("Line 4:") && l.includes("not-an-email")), `line 4: a bad address: ${lines}`);
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("heading", { name: /: User mapping$/ }).waitFor();  // refused with problems
      await page.getByLabel(/^Default region/).fill("DE");
      await csvCheck.getByText("bad.csv: 2 problems").waitFor();
      await page.getByLabel(/^Mapping CSV/).setInputFiles(path.join(EXAMPLES, "demo-mapping.csv"));
      await csvCheck.getByText(/demo-mapping\.csv: \d+ rows, no problem/).waitFor();
      await page.getByLabel(/^Phones whose exports land here/).fill(connector.owners.join("\n"));
      await page.getByRole("button", { name: "Next" }).click();

      await page.getByRole("heading", { name: /: Review$/ }).waitFor();
      const review = await page.getByTestId("review").textContent();
      expect(review.includes("wizard-desk") && review.includes(wizardDrop) && review.includes("demo-mapping.csv"), `the review shows the settings: ${review}`);
      await page.getByRole("button", { name: "Finish" }).click();
      await page.getByRole("heading", { name: "Connector wizard-desk added" }).waitFor();
      const stored = await (await api("GET", "/api/v1/connectors/wizard-desk")).json();
      expect(stored.folder === wizardDrop && stored.default_region === "DE" && stored.mapping_csv === fs.readFileSync(path.join(EXAMPLES, "demo-mapping.csv"), "utf8"),
        `the server has the wizard's connector with its mapping: ${JSON.stringify(stored).slice(0, 400)}`);
      await page.getByRole("link", { name: "Back to the connectors" }).click();
      await row().waitFor();
      expect((await row().locator(".status").textContent()) === "active", "wizard-desk is active");
      expect((await row().textContent()).includes("never"), "wizard-desk never ran");
    });

    await step("drop an export into the wizard's connector, run now: the progress updates without a reload and reaches done", async () => {
      spawnSync("zip", ["-q", "-j", path.join(work, "WhatsApp Chat with FX Desk.zip"), ...fs.readdirSync(path.join(EXAMPLES, "demo-export")).map((f) => path.join(EXAMPLES, "demo-export", f))]);
      fs.copyFileSync(path.join(work, "WhatsApp Chat with FX Desk.zip"), path.join(wizardDrop, "WhatsApp Chat with FX Desk.zip"));
      const loads = [];
      page.on("framenavigated", (f) => f === page.mainFrame() && loads.push(f.url()));
      await row().getByRole("button", { name: "Run now" }).click();
      await page.getByTestId("notice").filter({ hasText: "wizard-desk: run queued" }).waitFor();
      const seen = new Set();
      let sawBar = false;
      const last = await until(
        "the run to end with the export imported",
        async () => {
          seen.add(await row().locator(".status").textContent());
          if (await row().getByTestId("progress").count()) sawBar = true;
          const text = await row().getByTestId("last-run").textContent().catch(() => "");
          const done = fs.existsSync(path.join(wizardDrop, "done", "WhatsApp Chat with FX Desk.zip"));
          return done && text.includes("18 imported") && (await row().locator(".status").textContent()) === "active" ? text : null;
        },
        120_000,
        50,
      );
      expect([...seen].some((s) => ["queued", "running", "settling"].includes(s)), `the run was seen under way: ${[...seen]}`);
      expect(last.includes("succeeded"), `the last run succeeded: ${last}`);
      expect(loads.length === 0, `the page did not reload: ${loads}`);
      console.log(`  statuses seen: ${[...seen].join(", ")}; progress bar seen: ${sawBar}`);
    });

    await step("pause and resume", async () => {
      await row().getByRole("button", { name: "Pause" }).click();
      await until("wizard-desk to be paused", async () => (await row().locator(".status").textContent()) === "paused");
      await row().getByRole("button", { name: "Resume" }).click();
      await until("wizard-desk to be active again", async () => (await row().locator(".status").textContent()) === "active");
    });

    await step("the detail view shows the run history", async () => {
      await row().getByRole("link", { name: "wizard-desk" }).click();
      await page.getByRole("heading", { name: "wizard-desk", level: 1 }).waitFor();
      expect(page.url() === `${base}/connectors/wizard-desk`, `the address is /connectors/wizard-desk: ${page.url()}`);
      const runs = page.getByTestId("runs").locator("tbody tr");
      await runs.first().waitFor();
      const texts = await runs.allTextContents();
      // The importer's run found the export still settling; the scheduler's retry imported it.
      expect(texts.some((t) => t.includes("manual") && t.includes("importer")), `the importer's run is in the history: ${texts}`);
      expect(texts.some((t) => t.includes("succeeded") && t.includes("18 imported")), `a run imported the export's 18 items: ${texts}`);
      // The server answers a deep link with the console, which starts at the sign-in page.
      const r = await page.request.get("/connectors/wizard-desk", { headers: { Accept: "text/html" } });
      expect(r.status() === 200 && (r.headers()["content-security-policy"] || "").startsWith(CONSOLE_CSP), "a deep link is the console's page under its CSP");
    });

    await step("delete the connector made through the API", async () => {
      await nav().getByRole("link", { name: "Data connectors" }).click();
      await apiRow().waitFor();
      await apiRow().getByRole("button", { name: "Delete…" }).click();
      await apiRow().getByRole("button", { name: "Delete", exact: true }).click();
      await apiRow().waitFor({ state: "detached" });
      await page.getByTestId("notice").filter({ hasText: "desk deleted" }).waitFor();
      await row().waitFor();
    });

    await step("sign out", async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
      const r = await page.request.get("/api/v1/connectors");
      expect(r.status() === 401, `the session is gone after signing out: ${r.status()}`);
    });

    // ---- eDiscovery: a case, its search, its export --------------------------------------------

    let found = 0; // what the content search found for the query saved from it
    const caseRow = () => page.locator('tr[data-case="matter-14"]');

    await step("an eDiscovery manager creates a case and adds a custodian picked from the mailboxes", async () => {
      await signIn("counsel");
      const links = await nav().getByRole("link").allTextContents();
      expect(links.includes("eDiscovery cases") && links.includes("Content search"), `cases and search in the navigation: ${links}`);
      expect(!links.includes("Data connectors") && !links.includes("Holds"), `no connectors or holds page for the eDiscovery manager: ${links}`);
      await nav().getByRole("link", { name: "eDiscovery cases" }).click();
      await page.getByRole("heading", { name: "eDiscovery cases", level: 1 }).waitFor();
      await page.getByText("No case yet.").waitFor();
      await page.getByRole("button", { name: "Create case" }).click();
      await page.getByRole("alert").filter({ hasText: "Case id:" }).waitFor();
      // By keyboard: the fields in order, Enter creates.
      await page.getByLabel("Case id").focus();
      await page.keyboard.type("matter-14");
      await page.keyboard.press("Tab");
      await page.keyboard.type("Nordhafen hedging");
      await page.keyboard.press("Tab");
      await page.keyboard.type("The FX desk's talks with Nordhafen");
      await page.getByLabel("Name (optional)").press("Enter");
      await page.getByRole("heading", { name: "Case matter-14", level: 1 }).waitFor();
      expect(page.url() === `${base}/cases/matter-14`, `the address is /cases/matter-14: ${page.url()}`);
      const facts = await page.getByTestId("case-facts").textContent();
      expect(facts.includes("Nordhafen hedging") && facts.includes("by counsel"), `the case's facts: ${facts}`);
      expect((await page.getByTestId("case-status").textContent()) === "open", "the case is open");
      await page.getByText("No custodian.").waitFor();
      await page.getByLabel("Custodian", { exact: true }).fill("Michael Okafor");
      await page.getByRole("group", { name: "Mailboxes of the archive" }).getByLabel(OKAFOR).check();
      await page.getByRole("button", { name: "Add custodian" }).click();
      await page.getByTestId("notice").filter({ hasText: "Custodian Michael Okafor added" }).waitFor();
      const custodians = await page.getByTestId("custodians").textContent();
      expect(custodians.includes("Michael Okafor") && custodians.includes(OKAFOR), `the custodian and the mailbox: ${custodians}`);
    });

    await step("place a case hold narrowed by a query; add a reviewer and remove them", async () => {
      await page.getByLabel(/^Only items matching/).fill("Nordhafen");
      await page.getByRole("button", { name: "Place case hold" }).click();
      await page.getByRole("alert").filter({ hasText: "Reason: say why" }).waitFor();
      await page.getByLabel("Reason", { exact: true }).fill("Nordhafen dispute");
      await page.getByRole("button", { name: "Place case hold" }).click();
      await page.getByTestId("notice").filter({ hasText: `matter-14-hold-1 placed on ${OKAFOR}` }).waitFor();
      const held = await page.getByTestId("case-holds").textContent();
      expect(held.includes("Nordhafen") && held.includes("in force") && held.includes(OKAFOR), `the hold is listed: ${held}`);

      await page.getByRole("button", { name: "Add reviewer" }).click();
      await page.getByRole("alert").filter({ hasText: "Reviewer: the user's name" }).waitFor();
      await page.getByLabel("Reviewer (user name)").fill("auditor");
      await page.getByRole("button", { name: "Add reviewer" }).click();
      await page.getByTestId("notice").filter({ hasText: "auditor reviews the case" }).waitFor();
      expect((await page.getByTestId("reviewers").textContent()).includes("auditor"), "auditor is listed as a reviewer");
      await page.getByRole("button", { name: "Remove reviewer auditor" }).click();
      await page.getByTestId("notice").filter({ hasText: "auditor no longer reviews the case" }).waitFor();
      await page.getByText("No reviewer.").waitFor();
    });

    await step("save a search in the case: its estimate by mailbox", async () => {
      await page.getByLabel("Search name").fill("messages");
      await page.getByLabel("Query (KQL)").fill("kind:message");
      await page.getByLabel("Time zone of the dates").fill("Europe/Berlin");
      await page.getByRole("button", { name: "Save search" }).click();
      const estimate = page.getByTestId("case-estimate");
      await estimate.waitFor();
      const notice = await page.getByTestId("notice").filter({ hasText: "Search messages saved" }).textContent();
      const items = Number(/(\d+) items?/.exec(notice)[1]);
      const okafor = await estimate.locator("tbody tr").filter({ hasText: OKAFOR }).locator("td").first().textContent();
      expect(items > 0 && Number(okafor) === items, `the estimate counts the custodian's ${items} messages: ${okafor}`);
      expect((await estimate.locator("tbody tr").count()) === 1, "the estimate covers the custodian's mailbox only");
      await page.getByTestId("searches").locator('tr[data-search="messages"]').filter({ hasText: "kind:message" }).waitFor();
    });

    await step("search on the content search page and save the query to the case", async () => {
      await nav().getByRole("link", { name: "Content search" }).click();
      await page.getByRole("heading", { name: "Content search", level: 1 }).waitFor();
      await page.getByLabel("Query (KQL)").fill("Nordhafen");
      await page.getByLabel("Time zone of the dates").fill("Europe/Berlin");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      const status = page.getByTestId("search-status").filter({ hasText: /items? found/ });
      await status.waitFor();
      found = Number(/(\d+) items? found/.exec(await status.textContent())[1]);
      expect(found > 0, `the search finds the Nordhafen messages: ${found}`);
      await page.getByRole("button", { name: "Save to a case…" }).click();
      await page.getByRole("button", { name: "Save and open the case" }).click();
      await page.getByRole("alert").filter({ hasText: "Search name:" }).waitFor();
      await page.getByLabel("Case", { exact: true }).selectOption("matter-14");
      await page.getByLabel("Search name").fill("nordhafen");
      await page.getByRole("button", { name: "Save and open the case" }).click();
      await page.getByRole("heading", { name: "Case matter-14", level: 1 }).waitFor();
      await page.getByTestId("searches").locator('tr[data-search="nordhafen"]').filter({ hasText: "Nordhafen" }).waitFor();
    });

    await step("export the saved search, watch it finish, download the zip: it holds the items found", async () => {
      await page.getByText("No export yet.").waitFor();
      await page.getByLabel("Saved search", { exact: true }).selectOption("nordhafen");
      await page.getByRole("button", { name: "Start export" }).click();
      // "started", then "is ready" (a small export may be ready before "started" is seen).
      await page.getByTestId("export-notice").filter({ hasText: /^Export \S+ (started$|is ready)/ }).waitFor();
      await page.getByTestId("export-notice").filter({ hasText: /^Export \S+ is ready/ }).waitFor({ timeout: 60_000 });
      const row = page.getByTestId("exports").locator("tbody tr");
      expect((await row.count()) === 1, "one export is listed");
      const cells = await row.locator("td").allTextContents();
      expect(cells[0] === "nordhafen" && cells[1] === "done", `the export of nordhafen is done: ${cells}`);
      const items = Number(cells[2]);
      expect(items === found, `the export holds the ${found} items the search found: ${items}`);

      // The link is the API's download route, reached and followed by keyboard.
      const link = row.getByRole("link", { name: /^Download zip/ });
      const exportId = await row.locator("th").textContent();
      expect((await link.getAttribute("href")) === `/api/v1/exports/${exportId}/download`, `the link downloads export ${exportId}: ${await link.getAttribute("href")}`);
      await page.getByRole("button", { name: "Start export" }).focus();
      await page.keyboard.press("Tab");
      expect(await link.evaluate((a) => a === document.activeElement), "Tab goes from Start export to the download link");
      expect((await link.evaluate((a) => getComputedStyle(a).outlineStyle)) !== "none", "the focused link shows its focus");
      const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
      expect(/^matter-14-export-.+\.zip$/.test(download.suggestedFilename()), `a zip named after the case: ${download.suggestedFilename()}`);
      const zip = path.join(work, "export.zip");
      await download.saveAs(zip);
      const listing = spawnSync("unzip", ["-Z1", zip], { encoding: "utf8" });
      expect(listing.status === 0, `unzip reads the download: ${listing.stderr}`);
      const names = listing.stdout.split("\n").filter(Boolean);
      const emls = names.filter((n) => n.endsWith(".eml"));
      expect(emls.length === items, `one .eml per item: ${emls.length} of ${items} (${names})`);
      expect(emls.every((n) => n.startsWith(`custodians/Michael Okafor/${OKAFOR}/WhatsApp Archiver/`)), `filed under the custodian and the mailbox: ${emls}`);
      for (const f of ["loadfile.csv", "manifest.sha256", "summary.txt", "summary.json"])
        expect(names.includes(f), `the zip holds ${f}: ${names}`);
      const load = spawnSync("unzip", ["-p", zip, "loadfile.csv"], { encoding: "utf8" }).stdout.split("\r\n").filter(Boolean);
      expect(load.length === items + 1 && load[0].startsWith("DocID,") && load.slice(1).every((l) => l.includes(OKAFOR)),
        `the load file has a header and a row per item: ${load.length} lines`);
      // The files are the ones the manifest names, byte for byte.
      const out = path.join(work, "export");
      expect(spawnSync("unzip", ["-q", zip, "-d", out]).status === 0, "the zip unpacks");
      const sums = spawnSync("sha256sum", ["-c", "--quiet", "manifest.sha256"], { cwd: out, encoding: "utf8" });
      expect(sums.status === 0, `sha256sum -c manifest.sha256 passes: ${sums.stdout}${sums.stderr}`);
      const emlText = emls.map((n) => fs.readFileSync(path.join(out, n), "latin1")).join("\n");
      expect(/Nordhafen/i.test(emlText), "the exported mails hold the word searched for");
    });

    // ---- the reviewer's view of the case --------------------------------------------------------

    const viewOnly = (p) =>
      page.evaluate((to) => {
        history.pushState(null, "", to);
        dispatchEvent(new PopStateEvent("popstate"));
      }, p);

    await step("the manager adds a reviewer to the case", async () => {
      await page.getByLabel("Reviewer (user name)").fill("reviewer");
      await page.getByRole("button", { name: "Add reviewer" }).click();
      await page.getByTestId("notice").filter({ hasText: "reviewer reviews the case" }).waitFor();
      expect((await page.getByTestId("reviewers").textContent()).includes("reviewer"), "reviewer is listed as a reviewer");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
    });

    await step("the reviewer sees only the Review area, and no search, hold or connector action", async () => {
      await signIn("reviewer");
      const links = await nav().getByRole("link").allTextContents();
      expect(JSON.stringify(links) === JSON.stringify(["Overview", "Review"]), `only the overview and Review in the navigation: ${links}`);
      for (const [at, heading] of [["/search", "Content search"], ["/holds", "Holds"], ["/connectors", "Data connectors"], ["/cases", "eDiscovery cases"]]) {
        await viewOnly(at);
        await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
        await page.getByText("None of your roles allows this page.").waitFor();
        for (const action of ["Search", "Place hold", "Run now", "Create case", "Save to a case…"])
          expect((await page.getByRole("button", { name: action, exact: true }).count()) === 0, `no ${action} for the reviewer at ${at}`);
      }
      await nav().getByRole("link", { name: "Review" }).click();
      await page.getByRole("heading", { name: "Review", level: 1 }).waitFor();
      expect(page.url() === `${base}/review`, `the address is /review: ${page.url()}`);
      const row = page.getByTestId("review-cases").locator('tr[data-case="matter-14"]');
      await row.waitFor();
      const text = await row.textContent();
      expect(text.includes("Nordhafen hedging") && text.includes("Michael Okafor") && (await row.locator(".status").textContent()) === "open",
        `the reviewer's case, open, with its custodian: ${text}`);
      expect((await page.getByTestId("review-cases").locator("tbody tr").count()) === 1, "one case to review");
    });

    await step("the reviewer opens the case and its saved search: the hits the manager's search found", async () => {
      await page.getByRole("link", { name: "Nordhafen hedging" }).click();
      await page.getByRole("heading", { name: "Case matter-14", level: 1 }).waitFor();
      const facts = await page.getByTestId("review-case-facts").textContent();
      expect(facts.includes("Michael Okafor") && facts.includes(OKAFOR), `the case's custodian: ${facts}`);
      const searches = page.getByTestId("review-searches");
      await searches.locator('tr[data-search="messages"]').filter({ hasText: "kind:message" }).waitFor();
      await searches.locator('tr[data-search="nordhafen"]').getByRole("link", { name: "nordhafen" }).click();
      await page.getByRole("heading", { name: "Results of nordhafen", level: 1 }).waitFor();
      expect(page.url() === `${base}/review/matter-14/searches/nordhafen`, `the results' address: ${page.url()}`);
      expect((await page.getByTestId("review-query").textContent()).includes("Nordhafen"), "the saved query is shown");
      const status = page.getByTestId("review-status").filter({ hasText: /items? found/ });
      await status.waitFor();
      const hits = Number(/(\d+) items? found/.exec(await status.textContent())[1]);
      expect(hits === found, `the reviewer's results count the ${found} items the manager's search found: ${hits}`);
      const rows = page.getByTestId("results").locator("tbody tr");
      expect((await rows.count()) === Math.min(found, 25), `a row per hit: ${await rows.count()}`);
      expect((await rows.allTextContents()).every((t) => t.includes(OKAFOR)), "every hit is in the custodian's mailbox");
    });

    await step("the reviewer opens an item by keyboard: it is shown in its conversation", async () => {
      const first = page.getByTestId("results").locator("tbody tr").first();
      const conversation = await first.locator("td").nth(2).textContent();
      const link = first.getByRole("link");
      await page.getByRole("button", { name: "Run again" }).focus();
      await page.keyboard.press("Tab");
      expect(await link.evaluate((a) => a === document.activeElement), "Tab goes from Run again to the first result");
      expect((await link.evaluate((a) => getComputedStyle(a).outlineStyle)) !== "none", "the focused result shows its focus");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: /^Item \d+$/, level: 1 }).waitFor();
      expect(/\/review\/matter-14\/searches\/nordhafen\/items\/\d+$/.test(page.url()), `the item's address: ${page.url()}`);
      const item = page.getByTestId("item");
      await item.waitFor();
      expect((await item.getByRole("heading", { level: 2 }).textContent()) === conversation, `the item's conversation: ${conversation}`);
      expect(/Nordhafen/.test(await item.textContent()), `the item holds the word searched for: ${await item.textContent()}`);
      const chat = page.getByTestId("conversation");
      await chat.getByRole("heading", { name: `In the conversation “${conversation}”` }).waitFor();
      const bubbles = chat.locator("li.bubble");
      expect((await chat.locator('li.bubble[aria-current="true"]').count()) === 1, "the item is marked in its conversation");
      expect((await bubbles.count()) === found, `the conversation shows the search's ${found} results in it: ${await bubbles.count()}`);
      if (found > 1) {
        // Another result of the chat opens as the item, marked there in its turn.
        const other = chat.locator("li.bubble:not(.current)").first();
        const n = await other.getAttribute("data-item");
        await other.getByRole("link").click();
        await page.getByRole("heading", { name: `Item ${n}`, level: 1 }).waitFor();
        await chat.locator(`li.bubble.current[data-item="${n}"]`).waitFor();
        expect(/Nordhafen/.test(await page.getByTestId("item").textContent()), "the other item holds the word searched for too");
      }
      await page.getByRole("link", { name: "← Results of nordhafen" }).click();
      await page.getByRole("heading", { name: "Results of nordhafen", level: 1 }).waitFor();
      expect((await page.getByTestId("results").locator("tbody tr").count()) === Math.min(found, 25), "back at the results, kept");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
    });

    await step("close the case: its holds released, no action left but export; the downloaded zip leaves the list", async () => {
      await signIn("counsel");
      await nav().getByRole("link", { name: "eDiscovery cases" }).click();
      await caseRow().getByRole("link", { name: "Nordhafen hedging" }).click();
      await page.getByRole("heading", { name: "Case matter-14", level: 1 }).waitFor();
      await page.getByTestId("exports").getByRole("link", { name: /^Download zip/ }).waitFor();
      await page.getByRole("button", { name: "Close case…" }).click();
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.getByRole("button", { name: "Close case…" }).click();
      await page.getByRole("button", { name: "Close case", exact: true }).click();
      await page.getByTestId("notice").filter({ hasText: "Case matter-14 closed" }).waitFor();
      expect((await page.getByTestId("case-status").textContent()).startsWith("closed"), "the case shows closed");
      const held = await page.getByTestId("case-holds").textContent();
      expect(held.includes("matter-14-hold-1") && held.includes("released") && !held.includes("in force"), `its hold is released: ${held}`);
      for (const action of ["Add custodian", "Place case hold", "Add reviewer", "Save search", "Close case…"])
        expect((await page.getByRole("button", { name: action }).count()) === 0, `no ${action} on a closed case`);
      // The list is read again at once (the download is marked), and the server removes a
      // downloaded zip of a closed case within seconds (its sweep): the list follows.
      const zipCell = page.getByTestId("exports").locator("tbody tr td").last();
      await zipCell.filter({ hasText: "downloaded" }).waitFor({ timeout: 5_000 });
      const closedAt = Date.now();
      await zipCell.filter({ hasText: /^removed/ }).waitFor({ timeout: 15_000 });
      console.log(`  the zip left the list ${((Date.now() - closedAt) / 1000).toFixed(1)} s after the case closed`);
      expect((await page.getByRole("link", { name: /^Download zip/ }).count()) === 0, "no Download link left for the removed zip");
      await page.getByRole("link", { name: "← eDiscovery cases" }).click();
      await caseRow().waitFor();
      const text = await caseRow().textContent();
      expect((await caseRow().locator(".status").textContent()) === "closed" && text.includes("Michael Okafor") && text.includes("Nordhafen hedging"),
        `the list shows the closed case with its custodian: ${text}`);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
    });

    await step("an auditor sees no connector or case page and none of their actions", async () => {
      await signIn("auditor");
      const links = await nav().getByRole("link").allTextContents();
      expect(!links.includes("Data connectors"), `no Data connectors for the auditor: ${links}`);
      expect(!links.includes("eDiscovery cases"), `no eDiscovery cases for the auditor: ${links}`);
      expect(links.includes("Audit log"), `the auditor has the audit log: ${links}`);
      // Straight to the page's address, as a bookmark would (in-page, the session is in memory).
      await page.evaluate(() => {
        history.pushState(null, "", "/connectors");
        dispatchEvent(new PopStateEvent("popstate"));
      });
      await page.getByRole("heading", { name: "Data connectors" }).waitFor();
      await page.getByText("None of your roles allows this page.").waitFor();
      for (const action of ["Run now", "Pause", "Resume", "Delete…"])
        expect((await page.getByRole("button", { name: action }).count()) === 0, `no ${action} for the auditor`);
      for (const at of ["/cases", "/cases/matter-14"]) {
        await page.evaluate((p) => {
          history.pushState(null, "", p);
          dispatchEvent(new PopStateEvent("popstate"));
        }, at);
        await page.getByRole("heading", { name: "eDiscovery cases" }).waitFor();
        await page.getByText("None of your roles allows this page.").waitFor();
        for (const action of ["Create case", "Add custodian", "Place case hold", "Save search", "Start export", "Close case…"])
          expect((await page.getByRole("button", { name: action }).count()) === 0, `no ${action} for the auditor at ${at}`);
        expect((await page.getByRole("link", { name: /Download zip/ }).count()) === 0, `no download for the auditor at ${at}`);
      }
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
    });

    await step("an administrator sets their own password: signed out at once, signed in again with it", async () => {
      await signIn("admin");
      await nav().getByRole("link", { name: "Users and roles" }).click();
      const me = page.locator('tr[data-user="admin"]');
      await me.getByRole("button", { name: "Set password…" }).click();
      const form = me.getByRole("form", { name: "Set the password of admin" });
      await form.getByText("You are signed out and sign in again with it.").waitFor();
      const fresh = "my own new passphrase";
      await form.getByLabel("New password for admin").fill(fresh);
      await form.getByLabel("Confirm the new password").fill(fresh);
      await form.getByRole("button", { name: "Set password", exact: true }).click();
      // The server ended the session: the page goes back to signing in without asking it anything
      // more (a 401 would be a console error, which the run checks for).
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
      await page.getByLabel("User name").fill("admin");
      await page.getByLabel("Password").fill(fresh);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Users and roles", level: 1 }).waitFor();
      expect((await page.getByTestId("who").textContent()) === "admin", "signed in again with the new password");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
    });
  } finally {
    await run.closeBrowser();
  }
}

await run.finish("console_test", main);
