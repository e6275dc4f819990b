// Convonet caller page: pipecat's official browser client over a WebSocket.
//
// Flow: GET /api/bots fills the pickers; Connect POSTs /api/connect (bot, llm, pin) and
// hands the returned ws_url to PipecatClient.connect({wsUrl}); the server speaks RTVI
// over ProtobufFrameSerializer frames. Bot audio plays through the transport's own
// WavStreamPlayer.

import { WavMediaManager, WebSocketTransport } from "@pipecat-ai/websocket-transport";
import { ConvonetClient, InterruptionAwareSerializer } from "./protocol.js";
import { formatSeconds, Transcript } from "./transcript.js";

// The server's pipeline reads 16 kHz mono from the caller and writes 24 kHz mono back;
// WavMediaManager's player is fixed at 24 kHz.
const MIC_SAMPLE_RATE = 16000;
const MIC_CHUNK_BYTES = 640; // 20 ms of 16-bit mono at 16 kHz
const BOT_READY_TIMEOUT_MS = 20000;

const STATE_LABELS = {
  disconnected: "Disconnected",
  initializing: "Starting microphone…",
  initialized: "Microphone ready",
  authenticating: "Starting session…",
  authenticated: "Session started",
  connecting: "Connecting…",
  connected: "Waiting for the assistant…",
  ready: "Connected",
  disconnecting: "Hanging up…",
  error: "Connection error",
};

const TRANSFER_LABELS = {
  requested: "Transfer requested",
  initiated: "Transferring",
  ringing: "Ringing",
  connected: "Connected to",
  completed: "Transferred to",
  failed: "Transfer failed",
  cancelled: "Transfer cancelled",
  no_agents: "No agents available in",
};

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("call-form"),
  bot: $("bot-select"),
  botDescription: $("bot-description"),
  llm: $("llm-select"),
  pin: $("pin-input"),
  connect: $("connect-button"),
  mic: $("mic-button"),
  badge: $("state-badge"),
  wait: $("wait-indicator"),
  waitTime: $("wait-time"),
  speaking: $("speaking-indicator"),
  transfer: $("transfer-status"),
  error: $("error-banner"),
  log: $("transcript"),
};

const transcript = new Transcript(ui.log);
const page = {
  call: null, // {client, mediaManager, sessionId} of the live call
  pendingLatency: undefined,
  micWanted: true, // the caller's mute choice, kept across calls
  bots: [],
  botSpeaking: false,
  waitStart: null,
  waitTimer: null,
};

// ---- status, errors, waiting ------------------------------------------------------------

function setState(state) {
  ui.badge.dataset.state = state;
  ui.badge.textContent = STATE_LABELS[state] ?? state;
  const live = !["disconnected", "error"].includes(state);
  ui.connect.textContent = live ? "Disconnect" : "Connect";
  ui.connect.classList.toggle("danger", live);
  for (const input of [ui.bot, ui.llm, ui.pin]) input.disabled = live;
  document.body.dataset.callState = state;
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
}

function startWaiting() {
  stopWaiting();
  page.waitStart = performance.now();
  ui.wait.hidden = false;
  const tick = () => {
    ui.waitTime.textContent = formatSeconds(performance.now() - page.waitStart);
  };
  tick();
  page.waitTimer = setInterval(tick, 100);
}

/** Stop the "please wait" timer; returns how long the caller waited, if it was running. */
function stopWaiting() {
  clearInterval(page.waitTimer);
  page.waitTimer = null;
  ui.wait.hidden = true;
  if (page.waitStart === null) return null;
  const waited = performance.now() - page.waitStart;
  page.waitStart = null;
  return waited;
}

function setBotSpeaking(speaking) {
  page.botSpeaking = speaking;
  ui.speaking.hidden = !speaking;
  document.body.dataset.botSpeaking = String(speaking);
}

