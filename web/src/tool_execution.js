// /tool-execution: recent tool calls with their arguments, results and timings, kept current
// by the Agent Monitor's live stream. Data: GET /tool-execution/api/calls.

import { api, el, fmtJson, fmtMs, fmtTime, runDashboard, shortId } from "./monitor_common.js";

const LIMIT = 200;
const $ = (id) => document.getElementById(id);
const state = { rows: [] };

function filters() {
  return { tool: $("tool-filter").value.trim(), outcome: $("outcome-filter").value };
}

function matches(row) {
  const { tool, outcome } = filters();
  return (!tool || row.name === tool) && (!outcome || row.outcome === outcome);
}

/** A one-line summary that opens to the pretty-printed JSON value. */
function expandable(summary, value) {
  const pretty = el("pre", { class: "json-block" }, JSON.stringify(value ?? null, null, 2));
  return el("details", {}, el("summary", {}, summary), pretty);
}

function callRow(row, fresh) {
  return el(
    "tr",
    { class: fresh ? "fresh" : "", dataset: { turnId: row.turn_id, tool: row.name } },
    el("td", { class: "num" }, fmtTime(row.at)),
    el("td", {}, el("code", {}, row.name)),
    el("td", { class: "json" }, expandable(fmtJson(row.args, 70), row.args)),
    el("td", { class: "json" }, expandable(row.summary || "–", row.result)),
    el("td", {}, el("span", { class: "chip", dataset: { outcome: row.outcome } }, row.outcome)),
    el("td", { class: "num" }, fmtMs(row.elapsed_ms)),
    el(
      "td",
      {},
      el("code", {}, shortId(row.session_id)),
      el("small", { class: "sub" }, `${row.bot} · ${row.channel}`),
    ),
  );
}

function render(freshTurn = null) {
  const shown = state.rows.filter(matches);
  $("calls-body").replaceChildren(...shown.map((row) => callRow(row, row.turn_id === freshTurn)));
  $("calls-empty").hidden = shown.length > 0;
  const counts = { ok: 0, error: 0, timeout: 0 };
  for (const row of shown) counts[row.outcome] = (counts[row.outcome] ?? 0) + 1;
  $("count-total").textContent = shown.length;
  $("count-ok").textContent = counts.ok;
  $("count-error").textContent = counts.error;
  $("count-timeout").textContent = counts.timeout;
}

async function load() {
  const page = await api("/tool-execution/api/calls", { ...filters(), limit: LIMIT });
  state.rows = page.items;
  render();
}

function onTurn(turn) {
  if (!turn.tool_calls.length || state.rows.some((row) => row.turn_id === turn.turn_id)) return;
  const at = turn.times.agent_start_at ?? turn.recorded_at;
  const rows = [...turn.tool_calls].reverse().map((call) => ({
    ...call, at, turn_id: turn.turn_id, session_id: turn.session_id, kind: turn.kind,
    channel: turn.channel, bot: turn.bot, user_id: turn.user_id, llm_used: turn.llm_used,
  }));
  state.rows = [...rows, ...state.rows].slice(0, LIMIT);
  render(turn.turn_id);
}

const guarded = runDashboard({ load, onTurn });
const reload = () => guarded(load);
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  reload();
});
$("outcome-filter").addEventListener("change", reload);
