"""The productivity tables: to-dos, reminders and calendar events (teams are core)."""

from convonet.domains.productivity.models.calendar import CalendarEvent
from convonet.domains.productivity.models.reminders import Reminder
from convonet.domains.productivity.models.todos import Priority, Todo

__all__ = ["CalendarEvent", "Priority", "Reminder", "Todo"]
