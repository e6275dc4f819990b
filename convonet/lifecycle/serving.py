"""How ``convonet serve`` runs the app: uvicorn on uvloop, one or several worker processes.

Every worker is a whole server (its own pipelines, models and MCP tool processes); they share
the listening socket, so a call's ``/api/connect`` and its ``/ws`` may land on different
workers. Workers therefore need the shared state outside the process: a real Redis
(``REDIS_URL``) and a real database (``DATABASE_URL``, migrated beforehand with
``convonet db upgrade``). Calls are CPU-bound, so more workers than cores only adds memory.

One process (``--workers 1``, the Kubernetes shape: one process per pod) drains on SIGTERM
(:mod:`convonet.lifecycle.drain`): :class:`DrainingServer` refuses new calls, lets live ones
end, and only then lets uvicorn shut down, so the process exits 0 with no call cut. Several workers
run under uvicorn's own supervisor and stop the plain uvicorn way (live calls are cut).
"""

import asyncio
import os
import signal
import socket
from types import FrameType
from typing import Any

import click
import uvicorn
from loguru import logger
from uvicorn.config import STARTUP_FAILURE

from convonet import __version__
from convonet.lifecycle.capacity import describe_capacity
from convonet.lifecycle.drain import Drain
from convonet.security.serving import uvicorn_options
from convonet.services.blas_threads import one_blas_thread
from convonet.settings import Settings


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse several workers without shared Redis and database.

    Raises:
        click.UsageError: ``workers`` > 1 with the embedded Redis or SQLite.
    """
    if workers > 1 and not (settings.redis_url and settings.database_url):
        raise click.UsageError(
            f"--workers {workers} needs REDIS_URL and DATABASE_URL: the workers must share "
            "sessions and data (the embedded Redis and SQLite belong to one process)"
        )


class DrainingServer(uvicorn.Server):
    """uvicorn's server, draining calls on the first SIGTERM before shutting down.

    uvicorn's own SIGTERM handling closes every WebSocket at once (live calls cut) and then
    re-raises the signal, so the process dies of it. Here the first SIGTERM only starts the
    drain; once it is over ``should_exit`` is set and uvicorn shuts down normally (exit 0).
    SIGINT, or a second SIGTERM, still stops at once.
    """

    def __init__(self, config: uvicorn.Config, app: Any) -> None:
        super().__init__(config)
        self._app = app  # the FastAPI app: its lifespan puts the runtime in app.state
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_requested = False
        self._drain_task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Remember the loop (the signal handler schedules the drain on it), then start."""
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Drain on the first SIGTERM once serving; anything else stops the uvicorn way."""
        if sig != signal.SIGTERM or self._drain_requested or not self.started or not self._loop:
            super().handle_exit(sig, frame)
            return
        self._drain_requested = True
        # A signal handler runs between two bytecodes of the loop's thread: only hand over.
        self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        runtime = getattr(self._app.state, "runtime", None)
        drain: Drain | None = runtime.drain if runtime is not None else None
        if drain is None:  # not started yet: nothing to drain
            self.should_exit = True
            return
        drain.begin()  # readiness false and new calls refused from this very moment
        self._drain_task = asyncio.create_task(self._drain(), name="drain")  # kept referenced

    async def _drain(self) -> None:
        runtime = self._app.state.runtime
        try:
            await runtime.drain.run(runtime.live, runtime.settings.drain_grace_secs)
        except Exception:  # shutdown must go on whatever happened
            logger.exception("the drain failed; shutting down anyway")
        finally:
            self.should_exit = True


def with_workers(settings: Settings, workers: int) -> Settings:
    """``settings`` for ``workers`` processes, in this process and the workers it starts.

    Why: the automatic capacity shares the cores among the processes; ``--workers`` may differ
    from ``SERVER_WORKERS``, and the workers uvicorn starts read their settings from the
    environment.
    """
    if workers == settings.server_workers:
        return settings
    os.environ["SERVER_WORKERS"] = str(workers)
    return settings.model_copy(update={"server_workers": workers})


def serve(settings: Settings, host: str, port: int, log_level: str, workers: int) -> None:
    """Run the server until interrupted (blocking)."""
    check_workers(settings, workers)
    # Calls run side by side: numpy's OpenBLAS splitting smart-turn's one matrix product
    # over both cores cost more than twice the inference's CPU (see the module).
    one_blas_thread()
    settings = with_workers(settings, workers)
    logger.info(f"Convonet {__version__} serving on http://{host}:{port} ({workers} worker(s))")
    logger.info(f"capacity: {describe_capacity(settings)}")
    # uvloop and httptools: the C event loop and HTTP parser (uvicorn's "auto" picks them too
    # when installed; named here so a missing one is an error, not a silent slowdown).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level.lower(),
        "loop": "uvloop",
        "http": "httptools",
        **uvicorn_options(settings),
    }
    if workers > 1:  # each worker process builds its own app from the environment
        uvicorn.run("convonet.server:create_app", factory=True, workers=workers, **options)
        return
    from convonet.server import create_app

    app = create_app(settings)
    server = DrainingServer(uvicorn.Config(app, **options), app)
    server.run()
    if not server.started:  # as uvicorn.run: a server that never started is a failure
        raise SystemExit(STARTUP_FAILURE)
