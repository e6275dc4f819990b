// How loud a received WebRTC stream is: the peak RMS (0..1) over `ms` milliseconds, read
// with a WebAudio AnalyserNode. Chromium only feeds a remote stream into WebAudio while a
// media element plays it, so the stream is also attached to a muted <audio>.

export async function receivedLevel(stream, ms = 1500) {
  if (!stream) return 0;
  const sink = new Audio();
  sink.muted = true;
  sink.srcObject = stream;
  await sink.play().catch(() => {});
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let peak = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const x of samples) sum += x * x;
    peak = Math.max(peak, Math.sqrt(sum / samples.length));
  }
  await context.close();
  sink.srcObject = null;
  return peak;
}
