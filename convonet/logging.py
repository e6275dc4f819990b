"""Log configuration for the CLI entry points (loguru, pipecat's logger)."""

import sys

from loguru import logger


def configure_logging(level: str = "INFO") -> None:
    """Send logs to stderr at ``level``; pipecat logs through the same loguru logger."""
    logger.remove()
    logger.add(sys.stderr, level=level.upper(), enqueue=False, backtrace=False)
