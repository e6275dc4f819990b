"""Shared fixtures: settings for tests, an app on a free port, synthesized speech."""

import asyncio
import gc
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from convonet.security.serving import uvicorn_options
from convonet.server import create_app
from convonet.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Database/Redis fixtures that run each test on the embedded and the real backends.
pytest_plugins = ["tests.fakes.backends"]

# The user property under which tests/test_fuzz.py reports the inputs it tried per surface.
FUZZED = "fuzzed"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each ``slow`` or ``integration`` test (real models, real servers) one rerun.

    Those tests hear the bot through Whisper tiny and race real time on a shared 2-core
    machine: a misheard word ("credentials" as "or dentials") or a late sentence fails a run
    now and then. One rerun, shown as ``R`` in the output and counted as "rerun" in the
    summary, tells that from a real failure, which fails twice.
    """
    for item in items:
        if any(item.get_closest_marker(name) for name in ("slow", "integration")):
            item.add_marker(pytest.mark.flaky(reruns=1))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many inputs were fuzzed per surface over the whole run (all workers)."""
    totals: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, counts in getattr(report, "user_properties", ()):
                if name == FUZZED and getattr(report, "when", "") == "teardown":
                    for surface, tried in counts.items():
                        totals[surface] = totals.get(surface, 0) + tried
    if totals:
        line = ", ".join(f"{surface} {n}" for surface, n in sorted(totals.items()))
        terminalreporter.write_line(f"fuzzed inputs per surface: {line}")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and data directory.

    No session capacity unless a test sets one: tests sign in many times without starting a
    stream, each holding a place for the token's minute, and the capacity sized to CI's cores
    would refuse them (it is tested on its own, in ``tests/lifecycle``).
    """
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": tmp_path,
        "max_sessions_per_process": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# A helper, not a test: modules that import it by this name would otherwise collect it.
test_settings.__test__ = False  # type: ignore[attr-defined]


class LiveServer:
    """A real uvicorn server running the app in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.settings = settings
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            **uvicorn_options(settings),
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self):  # type: ignore[no-untyped-def]
        """The app's runtime (models, live sessions)."""
        return self.app.state.runtime

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop (run coroutines on it with run_coroutine_threadsafe)."""
        return self._loop

    async def on_loop(self, coroutine: Any) -> Any:
        """Await ``coroutine`` run on the server's loop (where its runtime's clients live)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        """Start and wait until the models are loaded."""
        self._thread.start()
        import httpx

        for _ in range(600):
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            threading.Event().wait(0.1)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        """Shut down."""
        self.server.should_exit = True
        self._thread.join(timeout=15)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on embedded defaults, on a free port, shared by the session's tests."""
    # Many tests send wrong PINs from 127.0.0.1; the lockout itself is tested on its own server.
    server = LiveServer(test_settings(tmp_path_factory.mktemp("live"), auth_max_failures=1000))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(live_app: LiveServer) -> str:
    """Base URL (``http://127.0.0.1:<port>``) of the shared running app."""
    return live_app.url


@pytest.fixture(autouse=True)
def _unfrozen_heap() -> Iterator[None]:
    """Give the GC back what an app's start froze (``GC_FREEZE_AT_START``).

    A test process starts many apps; each freeze would keep the earlier tests' garbage
    cycles for the rest of the run.
    """
    yield
    gc.unfreeze()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    return asyncio.DefaultEventLoopPolicy()


def session_auth(started: dict[str, object]) -> dict[str, str]:
    """The header that opens a session from :func:`connect` to ``POST /agent/process``."""
    return {"Authorization": f"Bearer {started['session_token']}"}


async def connect(base_url: str, **body: object) -> dict[str, object]:
    """Sign in with the demo PIN (unless ``pin`` is given) and return ``/api/connect``'s JSON."""
    import httpx

    from convonet.storage.seed import DEMO_PIN

    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/connect", json={"pin": DEMO_PIN, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())
