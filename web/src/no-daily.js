// Stand-in for @daily-co/daily-js, aliased in by the esbuild script.
//
// @pipecat-ai/websocket-transport imports daily-js for its default DailyMediaManager, which
// loads Daily's call machine from Daily's CDN at run time. This page passes a
// WavMediaManager instead, so Daily is never used; the stand-in keeps ~260 kB of unused
// code and the CDN reference out of the bundle, and fails loudly if anything reaches it.
function unavailable() {
  throw new Error("Daily is not bundled in Convonet; use WavMediaManager");
}

export default { getCallInstance: unavailable, createCallObject: unavailable };
