#!/usr/bin/env node
// The console's compliance pages in a real browser (Playwright's playwright-core driving
// Debian's chromium headless) against a real `chatvault serve` on 127.0.0.1, over an archive
// into which the CLI imported the demo export before the service started (its items land in
// m.okafor@bank.example). An eDiscovery manager searches, builds a condition, pages, and opens
// an item in its conversation; a compliance administrator puts the mailbox on hold, sees it
// listed and releases it; an auditor finds both actions with their actor in the audit log and
// sees no search, hold or user action (nor retention); an administrator adds a user, changes the roles,
// sets its password (a too-short one, the user name and a mismatch are explained in the page and
// never sent; the new password signs in from Node, the old one is refused), disables, enables and
// removes it, and makes and revokes an API token. Retention: the
// compliance administrator adds a policy, locks it, is offered only stricter changes (the page
// says at the field why a weaker one is not sent, and sends none), makes it stricter, and
// reviews a disposition (a June 2025 chat placed in Okafor's and Weber's mailboxes, Okafor's
// held): approves two of Weber's placements and rejects two, and the API agrees. Connectors:
// the importer edits one (folder, schedule, a mapping CSV checked by line), adds a Cloud API
// connector through the wizard (its webhook URL answers Meta's handshake) and edits it with its
// secrets kept; the importer sees no retention action. Routes that a server
// may not have yet (explain, estimate, an item's context and .eml, quarantine retry) are
// exercised when src/server/openapi.json lists them, and checked hidden when it does not.
// Every step asserts what the page shows and saves a screenshot when it fails; no page may log
// a console error, and every response must carry a Content-Security-Policy.
//
// Usage: pages_test.mjs --chatvault BUILD/chatvault [--chromium /usr/bin/chromium] [--keep]
//        [--mock-console DIR]

import fs from "node:fs";
import http from "node:http";
import path from "node:path";

import { EXAMPLES, PASSWORD, ROOT, Run, apiSession, arg, expect, sleep } from "./harness.mjs";

const OKAFOR = "m.okafor@bank.example";
const WEBER = "jonas.weber@bank.example";

// The routes this tree's server has (a server test checks openapi.json against them); the
// console is built from the same list.
const spec = JSON.parse(fs.readFileSync(path.join(ROOT, "src", "server", "openapi.json"), "utf8"));
const has = (method, p) => Boolean(spec.paths[p] && spec.paths[p][method.toLowerCase()]);
// --mock-console DIR (for working on the pages before the server has these routes): serve the
// console built into DIR for a server that has them (CV_OPENAPI, console/README.md), and answer
// them in the browser with made-up data in the routes' shapes.
const mockConsole = arg("--mock-console", null);
const HAS = {
  explain: Boolean(mockConsole) || has("GET", "/api/v1/search/explain"),
  estimate: Boolean(mockConsole) || has("GET", "/api/v1/search/estimate"),
  context: Boolean(mockConsole) || has("GET", "/api/v1/items/{id}/context"),
  eml: Boolean(mockConsole) || has("GET", "/api/v1/items/{id}/eml"),
  retry: Boolean(mockConsole) || has("POST", "/api/v1/quarantine/retry"),
};

const run = new Run("cv-pages-");
const { work, archive } = run;
const check = (ok, what) => run.check(ok, what);
const step = (name, body) => run.step(name, body);
const cli = (args, input) => run.cli(args, input);

// ---- the service ----------------------------------------------------------------------------

cli(["init", "--archive", archive]);
cli(["import", path.join(EXAMPLES, "demo-export"), "--archive", archive, "--tz", "Europe/Berlin",
  "--mapping", path.join(EXAMPLES, "demo-mapping.csv"), "--default-region", "DE"]);
// A chat between two mapped numbers (June 2025): each item is placed in both mailboxes, so a
// retention policy over both can dispose of Weber's placements while a hold keeps Okafor's.
const pair = path.join(work, "WhatsApp Chat with +49 151 23456789.txt");
fs.writeFileSync(pair, [
  "10/06/2025, 09:00 - +49 151 23456789: Nordhafen wants the forward rolled",
  "10/06/2025, 09:02 - +44 7700 900461: fine, same size",
  "10/06/2025, 09:05 - +49 151 23456789: booked under FX-2025-0611",
  "11/06/2025, 17:30 - +44 7700 900461: confirmation sent",
].join("\n") + "\n");
cli(["import", pair, "--archive", archive, "--tz", "UTC", "--mapping", path.join(EXAMPLES, "demo-mapping.csv"), "--default-region", "DE"]);
// A chat whose participants no mapping knows yet: it waits in quarantine.
const stranger = path.join(work, "WhatsApp Chat with +49 170 1111111.txt");
fs.writeFileSync(stranger, "24/11/2026, 10:00 - +49 170 1111111: the confidential memo is ready\n24/11/2026, 10:01 - +49 170 2222222: thanks\n");
cli(["import", stranger, "--archive", archive, "--tz", "UTC"]);
run.addUsers([
  ["importer", "mailbox-import-export"],
  ["admin", "organization-management"],
  ["ed", "ediscovery-manager"],
  ["holder", "compliance-administrator"],
  ["auditor", "auditor"],
]);
run.serve(mockConsole ? ["--console", path.resolve(mockConsole)] : []);

// ---- the test -------------------------------------------------------------------------------

