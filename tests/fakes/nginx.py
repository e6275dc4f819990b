"""Debian's nginx in front of server processes, configured from the repository's template.

:class:`Nginx` renders ``deploy/nginx/convonet.conf.template`` for some loopback ports, runs
nginx in the foreground with everything (pid, logs, temporary files) under a directory of its
own, and reads its access log, whose ``upstream=`` field names the process that served each
request.
"""

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Self

import httpx

from convonet.bench.servers import free_port

TEMPLATE = Path(__file__).parents[2] / "deploy" / "nginx" / "convonet.conf.template"
_LOGGED = re.compile(r'"(\w+) (\S+) [^"]*" (\d+) upstream=(\S+)')


class Nginx:
    """nginx on a free loopback port, round-robin over ``ports``.

    Args:
        prefix: nginx's directory (configuration, pid, logs, temporary files).
        ports: The server processes' ports on 127.0.0.1.
        port: Its own port (chosen before the servers start, so they can name it as their
            public URL); a free one when ``None``.
    """

    def __init__(self, prefix: Path, ports: list[int], port: int | None = None) -> None:
        self.prefix = prefix
        self.port = port or free_port()
        self._ports = ports
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Render the template, start nginx and wait until it answers ``/healthz``.

        Raises:
            RuntimeError: nginx exited (its complaint is in the message) or never answered.
        """
        upstreams = "\n        ".join(
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self._ports
        )
        config = TEMPLATE.read_text()
        values = {"@LISTEN@": f"127.0.0.1:{self.port}", "@UPSTREAMS@": upstreams}
        for name, value in {**values, "@PREFIX@": str(self.prefix)}.items():
            config = config.replace(name, value)
        conf = self.prefix / "nginx.conf"
        conf.write_text(config)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [nginx, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"]
        self._process = subprocess.Popen(command, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError as error:
                if self._process.poll() is not None:
                    detail = self._process.stderr.read() if self._process.stderr else b""
                    raise RuntimeError(f"nginx exited: {detail!r}") from error
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not answer")

    def stop(self) -> None:
        """Stop nginx (it finishes nothing: callers are gone by then)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def served(self, method: str, path: str) -> list[str]:
        """The upstream address of every logged request ``method path*``, in order.

        nginx logs a request once it has answered it (a WebSocket once it closed).
        """
        return [
            match[4]
            for match in _LOGGED.finditer((self.prefix / "access.log").read_text())
            if match[1] == method and match[2].startswith(path)
        ]
