"""The productivity intents: to-dos, teams, reminders and the calendar."""
