"""Mortgage: applications, payment and affordability estimates, the document checklist."""

from convonet.domains.mortgage.bot import BOT
from convonet.domains.spec import Capability, Domain, IntentGroup

DOMAIN = Domain(
    name="mortgage",
    order=20,
    summary="mortgages",
    tool_groups={"mortgage": "convonet.domains.mortgage.tools"},
    capabilities=(
        Capability(
            "help with mortgage applications, payments and affordability",
            "mortgages",
            frozenset(
                {
                    "start_mortgage_application",
                    "get_mortgage_application",
                    "update_mortgage_application",
                    "calculate_mortgage_payment",
                    "estimate_affordability",
                    "list_required_documents",
                }
            ),
        ),
    ),
    keywords=(
        "mortgage",
        "loan",
        "refinanc",
        "down ?payment",
        "afford",
        "interest rate",
        "pre-?approv",
        "home price",
        "house price",
        "monthly payment",
        "credit score",
        "property value",
        "w-?2",
        "pay ?stubs?",
        "closing cost",
    ),
    intents=(IntentGroup("convonet.domains.mortgage.intents", rank=70),),
    phrasing="convonet.domains.mortgage.phrasing",
    models="convonet.domains.mortgage.models",
    seed="convonet.domains.mortgage.seed",
    api="convonet.domains.mortgage.api",
    bot=BOT,
)
