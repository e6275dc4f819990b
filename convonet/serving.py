"""How ``convonet serve`` runs the app: uvicorn on uvloop, one or several worker processes.

Every worker is a whole server (its own pipelines, models and MCP tool processes); they share
the listening socket, so a call's ``/api/connect`` and its ``/ws`` may land on different
workers. Workers therefore need the shared state outside the process: a real Redis
(``REDIS_URL``) and a real database (``DATABASE_URL``, migrated beforehand with
``convonet db upgrade``). Calls are CPU-bound, so more workers than cores only adds memory.
"""

from typing import Any

import click
import uvicorn
from loguru import logger

from convonet import __version__
from convonet.security.serving import uvicorn_options
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


def serve(settings: Settings, host: str, port: int, log_level: str, workers: int) -> None:
    """Run the server until interrupted (blocking)."""
    check_workers(settings, workers)
    logger.info(f"Convonet {__version__} serving on http://{host}:{port} ({workers} worker(s))")
    # uvloop and httptools: the C event loop and HTTP parser (uvicorn's "auto" picks them too
    # when installed; named here so a missing one is an error, not a silent slowdown).
    if workers > 1:  # each worker process builds its own app from the environment
        app: Any = "convonet.server:create_app"
    else:
        from convonet.server import create_app

        app = create_app(settings)
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_level=log_level.lower(),
        loop="uvloop",
        http="httptools",
        **uvicorn_options(settings),
    )
