// Drive /mortgage_dashboard in headless Chromium while a caller changes their application.
//
// Usage: node drive_mortgage_dashboard.mjs --url http://127.0.0.1:8000 --expect-score 777
//            [--email demo@convonet.local --password demo-password] [--screenshot out.png]
//
// Signs in, waits for the list, the first application's detail and the live stream, checks
// that a bad filter shows the server's reason, prints READY, then waits (without reloading)
// for the detail's credit score to become --expect-score. Prints one JSON object last.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web", "package.json"));
const { chromium } = require("playwright-core");

const args = { timeout: 30000, chromium: "/usr/bin/chromium", email: "demo@convonet.local" };
args.password = "demo-password";
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
const result = { ok: false, step: "launch", console: [] };
const text = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());

let browser;
let page;
try {
  browser = await chromium.launch({ executablePath: args.chromium, headless: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(Number(args.timeout));
  page = await context.newPage();
  page.on("console", (m) => result.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => result.console.push(`pageerror: ${e.message}`));

  result.step = "sign in";
  await page.goto(`${args.url}/mortgage_dashboard`);
  await page.fill("#login-email", args.email);
  await page.fill("#login-password", args.password);
  await page.click("#login-button");
  await page.waitForSelector('#live-badge[data-live="live"]');
  await page.evaluate(() => {
    window.__loadedOnce = true; // gone if the page reloads
  });

  result.step = "list and detail";
  await page.waitForSelector("#apps-body tr.selected");
  await page.waitForSelector("#detail-body:not([hidden])");
  result.rows = await page.$$eval("#apps-body tr", (rows) => rows.length);
  result.before = await text(page, '#figures-body tr[data-key="credit_score"] td');
  result.payment = await text(page, '#estimates-body tr[data-key="monthly_payment"] td');
  result.docsNote = await text(page, "#docs-note");

  result.step = "bad filter";
  await page.fill("#min-filter", "500000");
  await page.fill("#max-filter", "1000");
  await page.click("#filters button[type=submit]");
  await page.waitForSelector("#page-error:not([hidden])");
  result.filterError = await text(page, "#page-error");
  await page.fill("#min-filter", "");
  await page.fill("#max-filter", "");
  await page.click("#filters button[type=submit]");
  await page.waitForSelector("#page-error", { state: "hidden" });

  console.log("READY");
  result.step = "live update";
  await page.waitForFunction(
    (score) =>
      document.querySelector('#figures-body tr[data-key="credit_score"] td')?.textContent ===
      score,
    args["expect-score"],
  );
  result.freshRow = await page.$eval("#apps-body tr.selected", (tr) => tr.className);
  result.sameDocument = await page.evaluate(() => window.__loadedOnce === true);
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
  result.ok = true;
  result.step = "done";
} catch (error) {
  result.error = String(error?.message ?? error);
  if (page && args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
} finally {
  await browser?.close();
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}
