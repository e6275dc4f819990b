// Drive /call-center in headless Chromium against a real Kamailio.
//
// Usage: node drive_call_center.mjs --url http://127.0.0.1:8000 --email E --password P
//          --scenario call|down|wrong-password [--wav speech.wav] [--shots DIR]
//          [--caller-uri sip:pbx@D --caller-password X --target sip:2001@D --ws-url ws://...
//           --call-sid S --session-id S --caller-number N --desk-user U --desk-password X]
//          [--timeout 20000]
//
// call: the agent signs in, registers and goes ready; a second page (JsSIP, the PBX leg)
//   calls the department extension with the X-Convonet-* headers; the agent sees the
//   popup, answers, both pages measure the audio they receive, hold and unhold change the
//   media direction, the agent hangs up, wrap-up ends in Ready, history and metrics show
//   the call. Screenshots: idle, ringing, on_call. With --desk-user, a second call is then
//   answered and blind-transferred (REFER) to a desk phone page that answers it, and a third
//   is transferred attended (consult the desk, then REFER with Replaces).
// down: prints DOWN once the page says "phone disconnected", then (after the test starts
//   the SIP server again) waits for the phone to register by itself.
// wrong-password: waits for the wrong-credentials error.
// Prints one JSON object last: {ok, step, ...what was seen}.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "web", "package.json"));
const { chromium } = require("playwright-core");
const esbuild = require("esbuild");

function parseArgs(argv) {
  const args = { timeout: 20000, chromium: "/usr/bin/chromium", scenario: "call" };
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const key of ["url", "email", "password"]) {
    if (!args[key]) throw new Error(`--${key} is required`);
  }
  args.timeout = Number(args.timeout);
  return args;
}

const args = parseArgs(process.argv.slice(2));
const result = { ok: false, step: "launch", console: [] };

async function probeScript() {
  const built = await esbuild.build({
    entryPoints: [path.join(here, "sip_caller.js")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    nodePaths: [path.join(here, "..", "..", "web", "node_modules")],
  });
  return built.outputFiles[0].text;
}

function listen(page, name) {
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") result.console.push(`${name} ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => result.console.push(`${name} pageerror: ${e.message}`));
}

async function signIn(context) {
  const page = await context.newPage();
  listen(page, "agent");
  await page.goto(`${args.url}/call-center`);
  await page.waitForSelector("#login-panel:not([hidden])");
  await page.fill("#login-email", args.email);
  await page.fill("#login-password", args.password);
  await page.click("#login-button");
  await page.waitForSelector("#dashboard:not([hidden])");
  return page;
}

const text = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());
const agentState = (page, state) => page.waitForSelector(`#agent-state[data-agent-state="${state}"]`);

async function shot(page, name) {
  if (args.shots) await page.screenshot({ path: path.join(args.shots, `${name}.png`), fullPage: true });
}

/** The PBX leg's page: its own context, free of the app's CSP (it is not the app). */
async function callerPage(browser, probe) {
  const context = await browser.newContext({ bypassCSP: true });
  context.setDefaultTimeout(args.timeout);
  const page = await context.newPage();
  listen(page, "caller");
  await page.goto(`${args.url}/healthz`); // a secure-context origin for getUserMedia
  await page.setContent("<!doctype html><title>PBX leg</title><body>PBX leg</body>");
  await page.evaluate(probe);
  return page;
}

/** Both ends' negotiated media direction. */
async function directions(agent, caller) {
  return {
    agent: await agent.evaluate(
      () => window.convonetCallCenter.call?.peerConnection?.getTransceivers()[0]?.currentDirection ?? null,
    ),
    caller: await caller.evaluate(() => window.sipCaller.direction()),
  };
}

async function waitDirections(agent, caller, want) {
  const deadline = Date.now() + args.timeout;
  let seen;
  while (Date.now() < deadline) {
    seen = await directions(agent, caller);
    if (seen.agent === want.agent && seen.caller === want.caller) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`media directions ${JSON.stringify(seen)}, wanted ${JSON.stringify(want)}`);
}

