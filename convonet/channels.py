"""The channels a caller reaches Convonet through (a leaf: storage and metrics use it)."""

from typing import Literal

Channel = Literal["websocket", "webrtc", "twilio", "cli", "text"]
