"""The SQLAlchemy models of every Convonet table, one module per area.

Importing this package registers every table on :data:`Base.metadata` (what migrations and
tests compare against).
"""

from convonet.storage.models.base import Base, new_id, utcnow
from convonet.storage.models.calendar import CalendarEvent
from convonet.storage.models.call_center import AgentState, CallCenterAgent, Department
from convonet.storage.models.calls import Call, TransferOutcome
from convonet.storage.models.healthcare import (
    Appointment,
    AppointmentStatus,
    Intake,
    IntakeStatus,
    Patient,
)
from convonet.storage.models.mortgage import (
    ApplicationStatus,
    DocumentStatus,
    LoanType,
    MortgageApplication,
    MortgageDocument,
)
from convonet.storage.models.reminders import Reminder
from convonet.storage.models.restaurant import Reservation, ReservationStatus, RestaurantTable
from convonet.storage.models.teams import Team, TeamMember, TeamRole
from convonet.storage.models.todos import Priority, Todo
from convonet.storage.models.users import Role, User, UserRole

__all__ = [
    "AgentState",
    "ApplicationStatus",
    "Appointment",
    "AppointmentStatus",
    "Base",
    "CalendarEvent",
    "Call",
    "CallCenterAgent",
    "Department",
    "DocumentStatus",
    "Intake",
    "IntakeStatus",
    "LoanType",
    "MortgageApplication",
    "MortgageDocument",
    "Patient",
    "Priority",
    "Reminder",
    "Reservation",
    "ReservationStatus",
    "RestaurantTable",
    "Role",
    "Team",
    "TeamMember",
    "TeamRole",
    "Todo",
    "TransferOutcome",
    "User",
    "UserRole",
    "new_id",
    "utcnow",
]
