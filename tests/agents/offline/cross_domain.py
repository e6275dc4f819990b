"""Cross-domain requests: words of one domain inside a request for another.

Played through the offline graph's routing (:func:`convonet.agents.offline.evaluate.routed`):
the router must pick the domain of the strongest intent ("lunch" in a calendar request is not
a restaurant booking, "doctor" in a reminder is not a clinic visit). Dates resolve against
:data:`tests.agents.offline.utterances.NOW`, Monday 4 May 2026, 10:00.
"""

from convonet.agents.offline.evaluate import Case

say = Case.say

ASSISTANT = ("productivity", "mortgage", "healthcare", "restaurant")

CROSS_DOMAIN = [
    say("add lunch with Priya to my calendar on friday at noon", tool="create_calendar_event",
        title="lunch with Priya", start="2026-05-08T12:00"),
    say("remind me to call my doctor", "tomorrow at 9am", tool="create_reminder",
        title="call my doctor", remind_at="2026-05-05T09:00"),
    say("remind me to call my doctor tomorrow at 9am", tool="create_reminder",
        title="call my doctor", remind_at="2026-05-05T09:00"),
    say("put dinner with Sam on my calendar tomorrow at 7pm", tool="create_calendar_event",
        title="dinner with Sam", start="2026-05-05T19:00"),
    say("remind me to pay the mortgage on friday at 9am", tool="create_reminder",
        title="pay the mortgage", remind_at="2026-05-08T09:00"),
    say("add refinance paperwork to my to-do list", tool="create_todo",
        title="refinance paperwork"),
    say("add pick up my prescription to my todo list", tool="create_todo",
        title="pick up my prescription"),
    say("remind me about my dinner reservation tomorrow at 6pm", tool="create_reminder",
        title="dinner reservation", remind_at="2026-05-05T18:00"),
    say("create a team called Lunch Crew", tool="create_team", name="Lunch Crew"),
    say("schedule a meeting with the loan officer on thursday at 2pm",
        tool="create_calendar_event", title="meeting with the loan officer",
        start="2026-05-07T14:00"),
    say("add buy flowers for the restaurant dinner to my to-do list", tool="create_todo",
        title="buy flowers for the restaurant dinner"),
    say("remind me to take my medication at 8pm", tool="create_reminder",
        title="take my medication", remind_at="2026-05-04T20:00"),
    say("add a to-do to call the clinic", tool="create_todo", title="call the clinic"),
    say("put my doctor's appointment on my calendar for wednesday at 3pm",
        tool="create_calendar_event", title="doctor's appointment", start="2026-05-06T15:00"),
    say("remind me to book a table for mom's birthday on friday at 5pm", tool="create_reminder",
        title="book a table for mom's birthday", remind_at="2026-05-08T17:00"),
    say("add the team lunch to my calendar on thursday at noon", tool="create_calendar_event",
        title="team lunch", start="2026-05-07T12:00"),
    say("delete the dinner reservation reminder", tool="delete_reminder",
        title="dinner reservation"),
    say("add check my credit score to my to-do list", tool="create_todo",
        title="check my credit score"),
    # The domain's own words still reach it.
    say("what would my monthly payment be on a 300000 loan", tool="calculate_mortgage_payment",
        loan_amount=300000.0),
    say("I have a headache and a fever", tool="record_intake", chief_complaint="headache",
        symptoms=["headache", "fever"]),
    say("book a table for two tomorrow at 7pm", "under Kim", tool="create_reservation",
        date="2026-05-05", time="19:00", party_size=2, name="Kim"),
]  # fmt: skip
