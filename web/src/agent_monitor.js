// /agent-monitor: per-turn latency waterfall, stage percentiles over time, live turns and
// tool calls, sessions. Data: GET /agent-monitor/api/stats and /interactions, then the live
// stream (every server instance's turns, through Redis pub/sub) keeps it current.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import {
  api,
  el,
  fmtJson,
  fmtMs,
  fmtTime,
  runDashboard,
  shortId,
  stageTable,
  turnStart,
} from "./monitor_common.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

// Stage names and labels come from the server's stage table (GET /agent-monitor/api/stages):
// the waterfall shows its waterfall stages in order, in these colours.
const WATERFALL_COLORS = ["#c5cae9", "#7c93ff", "#a5b4fc", "#f59f00", "#ffd43b", "#37b24d", "#94d82d"];
// The percentile lines: [stage, percentile, colour, dash].
const SERIES = [
  ["voice_to_voice_ms", "p50", "#3b5bdb", []],
  ["voice_to_voice_ms", "p95", "#3b5bdb", [6, 4]],
  ["agent_ms", "p50", "#f59f00", []],
  ["stt_ms", "p50", "#7c93ff", []],
  ["tts_ms", "p50", "#37b24d", []],
];
const WATERFALL_TURNS = 12;
const KEEP_TURNS = 200;
const STATS_EVERY_MS = 15000;

const $ = (id) => document.getElementById(id);
const state = { turns: [], ids: new Set(), pending: null, stages: [] };
let waterfall = null;
let percentiles = null;

function filters() {
  return { window_s: Number($("window-select").value), bot: $("bot-select").value };
}

function keep(turn) {
  const { window_s, bot } = filters();
  return (!bot || turn.bot === bot) && turn.recorded_at >= Date.now() / 1000 - window_s;
}

// ---- charts --------------------------------------------------------------------------------

function chartColors() {
  const style = getComputedStyle(document.documentElement);
  return {
    ink: style.getPropertyValue("--muted").trim(),
    grid: style.getPropertyValue("--line").trim(),
  };
}

function label(stage) {
  return state.stages.find((s) => s.name === stage)?.label ?? stage;
}

function waterfallStages() {
  return state.stages.filter((s) => s.waterfall);
}

function makeCharts() {
  const { ink, grid } = chartColors();
  Chart.defaults.color = ink;
  Chart.defaults.borderColor = grid;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const ms = { callback: (value) => fmtMs(value) };
  waterfall = new Chart($("waterfall-chart"), {
    type: "bar",
    data: {
      labels: [],
      datasets: waterfallStages().map((stage, i) => ({
        label: stage.label,
        backgroundColor: WATERFALL_COLORS[i % WATERFALL_COLORS.length],
        data: [],
        borderRadius: 3,
        maxBarThickness: 26,
      })),
    },
    options: {
      indexAxis: "y",
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true, ticks: ms, title: { display: true, text: "end of speech → voice" } },
        y: { stacked: true },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmtMs(ctx.raw)}` } },
      },
    },
  });
  percentiles = new Chart($("percentiles-chart"), {
    type: "line",
    data: {
      labels: [],
      datasets: SERIES.map(([stage, q, color, dash]) => ({
        label: `${label(stage)} ${q}`,
        borderColor: color,
        backgroundColor: color,
        borderDash: dash,
        data: [],
        spanGaps: true,
        tension: 0.25,
        pointRadius: 3,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: ms } },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmtMs(ctx.raw)}` } },
      },
    },
  });
}

function renderWaterfall() {
  const voice = state.turns.filter(
    (t) => t.kind === "voice" && t.stages.voice_to_voice_ms !== undefined,
  );
  const shown = voice.slice(0, WATERFALL_TURNS).reverse();
  waterfall.data.labels = shown.map(
    (t) => `${fmtTime(turnStart(t))} · ${shortId(t.session_id)} #${t.index}`,
  );
  waterfallStages().forEach((stage, i) => {
    waterfall.data.datasets[i].data = shown.map((t) => t.stages[stage.name] ?? 0);
  });
  waterfall.update();
  $("waterfall-empty").hidden = shown.length > 0;
}

