"""``convonet call`` (a WAV file through the voice pipeline) and ``convonet chat`` (text)."""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from convonet.errors import ConvonetError
from convonet.settings import Settings

if TYPE_CHECKING:  # the heavy modules load only when a command runs
    from convonet.runtime import Runtime
    from convonet.session import CallSession

# The seeded demo user (kept here as text so the CLI starts without loading the ORM).
DEMO_EMAIL = "demo@convonet.local"


async def _caller(runtime: "Runtime", email: str, session: "CallSession") -> None:
    """Make ``session`` act as the user with ``email`` (anonymous when there is none)."""
    from convonet.storage.users import get_by_email

    async with runtime.db.session() as db:
        user = await get_by_email(db, email)
    if user is not None:
        session.user_id, session.user_name, session.timezone = user.id, user.name, user.timezone


async def _call(settings: Settings, wav: Path, bot: str | None, email: str) -> Any:
    from convonet.conversation.wav_call import read_wav, run_wav_call
    from convonet.runtime import open_runtime

    pcm = read_wav(wav)
    async with open_runtime(settings) as runtime:
        session = runtime.new_session("cli", bot=bot)
        await _caller(runtime, email, session)
        return await run_wav_call(runtime, pcm, session)


async def _chat(settings: Settings, bot: str | None, llm: str | None, email: str) -> None:
    from convonet.conversation.chat import TextConversation
    from convonet.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        session = runtime.new_session("text", bot=bot, llm=llm)
        await _caller(runtime, email, session)
        await runtime.ensure_tools()
        conversation = TextConversation(runtime, session)
        click.echo(session.bot.greeting_for(session.user_name))
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                click.echo()
                return
            reply = await conversation.say(text)
            click.echo(f"bot> {reply.text}")
            if reply.ends_call:
                return


def _check_bot(settings: Settings, bot: str | None) -> None:
    """Refuse an unknown bot before the runtime loads the speech models (seconds of work)."""
    from convonet.bots.registry import default_registry

    default_registry().get(bot or settings.default_bot)


def register(main: click.Group) -> None:
    """Add ``call`` and ``chat`` to the ``convonet`` command."""

    @main.command()
    @click.argument("wav", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--bot", default=None, help="Bot to call (default from settings).")
    @click.option("--email", default=DEMO_EMAIL, show_default=True, help="Act as this user.")
    def call(wav: Path, out: Path, bot: str | None, email: str) -> None:
        """Run the full voice pipeline on WAV (no server); write the bot's reply to OUT."""
        from convonet.conversation.wav_call import wav_bytes
        from convonet.logging import configure_logging

        configure_logging("WARNING")
        settings = Settings()
        try:
            _check_bot(settings, bot)
            result = asyncio.run(_call(settings, wav, bot, email))
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
    @click.option("--email", default=DEMO_EMAIL, show_default=True, help="Act as this user.")
    def chat(bot: str | None, llm: str | None, email: str) -> None:
        """Talk to the agent in text through the same graph as voice calls."""
        from convonet.logging import configure_logging

        configure_logging("WARNING")
        settings = Settings()
        try:
            _check_bot(settings, bot)
            asyncio.run(_chat(settings, bot, llm, email))
        except ConvonetError as error:
            raise click.ClickException(str(error)) from error
