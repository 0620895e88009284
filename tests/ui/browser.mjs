// Shared pieces of the web UI's browser tests: Debian's chromium driven by playwright-core
// (from the build's web/node_modules, KPROF_WEB_DIR), a page that records every console
// error or warning, uncaught exception, failed request and HTTP error, and screenshots
// kept as artifacts in KPROF_UI_ARTIFACTS.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const webDir = process.env.KPROF_WEB_DIR;
if (!webDir) throw new Error("KPROF_WEB_DIR (the build's web directory with node_modules) is not set");
const { chromium } = createRequire(path.join(webDir, "package.json"))("playwright-core");

export const CHROMIUM = process.env.KPROF_CHROMIUM ?? "/usr/lib/chromium/chromium";
export const ARTIFACTS = process.env.KPROF_UI_ARTIFACTS ?? path.join(webDir, "artifacts");

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

// A page whose `problems` array collects everything a clean page load must not have.
export async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") page.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// `kprof server` on 127.0.0.1:0 with a fresh data directory; resolves once it listens.
export async function startServer(extraArgs = []) {
  const bin = process.env.KPROF_BIN;
  if (!bin) throw new Error("KPROF_BIN is not set");
  const dir = mkdtempSync(path.join(os.tmpdir(), "kprof-ui-"));
  const proc = spawn(bin, ["server", "--listen", "127.0.0.1:0", "--data-dir", path.join(dir, "data"), "--no-sync", ...extraArgs],
    { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kprof server did not listen: ${log}`)), 30000);
    timer.unref();
    proc.stderr.on("data", (chunk) => {
      log += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on("exit", (code) => reject(new Error(`kprof server exited (${code}): ${log}`)));
  });
  return {
    url,
    dir,
    async stop() {
      const exited = new Promise((resolve) => proc.on("exit", resolve));
      proc.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
