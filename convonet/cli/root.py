"""The ``convonet`` command line."""

import click

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
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Server processes (default SERVER_WORKERS, 1); more than one needs REDIS_URL and "
    "DATABASE_URL.",
)
def serve(host: str | None, port: int | None, log_level: str | None, workers: int | None) -> None:
    """Run the web server on the embedded defaults (or whatever the settings say)."""
    from convonet.lifecycle.serving import serve as run_server
    from convonet.logging import configure_logging
    from convonet.settings import Settings

    settings = Settings()
    level = log_level or settings.log_level
    configure_logging(level)
    run_server(
        settings,
        host or settings.host,
        port or settings.port,
        level,
        workers or settings.server_workers,
    )


from convonet.bench.cli import register as _register_bench  # noqa: E402
from convonet.cli.admin import register as _register_admin  # noqa: E402
from convonet.cli.bots import register as _register_bots  # noqa: E402
from convonet.cli.domains import register as _register_domains  # noqa: E402
from convonet.cli.sip import register as _register_sip  # noqa: E402
from convonet.cli.voice import register as _register_voice  # noqa: E402

_register_voice(main)
_register_bots(main)
_register_domains(main)
_register_admin(main)
_register_bench(main)
_register_sip(main)