async function scenarioCall(context, browser) {
  const probe = await probeScript();
  result.step = "sign in and register";
  const agent = await signIn(context);
  await agent.waitForSelector('#sip-status[data-sip="registered"]');
  await agentState(agent, "not_ready");
  await agent.click("#btn-ready");
  await agentState(agent, "ready");
  await agent.waitForSelector('#live-badge[data-live="live"]');
  await agent.evaluate(probe); // window.receivedLevel (evaluate is outside the page's CSP)
  await shot(agent, "idle");

  result.step = "incoming call";
  const caller = await callerPage(browser, probe);
  const callArgs = {
    wsUrl: args["ws-url"],
    uri: args["caller-uri"],
    password: args["caller-password"],
    target: args.target,
    fromNumber: args["caller-number"],
    headers: {
      "X-Convonet-Call-Sid": args["call-sid"],
      "X-Convonet-Session": args["session-id"],
      "X-Convonet-Extension": args.target.replace(/^sip:/, "").split("@")[0],
    },
  };
  await caller.evaluate((call) => window.sipCaller.call(call), callArgs);
  await agent.waitForSelector('#call-card[data-call="ringing"]');
  await agent.waitForSelector('#popup[data-open="true"]');
  await agentState(agent, "ringing");
  result.popup = {
    name: await text(agent, "#cust-name"),
    source: await text(agent, "#popup-source"),
    summary: await text(agent, "#call-summary"),
    transcript: await agent.$$eval("#call-transcript li", (lis) => lis.map((li) => `${li.dataset.role}: ${li.textContent}`)),
  };
  await shot(agent, "ringing");

  result.step = "answer";
  await agent.click("#btn-answer");
  await agent.waitForSelector('#call-card[data-call="on_call"]');
  await agentState(agent, "on_call");
  await caller.waitForFunction(() => window.sipCaller.state === "on_call");
  result.directions = { up: await waitDirections(agent, caller, { agent: "sendrecv", caller: "sendrecv" }) };

  result.step = "audio both ways";
  const [agentHears, callerHears] = await Promise.all([
    agent.evaluate(() => window.receivedLevel(window.convonetCallCenter.call.remoteStream, 1000)),
    caller.evaluate(() => window.sipCaller.level(1000)),
  ]);
  result.levels = { agentHears, callerHears };
  await shot(agent, "on_call");

  result.step = "hold";
  await agent.click("#btn-hold");
  result.directions.held = await waitDirections(agent, caller, { agent: "sendonly", caller: "recvonly" });
  await agent.waitForSelector('#call-card[data-call="held"]');
  result.heldOnServer = await agent.evaluate(async () => {
    const token = sessionStorage.getItem("convonet.monitor.token");
    const res = await fetch("/call-center/api/agent/status", { headers: { Authorization: `Bearer ${token}` } });
    return (await res.json()).current_call?.on_hold ?? null;
  });
  result.step = "unhold";
  await agent.click("#btn-hold");
  result.directions.resumed = await waitDirections(agent, caller, { agent: "sendrecv", caller: "sendrecv" });

  result.step = "dtmf";
  await agent.click('#dialpad button[data-key="5"]');
  result.dtmf = await text(agent, "#dtmf-sent");

  result.step = "hang up";
  await agent.waitForTimeout(300); // a call of measurable length
  await agent.click("#btn-hangup");
  await caller.waitForFunction(() => window.sipCaller.state === "ended");
  await agentState(agent, "wrap_up");
  result.wrapUpShown = await agent.isVisible("#wrapup");
  await agentState(agent, "ready");

  result.step = "history and metrics";
  await agent.waitForSelector('#history-body tr td.outcome:text-is("completed")');
  result.history = await agent.$$eval("#history-body tr:first-child td", (tds) => tds.map((td) => td.textContent.trim()));
  await agent.waitForFunction(() => document.querySelector("#metric-handled").textContent === "1");
  result.metrics = await agent.$$eval(".tile", (tiles) =>
    Object.fromEntries(tiles.map((t) => [t.querySelector(".tile-label").textContent, t.querySelector("strong").textContent])),
  );
  result.live = await agent.getAttribute("#live-badge", "data-live");

  if (args["desk-user"]) {
    const desk = await callerPage(browser, probe);
    await blindTransfer(agent, caller, desk, callArgs);
    await agent.click("#btn-ready"); // ends wrap-up early
    await agentState(agent, "ready");
    await attendedTransfer(agent, caller, desk, callArgs);
  }
}

