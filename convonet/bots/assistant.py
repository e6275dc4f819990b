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
    domains=("productivity", "mortgage", "healthcare", "restaurant"),
    description="General assistant: to-dos, teams, reminders, calendar, mortgage, "
    "healthcare intake and restaurant bookings, and hand-off to a person.",
)
