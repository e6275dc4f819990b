// Drive /voice_assistant in headless Chromium with a fake microphone playing a WAV file.
//
// Usage: node drive_voice_assistant.mjs --url http://127.0.0.1:8000 --wav speech.wav
//            [--scenario call|transfer|unknown-bot|wrong-pin] [--screenshot page.png] [--timeout 60000]
//            [--chromium /usr/bin/chromium]
//
// Prints one JSON object on stdout: {ok, step, ...what was seen} and exits 0 when every step
// of the scenario was seen, or {ok: false, step, error, ...} and exits 1.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

// playwright-core lives in web/node_modules, not next to this script.
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web", "package.json"));
const { chromium } = require("playwright-core");

function parseArgs(argv) {
  const args = { timeout: 60000, chromium: "/usr/bin/chromium", scenario: "call", pin: "1234" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    args[key] = argv[i + 1];
  }
  if (!args.url || !args.wav) throw new Error("--url and --wav are required");
  if (!SCENARIOS[args.scenario]) throw new Error(`unknown --scenario ${args.scenario}`);
  args.timeout = Number(args.timeout);
  return args;
}

/** A whole call: greeting, the caller's question, the bot's answer, hang-up. */
async function callScenario(page) {
  result.step = "connect";
  await page.fill("#pin-input", args.pin);
  await page.click("#connect-button");
  await page.waitForSelector('#state-badge[data-state="ready"]');

  result.step = "greeting";
  const greeting = await page.waitForFunction(() => {
    const text = document.querySelector("#transcript .msg.bot .msg-text")?.textContent.trim();
    return text || null;
  });
  result.greeting = await greeting.jsonValue();

  result.step = "user transcript";
  const user = await page.waitForFunction(() => {
    for (const el of document.querySelectorAll("#transcript .msg.user .msg-text")) {
      if (/\btime\b/i.test(el.textContent)) return el.textContent.trim();
    }
    return null;
  });
  result.user = await user.jsonValue();

  result.step = "bot reply";
  const reply = await page.waitForFunction(() => {
    const items = [...document.querySelectorAll("#transcript > li")];
    const asked = items.findIndex(
      (li) => li.classList.contains("user") && /\btime\b/i.test(li.textContent),
    );
    const answer = items
      .slice(asked + 1)
      .find((li) => li.classList.contains("bot") && li.querySelector(".msg-text").textContent.trim());
    return answer ? answer.querySelector(".msg-text").textContent.trim() : null;
  });
  result.reply = await reply.jsonValue();

  result.step = "checks";
  result.sameDocument = await page.evaluate(() => window.__sameDocument === true);
  result.waitTimes = await page.evaluate(() => window.__waitTimes);
  result.badge = await page.getAttribute("#state-badge", "data-state");
  result.errorBanner = await page.$eval("#error-banner", (el) => (el.hidden ? "" : el.textContent));
  result.latencyTags = await page.$$eval(".msg-tag.latency", (els) => els.map((e) => e.textContent));
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });

  result.step = "hang up";
  await page.click("#connect-button");
  await page.waitForSelector('#state-badge[data-state="disconnected"]');
}

/** The caller asks for a person; the transfer banner follows the transfer's states. */
async function transferScenario(page) {
  result.step = "connect";
  await page.evaluate(() => {
    window.__transferStates = []; // every state the banner showed, in order
    const banner = document.querySelector("#transfer-status");
    new MutationObserver(() => {
      const states = window.__transferStates;
      const state = `${banner.dataset.status}: ${banner.textContent}`;
      if (!banner.hidden && states[states.length - 1] !== state) states.push(state);
    }).observe(banner, { attributes: true, childList: true, characterData: true, subtree: true });
  });
  await page.fill("#pin-input", args.pin);
  await page.click("#connect-button");
  await page.waitForSelector('#state-badge[data-state="ready"]');

  result.step = "transfer banner";
  await page.waitForSelector('#transfer-status[data-status="failed"]:not([hidden])');
  result.banner = (await page.textContent("#transfer-status")).trim();

  result.transferStates = await page.evaluate(() => window.__transferStates);
  result.notices = await page.$$eval("#transcript > li", (items) =>
    items.filter((li) => !li.classList.contains("bot") && !li.classList.contains("user"))
      .map((li) => li.textContent.trim()),
  );
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });

  result.step = "hang up";
  await page.click("#connect-button");
  await page.waitForSelector('#state-badge[data-state="disconnected"]');
}

