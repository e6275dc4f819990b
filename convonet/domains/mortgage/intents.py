"""Mortgage intents: applications, payment and affordability estimates, documents.

Amounts are told apart by the words around them: "a 400000 home" is the property value,
"80000 down" the down payment, "I make 95000 a year" the income, "at 6.5 percent" the rate.
"""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from convonet.agents.offline.intents.base import Ask, Heard, Intent, Slots, pattern, present
from convonet.agents.offline.slots.numbers import NUMBER

AREA = "mortgage"
N = rf"(?:about\s+|around\s+|roughly\s+|approximately\s+|maybe\s+)?({NUMBER})(?:\s+dollars?)?"
_PER = r"(?:\s+(?:a|per|each|every)\s+(year|month)|\s+(annually|yearly|monthly))?"
_HOME = r"(?:home|house|property|condo|place|townhouse|apartment)"
_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "down_percent",
        (rf"{N}\s+percent\s+down", rf"down payment\s+(?:of|is|would be)?\s*{N}\s+percent"),
    ),
    (
        "down_payment",
        (
            rf"{N}\s+down\b",
            rf"down payment\s+(?:of|is|would be|will be|to|at)?\s*{N}",
            rf"put(?:ting)?\s+down\s+{N}",
            rf"(?:have|saved)\s+{N}\s+(?:saved\s+)?for\s+(?:a|the)\s+down",
        ),
    ),
    (
        "monthly_debts",
        (
            rf"{N}\s+(?:a|per|each)\s+month\s+(?:in|of|for|on|towards?)\s+(?:my\s+)?(?:debts?|car|student|loans?|credit)",
            rf"{N}\s+(?:in|of|for)\s+(?:monthly\s+)?(?:debts?|debt payments|car payments?|"
            r"student loans?)",
            r"(?:debts?|debt payments|car payments?|student loans?)\s+"
            rf"(?:of|are|is|total|totaling|come to)?\s*{N}",
        ),
    ),
    (
        "credit_score",
        (r"credit score\s+(?:is|of|around|about|was)?\s*(?:about\s+|around\s+)?(\d{3})",),
    ),
    (
        "annual_rate",
        (
            rf"{N}\s+percent(?:\s+(?:interest|rate|apr))?",
            rf"(?:rate|interest)\s+(?:of|is|at)\s+{N}",
        ),
    ),
    ("term_years", (r"(\d{1,2})[\s-]year", r"(?:over|for|term of|term is)\s+(\d{1,2})\s+years")),
    (
        "income",
        (
            rf"(?:make|making|earn|earning|bring in|take home|gross)\s+{N}{_PER}",
            rf"(?:income|salary|pay)\s+(?:is\s+|of\s+|at\s+)?(?:now\s+)?{N}{_PER}",
            rf"{N}\s+(?:a|per)\s+(year)\b",
        ),
    ),
    (
        "property_value",
        (
            rf"{N}\s+{_HOME}",
            rf"{_HOME}\s+(?:that(?:'s| is)\s+|is\s+|costs?\s+|worth\s+|valued at\s+|"
            rf"priced at\s+|for\s+|of\s+|at\s+|value\s+(?:is\s+|of\s+)?)+{N}",
            rf"(?:price|purchase price|property value|home value)\s+(?:is\s+|of\s+|to\s+)?{N}",
        ),
    ),
    (
        "loan_amount",
        (
            rf"(?:loan|borrow(?:ing)?|mortgage|financ(?:e|ing))\s+(?:amount\s+)?(?:of\s+|for\s+|is\s+|to\s+|at\s+|be\s+)?{N}(?!\s+(?:percent|years?))",
            rf"{N}\s+(?:loan|mortgage)\b",
        ),
    ),
)
_COMPILED = tuple((role, tuple(re.compile(p) for p in forms)) for role, forms in _ROLES)


def _value(match: re.Match[str], role: str) -> float:
    value = float(match.group(1))
    period = next((g for g in match.groups()[1:] if g), None)
    if role == "income" and period in ("month", "monthly"):
        value *= 12
    return value


def amounts(words: str) -> tuple[Slots, set[int]]:
    """Each mortgage amount said, by role, and the offsets of the numbers used."""
    found: Slots = {}
    used: set[int] = set()
    for role, forms in _COMPILED:
        for form in forms:
            match = next((m for m in form.finditer(words) if m.start(1) not in used), None)
            if match is not None:
                found[role] = _value(match, role)
                used.add(match.start(1))
                break
    return found, used


def _read(heard: Heard) -> Slots:
    found, _used = amounts(heard.words)
    percent = found.pop("down_percent", None)
    if percent is not None and "property_value" in found and "down_payment" not in found:
        found["down_payment"] = round(found["property_value"] * percent / 100, 2)
    for key in ("term_years", "credit_score"):
        if key in found:
            found[key] = int(found[key])
    if "term_years" in found and not 5 <= found["term_years"] <= 40:
        del found["term_years"]
    loan_type = re.search(r"\b(fha|va|v a|jumbo|conventional)\b", heard.words)
    app_id = re.search(r"\bapplication\s+(?:number|id|#)?\s*(\d+)\b", heard.words)
    return found | present(
        loan_type=loan_type.group(1).replace(" ", "") if loan_type else None,
        application_id=app_id.group(1) if app_id else None,
    )


