"""The embedded Redis: fakeredis served on a loopback port for the life of a server.

With no ``REDIS_URL`` the app still needs one Redis that every part sees: the web app, the
MCP tool subprocesses (transfer requests) and pub/sub subscribers. Serving fakeredis's
in-memory store over TCP on 127.0.0.1 gives them exactly that, through the ordinary
redis-py client, with nothing to install. The server process itself does not go through
TCP: its client works on the same in-memory store directly (:attr:`fake_server`), because
fakeredis's TCP handler polls each connection every 10 ms and that polling cost a large share
of a busy server's CPU (measured by the concurrency benchmark's profile).
"""

import threading
from types import TracebackType
from typing import Self

from fakeredis import FakeServer, TcpFakeServer
from loguru import logger


class EmbeddedRedisServer:
    """A fakeredis TCP server on an ephemeral loopback port, run in a daemon thread."""

    def __init__(self) -> None:
        self._server = TcpFakeServer(("127.0.0.1", 0), server_type="redis")
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="embedded-redis", daemon=True
        )

    @property
    def fake_server(self) -> FakeServer:
        """The in-memory store behind the port (thread-safe: fakeredis locks it per command)."""
        return self._server.fake_server

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        host, port = self._server.server_address[:2]
        return f"redis://{host!s}:{port}/0"

    def start(self) -> Self:
        """Start serving."""
        self._thread.start()
        logger.info(f"embedded Redis (fakeredis) serving on {self.url}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
