"""The offline model on its utterance table: accuracy, coverage, and the scorer itself."""

from collections.abc import Callable

import pytest

from convonet.agents.offline.evaluate import ALL_TOOLS, Case, evaluate
from tests.agents.offline.cross_domain import ASSISTANT, CROSS_DOMAIN
from tests.agents.offline.utterances import CASES, NOW

# The main tools of each domain that the table must exercise.
MAIN_TOOLS = frozenset(
    str.split(
        """create_todo get_todos complete_todo update_todo delete_todo
        create_team get_teams get_team_members create_team_todo add_team_member
        create_reminder get_reminders delete_reminder
        create_calendar_event get_calendar_events sync_google_calendar_events test_google_calendar
        transfer_to_agent get_available_departments
        start_mortgage_application get_mortgage_application update_mortgage_application
        calculate_mortgage_payment estimate_affordability list_required_documents
        register_patient get_patient record_intake book_appointment get_appointments
        check_availability create_reservation get_reservation update_reservation
        cancel_reservation"""
    )
)


def test_accuracy_on_the_table(record_property: Callable[[str, object], None]) -> None:
    report = evaluate(CASES, now=NOW)
    print(report.summary())
    record_property("offline_accuracy", f"{report.correct}/{report.total}")
    assert report.total >= 80
    assert report.accuracy >= 0.95, report.summary()


def test_table_covers_every_domain_and_slot_kind() -> None:
    tools = {case.tool for case in CASES}
    assert tools >= MAIN_TOOLS, MAIN_TOOLS - tools
    assert tools - {None} <= ALL_TOOLS
    assert sum(1 for case in CASES if len(case.turns) > 1) >= 15
    assert sum(1 for case in CASES if case.tool is None) >= 3
    spoken_numbers = ("three hundred", "six and a half", "two hours", "four", "fifteen")
    assert all(any(n in " ".join(c.turns) for c in CASES) for n in spoken_numbers)


def test_every_tool_in_the_table_takes_the_expected_arguments() -> None:
    for case in CASES:
        assert "remind_at" not in case.args or case.args["remind_at"].startswith("202")


@pytest.mark.parametrize(
    "case",
    [
        Case.say("add buy milk to my to-do list", tool="create_todo", title="buy eggs"),
        Case.say("add buy milk to my to-do list", tool="get_todos"),
        Case.say("add buy milk to my to-do list", "thanks", tool="create_todo", title="buy milk"),
        Case.say("remind me to call mom", tool="create_reminder", title="call mom"),
    ],
)
def test_wrong_expectations_count_as_wrong(case: Case) -> None:
    report = evaluate([case], now=NOW)
    assert report.accuracy == 0.0 and len(report.failures()) == 1
    assert "expected" in report.summary()


def test_reasons_for_a_transfer_are_not_compared() -> None:
    case = Case.say("transfer me to billing", tool="transfer_to_agent", department="billing")
    assert evaluate([case], now=NOW).accuracy == 1.0


def test_fewer_tools_change_the_outcome() -> None:
    case = Case.say("add buy milk to my to-do list", tool="create_todo", title="buy milk")
    assert evaluate([case], now=NOW, tools=["get_current_datetime"]).accuracy == 0.0


def test_cross_domain_requests_reach_the_strongest_intent_through_routing(
    record_property: Callable[[str, object], None],
) -> None:
    # The offline graph routes each turn to one domain agent: a word of another domain
    # ("lunch", "doctor", "mortgage") must not steal the request.
    report = evaluate(CROSS_DOMAIN, now=NOW, bot_domains=ASSISTANT)
    print(report.summary())
    record_property("cross_domain_accuracy", f"{report.correct}/{report.total}")
    assert report.total >= 15
    assert report.accuracy >= 0.95, report.summary()


def test_the_main_table_survives_routing() -> None:
    report = evaluate(CASES, now=NOW, bot_domains=ASSISTANT)
    assert report.accuracy >= 0.95, report.summary()


def test_a_pinned_bot_declines_other_domains_through_routing() -> None:
    lunch = CROSS_DOMAIN[0]
    report = evaluate([lunch], now=NOW, bot_domains=("restaurant",))
    assert report.outcomes[0].tool is None
    assert "can't manage your calendar" in report.outcomes[0].reply
