"""Restaurant: table availability and reservations for Hanok Table."""

from convonet.domains.restaurant.bot import BOT
from convonet.domains.spec import Capability, Domain, IntentGroup

DOMAIN = Domain(
    name="restaurant",
    order=40,
    summary="restaurant bookings",
    tool_groups={"restaurant": "convonet.domains.restaurant.tools"},
    capabilities=(
        Capability(
            "check tables and handle restaurant reservations",
            "restaurant reservations",
            frozenset(
                {
                    "check_availability",
                    "create_reservation",
                    "get_reservation",
                    "update_reservation",
                    "cancel_reservation",
                }
            ),
        ),
    ),
    keywords=(
        "table for",
        "reservation",
        "restaurant",
        "dinner",
        "lunch",
        "brunch",
        "book a table",
        "party of",
        "confirmation code",
        "hanok",
        "dine",
        "dining",
        "seats? for",
    ),
    intents=(IntentGroup("convonet.domains.restaurant.intents", rank=20),),
    phrasing="convonet.domains.restaurant.phrasing",
    models="convonet.domains.restaurant.models",
    seed="convonet.domains.restaurant.seed",
    api="convonet.domains.restaurant.routes",
    bot=BOT,
)