/** The transfer's line once the server has recorded it (the feed may say wrap-up first). */
const transferDone = (agent) =>
  agent.waitForFunction(() => document.querySelector("#transfer-status").textContent.startsWith("Transferred"));

/** A second call, sent on by a blind transfer (REFER) to the desk phone. */
async function blindTransfer(agent, caller, desk, callArgs) {
  result.step = "blind transfer";
  await desk.evaluate((a) => window.sipDesk.register(a), {
    wsUrl: args["ws-url"],
    uri: `sip:${args["desk-user"]}@${args.target.split("@")[1]}`,
    password: args["desk-password"],
  });
  await caller.evaluate((call) => window.sipCaller.call(call), callArgs);
  await agent.waitForSelector('#call-card[data-call="ringing"]');
  await agent.click("#btn-answer");
  await agentState(agent, "on_call");
  await agent.fill("#transfer-target", args["desk-user"]);
  await agent.click("#btn-blind");
  await desk.waitForFunction(() => window.sipDesk.state === "on_call");
  await caller.waitForFunction(() => window.sipCaller.referred?.state === "on_call");
  await agentState(agent, "wrap_up");
  await transferDone(agent);
  result.transfer = {
    status: await text(agent, "#transfer-status"),
    referredTo: await caller.evaluate(() => window.sipCaller.referred.target),
  };
  await agent.waitForSelector('#history-body tr td.outcome:text-is("transferred")');
}

/** A third call, handed on by an attended transfer: consult the desk, then REFER/Replaces. */
async function attendedTransfer(agent, caller, desk, callArgs) {
  result.step = "attended transfer";
  const deskCalls = await desk.evaluate(() => window.sipDesk.calls);
  await caller.evaluate((call) => window.sipCaller.call(call), callArgs);
  await agent.waitForSelector('#call-card[data-call="ringing"]');
  await agent.click("#btn-answer");
  await agentState(agent, "on_call");
  await agent.fill("#transfer-target", args["desk-user"]);
  await agent.click("#btn-consult");
  await agent.waitForFunction(() => window.convonetCallCenter.consult?.state === "on_call");
  await desk.waitForFunction((n) => window.sipDesk.calls === n + 1, deskCalls);
  result.consultHeld = await agent.evaluate(() => window.convonetCallCenter.call.held);
  await agent.click("#btn-complete");
  await desk.waitForFunction(() => window.sipDesk.replaced);
  await caller.waitForFunction(() => window.sipCaller.referred?.state === "on_call");
  await agentState(agent, "wrap_up");
  await transferDone(agent);
  result.attended = await text(agent, "#transfer-status");
}

async function scenarioDown(context) {
  result.step = "disconnected";
  const agent = await signIn(context);
  await agent.waitForSelector('#sip-status[data-sip="disconnected"]');
  result.badge = await text(agent, "#sip-status");
  result.error = await text(agent, "#sip-error");
  console.log("DOWN");
  result.step = "reconnected";
  await agent.waitForSelector('#sip-status[data-sip="registered"]');
  result.after = await text(agent, "#sip-status");
  result.errorHidden = await agent.isHidden("#sip-error");
}

async function scenarioWrongPassword(context) {
  result.step = "wrong credentials";
  const agent = await signIn(context);
  await agent.waitForSelector('#sip-status[data-sip="error"]');
  result.badge = await text(agent, "#sip-status");
  result.error = await text(agent, "#sip-error");
}

const SCENARIOS = { call: scenarioCall, down: scenarioDown, "wrong-password": scenarioWrongPassword };

let browser;
try {
  const flags = ["--no-sandbox", "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"];
  flags.push("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream");
  if (args.wav) flags.push(`--use-file-for-fake-audio-capture=${args.wav}`);
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: flags });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  context.setDefaultTimeout(args.timeout);
  await SCENARIOS[args.scenario](context, browser);
  result.ok = true;
  result.step = "done";
} catch (error) {
  result.error = String(error?.message ?? error);
  const pages = browser?.contexts()[0]?.pages() ?? [];
  if (pages[0] && args.shots) await pages[0].screenshot({ path: path.join(args.shots, "failure.png"), fullPage: true });
} finally {
  await browser?.close();
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
}
