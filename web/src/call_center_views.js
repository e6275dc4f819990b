// Rendering for /call-center: the agent's state, the caller popup, history, metrics and the
// supervisor's agent list. Pure DOM updates from API payloads (convonet/callcenter/api_models.py).

import { el } from "./monitor_common.js";

const $ = (id) => document.getElementById(id);

export const STATE_LABELS = {
  logged_out: "Logged out",
  not_ready: "Not ready",
  ready: "Ready",
  ringing: "Ringing",
  on_call: "On call",
  wrap_up: "Wrap-up",
};

/** "m:ss" (or "h:mm:ss") of a number of seconds. */
export function clock(secs) {
  const total = Math.max(0, Math.floor(secs || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Local date and time of an ISO timestamp; an en dash when missing. */
export function when(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "–" : date.toLocaleString([], { hour12: false });
}

function pct(ratio) {
  return ratio === null || ratio === undefined ? "–" : `${Math.round(ratio)}%`;
}

/** The agent's state badge, its buttons, and the clock baseline for the timers. */
export function showStatus(status) {
  const badge = $("agent-state");
  badge.dataset.agentState = status.state;
  badge.textContent = STATE_LABELS[status.state] ?? status.state;
  const allowed = new Set(status.allowed_actions ?? []);
  $("btn-ready").disabled = !allowed.has("ready");
  $("btn-not-ready").disabled = !allowed.has("not_ready");
  $("btn-agent-logout").disabled = !allowed.has("logout");
  $("btn-agent-login").hidden = !allowed.has("login");
  $("btn-agent-logout").hidden = allowed.has("login");
  $("agent-ident").textContent =
    `${status.name} · ext. ${status.extension}` + (status.department ? ` · ${status.department}` : "");
}

/** Refresh the time-in-state and wrap-up timers from a status seen `ageSecs` ago. */
export function showTimers(status, ageSecs) {
  $("state-time").textContent = clock((status.seconds_in_state ?? 0) + ageSecs);
  const wrap = status.state === "wrap_up" && status.wrap_up_remaining !== null;
  $("wrapup").hidden = !wrap;
  if (wrap) $("wrapup-time").textContent = clock(Math.max(0, status.wrap_up_remaining - ageSecs));
}

/** The connection indicator: kind is "connecting" | "registered" | "disconnected" | "error" | "off". */
export function showSip(kind, text) {
  const badge = $("sip-status");
  badge.dataset.sip = kind;
  badge.dataset.state = { registered: "ready", error: "error", off: "disconnected" }[kind] ?? "connecting";
  badge.textContent =
    { registered: "Phone ready", disconnected: "Phone disconnected", error: "Phone error", off: "Phone off" }[kind] ??
    "Phone connecting…";
  badge.title = text;
  const error = $("sip-error");
  error.textContent = text;
  error.hidden = !(kind === "error" || kind === "disconnected");
}

function customerContact(customer) {
  return [customer.email, customer.phone].filter(Boolean).join(" · ") || "–";
}

function caseItem(openCase) {
  const label = `${when(openCase.started_at)} · ${openCase.department ?? "no department"} · ${openCase.outcome ?? "open"}`;
  return el("li", {}, label, openCase.summary ? el("div", { class: "hint" }, openCase.summary) : null);
}

/** Fill the incoming-call popup (or clear it with null). */
export function showPopup(popup, fallbackNumber = "") {
  const panel = $("popup");
  panel.dataset.open = String(Boolean(popup));
  $("popup-empty").hidden = Boolean(popup);
  $("popup-body").hidden = !popup;
  if (!popup) {
    $("popup-source").textContent = "";
    return;
  }
  const customer = popup.customer;
  const sources = { transfer_context: "from the transfer", database: "from the database", unknown: "unknown caller" };
  $("popup-source").textContent = sources[popup.source] ?? popup.source;
  $("cust-name").textContent = customer?.name ?? popup.caller_number ?? (fallbackNumber || "Unknown caller");
  $("cust-id").textContent = customer?.id ?? "–";
  $("cust-contact").textContent = customer ? customerContact(customer) : popup.caller_number ?? "–";
  $("cust-status").textContent = customer
    ? `${customer.account_status}, customer since ${when(customer.customer_since)}`
    : "–";
  $("cust-last").textContent = when(customer?.last_contact);
  $("call-department").textContent = popup.department ?? "–";
  $("call-reason").textContent = popup.reason || "–";
  $("call-summary").textContent = popup.summary || "No summary.";
  const cases = customer?.open_cases ?? [];
  $("cust-cases").replaceChildren(...(cases.length ? cases.map(caseItem) : [el("li", { class: "hint" }, "None")]));
  $("call-transcript").replaceChildren(
    ...(popup.transcript ?? []).map((line) =>
      el("li", { dataset: { role: line.role } }, line.text),
    ),
  );
}

/** The call card: who, what is happening, and for how long. */
export function showCall(call, label) {
  const card = $("call-card");
  if (!call) {
    card.dataset.call = "idle";
    $("call-peer").textContent = "No call";
    $("call-status").textContent = label || "Idle";
    $("call-duration").textContent = "0:00";
    $("phone-line").textContent = "idle";
    return;
  }
  card.dataset.call = call.held ? "held" : call.state;
  const who = call.peer.name ? `${call.peer.name} (${call.peer.number})` : call.peer.number;
  $("call-peer").textContent = who || "Unknown";
  $("call-status").textContent = label;
  $("call-duration").textContent = clock(call.durationSecs);
  $("phone-line").textContent = call.direction;
}

function historyRow(item) {
  const transfers = (item.transfers ?? []).map((t) => `${t.kind} → ${t.target}`).join(", ");
  return el(
    "tr",
    { dataset: { leg: item.leg_id, callSid: item.call_sid ?? "" } },
    el("td", {}, when(item.offered_at)),
    el("td", {}, item.agent_name),
    el("td", {}, item.customer_name ?? item.caller_number ?? "–"),
    el("td", { class: "num" }, item.talk_secs === null ? "–" : clock(item.talk_secs)),
    el("td", { class: "outcome" }, item.outcome ?? "in progress"),
    el("td", {}, [item.transfer_outcome, transfers].filter(Boolean).join(" · ") || "–"),
    el("td", { class: "text" }, item.summary ?? ""),
  );
}

export function showHistory(page) {
  const items = page.items ?? [];
  $("history-body").replaceChildren(...items.map(historyRow));
  $("history-empty").hidden = items.length > 0;
}

/** The signed-in agent's figures (the row of `agentId`, else the first). */
export function showMetrics(report, agentId) {
  const mine = (report.agents ?? []).find((a) => a.agent_id === agentId) ?? report.agents?.[0];
  $("metric-handled").textContent = mine ? String(mine.calls_handled) : "–";
  $("metric-aht").textContent = mine?.average_handle_secs == null ? "–" : clock(mine.average_handle_secs);
  $("metric-answer-rate").textContent = mine?.answer_rate == null ? "–" : pct(mine.answer_rate * 100);
  $("metric-availability").textContent = pct(mine?.availability_pct);
}

export function showAgents(agents) {
  $("agents-panel").hidden = false;
  $("agents-body").replaceChildren(
    ...agents.map((a) =>
      el(
        "tr",
        { dataset: { agent: a.agent_id, state: a.state } },
        el("td", {}, a.name),
        el("td", {}, a.extension),
        el("td", {}, a.department ?? "–"),
        el("td", {}, el("span", { class: "badge state-badge", dataset: { agentState: a.state } }, STATE_LABELS[a.state] ?? a.state)),
        el("td", { class: "num" }, clock(a.seconds_in_state)),
        el("td", {}, a.current_call ? a.current_call.customer_name ?? a.current_call.caller_number ?? "call" : "–"),
      ),
    ),
  );
}
