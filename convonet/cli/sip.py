"""``convonet sip-server``: the development SIP server (Kamailio) on loopback.

It reads the agents from the database (``DATABASE_URL``), writes their credentials for
Kamailio into ``DATA_DIR/sip`` and then becomes Kamailio (exec), running in the foreground
until interrupted. Restart it after adding agents.
"""

import asyncio
import os

import click

from convonet.errors import ConvonetError
from convonet.settings import Settings


def _account(value: str) -> tuple[str, str]:
    username, sep, password = value.partition(":")
    if not sep or not username or not password:
        raise click.BadParameter(f"{value!r} is not USER:PASSWORD")
    return username, password


@click.command("sip-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--sip-port", type=int, default=None, help="UDP/TCP SIP port (SIP_PORT).")
@click.option("--ws-port", type=int, default=None, help="WebSocket port (SIP_WS_PORT).")
@click.option("--domain", default=None, help="SIP domain and auth realm (SIP_DOMAIN).")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    help="An extra USER:PASSWORD account besides the agents (a desk phone, a test trunk).",
)
def sip_server(
    host: str,
    sip_port: int | None,
    ws_port: int | None,
    domain: str | None,
    accounts: tuple[str, ...],
) -> None:
    """Run Kamailio as registrar + WebSocket proxy for the call-center softphones."""
    from sqlalchemy.exc import SQLAlchemyError

    from convonet.sip.accounts import load_directory
    from convonet.sip.kamailio import SipAccount, SipDirectory, SipServerConfig, prepare
    from convonet.storage.db import Database

    settings = Settings()
    config = SipServerConfig(
        domain=domain or settings.sip_domain,
        host=host,
        sip_port=sip_port or settings.sip_port,
        ws_port=ws_port or settings.sip_ws_port,
        work_dir=settings.data_dir / "sip",
    )

    async def directory_of_agents() -> SipDirectory:
        async with Database.from_settings(settings) as database:
            return await load_directory(database)

    extra = [SipAccount(*_account(a)) for a in accounts]  # refused before any work
    try:
        directory = asyncio.run(directory_of_agents())
        directory.accounts += extra
        command = prepare(config, directory)
    except ConvonetError as error:
        raise click.ClickException(str(error)) from error
    except SQLAlchemyError as error:
        hint = "run `convonet db upgrade`?"
        raise click.ClickException(f"database error ({hint}): {error}") from error
    names = ", ".join(a.username for a in directory.accounts) or "none"
    click.echo(f"SIP server for {config.domain}: {config.ws_url} (SIP {host}:{config.sip_port})")
    click.echo(f"accounts: {names}; aliases: {directory.aliases or 'none'}")
    os.execv(command[0], command)


def register(main: click.Group) -> None:
    """Add the command to the ``convonet`` group."""
    main.add_command(sip_server)
