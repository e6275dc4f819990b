// Live conversation transcript: user and bot bubbles, streamed bot text, barge-in marks.
//
// Bot text can reach the page on three RTVI channels. Their priority is
//   bot-output (spoken segments, with word progress)  >  bot-tts-text  >  bot-llm-text
// The first spoken channel seen in a session wins; LLM tokens are shown only until
// spoken text exists (they run ahead of the audio, so they are a fallback, not a source).

const SOURCE_RANK = { llm: 0, tts: 1, output: 2 };

/** Format milliseconds as seconds with one decimal ("1.4 s"). */
export function formatSeconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

export class Transcript {
  /** @param {HTMLElement} root the element with role="log" that holds the bubbles */
  constructor(root) {
    this.root = root;
    this.spokenSource = null; // "output" | "tts" once a spoken channel has been seen
    this.clear();
  }

  clear() {
    this.root.replaceChildren();
    this.user = null; // open user bubble {el, finals, partial}
    this.bot = null; // open bot bubble {el, body, source, segments: Map, text}
    this.spokenSource = null;
  }

  // ---- user side -------------------------------------------------------------------

  /** A user-transcription message: partials replace, finals accumulate. */
  userTranscript({ text, final }) {
    const clean = (text || "").trim();
    if (!clean) return;
    if (!this.user) {
      this.closeBot();
      const el = this._bubble("user", "You");
      this.user = { el, body: el.querySelector(".msg-text"), finals: [], partial: "" };
    }
    if (final) {
      this.user.finals.push(clean);
      this.user.partial = "";
    } else {
      this.user.partial = clean;
    }
    const shown = [...this.user.finals, this.user.partial].filter(Boolean).join(" ");
    this.user.body.textContent = shown;
    this.user.el.classList.toggle("partial", !final);
    this._scroll();
  }

  closeUser() {
    if (this.user) this.user.el.classList.remove("partial");
    this.user = null;
  }

  // ---- bot side ----------------------------------------------------------------------

  /** A bot-output message (RTVI 2.x): one entry per segment, with spoken progress. */
  botOutput(data) {
    if (!data || !data.text) return;
    if (data.will_be_spoken === false) {
      // Text that will never be spoken (e.g. a tool status line) still belongs in the log.
      if (this.spokenSource === "tts") return;
      const turn = this._botTurn("output");
      turn.segments.set(`unspoken-${data.segment_id ?? turn.segments.size}`, {
        spoken: data.text,
        pending: "",
      });
      this._renderBot();
      return;
    }
    this.spokenSource ??= "output";
    if (this.spokenSource !== "output") return;
    const turn = this._botTurn("output");
    const key = data.segment_id ?? `s${turn.segments.size}`;
    const progress = data.spoken_progress;
    const entry =
      data.spoken_status === "in-progress" || (data.spoken_status === "new" && progress)
        ? { spoken: progress?.accumulated_text ?? "", pending: progress?.remaining_text ?? "" }
        : { spoken: data.text, pending: "" };
    turn.segments.set(key, entry);
    this._renderBot();
  }

  /** A bot-tts-text message: the text of what the bot is now saying. */
  botTtsText({ text }) {
    if (!text) return;
    this.spokenSource ??= "tts";
    if (this.spokenSource !== "tts") return;
    const turn = this._botTurn("tts");
    turn.text = joinWords(turn.text, text);
    this._renderBot();
  }

  /** A bot-llm-text token: shown only while nothing spoken is available. */
  botLlmText({ text }) {
    if (!text || this.spokenSource) return;
    const turn = this._botTurn("llm");
    if (turn.source !== "llm") return;
    turn.text += text;
    this._renderBot();
  }

  /** The bot's speech was cut off by the caller (barge-in). */
  markInterrupted() {
    if (!this.bot) return;
    this.bot.el.classList.add("interrupted");
    const tag = document.createElement("span");
    tag.className = "msg-tag";
    tag.textContent = "interrupted";
    this.bot.el.querySelector(".msg-meta").append(tag);
    for (const pending of this.bot.el.querySelectorAll(".pending")) {
      pending.classList.replace("pending", "unspoken"); // cut off before it was said
    }
    this.closeBot();
  }

  /** Show how long the caller waited for this bot turn. */
  noteLatency(ms) {
    const target = this.bot?.el ?? null;
    if (!target || target.dataset.latency) return;
    target.dataset.latency = String(Math.round(ms));
    const tag = document.createElement("span");
    tag.className = "msg-tag latency";
    tag.textContent = `replied in ${formatSeconds(ms)}`;
    target.querySelector(".msg-meta").append(tag);
  }

  closeBot() {
    if (this.bot) this.bot.el.classList.remove("streaming");
    this.bot = null;
  }

  /** Open (or reuse) the current bot bubble, upgrading it to a higher-priority source. */
  _botTurn(source) {
    if (!this.bot) {
      this.closeUser();
      const el = this._bubble("bot", "Assistant");
      el.classList.add("streaming");
      this.bot = { el, body: el.querySelector(".msg-text"), source, segments: new Map(), text: "" };
    } else if (SOURCE_RANK[source] > SOURCE_RANK[this.bot.source]) {
      // Spoken text replaces the LLM draft that ran ahead of it.
      this.bot.source = source;
      this.bot.segments = new Map();
      this.bot.text = "";
    }
    return this.bot;
  }

  _renderBot() {
    const turn = this.bot;
    if (!turn) return;
    if (turn.source !== "output") {
      turn.body.textContent = turn.text;
    } else {
      const parts = [];
      for (const { spoken, pending } of turn.segments.values()) {
        if (spoken) parts.push(textSpan(spoken, "spoken"));
        if (pending) parts.push(textSpan(pending, "pending"));
      }
      turn.body.replaceChildren(...parts);
    }
    this._scroll();
  }

  // ---- notices and DOM -----------------------------------------------------------------

  /** A centred system line in the log (connected, transfer, call ended...). */
  notice(text, kind = "info") {
    const el = document.createElement("li");
    el.className = `notice ${kind}`;
    el.textContent = text;
    this.root.append(el);
    this._scroll();
  }

  _bubble(role, label) {
    const el = document.createElement("li");
    el.className = `msg ${role}`;
    el.dataset.role = role;
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const who = document.createElement("span");
    who.className = "msg-who";
    who.textContent = label;
    const time = document.createElement("time");
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    meta.append(who, time);
    const body = document.createElement("p");
    body.className = "msg-text";
    el.append(meta, body);
    this.root.append(el);
    return el;
  }

  _scroll() {
    this.root.scrollTop = this.root.scrollHeight;
  }
}

function textSpan(text, cls) {
  const span = document.createElement("span");
  span.className = cls;
  span.textContent = text.endsWith(" ") ? text : `${text} `;
  return span;
}

function joinWords(existing, next) {
  if (!existing) return next.trimStart();
  if (/\s$/.test(existing) || /^[\s,.;:!?]/.test(next)) return existing + next;
  return `${existing} ${next}`;
}
