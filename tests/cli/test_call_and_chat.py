"""The ``convonet call`` and ``convonet chat`` commands, run as a user would."""

import subprocess
import sys
import wave
from pathlib import Path

import pytest

from tests.fakes.speech import silence, synthesize, to_wav, transcribe

CLI = [sys.executable, "-m", "convonet"]


@pytest.mark.slow
def test_call_writes_a_spoken_reply_wav(tmp_path: Path) -> None:
    source, out = tmp_path / "in.wav", tmp_path / "out.wav"
    source.write_bytes(to_wav(silence(0.5) + synthesize("What day is it today?") + silence(0.3)))
    done = subprocess.run(
        [*CLI, "call", str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
    assert "day" in lines["transcript"].lower(), done.stdout
    # Twice this failed: Whisper heard "What they use it today?". Not load: Piper drew the
    # caller's speech at random then, and 2 of 40 draws were misheard; the caller's speech is
    # now Piper's fixed rendition (convonet.bench.speech). The output says what was heard.
    assert lines["reply"].strip().startswith("Today is"), done.stdout
    assert lines["voice-to-voice"].strip().endswith("ms")
    with wave.open(str(out)) as wav:
        rate, pcm = wav.getframerate(), wav.readframes(wav.getnframes())
    assert "today" in transcribe(pcm, rate).lower()


def test_call_rejects_a_non_wav_file(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wav"
    bogus.write_bytes(b"not a wav file at all")
    done = subprocess.run(
        [*CLI, "call", str(bogus), "--out", str(tmp_path / "o.wav")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "not a readable WAV file" in done.stderr


def test_chat_repl_answers_and_ends_on_goodbye(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "chat"],
        input="hello\nwhat day is it\ngoodbye\nthis line is never read\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    replies = [line.split("bot> ", 1)[1] for line in done.stdout.splitlines() if "bot> " in line]
    assert replies[0] == "Hello! How can I help you today?"
    assert replies[1].startswith("Today is")
    assert replies[2].startswith("Goodbye")
    assert len(replies) == 3


def test_chat_rejects_unknown_bot() -> None:
    done = subprocess.run([*CLI, "chat", "--bot", "nobody"], capture_output=True, text=True)
    assert done.returncode != 0
    assert "unknown bot" in done.stderr