function showTransfer(message) {
  const status = String(message.status ?? "").toLowerCase();
  const label = TRANSFER_LABELS[status] ?? `Transfer ${status || "update"}`;
  const department = message.department ? ` ${message.department}` : "";
  const text = `${label}${department}`.trim();
  ui.transfer.textContent = text;
  ui.transfer.dataset.status = status;
  ui.transfer.hidden = false;
  transcript.notice(text, status === "failed" ? "warn" : "info");
}

/** The server interrupted the bot (barge-in): drop buffered audio and mark the turn. */
function bargeIn(call) {
  if (page.call !== call) return;
  stopWaiting();
  // WavMediaManager.userStartedSpeaking() flushes the transport's audio player.
  call.mediaManager.userStartedSpeaking();
  if (page.botSpeaking) transcript.markInterrupted();
  setBotSpeaking(false);
}

// ---- pickers -------------------------------------------------------------------------------

async function loadPickers() {
  try {
    const response = await fetch("/api/bots", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(await errorDetail(response));
    const catalog = await response.json();
    page.bots = catalog.bots ?? [];
    fillSelect(ui.bot, page.bots.map((b) => [b.name, b.title || b.name]), catalog.default_bot);
    fillSelect(ui.llm, (catalog.llms ?? []).map((l) => [l, l]), catalog.default_llm);
    describeBot();
    ui.connect.disabled = page.bots.length === 0;
  } catch (error) {
    showError(`Could not load the list of assistants: ${error.message}`);
  }
}

function fillSelect(select, options, selected) {
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const option = new Option(label, value);
      option.selected = value === selected;
      return option;
    }),
  );
}

function describeBot() {
  const bot = page.bots.find((b) => b.name === ui.bot.value);
  ui.botDescription.textContent = bot?.description ?? "";
}

async function errorDetail(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg ?? String(d)).join("; ");
    return JSON.stringify(body);
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

// ---- call lifecycle ------------------------------------------------------------------------

/** RTVI callbacks for one call; events of a call that is no longer current are ignored. */
function callbacks(call) {
  const handlers = {
    onTransportStateChanged: setState,
    onBotReady: () => transcript.notice("Connected", "ok"),
    onUserStartedSpeaking: stopWaiting,
    onUserStoppedSpeaking: startWaiting,
    onUserTranscript: (data) => transcript.userTranscript(data),
    onBotStartedSpeaking: () => {
      const waited = stopWaiting();
      setBotSpeaking(true);
      transcript.closeUser();
      if (waited !== null) page.pendingLatency = waited;
    },
    onBotStoppedSpeaking: () => setBotSpeaking(false),
    onBotOutput: (data) => {
      transcript.botOutput(data);
      applyPendingLatency();
    },
    onBotTtsText: (data) => {
      transcript.botTtsText(data);
      applyPendingLatency();
    },
    onBotLlmText: (data) => transcript.botLlmText(data),
    onServerMessage: (data) => {
      if (data?.type === "transfer") showTransfer(data);
    },
    onError: (message) => reportRtviError(message),
    onMessageError: (message) => reportRtviError(message),
    onDeviceError: (error) => {
      showError(`Microphone problem (${error.type}): ${error.message || "check browser permissions"}`);
    },
    onDisconnected: () => {
      page.call = null;
      stopWaiting();
      setBotSpeaking(false);
      transcript.closeBot();
      transcript.closeUser();
      transcript.notice("Call ended", "info");
    },
  };
  const guarded = {};
  for (const [name, handler] of Object.entries(handlers)) {
    guarded[name] = (...args) => {
      if (page.call === call) handler(...args);
    };
  }
  return guarded;
}

function applyPendingLatency() {
  if (page.pendingLatency === undefined) return;
  transcript.noteLatency(page.pendingLatency);
  page.pendingLatency = undefined;
}

// WebSocket close codes the server uses (convonet/transports/websocket.py).
const CLOSE_REASONS = {
  4401: "The session was refused or has expired. Please connect again.",
  4503: "The server is starting up or too busy. Please try again in a moment.",
};

