"""The productivity tool groups: to-dos, teams, reminders, calendar."""