/** Connecting with a bot the server does not know shows the server's reason. */
async function unknownBotScenario(page) {
  result.step = "choose unknown bot";
  await page.evaluate(() => {
    const select = document.querySelector("#bot-select");
    select.append(new Option("No such bot", "no-such-bot"));
    select.value = "no-such-bot";
  });
  result.step = "connect";
  await page.fill("#pin-input", args.pin);
  await page.click("#connect-button");
  await page.waitForSelector("#error-banner:not([hidden])");
  result.errorBanner = await page.textContent("#error-banner");
  result.badge = await page.getAttribute("#state-badge", "data-state");
  result.connectLabel = (await page.textContent("#connect-button")).trim();
  if (args.screenshot) await page.screenshot({ path: args.screenshot });
}

/** A wrong PIN shows the server's message and leaves the page disconnected. */
async function wrongPinScenario(page) {
  result.step = "connect with a wrong PIN";
  await page.fill("#pin-input", "0000");
  await page.click("#connect-button");
  await page.waitForSelector("#error-banner:not([hidden])");
  result.errorBanner = await page.textContent("#error-banner");
  result.badge = await page.getAttribute("#state-badge", "data-state");
  result.step = "connect without a PIN";
  await page.fill("#pin-input", "");
  await page.click("#connect-button");
  await page.waitForFunction(
    (before) => document.querySelector("#error-banner").textContent !== before,
    result.errorBanner,
  );
  result.emptyPinBanner = await page.textContent("#error-banner");
}

const SCENARIOS = {
  call: callScenario,
  transfer: transferScenario,
  "unknown-bot": unknownBotScenario,
  "wrong-pin": wrongPinScenario,
};

const args = parseArgs(process.argv.slice(2));
const result = { ok: false, step: "launch", console: [], navigations: 0 };

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${args.wav}`,
    "--autoplay-policy=no-user-gesture-required",
  ],
});

let page = null;
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 } });
  page = await context.newPage();
  page.setDefaultTimeout(args.timeout);
  page.on("console", (msg) => {
    if (["error", "warning"].includes(msg.type())) {
      result.console.push(`${msg.type()}: ${msg.text()}`.slice(0, 300));
    }
  });
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) result.navigations += 1;
  });

  result.step = "open page";
  await page.goto(`${args.url}/voice_assistant`);
  await page.waitForFunction(() => document.querySelector("#bot-select").options.length > 0);
  await page.evaluate(() => {
    window.__sameDocument = true; // would vanish on a reload
    window.__waitTimes = []; // every value the "please wait" timer showed
    const wait = document.querySelector("#wait-indicator");
    new MutationObserver(() => {
      if (!wait.hidden) window.__waitTimes.push(document.querySelector("#wait-time").textContent);
    }).observe(wait, { attributes: true, subtree: true, childList: true, characterData: true });
  });
  result.bots = await page.$$eval("#bot-select option", (opts) => opts.map((o) => o.value));
  result.llms = await page.$$eval("#llm-select option", (opts) => opts.map((o) => o.value));

  await SCENARIOS[args.scenario](page);
  result.ok = true;
  result.step = "done";
} catch (error) {
  result.error = String(error?.message ?? error).split("\n")[0];
  if (page) {
    result.transcript = await page
      .$$eval("#transcript > li", (items) => items.map((li) => li.textContent.trim()))
      .catch(() => []);
    if (args.screenshot) await page.screenshot({ path: args.screenshot }).catch(() => {});
  }
} finally {
  await browser.close();
}

process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1);
