"""Slot filling: numbers, dates and times, people, clinical intake (pure functions)."""

from datetime import date, datetime, time

import pytest

from convonet.agents.offline.slots import people, prepare
from convonet.agents.offline.slots.clock import duration_minutes, find_clock, to_24h
from convonet.agents.offline.slots.days import birth_date, find_day, find_range
from convonet.agents.offline.slots.mapped import MappedText
from convonet.agents.offline.slots.numbers import count_answer, first_number, party_size
from convonet.agents.offline.slots.when import find_when, parse_datetime
from convonet.domains.healthcare import slots as health

NOW = datetime(2026, 5, 4, 10, 0)  # a Monday
TODAY = NOW.date()


def words(text: str) -> str:
    return prepare(text).text


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("three hundred fifty thousand", 350000),
        ("three hundred and fifty thousand dollars", 350000),
        ("$350,000", 350000),
        ("350k", 350000),
        ("350 thousand", 350000),
        ("1.2 million", 1200000),
        ("one point two million", 1200000),
        ("a hundred and twenty thousand", 120000),
        ("twenty-five hundred", 2500),
        ("two thousand and five", 2005),
        ("80 grand", 80000),
        ("six and a half percent", 6.5),
        ("6.5%", 6.5),
        ("one and a half", 1.5),
        ("twelve", 12),
    ],
)
def test_amounts_in_words_and_digits(said: str, value: float) -> None:
    assert first_number(words(said)) == value


@pytest.mark.parametrize(
    ("said", "rewritten"),
    [
        ("seven thirty tonight", "7 30 tonight"),
        ("nineteen eighty five", "19 85"),
        ("five five five one two", "5 5 5 1 2"),
        ("March third", "march 3rd"),
        ("the twenty first of June", "the 21st of june"),
        ("6.5%", "6.5 percent"),
        ("7 p.m.", "7 pm"),
        ("my to-do list", "my todo list"),
        ("first things first", "first things first"),
        ("code 8 8 k l 2", "code 8 8 k l 2"),
        ("someone", "someone"),
    ],
)
def test_numerising_keeps_separate_numbers_apart(said: str, rewritten: str) -> None:
    assert words(said) == rewritten


def test_mapped_text_reads_back_the_callers_own_words() -> None:
    text = prepare("Add buy TWO cartons of milk to my list")
    start, end = text.text.index("buy"), text.text.index(" to my")
    assert text.text[start:end] == "buy 2 cartons of milk"
    assert text.original_of(start, end) == "buy TWO cartons of milk"
    cut = text.text.index("2 cartons"), text.text.index(" of milk")
    assert text.original_without(start, end, [cut]) == "buy of milk"


def test_mapped_text_replace_skips_overlaps() -> None:
    text = MappedText.of("abcdef").replace([(0, 2, "X"), (1, 3, "Y"), (4, 6, "Z")])
    assert text.text == "XcdZ"
    assert text.original_of(3, 4) == "ef"


@pytest.mark.parametrize(
    ("said", "size"),
    [
        ("a table for four", 4),
        ("party of 6", 6),
        ("table for two people", 2),
        ("for 3 guests", 3),
        ("just me", 1),
        ("me and my wife", 2),
        ("for 7pm", None),
        ("for 2 hours", None),
        ("book a table", None),
    ],
)
def test_party_sizes(said: str, size: int | None) -> None:
    assert party_size(words(said)) == size


@pytest.mark.parametrize(("said", "size"), [("four", 4), ("6 please", 6), ("7:30", None)])
def test_bare_counts_answer_a_how_many_question(said: str, size: int | None) -> None:
    assert count_answer(words(said)) == size


