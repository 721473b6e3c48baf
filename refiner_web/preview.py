"""The dashboard's preview frame (docs/dashboard.md, "Preview"): what a message from the
editor must hold, and the survey it asks to see.

The frame draws with the widget that sites run, fed the draft definition through
`postMessage`; this module decides which messages count and what the widget is given. Pure
Python: the adapter (`refiner_web.preview_frame`) listens, checks and draws.
"""

from refiner_web.appearance import POSITIONS

MESSAGE = "refiner:preview"
READY = "refiner:preview-ready"
DRAWN = "refiner:preview-drawn"
THEMES = ("light", "dark")
WIDTHS = ("phone", "desktop")
#: every key a message may hold; one of another shape is not ours and is ignored
KEYS = ("type", "definition", "locale", "theme", "position", "width")
MAX_LOCALE = 35  # BCP 47 tags in practice; the widget matches it against the translations


class NotPreview(ValueError):
    """A message that is not a preview request of the documented shape."""


def parse_message(data: object) -> dict:
    """The request in a message from the editor, every field checked; `NotPreview` names
    the first field that breaks the shape. The definition itself is checked by the
    server's validator (`refiner_server.surveys.checks`), not here."""
    if not isinstance(data, dict) or data.get("type") != MESSAGE:
        raise NotPreview("type: must be %r" % MESSAGE)
    for key in data:
        if key not in KEYS:
            raise NotPreview("%s: unknown field" % key)
    definition = data.get("definition")
    if not isinstance(definition, dict):
        raise NotPreview("definition: must be an object")
    locale = data.get("locale")
    if locale is not None and not (isinstance(locale, str) and 0 < len(locale) <= MAX_LOCALE):
        raise NotPreview("locale: must be a language code or null")
    chosen = {"definition": definition, "locale": locale}
    for key, allowed in (("theme", THEMES), ("position", POSITIONS), ("width", WIDTHS)):
        value = data.get(key)
        if value not in allowed:
            raise NotPreview("%s: must be one of %s" % (key, ", ".join(allowed)))
        chosen[key] = value
    return chosen


def preview_form(request: dict) -> dict:
    """The definition as the widget draws it in the frame: the theme and position the
    editor picked in place of the definition's own (the other appearance values stay)."""
    form = dict(request["definition"])
    look = form.get("appearance")
    look = dict(look) if isinstance(look, dict) else {}
    look["theme"] = request["theme"]
    look["position"] = request["position"]
    form["appearance"] = look
    if not isinstance(form.get("id"), str) or not form["id"]:
        form["id"] = "preview"
    return form


class PreviewHooks:
    """What a survey in the frame reports, heard by no one but the frame: nothing is
    recorded, sent or stored. `closed()` calls `on_closed` once (the frame offers to
    show it again)."""

    def __init__(self, on_closed: object) -> None:
        self.on_closed = on_closed
        self.done = False

    def shown(self) -> None:
        pass

    def navigated(self, question: dict, progress: int) -> None:
        pass

    def answered(self, answers: dict, completed: bool) -> None:
        pass

    def dismissed(self) -> None:
        pass

    def closed(self) -> None:
        if not self.done:
            self.done = True
            self.on_closed()
