"""Healthcare demo data: the demo user as a registered patient."""

from datetime import date

from convonet.domains.healthcare.models import Patient
from convonet.storage.seed import DemoPeople, Seeder


async def seed(seed: Seeder, people: DemoPeople) -> None:
    """Register the demo user as a patient (idempotent)."""
    await seed.get_or_add(
        Patient,
        {"first_name": "Demo", "last_name": "User", "date_of_birth": date(1985, 4, 12)},
        user_id=people.demo.id,
        phone="+15555550100",
        insurance_provider="Acme Health",
        allergies="penicillin",
    )
