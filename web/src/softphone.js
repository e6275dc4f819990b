// The agent's softphone: JsSIP registering over WebSocket, one call at a time (plus the
// consultation leg of an attended transfer).
//
// The page learns everything through callbacks: onStatus(kind, text) for the connection
// indicator ("connecting" | "registered" | "disconnected" | "error"), onIncoming(call) for a
// new call, and per call onChange(call) / onEnded(call, cause). JsSIP itself reconnects a
// dropped WebSocket with exponential back-off (connection_recovery_*_interval); a SIP server
// refusing the credentials stops the phone instead, since retrying cannot help.

import JsSIP from "jssip";

const RECOVERY_MIN_SECS = 1;
const RECOVERY_MAX_SECS = 16;

/** SIP headers the transfer leg carries (convonet/transfer/phone.py). */
const HEADERS = {
  callSid: "X-Convonet-Call-Sid",
  session: "X-Convonet-Session",
  extension: "X-Convonet-Extension",
};

/** The caller id of an incoming request: its number (URI user) and display name. */
function callerOf(request) {
  const from = request.from;
  return { number: from?.uri?.user ?? "", name: from?.display_name ?? "" };
}

/** One call (incoming or outgoing) wrapping a JsSIP RTCSession. */
export class Call {
  constructor(session, { direction, peer, headers = {} }) {
    this.session = session;
    this.direction = direction; // "incoming" | "outgoing"
    this.peer = peer; // {number, name}
    this.headers = headers; // {callSid, session, extension} for incoming transfer legs
    this.state = direction === "incoming" ? "ringing" : "dialing";
    this.answeredAt = null;
    this.held = false;
    this.muted = false;
    this.onChange = () => {};
    this.onEnded = () => {};
    this.remoteStream = null;
    session.on("peerconnection", (e) => this.#watchMedia(e.peerconnection));
    if (session.connection) this.#watchMedia(session.connection);
    session.on("accepted", () => this.#set("on_call", { answeredAt: Date.now() }));
    session.on("confirmed", () => {
      if (!this.answeredAt) this.#set("on_call", { answeredAt: Date.now() });
    });
    session.on("hold", () => this.#set(this.state, { held: true }));
    session.on("unhold", () => this.#set(this.state, { held: false }));
    session.on("ended", (e) => this.#end(e.cause, e.originator));
    session.on("failed", (e) => this.#end(e.cause, e.originator));
  }

  #watchMedia(pc) {
    pc.addEventListener("track", (event) => {
      this.remoteStream = event.streams[0] ?? new MediaStream([event.track]);
      this.onChange(this);
    });
  }

  #set(state, fields = {}) {
    Object.assign(this, fields);
    this.state = state;
    this.onChange(this);
  }

  #end(cause, originator) {
    if (this.state === "ended") return;
    this.state = "ended";
    this.onEnded(this, { cause, originator });
  }

  get peerConnection() {
    return this.session.connection ?? null;
  }

  /** Seconds since answered (0 before). */
  get durationSecs() {
    return this.answeredAt ? (Date.now() - this.answeredAt) / 1000 : 0;
  }

  answer() {
    this.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  /** Reject (ringing: 486 Busy Here) or hang up. */
  hangUp() {
    if (this.session.isEnded()) return;
    const ringing = this.direction === "incoming" && this.state === "ringing";
    this.session.terminate(ringing ? { status_code: 486, reason_phrase: "Busy Here" } : {});
  }

  hold(on) {
    if (on) this.session.hold();
    else this.session.unhold();
  }

  mute(on) {
    if (on) this.session.mute({ audio: true });
    else this.session.unmute({ audio: true });
    this.#set(this.state, { muted: on });
  }

  dtmf(key) {
    this.session.sendDTMF(key, { duration: 120, interToneGap: 70 });
  }

  /**
   * Refer the far end to target; resolves when the target accepts (blind) or the REFER is
   * accepted (attended, replacing the consultation leg `replaces`), rejects on failure.
   */
  refer(target, replaces = null) {
    return new Promise((resolve, reject) => {
      const options = {
        eventHandlers: {
          accepted: () => resolve(),
          requestFailed: (e) => reject(new Error(`transfer refused: ${e.cause}`)),
          failed: (e) => reject(new Error(`transfer failed: ${e.cause ?? "no answer"}`)),
        },
      };
      if (replaces) options.replaces = replaces.session;
      this.session.refer(target, options);
    });
  }
}

/** The registered phone of the signed-in agent. */
export class Softphone {
  /**
   * @param account {uri, password, ws_url, display_name} from GET /call-center/api/agent/sip
   * @param handlers {onStatus(kind, text), onIncoming(call)}
   */
  constructor(account, { onStatus, onIncoming }) {
    this.account = account;
    this.onStatus = onStatus;
    this.onIncoming = onIncoming;
    this.domain = JsSIP.URI.parse(account.uri)?.host ?? "";
    this.attempts = 0;
    this.stopped = false;
    this.ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(account.ws_url)],
      uri: account.uri,
      password: account.password,
      display_name: account.display_name,
      register: true,
      session_timers: false,
      connection_recovery_min_interval: RECOVERY_MIN_SECS,
      connection_recovery_max_interval: RECOVERY_MAX_SECS,
      user_agent: "Convonet call center (JsSIP)",
    });
    this.#wire();
  }

  #wire() {
    const ua = this.ua;
    ua.on("connecting", () => {
      if (this.attempts === 0) this.onStatus("connecting", "Connecting to the phone server…");
    });
    ua.on("connected", () => this.onStatus("connecting", "Registering…"));
    ua.on("disconnected", () => {
      if (this.stopped) return;
      this.attempts += 1;
      const next = Math.min(RECOVERY_MIN_SECS * 2 ** (this.attempts - 1), RECOVERY_MAX_SECS);
      this.onStatus(
        "disconnected",
        `Phone disconnected: ${this.account.ws_url} is unreachable; retrying in about ${next} s (attempt ${this.attempts})`,
      );
    });
    ua.on("registered", () => {
      this.attempts = 0;
      this.onStatus("registered", `Registered as ${this.account.uri.replace(/^sip:/, "")}`);
    });
    ua.on("unregistered", () => {
      if (!this.stopped) this.onStatus("connecting", "Not registered; registering again…");
    });
    ua.on("registrationFailed", (e) => this.#registrationFailed(e));
    ua.on("newRTCSession", (e) => {
      if (e.originator !== "remote") return;
      const call = new Call(e.session, {
        direction: "incoming",
        peer: callerOf(e.request),
        headers: {
          callSid: e.request.getHeader(HEADERS.callSid) ?? null,
          session: e.request.getHeader(HEADERS.session) ?? null,
          extension: e.request.getHeader(HEADERS.extension) ?? null,
        },
      });
      this.onIncoming(call);
    });
  }

  #registrationFailed(e) {
    const status = e.response?.status_code;
    if (e.cause === JsSIP.C.causes.AUTHENTICATION_ERROR || status === 401 || status === 403) {
      this.stop();
      this.onStatus(
        "error",
        `Wrong SIP credentials: the phone server refused ${this.account.uri} (${status ?? e.cause}). Ask an admin to check this agent's SIP password.`,
      );
      return;
    }
    this.onStatus("disconnected", `Registration failed (${status ?? e.cause}); retrying…`);
  }

  start() {
    this.onStatus("connecting", "Connecting to the phone server…");
    this.ua.start();
  }

  stop() {
    this.stopped = true;
    this.ua.stop();
  }

  /** Place a call to a number or SIP URI. */
  dial(target, handlers = {}) {
    const uri = target.includes("@") ? target : `sip:${target}@${this.domain}`;
    const session = this.ua.call(uri, {
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: [] },
      eventHandlers: handlers,
    });
    return new Call(session, { direction: "outgoing", peer: { number: target, name: "" } });
  }
}
