// /mortgage_dashboard: mortgage applications with filters, one application's figures,
// estimates and document checklist, kept current by the live stream of application changes
// (a caller updating their application by voice shows up without a reload).
// Data: GET /api/mortgage/applications[/{id}], live: GET /api/mortgage/live.

import { api, el, runDashboard, shortId } from "./monitor_common.js";

const LIMIT = 100;
const $ = (id) => document.getElementById(id);
const state = { rows: [], total: 0, selected: null };
const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** "$320,000.00"; an en dash when unknown. */
const money = (value) => (value === null || value === undefined ? "–" : usd.format(value));
const day = (iso) => (iso ? iso.slice(0, 10) : "–");

function filters() {
  return {
    status: $("status-filter").value,
    created_from: $("from-filter").value,
    created_to: $("to-filter").value,
    min_amount: $("min-filter").value,
    max_amount: $("max-filter").value,
  };
}

/** Whether a row pushed by the live stream belongs in the filtered list. */
function matches(row) {
  const f = filters();
  const created = day(row.created_at);
  const amount = row.loan_amount;
  return (
    (!f.status || row.status === f.status) &&
    (!f.created_from || created >= f.created_from) &&
    (!f.created_to || created <= f.created_to) &&
    (!f.min_amount || (amount !== null && amount >= Number(f.min_amount))) &&
    (!f.max_amount || (amount !== null && amount <= Number(f.max_amount)))
  );
}

function statusPill(status) {
  const look = { approved: "ok", rejected: "bad", withdrawn: "warn", draft: "warn" }[status];
  return el("span", { class: `pill ${look ?? ""}`, dataset: { status } }, status.replace("_", " "));
}

function appRow(row, fresh) {
  const docs = row.documents;
  const tr = el(
    "tr",
    {
      class: ["selectable", fresh ? "fresh" : "", row.id === state.selected ? "selected" : ""]
        .filter(Boolean)
        .join(" "),
      dataset: { id: row.id },
    },
    el("td", { class: "num" }, day(row.created_at)),
    el(
      "td",
      {},
      row.borrower.name ?? "–",
      el("small", { class: "sub" }, row.borrower.email ?? shortId(row.id)),
    ),
    el(
      "td",
      { class: "num loan" },
      money(row.loan_amount),
      el("small", { class: "sub" }, row.loan_type.toUpperCase()),
    ),
    el("td", {}, statusPill(row.status)),
    el("td", { class: "num" }, `${docs.received}/${docs.required}`, el("small", { class: "sub" }, `${docs.percent} %`)),
  );
  tr.addEventListener("click", () => select(row.id));
  return tr;
}

function render(freshId = null) {
  const rows = state.rows;
  $("apps-body").replaceChildren(...rows.map((row) => appRow(row, row.id === freshId)));
  $("apps-empty").hidden = rows.length > 0;
  $("count-total").textContent = state.total;
  $("count-open").textContent = rows.filter((r) => ["submitted", "in_review"].includes(r.status)).length;
  $("count-volume").textContent = money(rows.reduce((sum, r) => sum + (r.loan_amount ?? 0), 0));
  const required = rows.reduce((sum, r) => sum + r.documents.required, 0);
  const received = rows.reduce((sum, r) => sum + r.documents.received, 0);
  $("count-docs").textContent = required ? `${Math.round((100 * received) / required)} %` : "–";
}

const FIGURES = [
  ["Loan amount", "loan_amount", money],
  ["Property value", "property_value", money],
  ["Down payment", "down_payment", money],
  ["Annual income", "annual_income", money],
  ["Monthly debts", "monthly_debts", money],
  ["Credit score", "credit_score", (v) => v ?? "–"],
  ["Term", "term_years", (v) => `${v} years`],
  ["Loan-to-value", "loan_to_value", (v) => (v === null || v === undefined ? "–" : `${v} %`)],
];

function line(label, value, key = "") {
  return el("tr", { dataset: { key } }, el("th", {}, label), el("td", { class: "num" }, value));
}

/** An estimate's rows, or why it cannot be made yet. */
function estimateRows(title, estimate, rows) {
  if (estimate.missing) return [line(title, `needs ${estimate.missing.join(", ").replace("_", " ")}`)];
  if (estimate.error) return [line(title, estimate.error)];
  return rows.map(([label, key]) => line(label, money(estimate[key]), key));
}

function renderDetail(app) {
  $("detail-id").textContent = `${app.borrower.name ?? "unknown borrower"} · ${shortId(app.id)}`;
  $("figures-body").replaceChildren(
    line("Status", statusPill(app.status), "status"),
    ...FIGURES.map(([label, key, fmt]) => line(label, fmt(app.figures[key]), key)),
  );
  const est = app.estimates;
  $("rate-note").textContent = `at ${est.annual_rate} % a year`;
  $("estimates-body").replaceChildren(
    ...estimateRows("Monthly payment", est.payment, [
      ["Monthly payment (P&I)", "monthly_payment"],
      ["Total interest", "total_interest"],
    ]),
    ...estimateRows("Affordability", est.affordability, [
      ["Max monthly payment (28/36)", "max_monthly_payment"],
      ["Max loan", "max_loan"],
      ["Max home price", "max_home_price"],
    ]),
  );
  const docs = app.documents;
  $("docs-note").textContent = `${docs.received} of ${docs.required} received, ${docs.verified} verified`;
  $("docs-progress").value = docs.percent;
  $("checklist").replaceChildren(
    ...app.checklist.map((doc) =>
      el("li", { dataset: { doc: doc.doc_type } }, el("span", {}, doc.name), statusPill(doc.status)),
    ),
  );
  $("detail-body").hidden = false;
}

async function loadDetail() {
  if (state.selected) renderDetail(await api(`/api/mortgage/applications/${state.selected}`));
}

async function load() {
  const page = await api("/api/mortgage/applications", { ...filters(), limit: LIMIT });
  state.rows = page.items;
  state.total = page.total;
  if (!state.selected && state.rows.length) state.selected = state.rows[0].id;
  render();
  await loadDetail();
}

function select(id) {
  state.selected = id;
  render();
  guarded(loadDetail);
}

/** A change published by the server (a tool call, by voice): update the row and the detail. */
function onChange(event) {
  const row = event.application;
  const known = state.rows.findIndex((r) => r.id === row.id);
  if (known >= 0) state.rows.splice(known, 1);
  else if (matches(row)) state.total += 1;
  if (matches(row)) state.rows = [row, ...state.rows].slice(0, LIMIT);
  else if (known >= 0) state.total -= 1;
  render(row.id);
  if (row.id === state.selected) guarded(loadDetail);
}

const guarded = runDashboard({
  load,
  livePath: "/api/mortgage/live",
  events: { application: onChange },
});
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  guarded(load);
});
$("status-filter").addEventListener("change", () => guarded(load));
