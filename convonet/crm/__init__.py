"""CRM sync (SuiteCRM 8): the outbox, the JSON:API client, the worker and the admin API."""
