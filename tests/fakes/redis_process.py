"""A private ``redis-server`` for outage tests: killed and started again on the same port.

The shared test Redis must never be stopped (other suites use it), so a test that needs a
real Redis to die starts its own: no persistence, so a restarted server is empty, as after a
crash.
"""

import subprocess
import time
from pathlib import Path

from tests.conftest import free_port


class RedisProcess:
    """A ``redis-server`` on a free port of 127.0.0.1.

    Args:
        workdir: Its working directory (nothing is saved there).
    """

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING.

        Raises:
            RuntimeError: It did not answer within 10 s.
        """
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self._workdir)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        ping = ["redis-cli", "-p", str(self.port), "ping"]
        deadline = time.monotonic() + 10
        while subprocess.run(ping, capture_output=True).stdout.strip() != b"PONG":
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """Kill it hard (SIGKILL): every connection drops at once."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None
