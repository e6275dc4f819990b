"""Restaurant demo data: Hanok Table's six tables."""

from convonet.domains.restaurant.models import RestaurantTable
from convonet.storage.seed import DemoPeople, Seeder

TABLES = [("T1", 2, "main"), ("T2", 2, "main"), ("T3", 4, "main"), ("T4", 4, "patio")]
TABLES += [("T5", 6, "patio"), ("T6", 8, "private")]


async def seed(seed: Seeder, _people: DemoPeople) -> None:
    """Add the restaurant's tables (idempotent)."""
    for label, seats, area in TABLES:
        await seed.get_or_add(RestaurantTable, {"label": label}, seats=seats, area=area)
