"""Convonet servers run by a benchmark: ``convonet serve`` subprocesses on free ports.

Each process is self-contained (its own embedded Redis and SQLite file under a temporary
data directory), and is stopped with SIGTERM (then killed) when the benchmark ends. The
process tree (the server and its MCP tool subprocesses) is measured from ``/proc``.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

READY_TIMEOUT_SECS = 180.0
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Variables that would make a server use the developer's providers instead of the ones the
# benchmark chooses.
_PROVIDER_VARIABLES = (
    "DEEPGRAM_API_KEY",
    "ELEVENLABS_API_KEY",
    "CARTESIA_API_KEY",
    "STT_PROVIDER",
    "TTS_PROVIDER",
    "REDIS_URL",
    "DATABASE_URL",
    "DATA_DIR",
    "DEFAULT_LLM",
)


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """One ``convonet serve`` subprocess.

    Attributes:
        process: The running process.
        port: Its port on 127.0.0.1.
        log: Where its output goes.
    """

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"


def _environment(data_dir: Path, overrides: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PROVIDER_VARIABLES}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "ENVIRONMENT": "test",  # the fixture demo user (its known PIN) signs in
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            "AUTH_MAX_FAILURES": "1000",
            # A benchmark measures past any cap (its own --set may put one back).
            "MAX_SESSIONS_PER_PROCESS": "0",
        }
    )
    env.update(overrides)
    return env


def _wait_ready(server: ServerProcess, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the server on port {server.port} exited:\n{tail}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {server.port} was not ready in time")


def _stop(server: ServerProcess) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


class Fleet:
    """Server processes started together (in a temporary directory) and stopped together."""

    def __init__(self, count: int, overrides: Mapping[str, str]) -> None:
        self._count, self._overrides = count, dict(overrides)
        self._tmp = tempfile.TemporaryDirectory(prefix="convonet-bench-")
        self.servers: list[ServerProcess] = []

    @property
    def urls(self) -> list[str]:
        """Base URLs of the servers."""
        return [server.url for server in self.servers]

    @property
    def pids(self) -> list[int]:
        """Process ids of the servers."""
        return [server.process.pid for server in self.servers]

    def start(self) -> None:
        """Start every server and wait (blocking) until all are ready.

        Raises:
            RuntimeError: A server exited or was not ready in time.
        """
        try:
            for index in range(self._count):
                data_dir = Path(self._tmp.name) / f"server{index}"
                data_dir.mkdir()
                port, log = free_port(), Path(self._tmp.name) / f"server{index}.log"
                command = [sys.executable, "-m", "convonet", "serve", "--host", "127.0.0.1"]
                with log.open("wb") as output:
                    process = subprocess.Popen(
                        [*command, "--port", str(port), "--log-level", "WARNING"],
                        cwd=data_dir,
                        env=_environment(data_dir, self._overrides),
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                self.servers.append(ServerProcess(process, port, log))
            deadline = time.monotonic() + READY_TIMEOUT_SECS
            for server in self.servers:
                _wait_ready(server, deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every server (SIGTERM, then kill) and remove the temporary directory."""
        for server in self.servers:
            _stop(server)
        self._tmp.cleanup()


@contextmanager
def running_servers(count: int, overrides: Mapping[str, str]) -> Iterator[Fleet]:
    """Start ``count`` servers (settings from ``overrides``), wait until ready, stop on exit.

    The servers run in a fresh temporary directory (no ``.env`` is read) with the embedded
    defaults unless ``overrides`` says otherwise.
    """
    fleet = Fleet(count, overrides)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.stop()


@dataclass(frozen=True)
class Usage:
    """CPU seconds used so far and resident memory now, of some process trees."""

    cpu_secs: float
    rss_mib: float
    processes: int


def read_stat(path: Path) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) from a ``/proc`` stat file; None if it is gone.

    The file of a process (``/proc/<pid>/stat``) or of one of its threads
    (``/proc/<pid>/task/<tid>/stat``).
    """
    try:
        text = path.read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of ``pid``, or None if it is gone."""
    return read_stat(Path(f"/proc/{pid}/stat"))


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy_secs() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting on I/O) since boot."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _TICKS


def tree_usage(roots: Sequence[int]) -> Usage:
    """CPU and memory of ``roots`` and all their descendants (Linux ``/proc``)."""
    stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p)))}
    members = {pid for pid in roots if pid in stats}
    grew = True
    while grew:
        children = {pid for pid, (parent, _) in stats.items() if parent in members}
        grew = not children <= members
        members |= children
    return Usage(
        cpu_secs=sum(stats[pid][1] for pid in members),
        rss_mib=sum(rss_mib(pid) for pid in members),
        processes=len(members),
    )
