"""The Slack variant: an incoming-webhook URL gets one readable message per completed
response (Slack's `text` with mrkdwn), built from the same data as the standard body."""

from __future__ import annotations

import json
from typing import Any

FORMATS = ("standard", "slack")
#: the only event a Slack endpoint takes
EVENTS = ("response.completed",)
MAX_VALUE_CHARS = 300
MAX_TEXT_CHARS = 3000  # Slack shows a section of up to 3,000 characters


def message(data: dict[str, Any]) -> bytes:
    """The Slack body of a `response.completed` message's `data`."""
    survey, response, person = data["survey"], data["response"], data["person"]
    who = person.get("email") or person.get("user_id") or "an anonymous visitor"
    lines = [f"*New response to {_escape(survey['name'])}* from {_escape(who)}"]
    for answer in response["answers"].values():
        lines.append(f"• *{_escape(answer['title'])}*: {_escape(_show(answer['value']))}")
    if response.get("truncated"):
        lines.append("_(answers too long for a message: see the dashboard)_")
    if response.get("page_url"):
        lines.append(f"on {_escape(response['page_url'])}")
    return text_message("\n".join(lines))


def text_message(text: str) -> bytes:
    """A Slack body of `text`, cut to what Slack shows."""
    if len(text) > MAX_TEXT_CHARS:
        text = text[: MAX_TEXT_CHARS - 1] + "…"
    return json.dumps({"text": text}, ensure_ascii=False).encode()


def _show(value: Any) -> str:
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    elif value is None:
        text = "(skipped)"
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _escape(text: str) -> str:
    """Slack's three control characters, so answers cannot make links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
