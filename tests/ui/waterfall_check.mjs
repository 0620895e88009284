// Opens a kprof server's rollouts list in chromium, follows the link to rollout ID, and
// prints what the detail page's waterfall shows as JSON on stdout:
// {"rows":[{"pod":…,"phases":[…]}],"progress_points":N,"resources":{metric:{old,new}},
// "grew":[function…],"diff":{url,drawn,grew},"revisions":{url,drawn,grew},"report_status":N,"problems":[…],"screenshots":[…]}.
// Driven by test_rollout_waterfall.py, which knows what the rollout should hold.
//
// With PREVIOUS_ID (the rollout before), also compares the two revisions' pods in Diff.
//
// Usage: node waterfall_check.mjs SERVER_URL ROLLOUT_ID [PREVIOUS_ID]
import { launch, newPage, screenshot } from "./browser.mjs";

const [url, id, previousId] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await newPage(browser);
  await page.goto(url + "/?view=rollouts");
  await page.waitForSelector(`tr[data-id="${id}"] a`);
  const shots = [await screenshot(page, "rollouts-list")];
  await page.click(`tr[data-id="${id}"] a`);
  await page.waitForSelector('main[data-state="ready"] svg.waterfall');
  shots.push(await screenshot(page, "rollout-detail"));
  const rows = await page.$$eval("svg.waterfall g.pod", (groups) =>
    groups.map((g) => ({
      pod: g.getAttribute("data-pod"),
      phases: [...g.querySelectorAll("rect.phase")].map((r) => r.getAttribute("data-phase")),
    })));
  const progressPoints = Number(await page.getAttribute("svg.progress", "data-points"));
  const reportHref = await page.getAttribute('a[data-link="report-text"]', "href");
  const report = await fetch(new URL(reportHref, url));
  // Resources: a line per pod, old pods and new.
  const resources = await page.$$eval("svg.resources", (charts) => Object.fromEntries(charts.map((c) => [
    c.dataset.metric, { old: c.querySelectorAll("path.pod.old").length, new: c.querySelectorAll("path.pod.new").length },
  ])));
  const grew = await page.$$eval('.comparison[data-type="cpu"] table.changes', (tables) =>
    tables.length ? [...tables[0].querySelectorAll("tbody tr")].map((tr) => tr.dataset.name) : []);
  const detailUrl = page.url();
  // What a Diff page shows once drawn: its URL, frames drawn and the functions that grew.
  const diffShown = async (shot) => {
    await page.waitForSelector('main[data-view="diff"][data-state="ready"] canvas.flame[data-id="main"][data-drawn]',
      { timeout: 10000 }).catch(() => {});
    shots.push(await screenshot(page, shot));
    return {
      url: page.url(),
      drawn: Number(await page.getAttribute('canvas.flame[data-id="main"]', "data-drawn").catch(() => 0)),
      grew: await page.$$eval("table.changes tbody tr.grew", (rows) => rows.map((r) => r.dataset.name)),
    };
  };
  // The before/after comparison opens as a diff flame graph.
  let diff = null;
  if (await page.$('.comparison[data-type="cpu"] a[data-link="open-diff"]')) {
    await page.click('.comparison[data-type="cpu"] a[data-link="open-diff"]');
    await page.waitForURL(/view=diff/);
    diff = await diffShown("rollout-diff");
  }
  let revisions = null;
  if (previousId) {
    await page.goto(url + "/?view=diff&type=cpu");
    await page.waitForSelector('main[data-state="ready"] form.revisions');
    await page.selectOption('select[name="base_revision"]', previousId);
    await page.selectOption('select[name="revision"]', id);
    await page.click('form.revisions button[type="submit"]');
    await page.waitForURL(/base_revision=/);
    revisions = await diffShown("diff-revisions");
  }
  const result = {
    revisions,
    resources,
    grew,
    diff,
    url: detailUrl,
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