async function main() {
  const port = await run.port();
  const base = `http://127.0.0.1:${port}`;
  console.log(`routes in this tree: ${JSON.stringify(HAS)}`);

  try {
    const page = await run.openBrowser(base, { acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    if (mockConsole) await mockRoutes(page);
    const nav = () => page.getByRole("navigation", { name: "Console" });
    const main = () => page.locator("main");

    async function signIn(user) {
      await page.getByLabel("User name").fill(user);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Overview" }).waitFor();
      expect((await page.getByTestId("who").textContent()) === user, `the top bar names ${user}`);
    }
    async function signOut() {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in to chatvault" }).waitFor();
    }
    // Straight to a page's address, as a bookmark would (the session is in the page's memory).
    async function go(p) {
      await page.evaluate((to) => {
        history.pushState(null, "", to);
        dispatchEvent(new PopStateEvent("popstate"));
      }, p);
    }

    // Every field of the page has a label (or an aria-label).
    async function labelled(where) {
      const bare = await page.evaluate(() =>
        [...document.querySelectorAll("main input, main select, main textarea")]
          .filter((el) => el.type !== "hidden" && !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(bare.length === 0, `every field on ${where} has a label: ${bare}`);
    }

    await page.goto("/");

    await step("the eDiscovery manager searches with the condition builder and sees the hits", async () => {
      await signIn("ed");
      const links = await nav().getByRole("link").allTextContents();
      expect(links.includes("Content search"), `Content search in the navigation: ${links}`);
      for (const hidden of ["Holds", "Audit log", "Users and roles"])
        expect(!links.includes(hidden), `${hidden} is not in the eDiscovery manager's navigation: ${links}`);
      await nav().getByRole("link", { name: "Content search" }).click();
      await page.getByRole("heading", { name: "Content search", level: 1 }).waitFor();
      // The condition builder writes KQL terms into the query box.
      await page.getByLabel("Condition").selectOption({ label: "Kind" });
      await page.getByLabel("Value").selectOption("message");
      await page.getByRole("button", { name: "Add to query" }).click();
      await page.getByLabel("Condition").selectOption({ label: "Mailbox" });
      await page.getByLabel("Value").fill(OKAFOR);
      await page.getByRole("button", { name: "Add to query" }).click();
      const q = await page.getByLabel("Query (KQL)").inputValue();
      expect(q === `kind:message mailbox:${OKAFOR}`, `the builder made the query: ${q}`);
      await page.getByLabel("Time zone of the dates").fill("Europe/Berlin");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      const rows = page.getByTestId("results").locator("tbody tr");
      await rows.first().waitFor();
      const status = await page.getByTestId("search-status").textContent();
      expect(/^\d+ items? found \(dates in Europe\/Berlin\)$/.test(status), `the count and zone are shown: ${status}`);
      const n = await rows.count();
      expect(n > 5, `several hits: ${n}`);
      const texts = await rows.allTextContents();
      expect(texts.every((t) => t.includes(OKAFOR)), `every hit is in ${OKAFOR}: ${texts.slice(0, 3)}`);
      const headers = await page.getByTestId("results").locator("thead th").allTextContents();
      expect(["Sent", "Author", "Conversation", "Mailbox", "Snippet"].every((h) => headers.includes(h)), `the columns: ${headers}`);
      await labelled("the search page");
      const pager = await page.getByRole("navigation", { name: "Result pages" }).textContent();
      expect(pager.includes(`1–${n} of`), `the pager says where we are: ${pager}`);
      // Explain and estimates appear only when the server has them.
      for (const [label, key, testid] of [
        ["Explain", "explain", "explain"],
        ["Estimate by mailbox", "estimate", "estimate"],
      ]) {
        const button = page.getByRole("button", { name: label });
        if (HAS[key]) {
          await button.click();
          const box = page.getByTestId(testid);
          await box.waitFor();
          const t = await box.textContent();
          expect(key === "explain" ? t.includes("Europe/Berlin") : t.includes(OKAFOR), `${label} shows its answer: ${t}`);
        } else expect((await button.count()) === 0, `no ${label} button without its route`);
      }
    });

    await step("a search by words, and the keyboard: Enter in the query box searches", async () => {
      const box = page.getByLabel("Query (KQL)");
      await box.fill("");
      await box.press("Tab"); // leaves the box, shows focus on the next control
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      expect(outline !== "none", "the focused control shows a visible focus outline");
      await box.fill("hasattachment:true");
      await box.press("Enter");
      await page.getByTestId("search-status").filter({ hasText: /found/ }).waitFor();
      await until(async () => !(await page.getByTestId("search-status").textContent()).includes("Searching"));
      const rows = page.getByTestId("results").locator("tbody tr");
      await rows.first().waitFor();
      expect((await rows.count()) >= 1, "hits with attachments");
    });

    await step("open an item: the item, its attachments, its conversation around it", async () => {
      const first = page.getByTestId("results").locator("tbody tr").first();
      const id = await first.getAttribute("data-item");
      await first.getByRole("link").click();
      await page.getByRole("heading", { name: `Item ${id}`, level: 1 }).waitFor();
      expect(page.url() === `${base}/search/items/${id}`, `the address is the item's: ${page.url()}`);
      const item = page.getByTestId("item");
      await item.waitFor();
      const facts = await item.textContent();
      expect(facts.includes(OKAFOR) && facts.includes("Message-ID"), `the item's facts: ${facts.slice(0, 200)}`);
      expect((await page.getByTestId("attachments").locator("li").count()) >= 1, "its attachments are listed");
      const eml = page.getByRole("link", { name: "Download .eml" });
      if (HAS.eml) {
        const href = await eml.getAttribute("href");
        const r = await page.evaluate(async (h) => {
          const x = await fetch(h, { credentials: "same-origin" });
          return { status: x.status, type: x.headers.get("content-type") || "", text: await x.text() };
        }, href);
        expect(r.status === 200 && r.type.startsWith("message/rfc822"), `the .eml downloads: ${r.status} ${r.type}`);
        expect(/^Message-ID:/im.test(r.text), "the .eml is an email");
      } else expect((await eml.count()) === 0, "no .eml link without its route");
      const chat = page.getByTestId("conversation");
      if (HAS.context) {
        await chat.waitFor();
        const current = chat.locator('li[aria-current="true"]');
        expect((await current.count()) === 1 && (await current.getAttribute("data-item")) === id, "the item is marked in its conversation");
        const bubbles = await chat.locator("li.bubble").count();
        expect(bubbles > 1, `the chat around it is shown: ${bubbles} messages`);
        // Another message of the conversation opens as the item.
        const other = chat.locator("li.bubble a").first();
        const otherId = await other.locator("xpath=..").getAttribute("data-item");
        await other.click();
        await page.getByRole("heading", { name: `Item ${otherId}`, level: 1 }).waitFor();
        await chat.locator('li[aria-current="true"]').waitFor();
      } else {
        await sleep(300);
        expect((await chat.count()) === 0, "no conversation section without its route");
      }
      // Back to the results, which are kept.
      await page.getByRole("link", { name: "← Content search" }).click();
      await page.getByTestId("results").waitFor();
      await signOut();
    });

    await step("a compliance administrator puts the mailbox on hold and sees it listed", async () => {
      await signIn("holder");
      const links = await nav().getByRole("link").allTextContents();
      expect(links.includes("Holds") && !links.includes("Content search"), `Holds but no search: ${links}`);
      await nav().getByRole("link", { name: "Holds" }).click();
      await page.getByRole("heading", { name: "Holds", level: 1 }).waitFor();
      await page.getByText("No hold in force.").waitFor();
      await labelled("the holds page");
      await page.getByRole("button", { name: "Place hold" }).click();
      await page.getByRole("alert").filter({ hasText: "Mailbox:" }).waitFor(); // checked in the page first
      await page.getByLabel("Mailbox").fill(OKAFOR);
      await page.getByLabel("Reason", { exact: true }).fill("FCA request 2026-117");
      await page.getByRole("button", { name: "Place hold" }).click();
      await page.getByTestId("notice").filter({ hasText: `hold-1 placed on ${OKAFOR}` }).waitFor();
      const row = page.locator('tr[data-hold="hold-1"]');
      await row.waitFor();
      const t = await row.textContent();
      expect(t.includes(OKAFOR) && t.includes("FCA request 2026-117") && t.includes("in force") && t.includes("by holder"), `the hold is listed: ${t}`);
    });

    await step("release the hold with a reason; it stays on record", async () => {
      const row = page.locator('tr[data-hold="hold-1"]');
      await row.getByRole("button", { name: "Release…" }).click();
      const reason = row.getByLabel("Reason for releasing hold-1");
      await until(() => reason.evaluate((el) => el === document.activeElement)); // the reason field takes the focus
      await reason.fill("request closed");
      await row.getByRole("button", { name: "Release", exact: true }).click();
      await page.getByTestId("notice").filter({ hasText: "hold-1 released" }).waitFor();
      await page.getByText("No hold in force.").waitFor();
      await page.getByLabel("Show released holds too").check();
      await row.waitFor();
      const released = await row.getByTestId("released").textContent();
      expect(released.includes("by holder"), `released, by whom: ${released}`);
      expect((await row.getByRole("button", { name: "Release…" }).count()) === 0, "a released hold has no Release");
      await signOut();
    });

    await step("an administrator adds a user, changes the roles, sets the password, disables, enables and removes it", async () => {
      await signIn("admin");
      await nav().getByRole("link", { name: "Users and roles" }).click();
      await page.getByRole("heading", { name: "Users and roles", level: 1 }).waitFor();
      const table = page.getByTestId("users");
      await table.locator('tr[data-user="auditor"]').waitFor();
      await labelled("the users page");
      await page.getByRole("button", { name: "Add user" }).click();
      await page.getByRole("alert").filter({ hasText: "Roles: pick at least one" }).waitFor(); // checked in the page
      await page.getByLabel("Name", { exact: true }).fill("temp.reviewer");
      await page.getByRole("group", { name: "Roles" }).getByLabel("reviewer").check();
      await page.getByLabel("Password", { exact: true }).fill("another long passphrase");
      await page.getByRole("button", { name: "Add user" }).click();
      await page.getByTestId("users-notice").filter({ hasText: "temp.reviewer added" }).waitFor();
      const row = table.locator('tr[data-user="temp.reviewer"]');
      await row.waitFor();
      expect((await row.getByTestId("roles").textContent()) === "reviewer", "the new user's role");
      expect((await row.textContent()).includes("by admin"), "made by admin");
      await row.getByRole("button", { name: "Change roles…" }).click();
      const roles = row.getByRole("group", { name: "Roles of temp.reviewer" });
      await roles.getByLabel("reviewer").uncheck();
      await roles.getByLabel("auditor").check();
      await row.getByRole("button", { name: "Save roles" }).click();
      await page.getByTestId("users-notice").filter({ hasText: "temp.reviewer: roles changed" }).waitFor();
      await until(async () => (await row.getByTestId("roles").textContent()) === "auditor");

      // Set the user's password: what the server would refuse is explained at the field and never sent.
      const sent = [];
      const onRequest = (r) => r.url().endsWith("/api/v1/users/temp.reviewer/password") && sent.push(r.method());
      page.on("request", onRequest);
      await row.getByRole("button", { name: "Set password…" }).click();
      const form = row.getByRole("form", { name: "Set the password of temp.reviewer" });
      const fresh = form.getByLabel("New password for temp.reviewer");
      const confirm = form.getByLabel("Confirm the new password");
      await until(async () => await fresh.evaluate((el) => el === document.activeElement));
      await labelled("the users page with the password form");
      for (const f of [fresh, confirm])
        expect((await f.getAttribute("autocomplete")) === "new-password" && (await f.getAttribute("type")) === "password", "autocomplete=new-password, masked");
      async function refused(pw, again, field, text) {
        await fresh.fill(pw);
        await confirm.fill(again);
        await form.getByRole("button", { name: "Set password", exact: true }).click();
        const alert = form.getByRole("alert").filter({ hasText: text });
        await alert.waitFor();
        const alertId = await alert.getAttribute("id");
        expect((await field.getAttribute("aria-invalid")) === "true" && (await field.getAttribute("aria-describedby")).split(" ").includes(alertId),
          `${text}: the field is marked and described by the alert`);
        await until(async () => await field.evaluate((el) => el === document.activeElement));
      }
      await refused("short one", "short one", fresh, "at least 12 characters");
      await refused("Temp.Reviewer", "Temp.Reviewer", fresh, "not the user name");
      await refused("a new long passphrase", "a new long passphrase!", confirm, "Does not match the new password");
      expect(sent.length === 0, `nothing sent for a password the server would refuse: ${sent}`);
      const newPassword = "a new long passphrase";
      await confirm.fill(newPassword);
      await form.getByRole("button", { name: "Set password", exact: true }).click();
      await page.getByTestId("users-notice").filter({ hasText: "temp.reviewer: password set" }).waitFor();
      await form.waitFor({ state: "detached" });
      await until(async () => await row.getByRole("button", { name: "Set password…" }).evaluate((el) => el === document.activeElement));
      page.off("request", onRequest);
      expect(sent.length === 1 && sent[0] === "PUT", `one PUT sent: ${sent}`);
      // From Node, not the page: the new password signs in, the old one no longer does. (With these
      // two the test signs in 10 times, the service's limit a minute from one address.)
      const signInAs = (password) =>
        fetch(`${base}/api/v1/session`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ user: "temp.reviewer", password }),
        }).then((r) => r.status);
      const withNew = await signInAs(newPassword);
      expect(withNew === 200, `the new password signs in: ${withNew}`);
      const withOld = await signInAs("another long passphrase");
      expect(withOld === 401, `the old password is refused: ${withOld}`);

      await row.getByRole("button", { name: "Disable" }).click();
      await until(async () => (await row.getByTestId("state").textContent()) === "disabled");
      await row.getByRole("button", { name: "Enable" }).click();
      await until(async () => (await row.getByTestId("state").textContent()) === "active");
      await row.getByRole("button", { name: "Remove…" }).click();
      await row.getByRole("button", { name: "Remove", exact: true }).click();
      await row.waitFor({ state: "detached" });
      await page.getByTestId("users-notice").filter({ hasText: "temp.reviewer removed" }).waitFor();
      // One's own row has no disable or remove (the last administrator must stay).
      const me = table.locator('tr[data-user="admin"]');
      expect((await me.getByRole("button", { name: "Remove…" }).count()) === 0, "no Remove for oneself");
    });

    await step("my API tokens: a token is shown once, listed, and revoked", async () => {
      await nav().getByRole("link", { name: "My API tokens" }).click();
      await page.getByRole("heading", { name: "My API tokens", level: 1 }).waitFor();
      await labelled("the tokens page");
      await page.getByText("No token.").waitFor();
      await page.getByLabel("Label").fill("SIEM feed");
      await page.getByRole("group", { name: /^Scopes/ }).getByLabel("audit.read").check();
      await page.getByLabel(/^Expires in/).fill("30");
      await page.getByRole("button", { name: "Make token" }).click();
      const secret = await page.getByTestId("token-secret").textContent();
      expect(/^cvt_[0-9a-f]{16}_[0-9a-f]{64}$/.test(secret), `the token is shown: ${secret.slice(0, 12)}…`);
      const r = await bearerGet(port, "/api/v1/audit?limit=1", secret);
      expect(r.status === 200, `the token reads the audit trail: ${r.status}`);
      const id = secret.slice(4, 20);
      const row = page.locator(`tr[data-token="${id}"]`);
      await row.waitFor();
      expect((await row.textContent()).includes("SIEM feed") && !(await row.textContent()).includes(secret), "listed, without its secret");
      await page.getByRole("button", { name: "Done, hide it" }).click();
      expect((await page.getByTestId("issued").count()) === 0, "the token is not shown again");
      await row.getByRole("button", { name: `Revoke ${id}` }).click();
      await page.getByTestId("tokens-notice").filter({ hasText: `${id} revoked` }).waitFor();
      await until(async () => (await row.textContent()).includes("revoked"));
      const after = await bearerGet(port, "/api/v1/audit?limit=1", secret);
      expect(after.status === 401, `the revoked token is refused: ${after.status}`);
      await signOut();
    });

    await step("the importer sees the quarantine with the reasons, and retries with a mapping CSV", async () => {
      await signIn("importer");
      await nav().getByRole("link", { name: "Quarantine" }).click();
      await page.getByRole("heading", { name: "Quarantine", level: 1 }).waitFor();
      const rows = page.getByTestId("quarantine").locator("tbody tr");
      await rows.first().waitFor();
      const texts = await rows.allTextContents();
      expect(texts.length === 2 && texts.every((t) => t.includes("no participant is mapped to a mailbox")), `both items with the reason: ${texts}`);
      const retry = page.getByRole("button", { name: "Retry" });
      if (HAS.retry) {
        await page.getByLabel(/^Mapping CSV/).setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("phone,email\n+49 1,nobody\n") });
        await page.getByTestId("retry-csv-check").getByText(/bad\.csv: \d+ problems?/).waitFor();
        const csv = "phone,email\n+49 170 1111111,bob@corp.example\n";
        await page.getByLabel(/^Mapping CSV/).setInputFiles({ name: "bob.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
        await page.getByTestId("retry-csv-check").getByText("bob.csv: 1 row, no problem.").waitFor();
        await retry.click();
        await page.getByTestId("notice").filter({ hasText: "2 filed, 0 still in quarantine" }).waitFor();
        await page.getByText("Nothing in quarantine.").waitFor();
        expect((await page.getByTestId("retry-result").textContent()).includes("bob@corp.example"), "filed by mailbox");
      } else expect((await retry.count()) === 0, "no Retry without its route");
      await signOut();
    });

    await step("the auditor sees both hold actions with their actor in the audit log", async () => {
      await signIn("auditor");
      const links = await nav().getByRole("link").allTextContents();
      expect(links.includes("Audit log"), `the auditor has the audit log: ${links}`);
      for (const hidden of ["Content search", "Holds", "Users and roles", "Data connectors", "Quarantine", "Retention"])
        expect(!links.includes(hidden), `no ${hidden} for the auditor: ${links}`);
      await nav().getByRole("link", { name: "Audit log" }).click();
      await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
      const table = page.getByTestId("audit");
      await table.waitFor();
      await labelled("the audit log");
      const all = await table.locator("tbody tr").allTextContents();
      expect(all.some((t) => t.includes("search") && t.includes("ed")), `ed's searches are audited: ${all.slice(0, 5)}`);
      await page.getByLabel("Since").fill(new Date().toISOString().slice(0, 10));
      await page.getByLabel("Action").fill("hold.");
      await page.getByLabel("Actor").fill("holder");
      await page.getByRole("button", { name: "Show" }).click();
      await until(async () => (await table.locator("tbody tr").count()) === 2);
      const rows = await table.locator("tbody tr").allTextContents();
      expect(rows[0].includes("hold.release") && rows[0].includes("holder") && rows[0].includes("request closed"), `the release, newest first: ${rows[0]}`);
      expect(rows[1].includes("hold.add") && rows[1].includes("holder") && rows[1].includes(OKAFOR), `the hold: ${rows[1]}`);
      const status = await page.getByTestId("audit-status").textContent();
      expect(status.startsWith("2 of 2 events"), `the count: ${status}`);
    });

    await step("the auditor sees no search, hold or user action", async () => {
      for (const [p, heading] of [
        ["/search", "Content search"],
        ["/holds", "Holds"],
        ["/users", "Users and roles"],
        ["/quarantine", "Quarantine"],
        ["/retention", "Retention"],
      ]) {
        await go(p);
        await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
        await main().getByText("None of your roles allows this page.").waitFor();
      }
      for (const action of ["Search", "Place hold", "Release…", "Add user", "Retry", "Add policy", "Run disposition review"])
        expect((await page.getByRole("button", { name: action }).count()) === 0, `no ${action} for the auditor`);
      expect((await page.getByRole("textbox").count()) === 0, "no field to fill");
      await go("/");
      await signOut();
    });

    // ---- retention: policies, the preservation lock, the disposition review ----------------------

    const policyRow = (id) => page.getByTestId("policies").locator(`tr[data-policy="${id}"]`);
    // One API session for every check of what the server has (each sign-in counts against the
    // service's limit of ten a minute from one address).
    const adminApi = await apiSession(base, "admin");
    const storedPolicy = async (id) =>
      (await (await adminApi("GET", "/api/v1/retention/policies")).json()).policies.find((p) => p.id === id);

    await step("a compliance administrator adds a retention policy and locks it", async () => {
      await signIn("holder");
      const links = await nav().getByRole("link").allTextContents();
      expect(links.includes("Retention"), `Retention in the navigation: ${links}`);
      await nav().getByRole("link", { name: "Retention" }).click();
      await page.getByRole("heading", { name: "Retention", level: 1 }).waitFor();
      await page.getByText("No retention policy: every item is kept.").waitFor();
      await page.getByRole("button", { name: "Add policy" }).click();
      await labelled("the policy form");
      // Checked in the page first: the ID is needed.
      await page.getByRole("button", { name: "Add policy" }).click();
      await page.getByRole("alert").filter({ hasText: "ID:" }).waitFor();
      await page.getByLabel("ID", { exact: true }).fill("fx-1y");
      await page.getByLabel("Name (optional)").fill("FX desk chats");
      await page.getByLabel("Action", { exact: true }).selectOption("retain-then-delete");
      await page.getByLabel("Period", { exact: true }).fill("1");
      await page.getByLabel("Period unit").selectOption("years");
      await page.getByLabel("the date the message was sent").check();
      await page.getByLabel(/^Mailboxes/).fill(`${OKAFOR}\n${WEBER}`);
      await page.getByRole("button", { name: "Add policy" }).click();
      await page.getByTestId("notice").filter({ hasText: "Policy fx-1y added" }).waitFor();
      const row = policyRow("fx-1y");
      await row.waitFor();
      const t = await row.textContent();
      expect(t.includes("retain-then-delete") && t.includes("1 year from the sent date") && t.includes(WEBER) && t.includes("not locked"), `the policy is listed: ${t}`);
      const stored = await storedPolicy("fx-1y");
      expect(stored && stored.locked === false && stored.period.count === 1 && stored.period.unit === "years" && stored.scope.mailboxes.length === 2,
        `the server has it, unlocked: ${JSON.stringify(stored)}`);

      await row.getByRole("button", { name: "Edit…" }).click();
      await page.getByLabel("Preservation lock").check();
      await page.getByRole("button", { name: "Save and lock" }).click();
      await page.getByTestId("notice").filter({ hasText: "Policy fx-1y changed and locked" }).waitFor();
      await until(async () => (await row.getByTestId("lock").textContent()) === "Locked");
      expect((await row.getByRole("button", { name: "Delete…" }).count()) === 0, "a locked policy has no Delete");
      expect((await storedPolicy("fx-1y")).locked === true, "the server has it locked");
    });

    await step("the locked policy's form offers only stricter changes, and says why at the field instead of sending a weaker one", async () => {
      const row = policyRow("fx-1y");
      // Every change the page sends to the policies; the lock's rule is checked before sending.
      const sent = [];
      const watch = (r) => {
        if (r.method() !== "GET" && new URL(r.url()).pathname.startsWith("/api/v1/retention/policies")) sent.push(`${r.method()} ${r.url()}`);
      };
      page.on("request", watch);
      try {
        await row.getByRole("button", { name: "Make stricter…" }).click();
        const form = page.getByTestId("policy-form");
        await form.getByTestId("locked-note").waitFor();
        expect((await form.getByLabel("Preservation lock").count()) === 0, "no way to unlock a locked policy");
        const period = page.getByLabel("Period", { exact: true });
        expect((await period.inputValue()) === "1", "the form has the stored period");
        // Only what the lock allows is offered: no action that retains less, not the other date.
        const disabled = await form.locator("#p-action option").evaluateAll((os) => os.filter((o) => o.disabled).map((o) => o.value));
        expect(JSON.stringify(disabled) === JSON.stringify(["delete"]), `delete-only (retains less) cannot be chosen: ${disabled}`);
        expect(await page.getByLabel("the date it was imported into the archive").isDisabled(), "the period cannot count from another date");
        expect((await form.getByTestId("lock-problem").count()) === 0, "the stored settings weaken nothing");

        // A shorter retention: the reason is at the field, and Save sends nothing.
        await period.fill("6");
        await page.getByLabel("Period unit").selectOption("months");
        const hint = await form.locator("#p-count-lock").textContent();
        expect(hint.includes("at least 1 year") && hint.includes("12 months or more"), `the field says what the lock allows: ${hint}`);
        const problem = form.getByRole("alert").filter({ hasText: "weaken the lock" });
        await problem.waitFor();
        const why = await problem.textContent();
        expect(/6 months is shorter than 1 year/.test(why), `the page says why: ${why}`);
        const described = (await period.getAttribute("aria-describedby")) || "";
        expect(described.split(" ").includes(await problem.getAttribute("id")), `the reason is tied to the field: ${described}`);
        expect((await period.getAttribute("aria-invalid")) === "true", "the field is marked invalid");
        await page.getByRole("button", { name: "Save changes" }).click();
        await sleep(300);
        expect(sent.length === 0, `a shorter retention was not sent: ${JSON.stringify(sent)}`);
        await until(async () => period.evaluate((el) => el === document.activeElement));  // the focus goes to the field

        // A mailbox it covered, dropped: the same.
        // (1 year again: the disposition review below counts on it.)
        await period.fill("1");
        await page.getByLabel("Period unit").selectOption("years");
        await problem.waitFor({ state: "detached" });
        const mailboxes = page.getByLabel(/^Mailboxes/);
        await mailboxes.fill(OKAFOR);
        await problem.filter({ hasText: `no longer cover the mailbox ${WEBER}` }).waitFor();
        await page.getByRole("button", { name: "Save changes" }).click();
        await sleep(300);
        expect(sent.length === 0, `a narrower scope was not sent: ${JSON.stringify(sent)}`);
        await until(async () => mailboxes.evaluate((el) => el === document.activeElement));
        expect((await page.getByTestId("policy-error").count()) === 0, "no refusal from the server");
        const stored = await storedPolicy("fx-1y");
        expect(stored.period.count === 1 && stored.period.unit === "years" && stored.scope.mailboxes.length === 2 && stored.locked,
          `the server kept the policy: ${JSON.stringify(stored)}`);

        // Stricter is accepted: one more mailbox.
        await mailboxes.fill(`${OKAFOR}\n${WEBER}\nbob@corp.example`);
        await problem.waitFor({ state: "detached" });
        await page.getByRole("button", { name: "Save changes" }).click();
        await page.getByTestId("notice").filter({ hasText: "Policy fx-1y changed" }).waitFor();
        await form.waitFor({ state: "detached" });
        await until(async () => (await row.textContent()).includes("bob@corp.example"));
        const after = await storedPolicy("fx-1y");
        expect(after.scope.mailboxes.includes("bob@corp.example") && after.period.count === 1 && after.locked, `the server has the stricter policy: ${JSON.stringify(after)}`);
        expect(sent.length === 1 && sent[0].startsWith("PUT "), `one change was sent, the stricter one: ${JSON.stringify(sent)}`);
      } finally {
        page.off("request", watch);
      }
      // The form closed: the focus is back on Add policy, for the keyboard.
      expect(await page.getByRole("button", { name: "Add policy" }).evaluate((el) => el === document.activeElement), "the focus returns to Add policy");
      // An unlocked policy can be deleted (after a question).
      await page.getByRole("button", { name: "Add policy" }).click();
      await page.getByLabel("ID", { exact: true }).fill("scratch");
      await page.getByLabel("Action", { exact: true }).selectOption("retain");
      await page.getByLabel("Retain forever").check();
      await page.getByRole("button", { name: "Add policy" }).click();
      await page.getByTestId("notice").filter({ hasText: "Policy scratch added" }).waitFor();
      expect((await policyRow("scratch").textContent()).includes("forever"), "retain-only forever is listed");
      await policyRow("scratch").getByRole("button", { name: "Delete…" }).click();
      await policyRow("scratch").getByRole("button", { name: "Delete", exact: true }).click();
      await page.getByTestId("notice").filter({ hasText: "Policy scratch deleted" }).waitFor();
      await policyRow("scratch").waitFor({ state: "detached" });
      expect((await storedPolicy("scratch")) === undefined, "the server has no scratch policy");
    });

    let disposable = [];
    await step("the disposition review lists Weber's due placements and none of the held mailbox", async () => {
      // Okafor's mailbox on hold: every placement in it is kept, whatever the policy says.
      await nav().getByRole("link", { name: "Holds" }).click();
      await page.getByLabel("Mailbox").fill(OKAFOR);
      await page.getByLabel("Reason", { exact: true }).fill("complaint 42");
      await page.getByRole("button", { name: "Place hold" }).click();
      await page.getByTestId("notice").filter({ hasText: `placed on ${OKAFOR}` }).waitFor();
      await nav().getByRole("link", { name: "Retention" }).click();
      await page.getByRole("button", { name: "Run disposition review" }).click();
      const summary = await page.getByTestId("review-summary").textContent();
      const rows = page.getByTestId("disposable").locator("tbody tr");
      await rows.first().waitFor();
      disposable = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-placement")));
      // The June 2025 chat is more than a year old; the FX desk's items are Okafor's only.
      expect(disposable.length === 4 && disposable.every((k) => k.endsWith(`|${WEBER}`)), `only Weber's four placements: ${disposable}`);
      const held = Number(/(\d+) held/.exec(summary)?.[1]);
      expect(held >= 22, `Okafor's placements are counted as held: ${summary}`);
      const text = await rows.first().textContent();
      expect(text.includes("fx-1y") && text.includes("to dispose of") && /policy fx-1y/.test(text), `the policy and its reason: ${text}`);
      const api = await (await adminApi("GET", "/api/v1/retention/review")).json();
      const keys = api.dispose.map((d) => `${d.item}|${d.mailbox}`).sort();
      expect(JSON.stringify(keys) === JSON.stringify([...disposable].sort()), `the page lists what the API says: ${keys}`);
      expect(!api.dispose.some((d) => d.mailbox === OKAFOR), "the server offers nothing of the held mailbox");
    });

    await step("approve two placements and reject two; the page and the API agree afterwards", async () => {
      const table = page.getByTestId("disposable");
      const [a, b, c, d] = disposable;
      for (const k of [a, b]) await table.locator(`tr[data-placement="${k}"]`).getByRole("checkbox").check();
      await page.getByTestId("selected-count").filter({ hasText: "2 selected" }).waitFor();
      await page.getByRole("button", { name: "Approve selected…" }).click();
      const confirm = page.getByRole("group", { name: "Dispose of the selected placements?" });
      await confirm.getByText("Dispose of 2 placements now? This cannot be undone.").waitFor();
      await confirm.getByRole("button", { name: "Dispose" }).click();
      await page.getByTestId("apply-result").filter({ hasText: "Disposed of 2 placements" }).waitFor();
      await until(async () => (await table.locator("tbody tr").count()) === 2);
      // Rejecting needs a reason.
      await page.getByLabel("Select every placement").check();
      await page.getByRole("button", { name: "Reject selected" }).click();
      await page.getByRole("alert").filter({ hasText: "Reason for rejecting" }).waitFor();
      await page.getByLabel(/^Reason for rejecting/).fill("needed for complaint 42");
      await page.getByRole("button", { name: "Reject selected" }).click();
      await page.getByTestId("apply-result").filter({ hasText: "2 rejected" }).waitFor();
      await until(async () => (await table.getByTestId("decision").allTextContents()).every((t) => t === "rejected by holder: needed for complaint 42"));
      const shown = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-placement")));
      expect(JSON.stringify([...shown].sort()) === JSON.stringify([c, d].sort()), `the rejected two are listed, the disposed two gone: ${shown}`);
      const api = await (await adminApi("GET", "/api/v1/retention/review")).json();
      const keys = api.dispose.map((x) => `${x.item}|${x.mailbox}`).sort();
      expect(JSON.stringify(keys) === JSON.stringify([c, d].sort()), `the API lists the same two: ${keys}`);
      expect(api.dispose.every((x) => x.rejected && x.rejected.by === "holder" && x.rejected.reason === "needed for complaint 42"), "the API has them rejected, by whom and why");
      const boxes = (await (await adminApi("GET", "/api/v1/mailboxes")).json()).mailboxes;
      const weber = boxes.find((m) => m.address === WEBER);
      expect(weber && weber.items === 2, `Weber's mailbox kept two of its four items: ${JSON.stringify(boxes)}`);
      await signOut();
    });

    // ---- connectors: editing one, and a Cloud API connector through the wizard ------------------

    const dropA = path.join(work, "drop-a");
    const dropB = path.join(work, "drop-b");
    fs.mkdirSync(dropA);
    fs.mkdirSync(dropB);
    const demoCsv = fs.readFileSync(path.join(EXAMPLES, "demo-mapping.csv"), "utf8");
    const made = await adminApi("POST", "/api/v1/connectors", {
      name: "branch-drop", kind: "drop-folder", folder: dropA, schedule: "every 1h", time_zone: "Europe/Berlin",
      mapping_csv: demoCsv, default_region: "DE",
    });
    check(made.status === 201, `a drop-folder connector is added through the API: ${made.status}`);
    const storedConnector = async (name) => (await adminApi("GET", `/api/v1/connectors/${name}`)).json();

    await step("the importer edits a connector: folder, schedule and a new mapping CSV checked by line", async () => {
      await signIn("importer");
      await nav().getByRole("link", { name: "Data connectors" }).click();
      const row = page.locator('tr[data-connector="branch-drop"]');
      await row.getByRole("link", { name: "Edit…" }).click();
      await page.getByRole("heading", { name: "Edit branch-drop", level: 1 }).waitFor();
      expect(page.url() === `${base}/connectors/branch-drop/edit`, `the edit page has an address: ${page.url()}`);
      await labelled("the edit page");
      expect((await page.getByLabel("Folder", { exact: true }).inputValue()) === dropA, "the form has the stored folder");
      expect((await page.getByLabel("Schedule", { exact: true }).inputValue()) === "every 1h", "and the stored schedule");
      await page.getByTestId("csv-check").getByText("the stored mapping CSV: 2 rows, no problem.").waitFor();
      await page.getByLabel("Folder", { exact: true }).fill(dropB);
      await page.getByLabel("Schedule", { exact: true }).fill("cron: 0 2 * * *");
      const bad = "phone,email\n+49 170 1111111,bob@corp.example\n+49 1,nobody\n";
      await page.getByLabel(/^Replace the mapping CSV/).setInputFiles({ name: "branch.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
      const csvCheck = page.getByTestId("csv-check");
      await csvCheck.getByText(/^branch\.csv: 2 problems/).waitFor();
      const lines = await csvCheck.getByRole("listitem").allTextContents();
      expect(lines.length === 2 && lines.every((l) => l.startsWith("Line 3:")), `each problem with its line: ${lines}`);
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("alert").filter({ hasText: "The mapping CSV has problems" }).waitFor();
      expect((await storedConnector("branch-drop")).folder === dropA, "nothing is saved while the CSV has problems");
      const good = "phone,email\n+49 170 1111111,bob@corp.example\n+44 7700 900461,m.okafor@bank.example\n+49 151 23456789,jonas.weber@bank.example\n";
      await page.getByLabel(/^Replace the mapping CSV/).setInputFiles({ name: "branch.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
      await csvCheck.getByText("branch.csv: 3 rows, no problem.").waitFor();
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("heading", { name: "branch-drop", exact: true, level: 1 }).waitFor();
      const facts = await page.locator("dl.facts").textContent();
      expect(facts.includes(dropB) && facts.includes("cron: 0 2 * * *"), `the detail shows the new settings: ${facts}`);
      const stored = await storedConnector("branch-drop");
      expect(stored.folder === dropB && stored.schedule === "cron: 0 2 * * *" && stored.mapping_csv === good && stored.default_region === "DE" && stored.time_zone === "Europe/Berlin",
        `the server has the new settings: ${JSON.stringify(stored).slice(0, 400)}`);
    });

    const verifyToken = "verify-me-7f3a9c";
    // Meta's verification handshake against the URL the page showed: the challenge comes back
    // only when the token is the connector's.
    async function handshake(url, token) {
      const u = new URL(url);
      u.search = new URLSearchParams({ "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444" }).toString();
      return plainGet(u);
    }
    let webhook = "";

    await step("add a Cloud API connector through the wizard; the finish page shows its webhook URL", async () => {
      await page.getByRole("link", { name: "← Data connectors" }).click();
      await page.getByRole("link", { name: "Add connector" }).click();
      await page.getByLabel("I accept these terms").check();
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("heading", { name: /: Source$/ }).waitFor();
      await page.getByLabel("Name", { exact: true }).fill("wa-business");
      await page.getByLabel(/^WhatsApp Business Cloud API/).check();
      expect((await page.getByLabel("Schedule", { exact: true }).count()) === 0, "a Cloud API connector has no schedule");
      await labelled("the Cloud API source step");
      await page.getByRole("button", { name: "Next" }).click();
      const alert = page.getByRole("alert").filter({ hasText: "Phone number ID" });
      await alert.waitFor();
      const said = await alert.textContent();
      expect(said.includes("App secret: needed") && said.includes("Verify token: needed"), `the required secrets are asked for: ${said}`);
      await page.getByLabel("Phone number ID").fill("106540352242922");
      expect((await page.getByLabel("Graph API base URL").inputValue()) === "https://graph.facebook.com", "Graph's URL by default");
      await page.getByLabel("App secret").fill("app-secret-0123456789");
      await page.getByLabel("Verify token").fill(verifyToken);
      await page.getByLabel(/^Access token/).fill("EAAG-access-token");
      for (const label of ["App secret", "Verify token", /^Access token/])
        expect((await page.getByLabel(label).getAttribute("type")) === "password", `${label} is masked`);
      await page.getByLabel(/^Time zone/).fill("UTC");
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByRole("heading", { name: /: User mapping$/ }).waitFor();
      await page.getByLabel(/^Default region/).fill("DE");
      await page.getByLabel(/^Mapping CSV/).setInputFiles(path.join(EXAMPLES, "demo-mapping.csv"));
      await page.getByTestId("csv-check").getByText("demo-mapping.csv: 2 rows, no problem.").waitFor();
      await page.getByRole("button", { name: "Next" }).click();
      const review = await page.getByTestId("review").textContent();
      expect(review.includes("cloud-api") && review.includes("106540352242922") && review.includes("set, not shown") && !review.includes(verifyToken), `the review, secrets hidden: ${review}`);
      await page.getByRole("button", { name: "Finish" }).click();
      await page.getByRole("heading", { name: "Connector wa-business added" }).waitFor();
      webhook = await page.getByTestId("webhook-url").textContent();
      expect(webhook === `${base}/webhooks/cloud-api/wa-business`, `the webhook URL to register with Meta: ${webhook}`);
      const ok = await handshake(webhook, verifyToken);
      expect(ok.status === 200 && ok.body === "1158201444", `the URL answers Meta's handshake: ${JSON.stringify(ok)}`);
      const stored = await storedConnector("wa-business");
      expect(stored.kind === "cloud-api" && stored.phone_number_id === "106540352242922" && stored.status === "active" && stored.next_run === "continuous",
        `the server has the connector: ${JSON.stringify(stored).slice(0, 300)}`);
      expect(["app_secret", "verify_token", "access_token"].every((k) => stored.secrets[k] === "set"), `its secrets are set: ${JSON.stringify(stored.secrets)}`);
    });

    await step("editing the Cloud API connector keeps its secrets unless replaced", async () => {
      await page.getByRole("link", { name: "Open wa-business" }).click();
      await page.getByRole("heading", { name: "wa-business", level: 1 }).waitFor();
      expect((await page.getByTestId("webhook-url").textContent()) === webhook, "the detail shows the webhook URL too");
      await page.getByRole("link", { name: "Edit…" }).click();
      await page.getByRole("heading", { name: "Edit wa-business", level: 1 }).waitFor();
      for (const label of ["New app secret", "New verify token", /^New access token/]) {
        const input = page.getByLabel(label);
        expect((await input.getAttribute("type")) === "password" && (await input.inputValue()) === "", `${label}: masked and empty (the stored one is never sent to the page)`);
      }
      await page.getByText("One is stored (not shown); leave this empty to keep it.").first().waitFor();
      await page.getByLabel("Phone number ID").fill("106540352242923");
      await page.getByRole("button", { name: "Remove the mapping CSV" }).click();
      await page.getByTestId("no-csv").waitFor();
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("heading", { name: "wa-business", exact: true, level: 1 }).waitFor();
      const stored = await storedConnector("wa-business");
      expect(stored.phone_number_id === "106540352242923" && stored.mapping_csv === "" && stored.default_region === "DE", `the server has the change: ${JSON.stringify(stored).slice(0, 300)}`);
      expect(["app_secret", "verify_token", "access_token"].every((k) => stored.secrets[k] === "set"), `the secrets are still set: ${JSON.stringify(stored.secrets)}`);
      const ok = await handshake(webhook, verifyToken);
      expect(ok.status === 200 && ok.body === "1158201444", `the verify token is unchanged: ${JSON.stringify(ok)}`);
      const wrong = await handshake(webhook, "another-token");
      expect(wrong.status === 403, `another token is refused: ${wrong.status}`);
    });

    await step("the importer, without retention rights, sees no retention action", async () => {
      const links = await nav().getByRole("link").allTextContents();
      expect(!links.includes("Retention"), `no Retention in the importer's navigation: ${links}`);
      await go("/retention");
      await page.getByRole("heading", { name: "Retention", level: 1 }).waitFor();
      await main().getByText("None of your roles allows this page.").waitFor();
      for (const action of ["Add policy", "Run disposition review", "Approve selected…", "Reject selected", "Make stricter…"])
        expect((await page.getByRole("button", { name: action }).count()) === 0, `no ${action} for the importer`);
      await go("/");
      await signOut();
    });
  } finally {
    await run.closeBrowser();
  }
}

// The routes being added to the server, answered in the browser in their shapes (--mock-console).
async function mockRoutes(page) {
  const json = (o) => ({ status: 200, contentType: "application/json", headers: { "content-security-policy": "default-src 'none'" }, body: JSON.stringify(o) });
  let retried = false;
  await page.route(/\/api\/v1\/search\/explain\?/, (r) => {
    const u = new URL(r.request().url());
    r.fulfill(json({ query: u.searchParams.get("q"), zone: u.searchParams.get("tz"), notes: ["kind:message → kind = message", `dates in ${u.searchParams.get("tz")}`] }));
  });
  await page.route(/\/api\/v1\/search\/estimate\?/, (r) => r.fulfill(json({ items: 14, bytes: 20480, mailboxes: { [OKAFOR]: { items: 14, bytes: 20480 } } })));
  await page.route(/\/api\/v1\/items\/\d+\/context\?/, (r) => {
    const id = Number(/items\/(\d+)/.exec(r.request().url())[1]);
    const entry = (n) => ({ item: n, author: "Jonas Weber", sent: "2025-09-02T07:00:00Z", kind: "message", text: `message ${n}`, attachments: [], deleted: false });
    r.fulfill(json({ item: id, conversation: "FX Desk – Frankfurt", before: [id - 2, id - 1].filter((n) => n >= 1).map(entry), item_summary: entry(id), after: [id + 1, id + 2].filter((n) => n <= 18).map(entry) }));
  });
  await page.route(/\/api\/v1\/items\/\d+\/eml$/, (r) =>
    r.fulfill({ status: 200, contentType: "message/rfc822", headers: { "content-security-policy": "default-src 'none'" }, body: "Message-ID: <x@whatsapp.invalid>\r\n\r\nhello\r\n" }));
  await page.route(/\/api\/v1\/quarantine\/retry$/, (r) => {
    retried = true;
    r.fulfill(json({ filed: 2, still_quarantined: 0, per_mailbox: { "bob@corp.example": 2 } }));
  });
  await page.route(/\/api\/v1\/quarantine$/, (r) => (retried ? r.fulfill(json({ items: [] })) : r.continue()));
}

// A GET with an API token, on a connection of its own (a kept-alive one would hold up the
// service's stop).
function bearerGet(port, p, token) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: p, agent: false, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode }));
    });
    req.on("error", reject);
    req.end();
  });
}

// A GET as Meta sends it: no session, on a connection of its own.
function plainGet(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function until(predicate, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeout / 1000} s`);
}

await run.finish("pages_test", main);
