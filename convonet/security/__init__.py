"""HTTP hardening: request limits, safe error answers, security headers, origin checks."""
