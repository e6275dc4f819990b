"""Where a server process's CPU goes by thread: its event loop against everything else.

py-spy's sampling misses about half of the event-loop thread's CPU on the benchmark machine,
so its profile overstates work done on other threads (smart-turn's model). The kernel's own
per-thread accounting does not miss anything: ``/proc/<pid>/task/<pid>/stat`` is the main
thread (uvicorn's event loop: every call's frames, VAD, serializers, sockets), and
``/proc/<pid>/stat`` is the whole process, threads that have already exited included
(smart-turn runs each call's inferences on a thread of its own, which ends with the call).
The process's child processes (the MCP tool servers) are counted separately.

CPU used is not the whole story under load: a thread that is ready to run may wait for a
core. ``/proc/<pid>/task/<pid>/schedstat`` counts that run-queue wait for the event loop, so
a phase tells whether its loop was short of CPU (the machine was full) or merely busy.
Waiting for the GIL is not in it (that thread sleeps on a lock, it is not runnable).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from convonet.bench.servers import Usage, read_stat


@dataclass(frozen=True)
class ThreadCpu:
    """CPU seconds used so far by server processes, split by where they ran.

    Attributes:
        event_loop_secs: The servers' main threads.
        other_threads_secs: Their other threads, live or exited.
        subprocesses_secs: Their child processes, all descendants.
        event_loop_wait_secs: Time the main threads were ready to run but waited for a core
            (0 where the kernel keeps no scheduler statistics).
    """

    event_loop_secs: float
    other_threads_secs: float
    subprocesses_secs: float
    event_loop_wait_secs: float = 0.0


def run_queue_wait_secs(path: Path) -> float:
    """Seconds a thread has waited for a core, from its ``schedstat`` file (0 if absent)."""
    try:
        fields = path.read_text().split()
    except OSError:
        return 0.0
    return int(fields[1]) / 1e9 if len(fields) >= 2 else 0.0


def thread_cpu(pids: Sequence[int], tree: Usage) -> ThreadCpu:
    """The CPU split of the server processes ``pids`` right now.

    Args:
        pids: The server processes.
        tree: Their :func:`~convonet.bench.servers.tree_usage`, read just before (children
            included), so ``/proc`` is not walked a second time.
    """
    main = other = own = wait = 0.0
    for pid in pids:
        total = read_stat(Path(f"/proc/{pid}/stat"))
        loop = read_stat(Path(f"/proc/{pid}/task/{pid}/stat"))
        if total is None or loop is None:
            continue
        main += loop[1]
        other += total[1] - loop[1]
        own += total[1]
        wait += run_queue_wait_secs(Path(f"/proc/{pid}/task/{pid}/schedstat"))
    return ThreadCpu(main, other, max(0.0, tree.cpu_secs - own), wait)


def thread_split(before: ThreadCpu, after: ThreadCpu) -> Mapping[str, float]:
    """CPU seconds of each part between two snapshots, for a phase's JSON."""
    return {
        "event_loop_secs": round(after.event_loop_secs - before.event_loop_secs, 2),
        "other_threads_secs": round(after.other_threads_secs - before.other_threads_secs, 2),
        "subprocesses_secs": round(after.subprocesses_secs - before.subprocesses_secs, 2),
        "event_loop_wait_secs": round(after.event_loop_wait_secs - before.event_loop_wait_secs, 2),
    }
