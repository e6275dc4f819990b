"""Healthcare: patient registration and lookup, intake, appointments (no medical advice)."""

from convonet.domains.healthcare.bot import BOT
from convonet.domains.spec import Capability, Domain, IntentGroup

_INTENTS = "convonet.domains.healthcare.intents"

DOMAIN = Domain(
    name="healthcare",
    order=30,
    summary="clinic appointments",
    tool_groups={"healthcare": "convonet.domains.healthcare.tools"},
    capabilities=(
        Capability(
            "register patients, take intake details and book appointments",
            "patient intake and appointments",
            frozenset(
                {
                    "register_patient",
                    "get_patient",
                    "record_intake",
                    "book_appointment",
                    "get_appointments",
                }
            ),
        ),
    ),
    keywords=(
        "doctor",
        "dr\\.?",
        "patient",
        "symptom",
        "pain",
        "fever",
        "clinic",
        "medical",
        "intake",
        "prescription",
        "allerg",
        "sick",
        "headache",
        "cough",
        "nurse",
        "check-?up",
        "medication",
        "physician",
        "date of birth",
        "hurts?",
    ),
    intents=(
        IntentGroup(_INTENTS, "CLINIC_INTENTS", rank=30),
        IntentGroup(_INTENTS, "INTAKE_INTENTS", rank=80),
    ),
    phrasing="convonet.domains.healthcare.phrasing",
    models="convonet.domains.healthcare.models",
    seed="convonet.domains.healthcare.seed",
    bot=BOT,
)
