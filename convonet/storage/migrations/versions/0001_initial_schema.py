"""Initial schema.

Users and roles, teams, todos, reminders, calendar, mortgage, healthcare, restaurant, call
center and call history.

Written out explicitly (no application types), so it keeps meaning the same when the models
change. Enum-like columns are ``VARCHAR(32)`` with a named ``CHECK``; every constraint name is
final (``op.f``). Timestamps are ``TIMESTAMP WITH TIME ZONE`` (UTC).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
MONEY = sa.Numeric(14, 2)


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _timestamps() -> list[sa.Column]:
    return [_time("created_at"), _time("updated_at")]


def _fk(table: str, name: str, target: str, ondelete: str, *, nullable: bool) -> sa.Column:
    constraint = op.f(f"fk_{table}_{name}_{target}")
    key = sa.ForeignKey(f"{target}.id", ondelete=ondelete, name=constraint)
    return sa.Column(name, ID, key, nullable=nullable)


def _enum(table: str, column: str, values: Sequence[str], *, nullable: bool = False) -> list:
    allowed = ", ".join(f"'{value}'" for value in values)
    return [
        sa.Column(column, sa.String(32), nullable=nullable),
        sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}")),
    ]


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _table(name: str, *items: sa.Column | sa.Constraint | list) -> None:
    """Create table ``name`` with an ``id`` primary key; list items are flattened."""
    flat: list = [sa.Column("id", ID, nullable=False)]
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    op.create_table(name, *flat, sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")))


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def _users_and_teams() -> None:
    _table(
        "users",
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("password_hash", sa.String(100), nullable=True),
        sa.Column("voice_pin_hash", sa.String(64), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _timestamps(),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
        sa.UniqueConstraint("voice_pin_hash", name=op.f("uq_users_voice_pin_hash")),
    )
    op.create_table(
        "user_roles",
        _fk("user_roles", "user_id", "users", "CASCADE", nullable=False),
        *_enum("user_roles", "role", ["user", "agent", "supervisor", "admin"]),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    _index("user_roles", "role")
    _table(
        "teams",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _timestamps(),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "team_members",
        _fk("team_members", "team_id", "teams", "CASCADE", nullable=False),
        _fk("team_members", "user_id", "users", "CASCADE", nullable=False),
        *_enum("team_members", "role", ["owner", "admin", "member", "viewer"]),
        _time("joined_at"),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    _index("team_members", "user_id")


def _productivity() -> None:
    _table(
        "todos",
        _fk("todos", "user_id", "users", "CASCADE", nullable=False),
        _fk("todos", "team_id", "teams", "SET NULL", nullable=True),
        _fk("todos", "assignee_id", "users", "SET NULL", nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _enum("todos", "priority", ["low", "medium", "high", "urgent"]),
        _time("due_at", nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        _time("completed_at", nullable=True),
        _timestamps(),
    )
    _index("todos", "team_id")
    _index("todos", "assignee_id")
    _index("todos", "user_id", "completed")
    _table(
        "reminders",
        _fk("reminders", "user_id", "users", "CASCADE", nullable=False),
        _fk("reminders", "todo_id", "todos", "SET NULL", nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        _time("remind_at"),
        sa.Column("recurrence", sa.String(255), nullable=True),
        _time("sent_at", nullable=True),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        _time("created_at"),
    )
    _index("reminders", "todo_id")
    _index("reminders", "user_id", "remind_at")


def _calendar() -> None:
    _table(
        "calendar_events",
        _fk("calendar_events", "user_id", "users", "CASCADE", nullable=False),
        _fk("calendar_events", "team_id", "teams", "SET NULL", nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.String(500), nullable=True),
        _time("start_at"),
        _time("end_at"),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("google_event_id", sa.String(255), nullable=True),
        _timestamps(),
        _check("calendar_events", "ends_after_start", "end_at >= start_at"),
        sa.UniqueConstraint(
            "user_id",
            "google_event_id",
            name=op.f("uq_calendar_events_user_id_google_event_id"),
        ),
    )
    _index("calendar_events", "team_id")
    _index("calendar_events", "user_id", "start_at")


_MONEY_COLUMNS = ("loan_amount", "property_value", "down_payment", "annual_income", "monthly_debts")


def _mortgage() -> None:
    _table(
        "mortgage_applications",
        _fk("mortgage_applications", "user_id", "users", "CASCADE", nullable=False),
        _enum(
            "mortgage_applications",
            "status",
            ["draft", "submitted", "in_review", "approved", "rejected", "withdrawn"],
        ),
        _enum("mortgage_applications", "loan_type", ["conventional", "fha", "va", "usda", "jumbo"]),
        sa.Column("currency", sa.String(3), nullable=False),
        *(sa.Column(name, MONEY, nullable=True) for name in _MONEY_COLUMNS),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column("term_years", sa.Integer(), nullable=False),
        sa.Column("property_address", sa.String(500), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        _time("submitted_at", nullable=True),
        _timestamps(),
        _check(
            "mortgage_applications",
            "credit_score_range",
            "credit_score IS NULL OR credit_score BETWEEN 300 AND 850",
        ),
        _check("mortgage_applications", "term_years_range", "term_years BETWEEN 1 AND 50"),
    )
    _index("mortgage_applications", "user_id")
    _table(
        "mortgage_documents",
        _fk(
            "mortgage_documents",
            "application_id",
            "mortgage_applications",
            "CASCADE",
            nullable=False,
        ),
        sa.Column("doc_type", sa.String(64), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        _enum("mortgage_documents", "status", ["missing", "uploaded", "verified", "rejected"]),
        _time("uploaded_at", nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        _timestamps(),
        sa.UniqueConstraint(
            "application_id", "doc_type", name=op.f("uq_mortgage_documents_application_id_doc_type")
        ),
    )


def _healthcare() -> None:
    _table(
        "patients",
        _fk("patients", "user_id", "users", "SET NULL", nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("insurance_provider", sa.String(200), nullable=True),
        sa.Column("insurance_member_id", sa.String(100), nullable=True),
        sa.Column("allergies", sa.Text(), nullable=True),
        _timestamps(),
    )
    _index("patients", "user_id")
    _index("patients", "last_name", "first_name")
    _table(
        "intakes",
        _fk("intakes", "patient_id", "patients", "CASCADE", nullable=False),
        sa.Column("chief_complaint", sa.Text(), nullable=False),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=True),
        _enum("intakes", "status", ["open", "triaged", "closed"]),
        sa.Column("notes", sa.Text(), nullable=True),
        _time("created_at"),
        _check("intakes", "severity_range", "severity IS NULL OR severity BETWEEN 1 AND 10"),
    )
    _index("intakes", "patient_id")
    _table(
        "appointments",
        _fk("appointments", "patient_id", "patients", "CASCADE", nullable=False),
        _fk("appointments", "intake_id", "intakes", "SET NULL", nullable=True),
        sa.Column("provider_name", sa.String(200), nullable=False),
        sa.Column("specialty", sa.String(100), nullable=True),
        _time("start_at"),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _enum(
            "appointments",
            "status",
            ["scheduled", "confirmed", "cancelled", "completed", "no_show"],
        ),
        _timestamps(),
        _check("appointments", "duration_range", "duration_minutes BETWEEN 5 AND 480"),
    )
    _index("appointments", "patient_id")
    _index("appointments", "provider_name", "start_at")


def _restaurant() -> None:
    _table(
        "restaurant_tables",
        sa.Column("label", sa.String(50), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(50), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _check("restaurant_tables", "seats_range", "seats BETWEEN 1 AND 50"),
        sa.UniqueConstraint("label", name=op.f("uq_restaurant_tables_label")),
    )
    _table(
        "reservations",
        _fk("reservations", "user_id", "users", "SET NULL", nullable=True),
        _fk("reservations", "table_id", "restaurant_tables", "SET NULL", nullable=True),
        sa.Column("guest_name", sa.String(200), nullable=False),
        sa.Column("guest_phone", sa.String(32), nullable=True),
        sa.Column("party_size", sa.Integer(), nullable=False),
        _time("reserved_at"),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        _enum(
            "reservations",
            "status",
            ["pending", "confirmed", "seated", "completed", "cancelled", "no_show"],
        ),
        sa.Column("confirmation_code", sa.String(16), nullable=False),
        sa.Column("special_requests", sa.Text(), nullable=True),
        _timestamps(),
        _check("reservations", "party_size_range", "party_size BETWEEN 1 AND 100"),
        _check("reservations", "duration_range", "duration_minutes BETWEEN 15 AND 480"),
        sa.UniqueConstraint("confirmation_code", name=op.f("uq_reservations_confirmation_code")),
    )
    _index("reservations", "user_id")
    _index("reservations", "table_id")
    _index("reservations", "reserved_at", "status")


def _call_center() -> None:
    _table(
        "departments",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("extension", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _time("created_at"),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
        sa.UniqueConstraint("extension", name=op.f("uq_departments_extension")),
    )
    _table(
        "call_center_agents",
        _fk("call_center_agents", "user_id", "users", "CASCADE", nullable=False),
        _fk("call_center_agents", "department_id", "departments", "SET NULL", nullable=True),
        sa.Column("extension", sa.String(16), nullable=False),
        sa.Column("sip_username", sa.String(100), nullable=True),
        _enum(
            "call_center_agents",
            "state",
            ["offline", "available", "ringing", "on_call", "wrap_up", "away"],
        ),
        _time("state_since"),
        _time("created_at"),
        sa.UniqueConstraint("user_id", name=op.f("uq_call_center_agents_user_id")),
        sa.UniqueConstraint("extension", name=op.f("uq_call_center_agents_extension")),
    )
    _index("call_center_agents", "department_id")


def _calls() -> None:
    _table(
        "calls",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        _fk("calls", "user_id", "users", "SET NULL", nullable=True),
        sa.Column("bot", sa.String(64), nullable=True),
        sa.Column("llm", sa.String(64), nullable=True),
        sa.Column("caller_number", sa.String(32), nullable=True),
        sa.Column("call_sid", sa.String(64), nullable=True),
        _time("started_at"),
        _time("ended_at", nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        _enum(
            "calls",
            "transfer_outcome",
            ["requested", "connected", "no_answer", "failed", "cancelled"],
            nullable=True,
        ),
        _fk("calls", "transfer_department_id", "departments", "SET NULL", nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.UniqueConstraint("session_id", name=op.f("uq_calls_session_id")),
    )
    _index("calls", "call_sid")
    _index("calls", "transfer_department_id")
    _index("calls", "user_id", "started_at")


def upgrade() -> None:
    """Create every table of the initial schema."""
    _users_and_teams()
    _productivity()
    _calendar()
    _mortgage()
    _healthcare()
    _restaurant()
    _call_center()
    _calls()


# Children before parents; indexes go with their tables.
_TABLES_TOP_DOWN = (
    "calls",
    "call_center_agents",
    "departments",
    "reservations",
    "restaurant_tables",
    "appointments",
    "intakes",
    "patients",
    "mortgage_documents",
    "mortgage_applications",
    "calendar_events",
    "reminders",
    "todos",
    "team_members",
    "teams",
    "user_roles",
    "users",
)


def downgrade() -> None:
    """Drop every table of the initial schema."""
    for table in _TABLES_TOP_DOWN:
        op.drop_table(table)