function renderPercentiles(stats) {
  const points = stats.series.points;
  // Each point covers the bucket that ends at its label.
  percentiles.data.labels = points.map((p) => fmtTime(p.t + stats.series.bucket_s).slice(0, 5));
  SERIES.forEach(([stage, q], i) => {
    percentiles.data.datasets[i].data = points.map((p) => p.stages[stage]?.[q] ?? null);
  });
  percentiles.update();
}

// ---- tiles and tables ----------------------------------------------------------------------

function renderTiles(stats) {
  const stage = (name, q) => stats.stages[name]?.[q];
  const toolErrors = Object.values(stats.tools).reduce((n, t) => n + t.errors + t.timeouts, 0);
  $("tile-turns").textContent = stats.turns;
  $("tile-sessions").textContent = stats.sessions;
  $("tile-v2v").textContent = fmtMs(stage("voice_to_voice_ms", "p50"));
  $("tile-v2v-p95").textContent = `p95 ${fmtMs(stage("voice_to_voice_ms", "p95"))}`;
  $("tile-agent").textContent = fmtMs(stage("agent_ms", "p50"));
  $("tile-agent-p95").textContent = `p95 ${fmtMs(stage("agent_ms", "p95"))}`;
  $("tile-greeting").textContent = fmtMs(stage("greeting_ms", "p50"));
  $("tile-interrupted").textContent = stats.interrupted;
  $("tile-tools").textContent = stats.tool_calls;
  $("tile-tool-errors").textContent = toolErrors ? `${toolErrors} failed` : "none failed";
  $("tile-tool-errors").dataset.bad = toolErrors > 0;
  $("updated").textContent = `Updated ${fmtTime(stats.until)}`;
}

function toolChips(turn) {
  return turn.tool_calls.map((call) =>
    el(
      "span",
      { class: "chip", dataset: { outcome: call.outcome }, title: fmtJson(call.args, 400) },
      call.name,
      " ",
      el("small", {}, fmtMs(call.elapsed_ms)),
    ),
  );
}

function status(turn) {
  const look = { error: "bad", timeout: "bad", interrupted: "warn", abandoned: "warn" };
  const name = turn.outcome === "ok" ? turn.end_reason : turn.outcome;
  return el("span", { class: `pill ${look[turn.outcome] ?? "ok"}`, title: turn.error }, name);
}

function turnRow(turn, fresh) {
  const said = turn.kind === "greeting" ? el("em", {}, "greeting") : turn.user_text;
  const v2v = turn.stages.voice_to_voice_ms ?? turn.stages.greeting_ms;
  return el(
    "tr",
    { class: fresh ? "fresh" : "", dataset: { turnId: turn.turn_id, sessionId: turn.session_id } },
    el("td", { class: "num" }, fmtTime(turnStart(turn))),
    el(
      "td",
      {},
      el("code", {}, shortId(turn.session_id)),
      el("small", { class: "sub" }, `${turn.kind} · ${turn.channel}`),
    ),
    el("td", {}, turn.bot),
    el("td", { class: "text" }, said),
    el("td", { class: "text" }, turn.bot_text),
    el("td", { class: "num" }, fmtMs(v2v)),
    el("td", { class: "num" }, fmtMs(turn.stages.agent_ms)),
    el("td", {}, el("span", { class: "chips" }, toolChips(turn))),
    el("td", {}, status(turn)),
  );
}

function toolRow(turn, call, fresh) {
  return el(
    "tr",
    { class: fresh ? "fresh" : "", dataset: { turnId: turn.turn_id, tool: call.name } },
    el("td", { class: "num" }, fmtTime(turn.times.agent_start_at ?? turnStart(turn))),
    el("td", {}, el("code", {}, call.name)),
    el("td", { class: "json" }, fmtJson(call.args, 90)),
    el("td", {}, el("span", { class: "chip", dataset: { outcome: call.outcome } }, call.outcome)),
    el("td", { class: "num" }, fmtMs(call.elapsed_ms)),
    el("td", { class: "clip", title: call.summary }, call.summary),
  );
}

