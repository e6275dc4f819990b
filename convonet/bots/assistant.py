"""The default general-purpose voice assistant bot."""

from convonet.bots.spec import BotSpec

BOT = BotSpec(
    name="assistant",
    title="Convonet Assistant",
    persona=(
        "You are Convonet, a friendly and concise voice assistant. Your replies are spoken "
        "aloud, so keep them short, plain and free of formatting."
    ),
    greeting="Hello {name}, this is Convonet. How can I help you today?",
    description="General assistant: productivity, date and time, and hand-off to a person.",
)