# --- dates and times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "moment"),
    [
        ("today at 3", "2026-05-04T15:00"),
        ("tomorrow at 9", "2026-05-05T09:00"),
        ("next Friday at 7pm", "2026-05-08T19:00"),
        ("on Friday at 7 p.m.", "2026-05-08T19:00"),
        ("next Monday at nine thirty", "2026-05-11T09:30"),
        ("on March 3rd at noon", "2027-03-03T12:00"),
        ("June 5th, 2026 at 11am", "2026-06-05T11:00"),
        ("the 3rd of June at 8", "2026-06-03T08:00"),
        ("on the 21st at 10am", "2026-05-21T10:00"),
        ("5/20 at 14:30", "2026-05-20T14:30"),
        ("2026-07-01 at 09:15", "2026-07-01T09:15"),
        ("in two hours", "2026-05-04T12:00"),
        ("in half an hour", "2026-05-04T10:30"),
        ("in an hour and a half", "2026-05-04T11:30"),
        ("3 days from now at 5 pm", "2026-05-07T17:00"),
        ("at noon", "2026-05-04T12:00"),
        ("7:30 tonight", "2026-05-04T19:30"),
        ("this evening", "2026-05-04T18:00"),
        ("tomorrow morning", "2026-05-05T09:00"),
        ("quarter to four", "2026-05-04T15:45"),
        ("half past seven in the evening", "2026-05-04T19:30"),
        ("at midnight", "2026-05-05T00:00"),
        ("at 9", "2026-05-04T21:00"),  # 9 am has passed: the next 9 is tonight
        ("at 11", "2026-05-04T11:00"),
        ("at 8 in the morning", "2026-05-05T08:00"),  # passed today: tomorrow
    ],
)
def test_relative_and_absolute_moments(said: str, moment: str) -> None:
    found = parse_datetime(said, NOW)
    assert found is not None and found.isoformat(timespec="minutes") == moment


@pytest.mark.parametrize("said", ["tomorrow", "next week", "at 6.5 percent", "for 4 people", ""])
def test_no_time_of_day_no_moment(said: str) -> None:
    assert parse_datetime(said, NOW) is None


def test_evening_preference_for_dinner_hours() -> None:
    assert parse_datetime("Friday at 8", NOW) == datetime(2026, 5, 8, 8, 0)
    assert parse_datetime("Friday at 8", NOW, evening=True) == datetime(2026, 5, 8, 20, 0)
    assert parse_datetime("Friday at 11", NOW, evening=True) == datetime(2026, 5, 8, 11, 0)


def test_a_part_of_the_day_alone_is_vague() -> None:
    found = find_when(words("tomorrow evening"), NOW)
    assert found.day == date(2026, 5, 5) and found.clock == time(18) and found.vague
    exact = find_when(words("tomorrow evening at 7"), NOW)
    assert exact.clock == time(19) and not exact.vague


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("friday", date(2026, 5, 8)),
        ("this monday", TODAY),
        ("next monday", date(2026, 5, 11)),
        ("the day after tomorrow", date(2026, 5, 6)),
        ("march 3", date(2027, 3, 3)),
        ("may 4th", TODAY),
        ("12/25", date(2026, 12, 25)),
        ("the first of june", date(2026, 6, 1)),
    ],
)
def test_days(said: str, day: date) -> None:
    found = find_day(words(said), TODAY)
    assert found is not None and found.value == day


@pytest.mark.parametrize(
    ("said", "first", "last"),
    [
        ("next week", date(2026, 5, 11), date(2026, 5, 17)),
        ("this week", TODAY, date(2026, 5, 10)),
        ("this weekend", date(2026, 5, 9), date(2026, 5, 10)),
        ("next month", date(2026, 6, 1), date(2026, 6, 30)),
        ("the next 3 days", TODAY, date(2026, 5, 7)),
        ("tomorrow", date(2026, 5, 5), date(2026, 5, 5)),
    ],
)
def test_date_ranges(said: str, first: date, last: date) -> None:
    assert find_range(words(said), TODAY) == (first, last)


@pytest.mark.parametrize(
    ("said", "born"),
    [
        ("born March 3rd 1985", date(1985, 3, 3)),
        ("march third nineteen eighty five", date(1985, 3, 3)),
        ("date of birth 07/14/1990", date(1990, 7, 14)),
        ("DOB 1985-03-03", date(1985, 3, 3)),
        ("the 2nd of June, 1978", date(1978, 6, 2)),
        ("born in March", None),
    ],
)
def test_dates_of_birth(said: str, born: date | None) -> None:
    assert birth_date(words(said), TODAY) == born


def test_clock_needs_an_anchor_to_be_a_time() -> None:
    assert find_clock(words("call me in 5")) is None
    assert find_clock(words("for 2 people")) is None
    clock = find_clock(words("at 7"))
    assert clock is not None and to_24h(clock, None) == time(7)
    assert clock is not None and to_24h(clock, "evening") == time(19)


@pytest.mark.parametrize(
    ("said", "minutes"),
    [
        ("for 30 minutes", 30),
        ("for an hour", 60),
        ("an hour and a half", 90),
        ("for half an hour", 30),
        ("a 45 minute appointment", 45),
        ("in 2 hours", None),
    ],
)
def test_durations(said: str, minutes: int | None) -> None:
    found = duration_minutes(words(said))
    assert (found[0] if found else None) == minutes


