// Opens a kprof server's rollouts list in chromium, follows the link to rollout ID, and
// prints what the detail page's waterfall shows as JSON on stdout:
// {"rows":[{"pod":…,"phases":[…]}],"progress_points":N,"report_status":N,"problems":[…],"screenshots":[…]}.
// Driven by test_rollout_waterfall.py, which knows what the rollout should hold.
//
// Usage: node waterfall_check.mjs SERVER_URL ROLLOUT_ID
import { launch, newPage, screenshot } from "./browser.mjs";

const [url, id] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await newPage(browser);
  await page.goto(url + "/?view=rollouts");
  await page.waitForSelector(`tr[data-id="${id}"] a`);
  const shots = [await screenshot(page, "rollouts-list")];
  await page.click(`tr[data-id="${id}"] a`);
  await page.waitForSelector("svg.waterfall");
  shots.push(await screenshot(page, "rollout-detail"));
  const rows = await page.$$eval("svg.waterfall g.pod", (groups) =>
    groups.map((g) => ({
      pod: g.getAttribute("data-pod"),
      phases: [...g.querySelectorAll("rect.phase")].map((r) => r.getAttribute("data-phase")),
    })));
  const progressPoints = Number(await page.getAttribute("svg.progress", "data-points"));
  const reportHref = await page.getAttribute('a[data-link="report-text"]', "href");
  const report = await fetch(new URL(reportHref, url));
  const result = {
    url: page.url(),
    rows,
    progress_points: progressPoints,
    report_status: report.status,
    report_head: (await report.text()).split("\n")[0],
    problems: page.problems,
    screenshots: shots,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
} finally {
  await browser.close();
}
