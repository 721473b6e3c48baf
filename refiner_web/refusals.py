"""What the server refused, read from its `{"error": {"code", "message"}}` answers and told
on the console: each refusal once, a refused origin once a page."""

import json

from refiner_web.outbox import origin_refused


def _error_field(text: str, field: str) -> object:
    """`field` of the server's `{"error": {...}}` answer, or None."""
    try:
        return json.loads(text)["error"][field]
    except (ValueError, KeyError, TypeError):
        return None


def error_code(status: int, text: str) -> object:
    """The code of a refusal (the client tells refusals apart by it); None for an answer."""
    return _error_field(text, "code") if status >= 400 else None


def error_message(text: str) -> str:
    message = _error_field(text, "message")
    return message if isinstance(message, str) else text[:200]


class Refusals:
    """The console's account of refusals for one page's client (its `project` and
    `warn_command`)."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.origin_warned = False

    def refused(self, kind: str, status: int, code: object, text: str, note: str) -> None:
        """Warns of a refusal. A refused origin is the site owner's to fix and repeats on
        every request until then, so it is told once a page; the writes wait for it."""
        warn = self.client.warn_command
        if not origin_refused(status, code):
            warn(kind, "server refused (%d): %s%s" % (status, error_message(text), note))
        elif not self.origin_warned:
            self.origin_warned = True
            warn(
                kind,
                "this site's origin is not in project %s's allowed origins (%s): answers are "
                "kept and sent once it is allowed" % (self.client.project, error_message(text)),
            )

    def refused_origin(self, kind: str, status: int, text: str) -> bool:
        """Whether the server refused the page's origin (then told once a page)."""
        code = error_code(status, text)
        if not origin_refused(status, code):
            return False
        self.refused(kind, status, code, text, "")
        return True
