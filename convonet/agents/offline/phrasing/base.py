"""The phraser contract: a tool's result (and its arguments, and the caller's time) → speech."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

Result = dict[str, Any]
Phraser = Callable[[Result, Result, datetime | None], str]
