"""Call-center agent states, state history and call legs.

The agent state enum becomes the dashboard's six states (``offline`` → ``logged_out``,
``available`` → ``ready``, ``away`` → ``not_ready``; existing rows are renamed), agents get a
SIP password, and two tables log what agents do: ``agent_state_changes`` and
``agent_calls`` (one row per call offered to an agent).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(32)
NEW_STATES = ("logged_out", "not_ready", "ready", "ringing", "on_call", "wrap_up")
OLD_STATES = ("offline", "available", "ringing", "on_call", "wrap_up", "away")
RENAMES = {"offline": "logged_out", "available": "ready", "away": "not_ready"}
OUTCOMES = ("completed", "rejected", "transferred")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _rename_states(renames: dict[str, str]) -> None:
    cases = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in renames.items())
    op.execute(f"UPDATE call_center_agents SET state = CASE state {cases} ELSE state END")


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, name: str, target: str) -> sa.Column:
    key = sa.ForeignKey(
        f"{target}.id", ondelete="CASCADE", name=op.f(f"fk_{table}_{name}_{target}")
    )
    return sa.Column(name, ID, key, nullable=False)


def _state(table: str, column: str) -> list:
    return [
        sa.Column(column, sa.String(32), nullable=False),
        sa.CheckConstraint(_in(column, NEW_STATES), name=op.f(f"ck_{table}_{column}")),
    ]


def _agents(states: Sequence[str] | None, *, sip_password: bool) -> sa.Table:
    """``call_center_agents`` as it stands, for batch mode to copy without reflecting it.

    SQLite cannot change a ``CHECK``: batch mode re-creates the table. Given the table here
    (``copy_from``), it also works in offline ``--sql`` mode, where nothing can be reflected.
    """
    extra: list[sa.Column[str] | sa.CheckConstraint] = []
    if sip_password:
        extra.append(sa.Column("sip_password", sa.String(128), nullable=True))
    if states is not None:  # None: between dropping the old CHECK and adding the new one
        extra.append(sa.CheckConstraint(_in("state", states), name="ck_call_center_agents_state"))
    return sa.Table(
        "call_center_agents",
        sa.MetaData(),
        sa.Column("id", ID, nullable=False),
        sa.Column(
            "user_id",
            ID,
            sa.ForeignKey(
                "users.id", ondelete="CASCADE", name="fk_call_center_agents_user_id_users"
            ),
            nullable=False,
        ),
        sa.Column(
            "department_id",
            ID,
            sa.ForeignKey(
                "departments.id",
                ondelete="SET NULL",
                name="fk_call_center_agents_department_id_departments",
            ),
            nullable=True,
        ),
        sa.Column("extension", sa.String(16), nullable=False),
        sa.Column("sip_username", sa.String(100), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        _time("state_since"),
        _time("created_at"),
        *extra,
        sa.PrimaryKeyConstraint("id", name="pk_call_center_agents"),
        sa.UniqueConstraint("user_id", name="uq_call_center_agents_user_id"),
        sa.UniqueConstraint("extension", name="uq_call_center_agents_extension"),
        sa.Index("ix_call_center_agents_department_id", "department_id"),
    )


def upgrade() -> None:
    """Rename the states, add the SIP password, create the history tables."""
    old = _agents(OLD_STATES, sip_password=False)
    with op.batch_alter_table("call_center_agents", copy_from=old) as batch:
        batch.drop_constraint(op.f("ck_call_center_agents_state"), type_="check")
        batch.add_column(sa.Column("sip_password", sa.String(128), nullable=True))
    _rename_states(RENAMES)
    loose = _agents(None, sip_password=True)
    with op.batch_alter_table("call_center_agents", copy_from=loose) as batch:
        batch.create_check_constraint(op.f("ck_call_center_agents_state"), _in("state", NEW_STATES))
    op.create_table(
        "agent_state_changes",
        sa.Column("id", ID, nullable=False),
        _fk("agent_state_changes", "agent_id", "call_center_agents"),
        *_state("agent_state_changes", "from_state"),
        *_state("agent_state_changes", "to_state"),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _time("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_changes")),
    )
    op.create_index(
        op.f("ix_agent_state_changes_agent_id_at"), "agent_state_changes", ["agent_id", "at"]
    )
    op.create_table(
        "agent_calls",
        sa.Column("id", ID, nullable=False),
        _fk("agent_calls", "agent_id", "call_center_agents"),
        _fk("agent_calls", "call_id", "calls"),
        _time("offered_at"),
        _time("answered_at", nullable=True),
        _time("ended_at", nullable=True),
        _time("wrap_up_ended_at", nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name=op.f("ck_agent_calls_outcome")),
        sa.Column("hold_secs", sa.Float(), nullable=False),
        sa.Column("transfers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_calls")),
    )
    op.create_index(
        op.f("ix_agent_calls_agent_id_offered_at"), "agent_calls", ["agent_id", "offered_at"]
    )
    op.create_index(op.f("ix_agent_calls_call_id"), "agent_calls", ["call_id"])


def downgrade() -> None:
    """Drop the history tables and the SIP password; states go back to the old names."""
    op.drop_table("agent_calls")
    op.drop_table("agent_state_changes")
    with op.batch_alter_table(
        "call_center_agents", copy_from=_agents(NEW_STATES, sip_password=True)
    ) as batch:
        batch.drop_constraint(op.f("ck_call_center_agents_state"), type_="check")
        batch.drop_column("sip_password")
    _rename_states({new: old for old, new in RENAMES.items()})
    loose = _agents(None, sip_password=False)
    with op.batch_alter_table("call_center_agents", copy_from=loose) as batch:
        batch.create_check_constraint(op.f("ck_call_center_agents_state"), _in("state", OLD_STATES))
