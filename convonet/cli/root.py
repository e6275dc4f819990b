"""The ``convonet`` command line."""

import click
from loguru import logger

from convonet import __version__


@click.group()
@click.version_option(__version__)
def main() -> None:
    """Convonet: real-time voice AI assistant platform."""
    from convonet.domains.registry import add_domain_paths
    from convonet.settings import Settings

    add_domain_paths(Settings().domain_paths)


@main.command()
@click.option("--host", default=None, help="Interface to bind (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 8000).")
@click.option("--log-level", default=None, help="Log level (INFO, DEBUG, ...).")
def serve(host: str | None, port: int | None, log_level: str | None) -> None:
    """Run the web server on the embedded defaults (or whatever the settings say)."""
    import uvicorn

    from convonet.logging import configure_logging
    from convonet.security.serving import uvicorn_options
    from convonet.server import create_app
    from convonet.settings import Settings

    settings = Settings()
    configure_logging(log_level or settings.log_level)
    host, port = host or settings.host, port or settings.port
    logger.info(f"Convonet {__version__} serving on http://{host}:{port}")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=(log_level or settings.log_level).lower(),
        **uvicorn_options(settings),
    )


from convonet.bench.cli import register as _register_bench  # noqa: E402
from convonet.cli.admin import register as _register_admin  # noqa: E402
from convonet.cli.bots import register as _register_bots  # noqa: E402
from convonet.cli.domains import register as _register_domains  # noqa: E402
from convonet.cli.voice import register as _register_voice  # noqa: E402

_register_voice(main)
_register_bots(main)
_register_domains(main)
_register_admin(main)
_register_bench(main)
