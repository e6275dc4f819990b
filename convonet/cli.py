"""The ``convonet`` command line."""

import asyncio
from pathlib import Path

import click
from loguru import logger

from convonet import __version__
from convonet.errors import ConvonetError


@click.group()
@click.version_option(__version__)
def main() -> None:
    """Convonet: real-time voice AI assistant platform."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port to listen on (default 8000).")
@click.option("--log-level", default=None, help="Log level (INFO, DEBUG, ...).")
def serve(host: str | None, port: int | None, log_level: str | None) -> None:
    """Run the web server on the embedded defaults (or whatever the settings say)."""
    import uvicorn

    from convonet.logging import configure_logging
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
        ws_max_size=settings.max_ws_message_bytes,
        log_level=(log_level or settings.log_level).lower(),
    )


@main.command()
@click.argument("wav", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--bot", default=None, help="Bot to call (default from settings).")
def call(wav: Path, out: Path, bot: str | None) -> None:
    """Run the full voice pipeline on WAV (no server) and write the bot's reply to OUT."""
    from convonet.logging import configure_logging
    from convonet.runtime import Runtime
    from convonet.settings import Settings
    from convonet.wav_call import read_wav, run_wav_call, wav_bytes

    settings = Settings()
    configure_logging("WARNING")
    try:
        pcm = read_wav(wav)
        result = asyncio.run(run_wav_call(Runtime.create(settings), pcm, bot=bot))
    except ConvonetError as error:
        raise click.ClickException(str(error)) from error
    if not result.audio:
        raise click.ClickException("the bot produced no audio (was there speech in the file?)")
    out.write_bytes(wav_bytes(result.audio, result.sample_rate))
    v2v = f"{result.voice_to_voice_secs * 1000:.0f} ms" if result.voice_to_voice_secs else "n/a"
    click.echo(f"transcript:     {result.transcript}")
    click.echo(f"reply:          {result.reply}")
    click.echo(f"voice-to-voice: {v2v}")
    click.echo(f"wrote:          {out} ({len(result.audio) / 2 / result.sample_rate:.1f} s)")


@main.command()
@click.option("--bot", default=None, help="Bot to talk to (default from settings).")
@click.option("--llm", default=None, help="LLM to use (default from settings).")
def chat(bot: str | None, llm: str | None) -> None:
    """Talk to the agent in text through the same graph as voice calls."""
    from convonet.chat import TextConversation
    from convonet.logging import configure_logging
    from convonet.runtime import Runtime
    from convonet.settings import Settings

    configure_logging("WARNING")
    runtime = Runtime.create(Settings())
    try:
        session = runtime.new_session("text", bot=bot, llm=llm)
    except ConvonetError as error:
        raise click.ClickException(str(error)) from error
    conversation = TextConversation(runtime, session)
    click.echo(session.bot.greeting_for(None))
    while True:
        try:
            text = click.prompt("you", prompt_suffix="> ")
        except (EOFError, click.Abort):
            click.echo()
            return
        reply = asyncio.run(conversation.say(text))
        click.echo(f"bot> {reply.text}")
        if reply.ended:
            return


from convonet.cli_admin import register as _register_admin  # noqa: E402

_register_admin(main)
