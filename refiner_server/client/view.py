"""What the browser receives of a survey definition: only what it draws and triggers on.

The audience (rules that may name customers), the sample percentage, the schedule and the
frequency's intervals are the server's to act on (`eligibility`); a page that could read
them would learn who is targeted and how. An allow-list, so a part added to the format
later stays on the server until the client needs it.
"""

from __future__ import annotations

from typing import Any

#: top-level parts the client reads as they are stored
CLIENT_PARTS = ("id", "questions", "logic", "thank_you", "appearance", "translations", "trigger")


def client_view(definition: dict[str, Any]) -> dict[str, Any]:
    """The parts of `definition` the client uses; of `frequency`, only `repeat` (whether a
    completed or dismissed survey may show again on this page); of `channels`, only the
    feedback `button` (its link settings are the link page's, drawn by the server)."""
    view = {key: definition[key] for key in CLIENT_PARTS if key in definition}
    channels = definition.get("channels")
    if isinstance(channels, dict) and isinstance(channels.get("button"), dict):
        view["channels"] = {"button": channels["button"]}
    frequency = definition.get("frequency")
    if isinstance(frequency, dict) and "repeat" in frequency:
        view["frequency"] = {"repeat": frequency["repeat"]}
    return view
