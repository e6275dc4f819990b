// /call-center: the agent's dashboard. After sign-in (JWT) the agent joins the queue
// (not ready), the softphone registers with the agent's own SIP account, and the live feed
// keeps the state, the history, the metrics and (for supervisors) the agents' list current.
//
// The server holds the agent's state; the page reports what the phone does (ringing,
// answer, hold, transfer, drop) and shows what the server answers. A call that rings while
// the server does not let the agent take it is rejected with 486 Busy Here.

import { AuthError, auth, authMessage, detail, setLiveBadge, setupAuth } from "./monitor_common.js";
import { Softphone } from "./softphone.js";
import {
  showAgents,
  showCall,
  showHistory,
  showMetrics,
  showPopup,
  showSip,
  showStatus,
  showTimers,
} from "./call_center_views.js";

const API = "/call-center/api";
const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);
let showLogin = () => {};
const page = {
  status: null,
  statusAt: 0,
  phone: null,
  call: null,
  consult: null,
  feed: null,
  live: false,
  timer: null,
  poll: null,
};

/** The roles in the access token (display only; the server checks them on every call). */
function tokenRoles() {
  try {
    const payload = JSON.parse(atob(auth.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload.roles ?? [];
  } catch {
    return [];
  }
}

async function request(method, path, body) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { Authorization: `Bearer ${auth.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) throw new AuthError(res.status, await detail(res));
  if (!res.ok) {
    const error = new Error(await detail(res));
    error.status = res.status;
    throw error;
  }
  return res.json();
}

const get = (path) => request("GET", path);
const post = (path, body = {}) => request("POST", path, body);

function fail(error) {
  if (error instanceof AuthError) return showLogin(authMessage(error));
  $("page-error").textContent = error.message;
  $("page-error").hidden = false;
}

async function guarded(work) {
  try {
    const result = await work();
    $("page-error").hidden = true;
    return result;
  } catch (error) {
    fail(error);
    return undefined;
  }
}

function setStatus(status) {
  const changed = page.status?.state !== status.state;
  page.status = status;
  if (changed) refreshLists(); // a call that ended shows up in the history and the metrics
  page.statusAt = performance.now();
  showStatus(status);
  tick();
}

const refreshStatus = () => guarded(async () => setStatus(await get("/agent/status")));

async function refreshLists() {
  await guarded(async () => {
    showHistory(await get("/history?limit=20"));
    showMetrics(await get("/metrics"), page.status?.agent_id);
  });
  if (!tokenRoles().some((r) => r === "supervisor" || r === "admin")) return;
  try {
    showAgents(await get("/agents"));
  } catch (error) {
    if (error.status !== 403) fail(error);
  }
}

// --- the live feed (Server-Sent Events with a single-use ticket) --------------------------

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    refreshStatus();
    refreshLists();
  }, 150);
}

function openFeed() {
  const feed = { source: null, closed: false, delay: 1000 };
  async function connect() {
    if (feed.closed) return;
    setLiveBadge("connecting");
    try {
      const { ticket } = await post("/events/ticket");
      const source = new EventSource(`${API}/events?ticket=${encodeURIComponent(ticket)}`);
      feed.source = source;
      source.onopen = () => {
        feed.delay = 1000;
        page.live = true;
        setLiveBadge("live");
        scheduleRefresh();
      };
      source.addEventListener("ready", scheduleRefresh);
      source.addEventListener("agent", (event) => {
        const changed = JSON.parse(event.data);
        if (changed.agent_id === page.status?.agent_id) setStatus(changed);
        scheduleRefresh();
      });
      source.onerror = () => {
        page.live = false;
        source.close(); // the ticket is single-use: reconnect with a new one
        retry();
      };
    } catch (error) {
      if (error instanceof AuthError) return fail(error);
      retry();
    }
  }
  function retry() {
    if (feed.closed) return;
    setLiveBadge("reconnecting");
    setTimeout(connect, feed.delay);
    feed.delay = Math.min(feed.delay * 2, 15000);
  }
  connect();
  return {
    close() {
      feed.closed = true;
      feed.source?.close();
      setLiveBadge("offline");
    },
  };
}

// --- calls ------------------------------------------------------------------------------

function callLabel(call) {
  if (call.state === "ringing") return "Ringing…";
  if (call.state === "dialing") return "Calling…";
  if (call.held) return "On hold";
  return call.muted ? "On call (muted)" : "On call";
}

function showButtons() {
  const call = page.call;
  const ringing = call?.direction === "incoming" && call.state === "ringing";
  const up = call?.state === "on_call";
  $("btn-answer").disabled = !ringing;
  $("btn-reject").disabled = !ringing;
  $("btn-hangup").disabled = !call || ringing;
  $("btn-hold").disabled = !up;
  $("btn-mute").disabled = !up;
  $("btn-hold").setAttribute("aria-pressed", String(Boolean(call?.held)));
  $("btn-hold").textContent = call?.held ? "Unhold" : "Hold";
  $("btn-mute").setAttribute("aria-pressed", String(Boolean(call?.muted)));
  $("btn-mute").textContent = call?.muted ? "Unmute" : "Mute";
  $("btn-blind").disabled = !up || Boolean(page.consult);
  $("btn-consult").disabled = !up || Boolean(page.consult);
  $("btn-complete").hidden = !page.consult;
  $("btn-dial").disabled = Boolean(call) || page.phone === null;
}

function render() {
  const call = page.call;
  showCall(call, call ? callLabel(call) : "Idle");
  const audio = $("remote-audio");
  if (call?.remoteStream && audio.srcObject !== call.remoteStream) audio.srcObject = call.remoteStream;
  showButtons();
}

function track(call) {
  page.call = call;
  let held = call.held;
  call.onChange = () => {
    if (call.tracked && call.held !== held) {
      held = call.held;
      guarded(async () => setStatus(await post("/call/hold", { on: held })));
    }
    render();
  };
  call.onEnded = (_, { cause }) => {
    if (page.call === call) page.call = null;
    $("remote-audio").srcObject = null;
    render();
    showCall(null, `Call ended (${cause})`);
    if (call.tracked && !call.transferred) guarded(async () => setStatus(await post("/call/drop")));
  };
  render();
}

async function incoming(call) {
  if (page.call || page.status?.state !== "ready") {
    call.hangUp(); // 486 Busy Here: the agent is busy or not ready
    return;
  }
  track(call);
  const body = {
    call_sid: call.headers.callSid,
    session_id: call.headers.session,
    caller_number: call.peer.number || null,
    extension: call.headers.extension,
  };
  // Answering waits for this, so the server hears "ringing" before "answer".
  call.reported = post("/call/ringing", body).then(
    (result) => {
      call.tracked = true;
      setStatus(result.status);
      showPopup(result.popup, call.peer.number);
      return true;
    },
    (error) => {
      call.hangUp();
      fail(error);
      return false;
    },
  );
  await call.reported;
}

async function answer() {
  const call = page.call;
  if (!call || !(await call.reported)) return;
  call.answer();
  await guarded(async () => setStatus(await post("/call/answer")));
}

async function blindTransfer(target) {
  const call = page.call;
  $("transfer-status").hidden = false;
  $("transfer-status").textContent = `Transferring to ${target}…`;
  await guarded(async () => {
    await call.refer(target);
    call.transferred = true;
    setStatus(await post("/call/transfer", { target, kind: "blind" }));
    $("transfer-status").textContent = `Transferred to ${target}.`;
    call.hangUp();
  });
}

function consult(target) {
  const call = page.call;
  call.hold(true);
  page.consult = page.phone.dial(target);
  page.consult.onEnded = () => {
    page.consult = null;
    showButtons();
  };
  $("transfer-status").hidden = false;
  $("transfer-status").textContent = `Consulting ${target}; the caller is on hold.`;
  showButtons();
}

async function completeTransfer() {
  const call = page.call;
  const target = $("transfer-target").value.trim();
  await guarded(async () => {
    await call.refer(target, page.consult);
    setStatus(await post("/call/transfer", { target, kind: "attended" }));
    $("transfer-status").textContent = `Transferred to ${target} (attended).`;
    page.consult?.hangUp();
    call.hangUp();
  });
}

function pressKey(key) {
  if (page.call?.state === "on_call") {
    page.call.dtmf(key);
    $("dtmf-sent").textContent = `Sent tone ${key}`;
  } else {
    $("dial-input").value += key;
  }
}

function dial() {
  const number = $("dial-input").value.trim();
  if (!number || page.call || !page.phone) return;
  track(page.phone.dial(number));
}

function wireControls() {
  $("btn-ready").onclick = () => guarded(async () => setStatus(await post("/agent/ready")));
  $("btn-not-ready").onclick = () => guarded(async () => setStatus(await post("/agent/not-ready")));
  $("btn-agent-login").onclick = () => guarded(async () => setStatus(await post("/agent/login")));
  $("btn-agent-logout").onclick = () => guarded(async () => setStatus(await post("/agent/logout")));
  $("btn-answer").onclick = answer;
  $("btn-reject").onclick = () => page.call?.hangUp();
  $("btn-hangup").onclick = () => page.call?.hangUp();
  $("btn-hold").onclick = () => page.call?.hold(!page.call.held);
  $("btn-mute").onclick = () => page.call?.mute(!page.call.muted);
  $("transfer-form").onsubmit = (event) => {
    event.preventDefault();
    const target = $("transfer-target").value.trim();
    if (target && page.call) blindTransfer(target);
  };
  $("btn-consult").onclick = () => {
    const target = $("transfer-target").value.trim();
    if (target && page.call) consult(target);
  };
  $("btn-complete").onclick = completeTransfer;
  $("btn-dial").onclick = dial;
  for (const key of document.querySelectorAll("#dialpad button")) {
    key.onclick = () => pressKey(key.dataset.key);
  }
}

function tick() {
  if (page.status) showTimers(page.status, (performance.now() - page.statusAt) / 1000);
  if (page.call) showCall(page.call, callLabel(page.call));
}

// --- sign-in lifecycle ------------------------------------------------------------------

async function start() {
  showSip("connecting", "Signing in to the queue…");
  const status = await guarded(() => get("/agent/status"));
  if (!status) return;
  setStatus(status.state === "logged_out" ? await post("/agent/login") : status);
  const account = await guarded(() => get("/agent/sip"));
  if (account) {
    page.phone = new Softphone(account, { onStatus: showSip, onIncoming: incoming });
    page.phone.start();
  }
  page.feed = openFeed();
  page.timer = setInterval(tick, 500);
  // Without the live feed (reconnecting), the state is polled so the timers stay true.
  page.poll = setInterval(() => page.live || refreshStatus(), POLL_MS);
  refreshLists();
  showButtons();
}

function stop() {
  // Leaving the dashboard leaves the queue too (refused, harmlessly, mid-call or when the
  // token is what failed); no call should ring a phone that is no longer registered.
  if (page.status?.allowed_actions?.includes("logout") && auth.token) {
    fetch(`${API}/agent/logout`, { method: "POST", headers: { Authorization: `Bearer ${auth.token}` }, keepalive: true });
  }
  page.status = null;
  page.call?.hangUp();
  page.phone?.stop();
  page.phone = null;
  page.feed?.close();
  clearInterval(page.timer);
  clearInterval(page.poll);
  showSip("off", "Signed out");
}

wireControls();
// The driver of the browser test (and a curious developer) reads the live call here.
window.convonetCallCenter = {
  get call() {
    return page.call;
  },
  get status() {
    return page.status;
  },
  get consult() {
    return page.consult;
  },
};
showLogin = setupAuth({ start: () => guarded(start), stop });
