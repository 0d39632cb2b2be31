// What the console's browser tests share: a fresh archive and the CLI on it, a real `chatvault
// serve` on 127.0.0.1 at a free port, checks and steps (a failed step saves a screenshot), and
// Debian's chromium driven by playwright-core with the page watched for console errors and
// responses without the right Content-Security-Policy.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXAMPLES = path.join(ROOT, "examples");
export const PASSWORD = "a long enough passphrase";
export const CONSOLE_CSP = "default-src 'self'; script-src 'self'";
const { chromium } = createRequire(path.join(ROOT, "console", "package.json"))("playwright-core");

export function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
export const chatvault = path.resolve(arg("--chatvault", "build/chatvault"));
const chromiumPath = arg("--chromium", "/usr/bin/chromium");
const keep = process.argv.includes("--keep");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class StepFailed extends Error {}

export function expect(ok, what) {
  if (!ok) throw new Error(what);
}

export class Run {
  constructor(prefix) {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.archive = path.join(this.work, "archive");
    this.logPath = path.join(this.work, "serve.log");
    this.env = { ...process.env, CHATVAULT_ACTOR: "test-setup" };
    this.passed = 0;
    this.failed = 0;
    this.page = null;
    this.stepNo = 0;
    this.started = Date.now();
  }

  cli(args, input) {
    const r = spawnSync(chatvault, args, { input, env: this.env, encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`chatvault ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  /// Users with one role each, all with PASSWORD (the archive is the service's once it runs).
  addUsers(users) {
    for (const [user, role] of users)
      this.cli(["user", "add", user, "--archive", this.archive, "--password-stdin", "--role", role], PASSWORD + "\n");
  }

  serve(extra = []) {
    const logFd = fs.openSync(this.logPath, "a");
    this.server = spawn(chatvault, ["serve", "--archive", this.archive, "--listen", "127.0.0.1:0", ...extra], {
      env: this.env,
      stdio: ["ignore", "ignore", logFd],
    });
    this.exited = null;
    this.server.on("exit", (code, signal) => (this.exited = { code, signal }));
  }

  log() {
    return fs.readFileSync(this.logPath, "utf8");
  }

  async port() {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.log());
      if (m) return Number(m[1]);
      if (this.exited) throw new Error(`chatvault serve exited: ${this.log()}`);
      await sleep(50);
    }
    throw new Error("chatvault serve did not start");
  }

  async stop() {
    if (!this.server || this.exited) return this.exited;
    this.server.kill("SIGTERM");
    const deadline = Date.now() + 60_000;
    while (!this.exited && Date.now() < deadline) await sleep(50);
    if (!this.exited) {
      this.server.kill("SIGKILL");
      throw new Error("chatvault serve did not stop within 60 s of SIGTERM");
    }
    return this.exited;
  }

  check(ok, what) {
    if (ok) this.passed++;
    else {
      this.failed++;
      console.log(`FAIL: ${what}`);
    }
    return ok;
  }

  // A step either passes or fails the test: on failure its screenshot is saved and the rest,
  // which builds on it, is skipped.
  async step(name, body) {
    const n = ++this.stepNo;
    const started = Date.now();
    try {
      await body();
      this.passed++;
      console.log(`ok ${n} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      this.failed++;
      console.log(`FAIL step ${n} ${name}: ${e && e.stack ? e.stack : e}`);
      if (this.page) {
        const shot = path.join(this.work, `step-${n}-${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
        try {
          await this.page.screenshot({ path: shot, fullPage: true });
          console.log(`  screenshot: ${shot}`);
        } catch (err) {
          console.log(`  no screenshot: ${err}`);
        }
      }
      throw new StepFailed();
    }
  }

  /// Debian's chromium, headless with the flags the issue names, and a page whose console
  /// errors and responses' CSP headers are recorded for checkBrowser().
  async openBrowser(base, contextOptions = {}) {
    this.browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    this.consoleErrors = [];
    this.missingCsp = [];
    this.wrongCsp = [];
    this.responses = 0;
    const context = await this.browser.newContext({ baseURL: base, ...contextOptions });
    const page = await context.newPage();
    this.page = page;
    page.on("console", (m) => {
      if (m.type() === "error") this.consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => this.consoleErrors.push(`${page.url()}: uncaught ${e.message}`));
    page.on("response", async (r) => {
      if (!r.url().startsWith(base)) return;
      this.responses++;
      const csp = await r.headerValue("content-security-policy");
      if (!csp) this.missingCsp.push(`${r.request().method()} ${r.url()} ${r.status()}`);
      else if (
        r.url().includes("/api/")
          ? !csp.startsWith("default-src 'none'")
          : r.request().resourceType() === "document" && !csp.startsWith(CONSOLE_CSP)
      )
        this.wrongCsp.push(`${r.url()}: ${csp}`);
    });
    return page;
  }

  /// Closes the browser and checks what it recorded: no console error, a CSP on every response.
  async closeBrowser() {
    if (!this.browser) return;
    await this.browser.close();
    this.browser = null;
    this.check(this.consoleErrors.length === 0, `no page logged a console error: ${JSON.stringify(this.consoleErrors)}`);
    this.check(
      this.responses > 0 && this.missingCsp.length === 0,
      `every response carries a CSP (${this.responses} seen): ${JSON.stringify(this.missingCsp)}`
    );
    this.check(this.wrongCsp.length === 0, `pages get the console's CSP and the API its own: ${JSON.stringify(this.wrongCsp)}`);
  }

  /// Runs the test, stops the service (SIGTERM must end it cleanly), prints the tally and exits.
  async finish(name, main) {
    let code = 1;
    try {
      await main();
    } catch (e) {
      if (!(e instanceof StepFailed)) {
        this.failed++;
        console.log(`FAIL: ${e && e.stack ? e.stack : e}`);
      }
    } finally {
      await this.closeBrowser().catch((e) => this.check(false, `closing the browser: ${e}`));
      const stopped = await this.stop().catch((e) => ({ code: -1, error: String(e) }));
      this.check(stopped && stopped.code === 0, `SIGTERM stops the service cleanly: ${JSON.stringify(stopped)}`);
      const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
      console.log(`${name}: ${this.passed} checks passed, ${this.failed} failed in ${seconds} s`);
      code = this.failed ? 1 : 0;
      if (this.failed || keep) console.log(`kept ${this.work} (serve.log, screenshots)`);
      else fs.rmSync(this.work, { recursive: true, force: true });
    }
    process.exit(code);
  }
}

/// The API as a script would call it, signed in as `user`: (method, path, body) → Response.
/// For setting up what a page then shows, and for checking that the server agrees with it.
export async function apiSession(base, user) {
  const r = await fetch(`${base}/api/v1/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user, password: PASSWORD }),
  });
  if (r.status !== 200) throw new Error(`API sign-in of ${user}: ${r.status}`);
  const cookie = /cv_session=[^;]*/.exec(r.headers.get("set-cookie"))[0];
  const { csrf_token } = await r.json();
  return (method, p, body) =>
    fetch(`${base}${p}`, {
      method,
      headers: { Cookie: cookie, "X-CSRF-Token": csrf_token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}
