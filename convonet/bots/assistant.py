"""The default general-purpose voice assistant bot: every domain, in the domains' order."""

from convonet.bots.spec import EVERY_DOMAIN, BotSpec

BOT = BotSpec(
    name="assistant",
    title="Convonet Assistant",
    persona=(
        "You are Convonet, a friendly and concise voice assistant. Your replies are spoken "
        "aloud, so keep them short, plain and free of formatting."
    ),
    greeting="Hello {name}, this is Convonet. How can I help you today?",
    domains=EVERY_DOMAIN,
    description="General assistant: to-dos, teams, reminders, calendar, mortgage, "
    "healthcare intake and restaurant bookings, and hand-off to a person.",
)
