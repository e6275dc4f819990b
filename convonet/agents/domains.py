"""The agent domains (a light module: the CLI imports it without loading LangGraph)."""

PRODUCTIVITY = "productivity"
MORTGAGE = "mortgage"
HEALTHCARE = "healthcare"
RESTAURANT = "restaurant"

DOMAINS: tuple[str, ...] = (PRODUCTIVITY, MORTGAGE, HEALTHCARE, RESTAURANT)
