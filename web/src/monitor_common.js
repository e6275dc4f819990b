// Shared by the dashboards (/agent-monitor, /tool-execution, /mortgage_dashboard,
// /call-center): sign-in, the JSON API with the access token, the live Server-Sent Events
// stream, and formatting helpers.
//
// The live stream is read with fetch() and a stream reader rather than EventSource, because
// EventSource cannot send the Authorization header and the token must not go into a URL.

const TOKEN_KEY = "convonet.monitor.token";
const EMAIL_KEY = "convonet.monitor.email";

/** An API answer that means the token is missing, expired or not allowed. */
export class AuthError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The signed-in supervisor: the access token lives in sessionStorage (this tab only). */
export const auth = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get email() {
    return sessionStorage.getItem(EMAIL_KEY) || "";
  },
  async login(email, password) {
    const res = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new AuthError(res.status, await detail(res));
    const body = await res.json();
    sessionStorage.setItem(TOKEN_KEY, body.access_token);
    sessionStorage.setItem(EMAIL_KEY, email);
  },
  logout() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(EMAIL_KEY);
  },
};

/** The server's reason for a failed request (FastAPI's "detail"), or the status text. */
export async function detail(res) {
  try {
    const body = await res.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  } catch {
    // not JSON
  }
  return `${res.status} ${res.statusText}`;
}

/** GET a JSON API path with the token; params with empty values are left out. */
export async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const search = query.toString();
  const url = search ? `${path}?${search}` : path;
  const res = await fetch(url, { headers: { Authorization: `Bearer ${auth.token}` } });
  if (res.status === 401 || res.status === 403) throw new AuthError(res.status, await detail(res));
  if (!res.ok) throw new Error(await detail(res));
  return res.json();
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}

async function readStream(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const parsed = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) onEvent(parsed.event, parsed.data);
    }
  }
}

/**
 * Follow a Server-Sent Events path with the token: onEvent(name, data) per event,
 * onState("connecting" | "live" | "reconnecting") as the connection changes ("live" once
 * the response is open, or on a "ready" event when readyEvent is set), onAuthError(error)
 * when the token stops working. Reconnects with back-off. Returns {close()}.
 */
export function openStream(path, { onEvent, onState, onAuthError, readyEvent = false }) {
  const controller = new AbortController();
  let delay = 1000;
  async function run() {
    while (!controller.signal.aborted) {
      onState("connecting");
      try {
        const res = await fetch(path, {
          headers: { Authorization: `Bearer ${auth.token}` },
          signal: controller.signal,
        });
        if (res.status === 401 || res.status === 403) {
          onAuthError(new AuthError(res.status, await detail(res)));
          return;
        }
        if (!res.ok) throw new Error(await detail(res));
        delay = 1000;
        if (!readyEvent) onState("live");
        await readStream(res, (event, data) => {
          if (readyEvent && event === "ready") onState("live");
          onEvent(event, data);
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        console.warn(`${path} stream dropped:`, error);
      }
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
  run();
  return { close: () => controller.abort() };
}

/**
 * Follow a dashboard's live stream (default /agent-monitor/api/live): events[name](data) per
 * event of that name (the Agent Monitor's {turn: onTurn}), onState("connecting" | "live" |
 * "reconnecting") as the connection changes, onAuthError(error) when the token stops working.
 * Reconnects with back-off. Returns {close()}.
 */
export function openLive({ path = "/agent-monitor/api/live", events, onState, onAuthError }) {
  return openStream(path, {
    onEvent: (event, data) => events[event]?.(data),
    onState,
    onAuthError,
    readyEvent: true,
  });
}

/** document.createElement with attributes, and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** "842 ms" or "1.42 s"; an en dash when unknown. */
export function fmtMs(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Local wall-clock time of an epoch-seconds value, "14:03:27". */
export function fmtTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour12: false });
}

/** Compact single-line JSON, cut to ``max`` characters. */
export function fmtJson(value, max = 120) {
  const text = JSON.stringify(value ?? null);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first 8 characters of an id. */
export const shortId = (id) => String(id || "").slice(0, 8);

/** When a turn began: its earliest recorded moment. */
export function turnStart(turn) {
  const moments = Object.values(turn.times || {}).filter((t) => typeof t === "number");
  return moments.length ? Math.min(...moments) : turn.recorded_at;
}

/**
 * Wire the sign-in box and the sign-out button; calls start() once signed in (also on load
 * when this tab already holds a token) and stop() on sign-out or when the token stops working.
 * Returns showLogin(message) for the page to call on an AuthError.
 */
export function setupAuth({ start, stop }) {
  const $ = (id) => document.getElementById(id);
  const panel = $("login-panel");
  const dashboard = $("dashboard");
  const error = $("login-error");
  const who = $("who");

  function showLogin(message = "") {
    stop();
    auth.logout();
    panel.hidden = false;
    dashboard.hidden = true;
    who.hidden = true;
    error.textContent = message;
    error.hidden = !message;
    $("login-email").focus();
  }

  function showDashboard() {
    panel.hidden = true;
    dashboard.hidden = false;
    who.hidden = false;
    $("who-email").textContent = auth.email;
    start();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("login-button");
    button.disabled = true;
    error.hidden = true;
    try {
      await auth.login($("login-email").value.trim(), $("login-password").value);
      $("login-password").value = "";
      showDashboard();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  $("signout-button").addEventListener("click", () => showLogin());

  if (auth.token) showDashboard();
  else showLogin();
  return showLogin;
}

/** A message for an AuthError, as the login box should show it. */
export function authMessage(error) {
  return error.status === 403
    ? `${error.message} (sign in with an account that has that role)`
    : "Your session ended; please sign in again.";
}

const LIVE_LABELS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** Show the live stream's state ("connecting" | "live" | "reconnecting" | "offline"). */
export function setLiveBadge(liveState) {
  const badge = document.getElementById("live-badge");
  const look = { live: "ready", offline: "disconnected" }[liveState] ?? "connecting";
  badge.dataset.state = look;
  badge.dataset.live = liveState;
  badge.textContent = LIVE_LABELS[liveState];
}

/**
 * Run a dashboard page: sign-in, then while signed in load() once, the live stream (onTurn
 * per turn record, or events[name](data) per event of livePath's stream) and refresh() every
 * refreshMs when given. Returns guarded(work), which
 * runs work and shows its failure in #page-error, or the sign-in box when the token stops
 * working; pages run every API call through it.
 */
export function runDashboard({
  load, onTurn, refresh = null, refreshMs = 0, livePath = undefined, events = undefined,
}) {
  const page = { live: null, timer: null };
  const pageError = document.getElementById("page-error");

  async function guarded(work) {
    try {
      await work();
      pageError.hidden = true;
    } catch (error) {
      if (error instanceof AuthError) return showLogin(authMessage(error));
      pageError.textContent = error.message;
      pageError.hidden = false;
    }
  }

  function start() {
    guarded(load);
    page.live = openLive({
      path: livePath,
      events: events ?? { turn: onTurn },
      onState: setLiveBadge,
      onAuthError: (error) => showLogin(authMessage(error)),
    });
    if (refresh && refreshMs) page.timer = setInterval(() => guarded(refresh), refreshMs);
  }

  function stop() {
    page.live?.close();
    page.live = null;
    clearInterval(page.timer);
    setLiveBadge("offline");
  }

  const showLogin = setupAuth({ start, stop });
  return guarded;
}

/** The server's stage table: [{name, label, from, to, waterfall, description}], in order. */
export function stageTable() {
  return api("/agent-monitor/api/stages");
}
