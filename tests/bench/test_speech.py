"""The simulated caller's speech: the same text is the same audio in every process."""

import hashlib
import subprocess
import sys

import pytest

from convonet.bench.speech import PCM_RATE, synthesize

pytestmark = pytest.mark.slow  # the Piper voice

SENTENCE = "What day is it today?"
DIGEST = (
    "import hashlib; from convonet.bench.speech import synthesize; "
    f"print(hashlib.sha256(synthesize({SENTENCE!r})).hexdigest())"
)


def test_a_sentence_is_the_same_audio_in_every_process() -> None:
    # Piper's default noise is drawn inside its ONNX graph, unseeded: two processes spoke a
    # sentence differently, and a test heard the unlucky draw now and then.
    here = hashlib.sha256(synthesize(SENTENCE)).hexdigest()
    elsewhere = subprocess.run(
        [sys.executable, "-c", DIGEST], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()[-1]
    assert elsewhere == here


def test_the_speech_is_at_the_requested_rate() -> None:
    at_16k, at_8k = synthesize("Hello there.", PCM_RATE), synthesize("Hello there.", 8000)
    # 16-bit samples: half the rate, half the bytes (within resampling's rounding).
    assert abs(len(at_16k) / 2 - len(at_8k)) <= 4
    assert len(at_16k) > PCM_RATE  # over half a second of 16-bit speech
