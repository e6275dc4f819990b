"""How many calls one server process takes: ``MAX_SESSIONS_PER_PROCESS``, or sized to the machine.

A fixed default is right for no machine: a call on the embedded Whisper and Piper costs the
server several times the CPU of a call whose speech is a cloud provider's, and a laptop has
more cores than a one-core pod. So the default, ``auto``, sizes the process from what it runs
on: the cores it may use (its CPU affinity, capped by a cgroup CPU quota as in a container with
a CPU limit), shared among ``SERVER_WORKERS`` processes, times the calls one core kept within
the latency target in ``convonet bench concurrency --search`` (``docs/benchmarks.md``):

- embedded speech (Whisper or Piper in the server, the quick start's): 1 per core, on a fast
  host (an Intel Xeon that carried 15 cloud-speech calls per core); such a call costs the
  server about 5x the CPU of a cloud-speech call;
- cloud speech (both STT and TTS a provider's): 6 per core, the slowest host measured.

A number overrides it (0: no limit): measure your own hardware and set it.

The same core share sizes how many of the process's calls the turn model judges
(:func:`smart_turn_max_calls`, ``SMART_TURN_CALLS_PER_CORE``); above it the words end the
turns (:mod:`convonet.services.turn_shedding`).
"""

import functools
import math
import os
from pathlib import Path

from convonet.settings import Settings

# Calls per core within target (p95 within 100 ms of one call's), by where the speech is made.
CALLS_PER_CORE_EMBEDDED = 1
CALLS_PER_CORE_NETWORK = 6
CGROUP_V2_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def session_capacity(settings: Settings) -> int:
    """The live calls this process takes (0: no limit)."""
    if isinstance(settings.max_sessions_per_process, int):
        return settings.max_sessions_per_process
    per_core = CALLS_PER_CORE_EMBEDDED if embedded_speech(settings) else CALLS_PER_CORE_NETWORK
    return calls_per_process(per_core, settings)


def smart_turn_max_calls(settings: Settings) -> int:
    """The live calls of this process whose VAD stops smart-turn judges (0: every call).

    ``SMART_TURN_CALLS_PER_CORE`` per core this process may use (shared among
    ``SERVER_WORKERS``), at least 1 so that a lone call always gets the model.
    """
    per_core = settings.smart_turn_calls_per_core
    return calls_per_process(per_core, settings) if per_core > 0 else 0


def calls_per_process(per_core: float, settings: Settings) -> int:
    """``per_core`` calls per core this process may use (its share among ``SERVER_WORKERS``).

    At least 1, so that a process on a fraction of a core still takes a call.
    """
    return max(1, math.floor(per_core * usable_cores() / settings.server_workers))


def describe_capacity(settings: Settings) -> str:
    """One line for the start-up log: the capacity and where it comes from."""
    capacity = session_capacity(settings)
    if isinstance(settings.max_sessions_per_process, int):
        return f"{capacity or 'unlimited'} calls per process (MAX_SESSIONS_PER_PROCESS)"
    speech = "embedded" if embedded_speech(settings) else "cloud"
    return (
        f"{capacity} calls per process (auto: {speech} speech, {usable_cores():g} cores "
        f"among {settings.server_workers} process(es); set MAX_SESSIONS_PER_PROCESS to "
        "your own measurement)"
    )


def embedded_speech(settings: Settings) -> bool:
    """Whether a call on the default providers makes its speech in this process."""
    return settings.default_stt == "whisper" or settings.default_tts == "piper"


@functools.cache
def usable_cores() -> float:
    """The cores this process may run on: its affinity, capped by a cgroup v2 CPU quota."""
    cores = float(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    quota = cgroup_cpu_quota(CGROUP_V2_CPU_MAX)
    return min(cores, quota) if quota else cores


def cgroup_cpu_quota(path: Path) -> float | None:
    """Cores a cgroup v2 ``cpu.max`` (``"<quota> <period>"`` or ``"max <period>"``) allows.

    Returns:
        The quota in cores, or None when there is none or the file cannot be read.
    """
    try:
        quota, period = path.read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):  # no cgroup v2 here, or an unexpected format: no quota
        return None
