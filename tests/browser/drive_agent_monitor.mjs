// Drive /agent-monitor and /tool-execution in headless Chromium while a call runs elsewhere.
//
// Usage: node drive_agent_monitor.mjs --url http://127.0.0.1:8000 --expect-text milk
//            --expect-tool create_todo [--email demo@convonet.local --password demo-password]
//            [--screenshot monitor.png] [--tools-screenshot tools.png] [--timeout 45000]
//
// Signs in on both pages, prints the line READY once both live streams are connected, then
// waits (without reloading) for a turn whose caller text contains --expect-text and for its
// --expect-tool call to appear. Prints one JSON object last: {ok, step, ...what was seen}.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web", "package.json"));
const { chromium } = require("playwright-core");

function parseArgs(argv) {
  const args = {
    timeout: 45000,
    chromium: "/usr/bin/chromium",
    email: "demo@convonet.local",
    password: "demo-password",
  };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const key of ["url", "expect-text", "expect-tool"]) {
    if (!args[key]) throw new Error(`--${key} is required`);
  }
  args.timeout = Number(args.timeout);
  return args;
}

const args = parseArgs(process.argv.slice(2));
const result = { ok: false, step: "launch", console: [] };

async function signIn(context, pagePath) {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() !== "debug") result.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => result.console.push(`pageerror: ${e.message}`));
  await page.goto(`${args.url}${pagePath}`);
  await page.waitForSelector("#login-panel:not([hidden])");
  await page.fill("#login-email", args.email);
  await page.fill("#login-password", args.password);
  await page.click("#login-button");
  await page.waitForSelector("#dashboard:not([hidden])");
  await page.waitForSelector('#live-badge[data-live="live"]');
  await page.evaluate(() => {
    window.__loadedOnce = true; // gone if the page reloads
  });
  return page;
}

/** The table row of the expected tool call of the new turn. */
function callRow() {
  return `tr[data-turn-id="${result.turnId}"][data-tool="${args["expect-tool"]}"]`;
}

async function seenWithoutReload(page) {
  return page.evaluate(() => ({
    sameDocument: window.__loadedOnce === true,
    navigations: performance.getEntriesByType("navigation").length,
  }));
}

async function watchMonitor(page) {
  result.step = "turn row";
  const row = await page.waitForFunction((text) => {
    for (const tr of document.querySelectorAll("#turns-body tr")) {
      const said = tr.querySelector("td.text")?.textContent ?? "";
      if (said.toLowerCase().includes(text)) return tr.dataset.turnId;
    }
    return null;
  }, args["expect-text"].toLowerCase());
  result.turnId = await row.jsonValue();

  result.step = "tool call row";
  const turnRow = `#turns-body tr[data-turn-id="${result.turnId}"]`;
  await page.waitForSelector(`#tools-body ${callRow()}`);
  result.turnChips = await page.$$eval(`${turnRow} .chip`, (chips) =>
    chips.map((c) => c.textContent.trim()),
  );
  result.turnCells = await page.$$eval(`${turnRow} td`, (tds) =>
    tds.map((td) => td.textContent.trim()),
  );

  result.step = "charts and tiles";
  await page.waitForSelector("#waterfall-empty[hidden]", { state: "attached" });
  await page.waitForFunction(() => document.querySelector("#tile-tools").textContent !== "–");
  result.tiles = await page.$$eval(".tile", (tiles) =>
    tiles.map((t) => t.textContent.replace(/\s+/g, " ").trim()),
  );
  result.sessions = await page.$$eval("#sessions-body tr", (rows) => rows.length);
  result.monitor = await seenWithoutReload(page);
  await page.waitForTimeout(600); // let the fresh-row highlight settle for the screenshot
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
}

async function watchTools(page) {
  result.step = "tool-execution row";
  const selector = `#calls-body ${callRow()}`;
  await page.waitForSelector(selector);
  result.toolCells = await page.$$eval(`${selector} td`, (tds) =>
    tds.map((td) => td.textContent.trim()),
  );
  await page.click(`${selector} td.json details summary`);
  result.toolArgs = await page.$eval(`${selector} td.json details pre`, (pre) => pre.textContent);
  result.tools = await seenWithoutReload(page);
  if (args["tools-screenshot"]) {
    await page.screenshot({ path: args["tools-screenshot"], fullPage: true });
  }
}

let browser;
let monitor;
try {
  browser = await chromium.launch({ executablePath: args.chromium, headless: true });
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  context.setDefaultTimeout(args.timeout);
  result.step = "sign in";
  monitor = await signIn(context, "/agent-monitor");
  const tools = await signIn(context, "/tool-execution");
  console.log("READY");
  await watchMonitor(monitor);
  await watchTools(tools);
  result.ok = true;
  result.step = "done";
} catch (error) {
  result.error = String(error?.message ?? error);
  if (monitor && args.screenshot) {
    await monitor.screenshot({ path: args.screenshot, fullPage: true });
  }
} finally {
  await browser?.close();
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}
