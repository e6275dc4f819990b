"""The session capacity: ``MAX_SESSIONS_PER_PROCESS``, or sized to the cores and the speech."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from convonet.lifecycle import capacity
from convonet.lifecycle.capacity import (
    CALLS_PER_CORE_EMBEDDED,
    CALLS_PER_CORE_NETWORK,
    cgroup_cpu_quota,
    describe_capacity,
    session_capacity,
    smart_turn_max_calls,
)
from convonet.lifecycle.serving import with_workers
from convonet.settings import Settings
from tests.conftest import test_settings as make_settings

CLOUD = {"deepgram_api_key": "dg-key"}  # Deepgram becomes the default STT and TTS


def auto(tmp_path: Path, **overrides: object) -> Settings:
    """Test settings with the default, automatic capacity (the tests' own default is none)."""
    return make_settings(tmp_path, max_sessions_per_process="auto", **overrides)


@pytest.fixture
def cores(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The cores the capacity sees, settable by the test (4 unless changed)."""
    seen = [4.0]
    monkeypatch.setattr(capacity, "usable_cores", lambda: seen[0])
    return seen


def test_auto_is_the_default_and_a_number_or_zero_overrides_it(
    tmp_path: Path, cores: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAX_SESSIONS_PER_PROCESS", raising=False)
    default = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert default.max_sessions_per_process == "auto"
    assert session_capacity(make_settings(tmp_path, max_sessions_per_process=12)) == 12
    assert session_capacity(make_settings(tmp_path, max_sessions_per_process=0)) == 0
    assert "unlimited" in describe_capacity(make_settings(tmp_path, max_sessions_per_process=0))


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_bad_capacity_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MAX_SESSIONS_PER_PROCESS", value)
    with pytest.raises(ValidationError, match="max_sessions_per_process"):
        Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]


def test_auto_is_per_core_and_lower_for_embedded_speech(tmp_path: Path, cores: list[float]) -> None:
    embedded = auto(tmp_path)  # no keys: Whisper and Piper in the server
    cloud = auto(tmp_path, **CLOUD)
    assert session_capacity(embedded) == 4 * CALLS_PER_CORE_EMBEDDED
    assert session_capacity(cloud) == 4 * CALLS_PER_CORE_NETWORK
    assert CALLS_PER_CORE_EMBEDDED < CALLS_PER_CORE_NETWORK
    # Either half made in the server counts as embedded: Piper speaking cloud transcripts.
    piper_tts = auto(tmp_path, tts_provider="piper", **CLOUD)
    assert session_capacity(piper_tts) == 4 * CALLS_PER_CORE_EMBEDDED
    assert "embedded speech, 4 cores" in describe_capacity(embedded)


def test_auto_shares_the_cores_among_the_workers_and_never_falls_to_zero(
    tmp_path: Path, cores: list[float]
) -> None:
    assert session_capacity(auto(tmp_path, server_workers=2, **CLOUD)) == 12
    cores[0] = 0.5  # a container limited to half a core, four workers
    assert session_capacity(auto(tmp_path, server_workers=4)) == 1


def test_the_turn_model_judges_calls_per_core_of_the_process_share(
    tmp_path: Path, cores: list[float]
) -> None:
    assert smart_turn_max_calls(make_settings(tmp_path)) == 6  # the default: 1.5 per core
    assert smart_turn_max_calls(make_settings(tmp_path, smart_turn_calls_per_core=2.5)) == 10
    assert smart_turn_max_calls(make_settings(tmp_path, server_workers=2)) == 3
    assert smart_turn_max_calls(make_settings(tmp_path, smart_turn_calls_per_core=0)) == 0
    cores[0] = 0.5  # half a core, four workers: a lone call still gets the model
    assert smart_turn_max_calls(make_settings(tmp_path, server_workers=4)) == 1


def test_workers_from_the_command_line_reach_the_capacity(
    tmp_path: Path, cores: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set (not deleted) so that monkeypatch restores the environment with_workers changes.
    monkeypatch.setenv("SERVER_WORKERS", "1")
    settings = auto(tmp_path, **CLOUD)
    assert with_workers(settings, 1) is settings
    two = with_workers(settings, 2)
    assert two.server_workers == 2 and session_capacity(two) == 12
    # uvicorn's worker processes build their settings from the environment.
    assert Settings(_env_file=None, data_dir=tmp_path).server_workers == 2  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("content", "quota"),
    [("max 100000\n", None), ("150000 100000\n", 1.5), ("50000 100000", 0.5), ("junk", None)],
)
def test_a_cgroup_cpu_limit_caps_the_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, quota: float | None
) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(content)
    assert cgroup_cpu_quota(cpu_max) == quota
    assert cgroup_cpu_quota(tmp_path / "missing") is None
    monkeypatch.setattr(capacity, "CGROUP_V2_CPU_MAX", cpu_max)
    capacity.usable_cores.cache_clear()
    try:
        affinity = len(os.sched_getaffinity(0))
        assert capacity.usable_cores() == (min(affinity, quota) if quota else affinity)
    finally:
        capacity.usable_cores.cache_clear()  # the next caller reads the real cgroup again


def test_the_cores_seen_here_are_real() -> None:
    capacity.usable_cores.cache_clear()
    assert 0 < capacity.usable_cores() <= len(os.sched_getaffinity(0))
