"""The access log without query strings: they carry media and connection tokens.

uvicorn logs ``"GET /twilio/stream?token=... HTTP/1.1" 101`` through the ``uvicorn.access``
logger with the request target as the third argument; this filter cuts it at ``?``.
"""

import logging

ACCESS_LOGGER = "uvicorn.access"


class StripQueryFilter(logging.Filter):
    """Removes the query string from uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's path argument; always keep the record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


_FILTER = StripQueryFilter()


def strip_queries_from_access_log() -> None:
    """Install the filter on uvicorn's access logger (once per process)."""
    logging.getLogger(ACCESS_LOGGER).addFilter(_FILTER)