function renderTables(freshId = null) {
  const shown = state.turns.filter(keep);
  const rows = shown.slice(0, 50).map((t) => turnRow(t, t.turn_id === freshId));
  $("turns-body").replaceChildren(...rows);
  $("turns-empty").hidden = shown.length > 0;
  const calls = shown.flatMap((t) =>
    [...t.tool_calls].reverse().map((c) => toolRow(t, c, t.turn_id === freshId)),
  );
  $("tools-body").replaceChildren(...calls.slice(0, 30));
  $("tools-empty").hidden = calls.length > 0;
  renderSessions(shown);
}

function renderSessions(turns) {
  const sessions = new Map();
  for (const turn of turns) {
    const s = sessions.get(turn.session_id) ?? { turn, turns: 0, last: 0, v2v: [] };
    s.turns += turn.kind === "greeting" ? 0 : 1;
    s.last = Math.max(s.last, turnStart(turn));
    if (turn.stages.voice_to_voice_ms !== undefined) s.v2v.push(turn.stages.voice_to_voice_ms);
    sessions.set(turn.session_id, s);
  }
  const rows = [...sessions.values()].sort((a, b) => b.last - a.last).map((s) => {
    const sorted = [...s.v2v].sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
    return el(
      "tr",
      { dataset: { sessionId: s.turn.session_id } },
      el("td", {}, el("code", {}, shortId(s.turn.session_id))),
      el("td", {}, s.turn.channel),
      el("td", {}, s.turn.bot),
      el("td", { class: "num" }, s.turns),
      el("td", { class: "num" }, fmtMs(median)),
      el("td", { class: "num" }, fmtTime(s.last)),
    );
  });
  $("sessions-body").replaceChildren(...rows.slice(0, 20));
  $("sessions-empty").hidden = rows.length > 0;
}

// ---- data ------------------------------------------------------------------------------------

function remember(turn) {
  if (state.ids.has(turn.turn_id)) return false;
  state.ids.add(turn.turn_id);
  state.turns.push(turn);
  state.turns.sort((a, b) => b.recorded_at - a.recorded_at);
  state.turns.length = Math.min(state.turns.length, KEEP_TURNS);
  return true;
}

async function loadStats() {
  const stats = await api("/agent-monitor/api/stats", filters());
  renderTiles(stats);
  renderPercentiles(stats);
}

async function loadTurns() {
  const { window_s, bot } = filters();
  const since = Date.now() / 1000 - window_s;
  const page = await api("/agent-monitor/api/interactions", { bot, since, limit: 200 });
  state.turns = [];
  state.ids.clear();
  page.items.forEach(remember);
  renderTables();
  renderWaterfall();
}

async function load() {
  if (!waterfall) {
    state.stages = await stageTable();
    makeCharts();
  }
  await loadTurns();
  await loadStats();
}

function onTurn(turn) {
  if (!waterfall || !remember(turn) || !keep(turn)) return;
  renderTables(turn.turn_id);
  renderWaterfall();
  clearTimeout(state.pending);
  state.pending = setTimeout(() => guarded(loadStats), 700);
}

async function loadBots() {
  const res = await fetch("/api/bots");
  if (!res.ok) return;
  const { bots } = await res.json();
  $("bot-select").append(...bots.map((b) => el("option", { value: b.name }, b.title || b.name)));
}

const guarded = runDashboard({ load, onTurn, refresh: loadStats, refreshMs: STATS_EVERY_MS });
const reload = () => guarded(load);
loadBots();
$("window-select").addEventListener("change", reload);
$("bot-select").addEventListener("change", reload);
$("refresh-button").addEventListener("click", reload);
