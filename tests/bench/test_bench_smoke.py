"""``convonet bench``: short runs of each benchmark from the CLI, and its measuring helpers.

The smoke runs check that each benchmark runs end to end and writes a complete JSON result
and a PNG plot; the figures themselves are for ``docs/benchmarks.md``, not for asserts.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from convonet.bench.concurrency import within_target
from convonet.bench.report import summarize
from convonet.bench.speech import silence, speech_end_secs, synthesize
from convonet.bench.turns import STAGES, TurnRecord, _read_audio, _read_messages

CLI = [sys.executable, "-m", "convonet", "bench"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _bench(tmp_path: Path, *args: str, timeout: float = 120) -> dict[str, Any]:
    """Run ``convonet bench ARGS --out tmp_path``; return the JSON it wrote."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    done = subprocess.run(
        [*CLI, *args, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / f"{args[0]}.json").read_text())
    png = tmp_path / f"{args[0]}.png"
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert result["png"] == str(png)
    assert result["machine"]["cores"] >= 1 and result["machine"]["cpu_model"]
    return result


def _is_ms(value: object) -> bool:
    return isinstance(value, int | float) and 0 < value < 60_000


@pytest.mark.slow
@pytest.mark.integration
def test_latency_one_spoken_turn_through_a_started_server(tmp_path: Path) -> None:
    # One turn needs no MCP tool servers; without them the servers start faster.
    result = _bench(tmp_path, "latency", "--turns", "1", "--set", "TOOLS_ENABLED=false")
    assert result["benchmark"] == "latency" and set(result["configs"]) == {"old", "new"}
    assert result["load"]["machine_busy_cores"] >= 0
    assert set(result["new_over_old"]) == {"voice_to_voice_p50", "voice_to_voice_p95"}
    for name, config in result["configs"].items():
        assert config["turns"] == 1 and config["failed_turns"] == 0, name
        assert set(config["stages"]) == set(STAGES)
        v2v = config["stages"]["voice_to_voice_ms"]
        assert v2v["count"] == 1 and _is_ms(v2v["p50"]) and v2v["p95"] >= v2v["p50"]
        record = config["records"][0]
        assert "time" in record["heard"].lower() and record["reply"].startswith("It's")
        assert config["wer"] == 0.0 and record["user_turns"] == 1, record
        stages = record["stages"]
        # The answer cannot start before the transcript that it answers.
        assert (
            stages["transcript_ms"] <= stages["agent_first_text_ms"] <= stages["voice_to_voice_ms"]
        )
        assert _is_ms(stages["tts_ttfb_ms"])
        assert config["settings"]["vad_stop_secs"] > 0
        assert isinstance(config["target"]["met"], bool)
    assert result["configs"]["new"]["settings"]["turn_stop"] == "smart_turn"
    assert result["configs"]["old"]["settings"]["turn_stop"] == "speech_timeout"


@pytest.mark.slow
def test_overhead_compares_our_pipeline_with_bare_pipecat(tmp_path: Path) -> None:
    result = _bench(tmp_path, "overhead", "--turns", "5")
    assert result["benchmark"] == "overhead" and result["turns"] == 5
    assert result["answered_turns"] == 5
    for name in ("ours", "bare"):
        stages = result["stages"][name]
        assert stages["voice_to_voice_ms"]["count"] == 5
        # Real VAD and turn-taking run in both: nothing answers before the turn ends.
        assert stages["turn_end_ms"]["p50"] < stages["voice_to_voice_ms"]["p50"]
    added = result["added_ms"]
    assert added["count"] == 5 and isinstance(added["p50"], float)
    assert "agent_text_ms" in result["added_p50_by_stage_ms"]
    assert isinstance(result["target"]["met"], bool)


# Two calls of one turn each, after a one-turn baseline; no MCP tool processes to start.
TWO_SHORT_CALLS = (
    "concurrency",
    "--sessions",
    "2",
    "--turns",
    "1",
    "--baseline-turns",
    "1",
    "--set",
    "TOOLS_ENABLED=false",
)


def _two_calls_answered(result: dict[str, Any]) -> dict[str, Any]:
    """The two-session phase, checked whole: both callers taken and every turn answered."""
    assert result["benchmark"] == "concurrency"
    baseline, (phase,) = result["baseline"], result["phases"]
    assert baseline["sessions"] == 1 and phase["sessions"] == 2
    # The benchmark's servers have no cap, whatever the machine's automatic one would be.
    assert phase["turns"] == 2 and phase["failed_turns"] == 0 and phase["failed_sessions"] == 0
    assert _is_ms(phase["stages"]["voice_to_voice_ms"]["p95"])
    assert phase["audio"]["received_secs"] > 0
    assert phase["cpu"]["server_cores"] > 0 and phase["memory"]["server_idle_mib"] > 0
    assert isinstance(phase["within_target"], bool)
    # Each turn ended at one VAD stop or more, each judged once (two calls: the model's).
    assert sum(phase["turn_verdicts"].values()) >= phase["turns"]
    return phase


@pytest.mark.slow
@pytest.mark.integration
def test_concurrency_two_sessions_against_fake_network_providers(tmp_path: Path) -> None:
    latencies = ("--stt-latency-ms", "100", "--tts-latency-ms", "100")
    result = _bench(tmp_path, *TWO_SHORT_CALLS, *latencies)
    phase = _two_calls_answered(result)
    # The fake STT/TTS answered: the fake's transcript was heard, its audio came back.
    assert phase["audio"]["tts_sent_secs"] > 0
    assert 0 <= phase["audio"]["dropped_pct"] <= 100
    assert result["config"]["workers"] == 1 and result["config"]["speech"] == "network"


