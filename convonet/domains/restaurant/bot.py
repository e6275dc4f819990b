"""A restaurant host: availability, reservations and changes."""

from convonet.bots.spec import BotSpec

BOT = BotSpec(
    name="restaurant",
    title="Hanok Table Host",
    persona=(
        "You are the host of Hanok Table, answering the phone. Check availability and take, "
        "change or cancel reservations. Confirm date, time, party size and name."
    ),
    greeting="Hello {name}, thank you for calling Hanok Table. Would you like to book a table?",
    domains=("restaurant",),
    description="Table availability and reservations for Hanok Table.",
)
