"""Tool results as the MCP servers return them (docs/tools.md) and the replies expected."""

from datetime import datetime
from typing import Any

NOW = datetime(2026, 5, 4, 10, 0)  # Monday
TODO = {
    "id": 1,
    "title": "buy milk",
    "description": "",
    "priority": "medium",
    "due_date": None,
    "completed": False,
    "team_id": None,
    "created_at": "2026-05-04T09:00:00",
}
TABLE = {"date": "2026-05-08", "time": "19:00", "party_size": 4, "name": "Smith"}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("create_todo", {}, {"todo": TODO}, "Added buy milk to your to-do list."),
    (
        "create_todo",
        {},
        {"todo": TODO | {"priority": "urgent", "due_date": "2026-05-08"}},
        "Added buy milk to your to-do list as urgent, due Friday.",
    ),
    (
        "get_todos",
        {},
        {"todos": [TODO, TODO | {"title": "call mom"}, TODO | {"title": "pay rent"}], "count": 3},
        "You have 3 open to-dos: buy milk, call mom, and pay rent.",
    ),
    (
        "get_todos",
        {},
        {"todos": [TODO | {"title": f"task {i}"} for i in range(7)], "count": 7},
        "You have 7 open to-dos: task 0, task 1, task 2, task 3, task 4, and 2 more.",
    ),
    ("get_todos", {}, {"todos": [], "count": 0}, "Your to-do list is empty."),
    (
        "get_todos",
        {"status": "completed"},
        {"todos": [], "count": 0},
        "You have no completed to-dos.",
    ),
    ("complete_todo", {}, {"todo": TODO}, "Nice work! I marked buy milk as done."),
    (
        "update_todo",
        {},
        {"todo": TODO | {"priority": "high", "due_date": "2026-05-11"}},
        "Updated buy milk: high priority, due Monday, May 11.",
    ),
    ("delete_todo", {}, {"deleted": TODO}, "Deleted the to-do buy milk."),
    (
        "create_team",
        {"name": "Marketing"},
        {"team": {"id": 1, "name": "Marketing"}},
        "Created the team Marketing. You're its owner.",
    ),
    (
        "get_teams",
        {},
        {"teams": [{"name": "Marketing", "role": "owner"}, {"name": "Design", "role": "member"}]},
        "You're on 2 teams: Marketing (owner) and Design (member).",
    ),
    ("get_teams", {}, {"teams": []}, "You're not on any team yet."),
    (
        "get_team_members",
        {"team_name": "marketing"},
        {
            "team": {"name": "Marketing"},
            "members": [
                {"user_id": 1, "name": "Ann", "email": "ann@x.io", "role": "owner"},
                {"user_id": 2, "name": "Bob", "email": "bob@x.io", "role": "member"},
            ],
        },
        "Marketing has 2 members: Ann (owner) and Bob (member).",
    ),
    (
        "create_team_todo",
        {"team_name": "marketing", "title": "update the site", "assignee_email": "j@x.io"},
        {"todo": TODO | {"title": "update the site", "team_id": 1}},
        "Added update the site to the marketing team's tasks, assigned to j@x.io.",
    ),
    (
        "add_team_member",
        {"team_name": "marketing", "email": "jane@x.io"},
        {"member": {"name": "Jane Doe", "email": "jane@x.io", "role": "admin"}},
        "Added Jane Doe to the marketing team as an admin.",
    ),
    (
        "remove_team_member",
        {"team_name": "Design team", "email": "jane@x.io"},
        {"removed": {"email": "jane@x.io"}},
        "Removed jane@x.io from Design team.",
    ),
    (
        "change_member_role",
        {"role": "viewer"},
        {"member": {"name": "Jane Doe", "role": "viewer"}},
        "Jane Doe is now a viewer.",
    ),
    (
        "search_users",
        {"query": "jane"},
        {"users": [{"user_id": 3, "name": "Jane Doe", "email": "jane@x.io"}]},
        "I found 1 person: Jane Doe (jane@x.io).",
    ),
    (
        "create_reminder",
        {},
        {"reminder": {"title": "call mom", "remind_at": "2026-05-05T09:00:00"}},
        "Reminder set for tomorrow at 9 AM: call mom.",
    ),
    (
        "get_reminders",
        {},
        {
            "reminders": [
                {"title": "call mom", "remind_at": "2026-05-05T09:00"},
                {"title": "pay rent", "remind_at": "2026-06-01T10:00"},
            ],
            "count": 2,
        },
        "You have 2 reminders: call mom tomorrow at 9 AM and pay rent on Monday, June 1 at 10 AM.",
    ),
    ("get_reminders", {}, {"reminders": [], "count": 0}, "You have no upcoming reminders."),
    (
        "update_reminder",
        {},
        {"reminder": {"title": "dentist", "remind_at": "2026-05-04T16:00"}},
        "I moved the reminder dentist to today at 4 PM.",
    ),
    ("delete_reminder", {}, {"deleted": {"title": "dentist"}}, "Deleted the reminder dentist."),
    (
        "create_calendar_event",
        {},
        {"event": {"title": "review", "start": "2026-05-05T14:00", "location": "conference room"}},
        "I put review on your calendar for tomorrow at 2 PM, at the conference room.",
    ),
    (
        "get_calendar_events",
        {},
        {"events": [{"title": "standup", "start": "2026-05-11T09:30"}], "count": 1},
        "You have 1 event: standup on Monday, May 11 at 9:30 AM.",
    ),
    (
        "get_calendar_events",
        {},
        {"events": [], "count": 0},
        "Your calendar is clear for that time.",
    ),
    (
        "update_calendar_event",
        {},
        {"event": {"title": "standup", "start": "2026-05-06T12:00"}},
        "I moved standup to Wednesday at noon.",
    ),
    ("delete_calendar_event", {}, {"deleted": {"title": "standup"}}, "Deleted the event standup."),
    (
        "sync_google_calendar_events",
        {},
        {"status": "not_configured", "message": "Google Calendar is not configured."},
        "Google Calendar is not configured.",
    ),
    (
        "test_google_calendar",
        {},
        {"configured": False, "status": "not_configured"},
        "Google Calendar isn't connected, so I'm using your local calendar.",
    ),
    (
        "transfer_to_agent",
        {"department": "billing"},
        {"department": "billing", "extension": "2002", "status": "requested"},
        "Sure, I'm transferring you to billing now. Please hold.",
    ),
    (
        "get_available_departments",
        {},
        {"departments": [{"name": "support"}, {"name": "sales"}, {"name": "billing"}]},
        "You can talk to support, sales, and billing. Which would you like?",
    ),
    (
        "start_mortgage_application",
        {},
        {"application": {"id": 7, "loan_amount": 300000.0, "status": "started"}},
        "I've started your mortgage application number 7 for a $300,000 loan.",
    ),
    (
        "get_mortgage_application",
        {},
        {
            "application": {"id": 7, "status": "under_review"},
            "documents": [{"name": "pay stubs", "received": True}, {"name": "W-2s"}],
        },
        "Your application 7 is under review. 1 of 2 documents received.",
    ),
    (
        "update_mortgage_application",
        {},
        {"application": {"id": 7}},
        "I've updated your application 7.",
    ),
    (
        "calculate_mortgage_payment",
        {"loan_amount": 300000.0, "annual_rate": 6.5, "term_years": 30},
        {"monthly_payment": 1896.2, "principal": 300000.0, "total_interest": 382633.0},
        "Your estimated monthly payment is $1,896 for a $300,000 loan at 6.5% over 30 years.",
    ),
    (
        "estimate_affordability",
        {"annual_income": 90000.0},
        {"max_home_price": 385000.0, "max_loan": 365000.0, "max_monthly_payment": 2100.0},
        "You could afford a home of up to about $385,000, with a loan of up to $365,000 and a "
        "monthly payment of about $2,100.",
    ),
    (
        "list_required_documents",
        {},
        {
            "documents": [
                {"name": "pay stubs", "received": True},
                {"name": "W-2 forms", "received": False},
                {"name": "bank statements", "received": False},
            ]
        },
        "You'll need W-2 forms and bank statements.",
    ),
    (
        "register_patient",
        {},
        {"patient": {"id": 12, "first_name": "Jane", "last_name": "Doe"}},
        "Jane Doe is registered. The patient number is 12.",
    ),
    (
        "get_patient",
        {},
        {"patient": {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1985-03-03"}},
        "I found Jane Doe, born March 3, 1985.",
    ),
    (
        "record_intake",
        {"chief_complaint": "headache"},
        {"intake": {"id": 3, "chief_complaint": "headache", "pain_level": 7}},
        "Thank you. I've noted: headache, with pain at 7 out of 10. A clinician will review it.",
    ),
    (
        "book_appointment",
        {},
        {"appointment": {"start": "2026-05-07T10:00", "reason": "checkup", "provider": "Dr. Lee"}},
        "You're booked on Thursday at 10 AM with Dr. Lee. Reason: checkup.",
    ),
    (
        "get_appointments",
        {},
        {"appointments": [{"start": "2026-05-05T15:00"}], "count": 1},
        "Your appointment is tomorrow at 3 PM.",
    ),
    (
        "get_appointments",
        {"upcoming_only": False},
        {"appointments": [], "count": 0},
        "You have no appointments.",
    ),
    (
        "check_availability",
        TABLE,
        {"available": True, "alternatives": [], "table": {"id": 2}},
        "Good news: we have a table for 4 on Friday at 7 PM.",
    ),
    (
        "check_availability",
        TABLE,
        {"available": False, "alternatives": ["18:30", "20:00"], "table": None},
        "Sorry, Friday at 7 PM is full. I could do 6:30 PM or 8 PM instead.",
    ),
    (
        "create_reservation",
        TABLE,
        {"reservation": TABLE | {"confirmation_code": "ABC123"}},
        "You're all set: a table for 4 on Friday at 7 PM under Smith. "
        "Your confirmation code is A B C 1 2 3.",
    ),
    (
        "get_reservation",
        {},
        {"reservation": TABLE | {"date": "2026-05-05"}},
        "Your reservation is a table for 4 tomorrow at 7 PM.",
    ),
    (
        "update_reservation",
        {},
        {"reservation": TABLE | {"time": "20:30"}},
        "Done. Your reservation is now a table for 4 on Friday at 8:30 PM.",
    ),
    (
        "cancel_reservation",
        {},
        {"reservation": TABLE | {"status": "cancelled"}},
        "Your reservation for a table for 4 on Friday at 7 PM is cancelled.",
    ),
]
