// The PBX leg of a transfer, in a browser page: a JsSIP user agent that calls the agent's
// department extension with the X-Convonet-* headers the real transfer leg carries, sending
// Chromium's fake microphone (a WAV file). Bundled by drive_call_center.mjs with esbuild.

import JsSIP from "jssip";
import { receivedLevel } from "./audio_level.js";

const caller = { state: "idle", session: null, cause: null };
window.receivedLevel = receivedLevel;
window.sipCaller = caller;

/** Place the call; resolves once it is ringing at the far end (or rejects). */
caller.call = ({ wsUrl, uri, password, target, fromNumber, headers }) =>
  new Promise((resolve, reject) => {
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(wsUrl)],
      uri,
      password,
      register: false,
      session_timers: false,
    });
    caller.ua = ua;
    ua.on("connected", () => {
      const session = ua.call(target, {
        mediaConstraints: { audio: true, video: false },
        pcConfig: { iceServers: [] },
        fromUserName: fromNumber,
        fromDisplayName: "Transferred caller",
        extraHeaders: Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      });
      caller.session = session;
      session.on("progress", () => {
        caller.state = "ringing";
        resolve();
      });
      session.on("confirmed", () => (caller.state = "on_call"));
      session.on("ended", (e) => Object.assign(caller, { state: "ended", cause: e.cause }));
      session.on("failed", (e) => {
        Object.assign(caller, { state: "failed", cause: e.cause });
        reject(new Error(`call failed: ${e.cause}`));
      });
      session.connection.addEventListener("track", (e) => (caller.remoteStream = e.streams[0]));
      // A blind transfer: the agent REFERs us elsewhere; call there like a PBX would.
      session.on("refer", (e) =>
        e.accept(
          (next) => {
            caller.referred = { target: e.request.refer_to.uri.user, state: "calling" };
            next.on("confirmed", () => (caller.referred.state = "on_call"));
            next.on("failed", (f) => (caller.referred.state = `failed: ${f.cause}`));
          },
          { mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } },
        ),
      );
    });
    ua.start();
  });

caller.level = (ms) => receivedLevel(caller.remoteStream, ms);
caller.direction = () => caller.session?.connection?.getTransceivers()[0]?.currentDirection ?? null;

/** A desk phone that registers and answers every call (a transfer target). */
window.sipDesk = {
  state: "idle",
  calls: 0,
  replaced: false,
  register({ wsUrl, uri, password }) {
    return new Promise((resolve, reject) => {
      const ua = new JsSIP.UA({
        sockets: [new JsSIP.WebSocketInterface(wsUrl)],
        uri,
        password,
        register: true,
        session_timers: false,
      });
      ua.on("registered", resolve);
      ua.on("registrationFailed", (e) => reject(new Error(`desk: ${e.cause}`)));
      ua.on("newRTCSession", (e) => {
        const desk = window.sipDesk;
        const replacing = e.request.hasHeader("Replaces");
        desk.state = "ringing";
        e.session.on("confirmed", () => {
          desk.state = "on_call";
          desk.calls += 1;
          if (replacing) desk.replaced = true; // an attended transfer landed here
        });
        // The consultation call is replaced by the transferred caller's INVITE.
        e.session.on("replaces", (r) => r.accept());
        e.session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
      });
      ua.start();
    });
  },
};
