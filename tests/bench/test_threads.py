"""The benchmark's per-thread CPU split and the event loop's run-queue wait, read from /proc."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convonet.bench.servers import tree_usage
from convonet.bench.threads import run_queue_wait_secs, thread_cpu, thread_split

OWN_SCHEDSTAT = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/schedstat")


def spin(cpu_secs: float) -> None:
    """Keep this thread on a core until it has used ``cpu_secs`` of CPU."""
    start = time.thread_time()
    while time.thread_time() - start < cpu_secs:
        pass


def test_a_missing_schedstat_counts_as_no_wait(tmp_path: Path) -> None:
    assert run_queue_wait_secs(tmp_path / "gone") == 0.0


@pytest.mark.skipif(not OWN_SCHEDSTAT.exists(), reason="the kernel keeps no schedstat")
def test_the_loop_thread_waits_for_a_core_when_the_machine_is_full() -> None:
    pid = os.getpid()
    before = thread_cpu([pid], tree_usage([pid]))
    # More runnable processes than cores: this thread must queue for one while it spins.
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range((os.cpu_count() or 1) + 1)
    ]
    try:
        spin(0.5)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    split = thread_split(before, thread_cpu([pid], tree_usage([pid])))

    assert split["event_loop_secs"] >= 0.4  # the spin, as the kernel counted it
    assert split["event_loop_wait_secs"] > 0.05