function reportRtviError(message) {
  const data = message?.data ?? {};
  const text = data.error ?? data.message ?? "Unknown error";
  const closed = /websocket connection closed\. Code: (\d+)/.exec(text);
  if (!closed) return showError(text);
  const code = Number(closed[1]);
  if (code === 1000 || code === 1001) return; // a normal end of call
  showError(CLOSE_REASONS[code] ?? `The server closed the connection (code ${code}).`);
}

async function connect() {
  showError("");
  ui.transfer.hidden = true;
  transcript.clear();
  page.pendingLatency = undefined;
  page.call?.client?.disconnect(); // a call left in the error state
  const call = { client: null, mediaManager: null, sessionId: null };
  page.call = call;
  setState("authenticating");

  const pin = ui.pin.value.trim();
  if (!pin) {
    page.call = null;
    setState("disconnected");
    showError("Enter your voice PIN to start a call.");
    ui.pin.focus();
    return;
  }
  const request = { bot: ui.bot.value, llm: ui.llm.value, pin };

  let session;
  try {
    const response = await fetch("/api/connect", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(request),
    });
    if (!response.ok) throw new Error(await errorDetail(response));
    session = await response.json();
    if (!session.ws_url) throw new Error("the server did not return a ws_url");
  } catch (error) {
    if (page.call === call) {
      page.call = null;
      setState("disconnected");
      showError(`Could not start a session: ${error.message}`);
    }
    return;
  }
  if (page.call !== call) return; // hung up while the session was being created

  call.sessionId = session.session_id;
  call.mediaManager = new WavMediaManager(MIC_CHUNK_BYTES, MIC_SAMPLE_RATE);
  const serializer = new InterruptionAwareSerializer();
  serializer.onInterruption = () => bargeIn(call);
  const transport = new WebSocketTransport({
    mediaManager: call.mediaManager,
    serializer,
    recorderSampleRate: MIC_SAMPLE_RATE,
  });
  call.client = new ConvonetClient({
    transport,
    enableMic: page.micWanted,
    callbacks: callbacks(call),
  });
  call.client.onBotInterrupted = () => bargeIn(call);

  const timeout = setTimeout(() => {
    if (page.call === call && call.client.state !== "ready") {
      showError("The assistant did not answer in time. Please try again.");
      hangUp(false);
    }
  }, BOT_READY_TIMEOUT_MS);
  try {
    await call.client.connect({ wsUrl: session.ws_url });
    // The caller may have toggled the mic while the call was being set up.
    if (page.call === call && call.client.isMicEnabled !== page.micWanted) {
      call.client.enableMic(page.micWanted);
    }
  } catch (error) {
    if (page.call === call) {
      showError(`Could not connect: ${error.message ?? error}`);
      hangUp(false);
    }
  } finally {
    clearTimeout(timeout);
  }
}

async function hangUp(announce = true) {
  const call = page.call;
  page.call = null;
  stopWaiting();
  setBotSpeaking(false);
  setState("disconnecting");
  if (call?.client) {
    try {
      await call.client.disconnect();
    } catch (error) {
      console.warn("disconnect failed", error);
    }
  }
  if (!page.call) setState("disconnected");
  if (announce) transcript.notice("You hung up", "info");
}

function updateMicButton() {
  const on = page.micWanted;
  ui.mic.querySelector(".label").textContent = on ? "Mute microphone" : "Unmute microphone";
  ui.mic.classList.toggle("muted", !on);
}

// ---- wiring ----------------------------------------------------------------------------------

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const live = !["disconnected", "error"].includes(ui.badge.dataset.state);
  if (page.call && live) hangUp();
  else connect();
});
ui.bot.addEventListener("change", describeBot);
ui.mic.addEventListener("click", () => {
  page.micWanted = !page.micWanted;
  const client = page.call?.client;
  if (client?.state === "ready") client.enableMic(page.micWanted);
  updateMicButton();
});
window.addEventListener("pagehide", () => page.call?.client?.disconnect());

setState("disconnected");
updateMicButton();
loadPickers();
