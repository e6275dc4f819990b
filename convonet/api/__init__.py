"""REST APIs beyond the call transports (the text agent, later dashboards)."""