# --- people and things ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("My name is Jane Doe and I'm calling about", "Jane Doe"),
        ("book it under Smith please", "Smith"),
        ("hi, this is ann lee", "Ann Lee"),
        ("the name is Nguyen.", "Nguyen"),
        ("I'm looking for a table", None),
    ],
)
def test_names(said: str, name: str | None) -> None:
    assert people.person_name(prepare(said)) == name


def test_bare_name_answer_and_split() -> None:
    assert people.name_answer(prepare("it's Maria Garcia")) == "Maria Garcia"
    assert people.split_name("Maria de la Cruz") == ("Maria", "de la Cruz")
    assert people.split_name("Cher") == ("Cher", None)


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("jane@example.com", "jane@example.com"),
        ("add john dot smith at gmail dot com", "john.smith@gmail.com"),
        ("her email is priya at example.org", "priya@example.org"),
        ("meet me at the office", None),
    ],
)
def test_emails(said: str, address: str | None) -> None:
    assert people.email(words(said)) == address


def test_phone_numbers() -> None:
    assert people.phone(words("my phone number is 555 123 4567")) == "5551234567"
    assert people.phone(words("phone five five five, one two three, four five six seven")) == (
        "5551234567"
    )
    assert people.phone(words("party of 4")) is None


@pytest.mark.parametrize(
    ("said", "level"),
    [
        ("it's urgent", "urgent"),
        ("high priority", "high"),
        ("this is important", "high"),
        ("low priority", "low"),
        ("not important", "low"),
        ("medium priority", "medium"),
        ("buy milk", None),
    ],
)
def test_priorities(said: str, level: str | None) -> None:
    assert people.priority(words(said)) == level


@pytest.mark.parametrize(
    ("said", "department"),
    [
        ("transfer me to billing", "billing"),
        ("a question about my invoice", "billing"),
        ("someone in sales", "sales"),
        ("technical support", "support"),
        ("connect me to the claims department", "claims"),
        ("I want to talk to a human", None),
    ],
)
def test_departments(said: str, department: str | None) -> None:
    assert people.department(words(said)) == department


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("confirmation code is A B C 1 2 3 please", "ABC123"),
        ("look up reservation XK7P2Q", "XK7P2Q"),
        ("the code is q w 4 2 z", "QW42Z"),
        ("my reservation for tomorrow", None),
        ("reservation under smith", None),
        ("cancel the reservation under code 8 8 K L 2", "88KL2"),
    ],
)
def test_confirmation_codes(said: str, code: str | None) -> None:
    assert people.confirmation_code(words(said)) == code


@pytest.mark.parametrize(
    ("said", "team"),
    [
        ("who is on the Marketing team?", "Marketing"),
        ("add bob to team Alpha as an admin", "Alpha"),
        ("create a team called Design Crew", "Design Crew"),
        ("list the members of team Rockets", "Rockets"),
        ("my team", None),
    ],
)
def test_team_names(said: str, team: str | None) -> None:
    assert people.team_name(prepare(said)) == team


def test_team_roles() -> None:
    assert people.team_role(words("as an administrator")) == "admin"
    assert people.team_role(words("as a viewer")) == "viewer"
    assert people.team_role(words("add bob")) is None


# --- clinical intake -----------------------------------------------------------------------


def test_symptoms_in_order_without_negated_ones() -> None:
    said = words("I have a headache, no fever, a sore throat and my knee hurts; feeling dizzy")
    assert health.symptoms(said) == ["headache", "sore throat", "knee pain", "dizziness"]


@pytest.mark.parametrize(
    ("said", "level"),
    [
        ("pain is a seven out of ten", 7),
        ("it hurts, 6/10", 6),
        ("my pain level is 3", 3),
        ("I'd say about an 8", 8),
        ("pain is 12 out of 10", None),
    ],
)
def test_pain_levels(said: str, level: int | None) -> None:
    assert health.pain_level(words(said)) == level


def test_allergies_and_medications() -> None:
    said = words("I'm allergic to penicillin and peanuts. I take ibuprofen, and lisinopril.")
    assert health.allergies(said) == ["penicillin", "peanuts"]
    assert health.medications(said) == ["ibuprofen", "lisinopril"]
    assert health.allergies(words("no known allergies")) == []


@pytest.mark.parametrize(
    ("said", "complaint"),
    [
        ("my main problem is trouble sleeping", "trouble sleeping"),
        ("I have a fever of 101 and chills", "fever"),
        ("I have a rash on my arm", "rash"),
        ("I've got a strange lump on my wrist", "strange lump on my wrist"),
        ("hello", None),
    ],
)
def test_chief_complaint(said: str, complaint: str | None) -> None:
    assert health.chief_complaint(words(said)) == complaint
