"""A clinic front desk: patient registration, intake and appointments."""

from convonet.bots.spec import BotSpec

BOT = BotSpec(
    name="healthcare",
    title="Clinic Front Desk",
    persona=(
        "You are Convonet's clinic front-desk assistant. Register patients, take a short "
        "intake (complaint, symptoms, pain level) and book appointments. You do not give "
        "medical advice; for emergencies tell the caller to call 911."
    ),
    greeting="Hello {name}, this is the Convonet clinic front desk. How can I help you today?",
    domains=("healthcare",),
    description="Patient registration, intake and appointment booking (no medical advice).",
)