@pytest.mark.slow
@pytest.mark.integration
def test_concurrency_on_the_servers_embedded_speech(tmp_path: Path) -> None:
    result = _bench(tmp_path, *TWO_SHORT_CALLS, "--speech", "embedded", timeout=180)
    phase = _two_calls_answered(result)
    assert "Whisper" in result["config"]["stt"] and "Piper" in result["config"]["tts"]
    # No fake TTS to count what was sent: nothing to call dropped.
    assert phase["audio"]["dropped_pct"] is None


@pytest.mark.slow
def test_vad_compares_per_call_silero_with_the_batched_analyzer(tmp_path: Path) -> None:
    result = _bench(tmp_path, "vad", "--sessions", "3", "--secs", "4")
    variants = result["variants"]
    per_call = variants["pipecat SileroVADAnalyzer (per call)"]
    batched = variants["BatchedSileroVADAnalyzer"]
    # Both heard the same speech (each call starts speaking at least once in 4 s).
    assert batched["speech_starts"] == per_call["speech_starts"] >= 3
    assert per_call["vad_cores_per_call"] > 0 and batched["vad_cores_per_call"] >= 0


def test_cpu_split_charges_samples_to_components() -> None:
    from convonet.bench.cpu_split import split

    raw = "\n".join(
        [
            "Runner.run (asyncio/runners.py:118);analyze_audio (convonet/services/vad.py:290);"
            "infer (convonet/services/vad.py:99) 30",
            "Runner.run (asyncio/runners.py:118);on_push_frame (pipecat/observers/x.py:1) 10",
            "Runner.run (asyncio/runners.py:118) 500",  # the event loop waiting: not CPU
            "main (x.py:1);build_pipeline (convonet/pipeline.py:150);init (deepgram/c.py:1) 10",
        ]
    )
    assert split(raw) == {
        "VAD: ONNX inference": 60.0,
        "observers": 20.0,
        "session setup (pipeline, provider clients)": 20.0,
    }


def test_cpu_split_names_the_turn_model_and_the_turn_listeners() -> None:
    from convonet.bench.cpu_split import split

    loop = "Runner.run (asyncio/runners.py:118)"
    proxy = "_proxy_task_handler (pipecat/pipeline/worker_observer.py:260)"
    raw = "\n".join(
        [
            # The smart-turn model's ONNX run is the turn model's, not the VAD's inference.
            "run (threading.py:1);_process_speech_segment (pipecat/audio/turn/smart_turn/"
            "base_smart_turn.py:240);run (onnxruntime/capi/x.py:406) 50",
            f"{loop};{proxy};on_push_frame (convonet/turns/voice.py:120) 20",
            f"{loop};{proxy};turn_ended (convonet/monitor/recorder.py:75) 10",
            f"{loop};{proxy};on_push_frame (pipecat/observers/x.py:1) 20",
        ]
    )
    assert split(raw) == {
        "turn model (smart-turn: buffer, features, ONNX)": 50.0,
        "turn tracker and listeners": 30.0,
        "observers": 20.0,
    }


def test_speech_end_is_found_after_trailing_quiet() -> None:
    pcm = synthesize("What time is it?")
    end = speech_end_secs(pcm + silence(0.7))
    assert 0.3 < end < len(pcm) / 2 / 16000
    assert speech_end_secs(silence(0.5)) == 0.0


def test_turn_timing_reads_stages_and_audio_gaps() -> None:
    record = TurnRecord("What time is it?")
    messages = [
        (9.0, {"type": "user-started-speaking"}),
        (10.4, {"type": "user-transcription", "data": {"text": "what time", "final": True}}),
        (10.45, {"type": "metrics", "data": {"ttfb": [{"processor": "X#STT", "value": 0.3}]}}),
        (10.5, {"type": "bot-output", "data": {"text": "It's noon.", "spoken": False}}),
        (10.6, {"type": "bot-started-speaking"}),
        (11.9, {"type": "bot-stopped-speaking"}),
        (12.5, {"type": "user-transcription", "data": {"text": "later", "final": True}}),
    ]
    _read_messages(record, messages, ended=10.0)
    # Bot audio: 3 chunks of 0.2 s; the third arrives 0.1 s after the second has played.
    _read_audio(record, [(10.6, 0.2), (10.7, 0.2), (11.1, 0.2)], ended=10.0)
    assert record.heard == "what time" and record.reply == "It's noon."
    assert record.stages["transcript_ms"] == pytest.approx(400)
    assert record.stages["stt_ttfb_ms"] == pytest.approx(300)
    assert record.stages["voice_to_voice_ms"] == pytest.approx(600)
    assert record.audio_gaps == 1 and record.audio_gap_ms == pytest.approx(100)


def test_concurrency_target_is_relative_to_one_session() -> None:
    def phase(p95: float, failed: int = 0) -> dict[str, Any]:
        stages = {"voice_to_voice_ms": summarize([p95])}
        return {"stages": stages, "failed_turns": failed, "failed_sessions": 0}

    baseline = phase(800)
    assert within_target(phase(890), baseline)
    assert not within_target(phase(910), baseline)
    assert not within_target(phase(850, failed=1), baseline)
    assert summarize([]) == {"p50": None, "p95": None, "max": None, "mean": None, "count": 0}
