"""``convonet bench cpu-split``: a server's sampled CPU, split by component.

Reads py-spy's collapsed stacks (``py-spy record --format raw``, one ``frame;frame;... count``
line per distinct stack, root first) taken of a ``convonet serve`` process during a benchmark,
and charges each sample to the first component found walking from the innermost frame out:
time spent in numpy under the VAD is the VAD's, time in a queue under an observer is the
observer's.
"""

from collections import Counter
from pathlib import Path

# Innermost frames of threads blocked in C (an epoll wait in uvloop, a thread pool's queue, a
# select) that py-spy may still sample as active: not CPU, so left out of the split.
WAITING = (
    "Runner.run (asyncio/runners.py",
    "_worker (concurrent/futures/thread.py",
    "Condition.wait (threading.py",
    "_connection_worker_thread (aiosqlite",
    "select (selectors.py",
)
# Stacks charged whole to one component, whatever runs inside them.
WHOLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("embedded Redis (fakeredis thread)", ("fakeredis/",)),
    # The turn model's buffer, Whisper features and ONNX encoder (its thread and the caller's).
    ("turn model (smart-turn: buffer, features, ONNX)", ("smart_turn/", "turn_taking.py")),
    ("session setup (pipeline, provider clients)", ("build_pipeline (", "claim_token (")),
    ("sign-in and other HTTP requests", ("fastapi/routing.py", "starlette/routing.py")),
)
# (component, substrings of a frame that belong to it), most specific first. A stack goes to
# the innermost frame of a specific component; only stacks with none go to a generic one, so
# a thread hand-off the VAD makes is the VAD's, not the event loop's.
SPECIFIC: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("VAD: ONNX inference", ("onnxruntime", "silero.py", "infer (convonet/services/vad.py")),
    ("VAD: volume (loudness)", ("volume.py", "calculate_audio_volume", "loudness")),
    ("VAD: analyzer and controller", ("vad_analyzer.py", "vad_controller.py", "services/vad.py")),
    # The turn tracker and what it tells of each turn (Agent Monitor records and their Redis
    # writer, Prometheus, Sentry): before "observers", whose proxy task runs the tracker.
    (
        "turn tracker and listeners",
        ("convonet/turns/", "convonet/monitor/", "observability/", "prometheus_client", "sentry"),
    ),
    ("observers", ("observer",)),
    ("STT/TTS sockets (deepgram SDK)", ("deepgram",)),
    ("caller websocket + protobuf serializer", ("serializers/", "transports/websocket", "guard")),
    ("resampling", ("resampler", "soxr")),
    ("agent (LangGraph)", ("langgraph", "langchain", "convonet/agents", "langgraph_processor")),
)
GENERIC: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("websockets/uvicorn I/O", ("websockets/", "uvicorn/", "wsproto", "starlette/")),
    ("pipecat frame handling", ("pipecat/",)),
    ("asyncio/uvloop scheduling", ("asyncio/", "uvloop", "threading.py", "concurrent/")),
)
OTHER = "other"


def component(stack: str) -> str:
    """The component a collapsed stack (root first, ``;``-separated) is charged to."""
    frames = stack.split(";")
    for name, needles in WHOLE:
        if any(needle in stack for needle in needles):
            return name
    for tier in (SPECIFIC, GENERIC):
        for frame in reversed(frames):
            for name, needles in tier:
                if any(needle in frame for needle in needles):
                    return name
    return OTHER


def split(raw: str) -> dict[str, float]:
    """Share of busy samples (percent) per component, largest first (waiting left out)."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit() and not stack.split(";")[-1].startswith(WAITING):
            counts[component(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {name: round(100 * n / total, 1) for name, n in counts.most_common()}


def split_file(path: Path) -> dict[str, float]:
    """:func:`split` of a py-spy raw output file."""
    return split(path.read_text(errors="replace"))
