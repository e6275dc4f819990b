// Drive /reserve-online in headless Chromium: a refused party, a table taken meanwhile (409
// with the nearest free time), then a booking.
//
// Usage: node drive_reserve_online.mjs --url http://127.0.0.1:8000 --date 2026-12-10
//            --screenshot error.png --booked-screenshot booked.png
//            --landing-screenshot landing.png [--timeout 20000]
//
// Starts on the landing page and follows its link to the booking page.
//
// Prints one JSON object last: {ok, step, ...what was seen}.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web", "package.json"));
const { chromium } = require("playwright-core");

const args = { timeout: 20000, chromium: "/usr/bin/chromium" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
const result = { ok: false, step: "launch", console: [] };

async function banner(page, text) {
  const seen = await page.waitForFunction((t) => {
    const shown = document.getElementById("error-banner").textContent;
    return shown.includes(t) ? shown : null;
  }, text);
  return seen.jsonValue();
}

async function run() {
  const browser = await chromium.launch({
    executablePath: args.chromium,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 760, height: 1100 } });
    page.setDefaultTimeout(Number(args.timeout));
    page.on("console", (m) => result.console.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => result.console.push(`pageerror: ${e.message}`));

    result.step = "landing";
    await page.goto(`${args.url}/`);
    result.landingLinks = await page.$$eval("main a.card", (as) => as.map((a) => a.getAttribute("href")));
    await page.screenshot({ path: args["landing-screenshot"], fullPage: true });
    await page.click('a.card[href="/reserve-online"]');

    result.step = "page";
    await page.waitForURL(`${args.url}/reserve-online`);
    await page.waitForSelector("#slots .slot");
    await page.fill("#date-input", args.date);
    await page.dispatchEvent("#date-input", "change");

    result.step = "party too large";
    await page.fill("#party-input", "21");
    result.tooLarge = await banner(page, "up to 20");
    result.slotsWhenRefused = await page.locator("#slots .slot").count();

    result.step = "slots for 8";
    await page.fill("#party-input", "8");
    await page.waitForSelector('#slots .slot[data-time="19:00"]');
    result.bannerHiddenAgain = await page.isHidden("#error-banner");
    result.zoneHint = await page.textContent("#zone-hint");

    result.step = "taken meanwhile";
    result.otherGuest = await page.evaluate(async (date) => {
      const body = { date, time: "19:00", party_size: 8, name: "Other Guest", phone: "2125550100" };
      const r = await fetch("/api/reservations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return r.status;
    }, args.date);
    await page.click('#slots .slot[data-time="19:00"]');
    await page.fill("#name-input", "Ji-woo Kim");
    await page.fill("#phone-input", "+1 917 555 0123");
    await page.fill("#requests-input", "window seat");
    await page.click("#book-button");
    result.conflict = await banner(page, "nearest free time");
    await page.waitForFunction(() => !document.querySelector('#slots .slot[data-time="19:00"]'));
    result.conflictStillShown = await page.textContent("#error-banner");
    result.bannerHidden = await page.isHidden("#error-banner");
    await page.screenshot({ path: args.screenshot, fullPage: true });

    result.step = "book the nearest";
    await page.click('#slots .slot[data-time="20:30"]');
    await page.click("#book-button");
    await page.waitForSelector("#confirmation:not([hidden])");
    result.confirmation = await page.textContent("#confirmation-text");
    result.code = await page.textContent("#confirmation-code");
    result.formHidden = await page.isHidden("#booking-form");
    await page.screenshot({ path: args["booked-screenshot"], fullPage: true });
    result.ok = true;
  } finally {
    await browser.close();
  }
}

run()
  .catch((error) => {
    result.error = String(error && error.stack ? error.stack : error);
  })
  .finally(() => {
    console.log(JSON.stringify(result));
    process.exit(result.ok ? 0 : 1);
  });
