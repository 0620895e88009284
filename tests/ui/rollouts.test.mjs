// The web UI served by the real `kprof server`, in chromium: the page and its assets come
// with the right headers, and the rollouts view of a server without rollouts loads
// without a console error and says so.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { launch, newPage, screenshot, startServer } from "./browser.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("GET / serves index.html and hashed assets are cached for good", async () => {
  const index = await fetch(server.url + "/");
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-type"), /^text\/html/);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  const html = await index.text();
  const script = /src="(\/ui\/app-[A-Z0-9]{8}\.js)"/.exec(html);
  assert.ok(script, html);
  const etag = index.headers.get("etag");
  assert.equal((await fetch(server.url + "/", { headers: { "If-None-Match": etag } })).status, 304);

  const js = await fetch(server.url + script[1]);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type"), /^text\/javascript/);
  assert.match(js.headers.get("cache-control"), /immutable/);
  assert.equal(js.headers.get("content-encoding"), "gzip");
  assert.match(await js.text(), /kprofFlame/);
  assert.equal((await fetch(server.url + "/ui/nope.js")).status, 404);
});

test("rollouts page shows the empty state without console errors", async () => {
  const page = await newPage(browser);
  await page.goto(server.url + "/?view=rollouts");
  await page.waitForSelector('main[data-state="ready"]');
  assert.match(await page.textContent('[data-empty="rollouts"]'), /No rollouts recorded yet/);
  assert.equal(await page.textContent("nav a.active"), "Rollouts");
  await screenshot(page, "rollouts-empty");

  // Navigation keeps the state in the URL: Explore, then back.
  await page.click("text=Explore");
  await page.waitForURL(/view=explore/);
  await page.goBack();
  await page.waitForSelector('[data-empty="rollouts"]');

  // Filters go into the URL.
  await page.fill('form.filters input[name="namespace"]', "shop");
  await page.selectOption('form.filters select[name="outcome"]', "failed");
  await page.click("form.filters button");
  await page.waitForURL(/view=rollouts&namespace=shop&outcome=failed$/);
  await page.waitForFunction(() => document.querySelector("[data-empty]")?.textContent === "No rollouts match.");
  assert.equal(await page.inputValue('form.filters input[name="namespace"]'), "shop");
  assert.deepEqual(page.problems, []);

  // An unknown rollout shows the server's JSON error (and chromium logs the 404).
  await page.goto(server.url + "/?view=rollout&id=no:such:1:x");
  await page.waitForSelector('main[data-state="ready"]');
  assert.match(await page.textContent(".error"), /HTTP 404.*no:such:1:x/);
  await screenshot(page, "rollout-not-found");
  for (const problem of page.problems) assert.match(problem, /404/);
  await page.close();
});

test("with --tokens-file the page loads and asks for a token", async () => {
  const tokens = path.join(server.dir, "tokens");
  writeFileSync(tokens, "read secret-ui-token-0123456789 ui\n");
  const guarded = await startServer(["--tokens-file", tokens]);
  try {
    const page = await newPage(browser);
    await page.goto(guarded.url + "/?view=rollouts");
    await page.waitForSelector("form.token");
    await page.fill('form.token input[name="token"]', "secret-ui-token-0123456789");
    await page.click("form.token button");
    await page.waitForSelector('[data-empty="rollouts"]');
    await screenshot(page, "rollouts-token");
    await page.close();
  } finally {
    await guarded.stop();
  }
});