def _first_unclaimed(role: str, per_month: bool = False) -> Callable[[Heard], Slots]:
    def answer(heard: Heard) -> Slots:
        found = _read(heard)
        if role in found:
            return found
        _, used = amounts(heard.words)
        match = next(
            (m for m in re.finditer(rf"(?<![\w.]){NUMBER}", heard.words) if m.start() not in used),
            None,
        )
        if match is None:
            return found
        value = float(match.group())
        if per_month and re.search(r"\b(?:a|per|each)\s+month|monthly\b", heard.words):
            value *= 12
        return found | {role: value}

    return answer


def _pick(slots: Slots, *keys: str) -> dict[str, Any]:
    return {k: slots[k] for k in keys if k in slots}


def _read_payment(heard: Heard) -> Slots:
    found = _read(heard)
    if "loan_amount" in found or "property_value" in found:
        return found
    _, used = amounts(heard.words)
    for match in re.finditer(rf"(?<![\w.]){NUMBER}(?![\w.])", heard.words):
        if match.start() not in used and float(match.group()) >= 10_000:
            return found | {"loan_amount": float(match.group())}
    return found


def _build_payment(slots: Slots, _now: datetime) -> dict[str, Any]:
    args = {"loan_amount": slots.get("loan_amount", slots.get("property_value"))}
    return args | _pick(slots, "annual_rate", "term_years", "down_payment")


def _build_afford(slots: Slots, _now: datetime) -> dict[str, Any]:
    args = {"annual_income": slots["income"]}
    return args | _pick(slots, "monthly_debts", "annual_rate", "term_years", "down_payment")


def _build_start(slots: Slots, _now: datetime) -> dict[str, Any]:
    args = _pick(slots, "loan_amount", "property_value", "down_payment", "loan_type", "term_years")
    return args | ({"annual_income": slots["income"]} if "income" in slots else {})


def _build_update(slots: Slots, _now: datetime) -> dict[str, Any]:
    keys = ("application_id", "loan_amount", "property_value", "monthly_debts", "credit_score")
    args = _pick(slots, *keys, "down_payment")
    return args | ({"annual_income": slots["income"]} if "income" in slots else {})


def _no_loan(slots: Slots) -> bool:
    return "loan_amount" not in slots and "property_value" not in slots


def _no_update(slots: Slots) -> bool:
    keys = ("loan_amount", "property_value", "monthly_debts", "credit_score", "down_payment")
    return not any(k in slots for k in (*keys, "income"))


def _answer_update(heard: Heard) -> Slots:
    return _read(heard)


INTENTS: tuple[Intent, ...] = (
    Intent(
        "list_required_documents",
        pattern(r"\b(?:documents?|paperwork|papers|docs|document checklist)\b"),
        "list_required_documents",
        _read,
        lambda slots, _now: _pick(slots, "application_id", "loan_type"),
        (),
        AREA,
    ),
    Intent(
        "estimate_affordability",
        pattern(
            r"\b(?:afford|affordability|pre-?qualif\w*|qualify for)\b",
            r"\bhow (?:much|big)(?: of a)? (?:house|home|mortgage|loan|home loan) "
            r"(?:can|could) (?:i|we)\b",
            r"\bhow much (?:can|could) (?:i|we) (?:borrow|get approved for|qualify for)\b",
        ),
        "estimate_affordability",
        _read,
        _build_afford,
        (
            Ask(
                "income",
                "What is your yearly household income before taxes?",
                _first_unclaimed("income", per_month=True),
            ),
        ),
        AREA,
    ),
    Intent(
        "calculate_mortgage_payment",
        pattern(
            r"\b(?:monthly payments?|mortgage payments?|payments? (?:be|on|for|would)|"
            r"pay (?:per|a|each|every) month|per month|a month|calculate|calculator)\b"
            r"(?!.*\b(?:debts?|car payment|student loan)\b)",
        ),
        "calculate_mortgage_payment",
        _read_payment,
        _build_payment,
        (
            Ask(
                "loan_amount",
                "How much would you like to borrow?",
                _first_unclaimed("loan_amount"),
                _no_loan,
            ),
        ),
        AREA,
    ),
    Intent(
        "get_mortgage_application",
        pattern(
            r"\b(?:status|check|look up|where|how)\b.*\b(?:mortgage |loan )?application\b",
            r"\bmy (?:mortgage |loan )?application\b(?!.*\b(?:update|change)\b)"
            r".*\b(?:status|stand|going)\b",
            r"\b(?:get|show|read|open|pull up)\s+(?:me\s+)?my\s+(?:mortgage |loan )?application\b",
        ),
        "get_mortgage_application",
        _read,
        lambda slots, _now: _pick(slots, "application_id"),
        (),
        AREA,
    ),
    Intent(
        "update_mortgage_application",
        pattern(
            r"\b(?:update|change|correct|fix|revise)\b.*\b(?:application|income|salary|loan amount|"
            r"credit score|debts?|down payment|property value|home value)\b",
            r"\bmy (?:credit score|income|salary|monthly debts?) (?:is|are|went|has)\b",
        ),
        "update_mortgage_application",
        _read,
        _build_update,
        (Ask("changes", "What should I update on your application?", _answer_update, _no_update),),
        AREA,
    ),
    Intent(
        "start_mortgage_application",
        pattern(
            r"\b(?:apply|applying|start|begin|open|new|submit|file)\b.*"
            r"\b(?:mortgage|home loan|loan|application)\b",
            r"\b(?:get|need|want)\s+(?:a\s+)?(?:mortgage|home loan)\b",
            r"\bmortgage application\b",
        ),
        "start_mortgage_application",
        _read,
        _build_start,
        (),
        AREA,
    ),
)
