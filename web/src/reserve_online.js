// /reserve-online: Hanok Table's public booking page.
//
// Picks a date and a party size, lists the free times from GET /api/reservations/availability
// (no sign-in), and books with POST /api/reservations. Every refusal shows the server's
// reason; a 409 (taken meanwhile) offers the nearest free time the server names.

const $ = (id) => document.getElementById(id);
const form = $("booking-form");
const slotsBox = $("slots");
const slotsHint = $("slots-hint");
const bookButton = $("book-button");
const errorBanner = $("error-banner");
let chosen = null;
let refreshTimer = null;

/** The server's reason for a refusal, as one readable sentence. */
export function reasonOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    const nearest = detail.nearest_free_slot
      ? ` The nearest free time is ${detail.nearest_free_slot.slice(11, 16)} on ${detail.nearest_free_slot.slice(0, 10)}.`
      : "";
    return `${detail.reason}.${nearest}`;
  }
  if (Array.isArray(detail) && detail.length) {
    return detail.map((e) => `${(e.loc || []).slice(1).join(".") || "request"}: ${e.msg}`).join("; ");
  }
  if (status === 429) return "Too many bookings from this address; please try again later.";
  return `The server answered ${status}.`;
}

function showError(message) {
  errorBanner.textContent = message ? message[0].toUpperCase() + message.slice(1) : "";
  errorBanner.hidden = !message;
}

async function request(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "content-type": "application/json", ...(options.headers || {}) },
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { ok: response.ok, status: response.status, body };
}

function pick(time) {
  chosen = time;
  for (const button of slotsBox.querySelectorAll("button")) {
    const on = button.dataset.time === time;
    button.setAttribute("aria-checked", String(on));
    button.classList.toggle("chosen", on);
  }
  bookButton.disabled = !chosen;
}

function renderSlots(slots) {
  slotsBox.replaceChildren();
  for (const time of slots) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "slot";
    button.textContent = time;
    button.dataset.time = time;
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", "false");
    button.addEventListener("click", () => pick(time));
    slotsBox.append(button);
  }
  if (chosen && !slots.includes(chosen)) chosen = null;
  pick(chosen);
}

async function loadSlots({ keepError = false } = {}) {
  const date = $("date-input").value;
  const party = $("party-input").value;
  if (!date || !party) return;
  slotsHint.textContent = "Looking for free tables…";
  const query = new URLSearchParams({ date, party_size: party });
  const answer = await request(`/api/reservations/availability?${query}`);
  if (!answer.ok) {
    renderSlots([]);
    slotsHint.textContent = "";
    showError(reasonOf(answer.status, answer.body));
    return;
  }
  if (!keepError) showError("");
  const { slots, timezone } = answer.body;
  $("zone-hint").textContent = `Times are the restaurant's local time (${timezone}).`;
  renderSlots(slots);
  slotsHint.textContent = slots.length
    ? `${slots.length} free times for ${party}.`
    : "No free table that day for this party; try another date or fewer guests.";
}

function scheduleSlots() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => loadSlots(), 150);
}

async function book(event) {
  event.preventDefault();
  showError("");
  if (!chosen) return showError("Choose a time first.");
  if (!form.reportValidity()) return undefined;
  const data = new FormData(form);
  const body = {
    date: data.get("date"),
    time: chosen,
    party_size: Number(data.get("party_size")),
    name: String(data.get("name")).trim(),
    phone: String(data.get("phone")).trim(),
    special_requests: String(data.get("special_requests") || ""),
  };
  bookButton.disabled = true;
  const answer = await request("/api/reservations", { method: "POST", body: JSON.stringify(body) });
  bookButton.disabled = false;
  if (!answer.ok) {
    showError(reasonOf(answer.status, answer.body));
    // Taken meanwhile: show the times still free, and keep the reason on screen.
    if (answer.status === 409) await loadSlots({ keepError: true });
    return undefined;
  }
  const made = answer.body;
  $("confirmation-text").textContent =
    `A table for ${made.party_size} on ${made.date} at ${made.time}, under ${made.name}.`;
  $("confirmation-code").textContent = made.confirmation_code;
  $("confirmation").hidden = false;
  form.hidden = true;
  return undefined;
}

function start() {
  const dateInput = $("date-input");
  const tomorrow = new Date(Date.now() + 86400000);
  dateInput.min = new Date().toISOString().slice(0, 10);
  dateInput.value = tomorrow.toISOString().slice(0, 10);
  dateInput.addEventListener("change", scheduleSlots);
  $("party-input").addEventListener("input", scheduleSlots);
  form.addEventListener("submit", book);
  loadSlots();
}

start();
