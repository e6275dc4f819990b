"""The :class:`BotSpec` contract: a bot is data, assembled into a pipeline elsewhere."""

from dataclasses import dataclass, field

# A bot's ``domains`` meaning every discovered domain, in their order (resolved by the registry).
EVERY_DOMAIN: tuple[str, ...] = ("*",)


@dataclass(frozen=True, slots=True)
class BotSpec:
    """Everything that makes one bot different from another.

    Attributes:
        name: Registry key, used in ``/api/connect`` and the CLI (``bot="assistant"``).
        title: Human-readable name shown in pickers.
        persona: System prompt for cloud LLMs; also documents the bot's character.
        greeting: Spoken when the session starts. ``{name}`` is replaced by the caller's
            first name, or dropped gracefully when unknown.
        domains: Agent domains this bot may route to; one entry pins the bot to that domain;
            :data:`EVERY_DOMAIN` is every domain (resolved when the registry is built).
        voice: Optional TTS voice override (provider-specific id).
        llm: Optional default LLM for this bot (``"offline"``, ``"claude"``, ...).
        description: One line for the bot picker and ``convonet bots``.
    """

    name: str
    title: str
    persona: str
    greeting: str
    domains: tuple[str, ...] = ("general",)
    voice: str | None = None
    llm: str | None = None
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def greeting_for(self, caller_name: str | None) -> str:
        """Render the greeting for a caller.

        Args:
            caller_name: The caller's display name, when known.

        Returns:
            The greeting text, addressed by first name when one is known.
        """
        if caller_name:
            first = caller_name.split()[0]
            return self.greeting.replace("{name}", first)
        # "Hello {name}, ..." -> "Hello, ..." reads naturally without a name.
        return self.greeting.replace(" {name}", "").replace("{name}", "")
