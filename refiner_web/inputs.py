"""Renderers of the questions answered with one control: a date (the browser's own date
input, bounded by `min` and `max`), a consent (a checkbox, and the terms behind a link),
and a call to action (a link drawn as the primary button: pressing it opens its URL in a
new tab without giving that page a handle on this one, records `true` and goes on).

Drawn into `screen` for a `refiner_web.widget.SurveyView` (see `refiner_web.questions`).
"""

import js

from refiner_web.dom import attrs, el
from refiner_web.questions import enter_submits, link


class Date:
    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        box = el("input", "text date", None, screen)
        attrs(box, [("type", "date"), ("aria-labelledby", "rf-title")])
        for key in ("min", "max"):
            if question.get(key):
                box.setAttribute(key, question[key])
        if question["required"]:
            box.setAttribute("aria-required", "true")
        box.value = value if isinstance(value, str) else ""
        self.box = box
        view.describe(box, describedby)
        view.on(box, "input", lambda event: view.clear_error())
        view.on(box, "keydown", lambda event: enter_submits(view, event))

    def collect(self) -> object:
        return self.view.run.answer(self.box.value)


class Consent:
    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        label = el("label", "choice consent", None, screen)
        box = el("input", None, None, label)
        attrs(box, [("type", "checkbox"), ("id", "rf-consent")])
        if question["required"]:
            box.setAttribute("aria-required", "true")
        box.checked = value is True
        el("span", None, question.get("label") or view.run.text("consent_label"), label)
        self.box = box
        view.describe(box, describedby)
        if question.get("link"):
            link(view, question["link"], screen)
        view.on(box, "change", lambda event: view.clear_error())
        view.on(box, "keydown", lambda event: enter_submits(view, event))

    def collect(self) -> object:
        return self.view.run.answer(self.box.checked is True)


class Cta:
    """The survey's own Next is not drawn for it (`SELF_ADVANCING`): this link is the
    way on, or Skip when the question is not required."""

    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        self.url = question["link"]["url"]
        paragraph = el("p", "cta", None, screen)
        anchor = el("a", "primary", question["link"]["label"], paragraph)
        attrs(
            anchor,
            [("href", self.url), ("target", "_blank"), ("rel", "noopener noreferrer")],
        )
        el("span", "sr-only", " " + view.run.text("new_tab"), anchor)
        view.describe(anchor, describedby)
        view.on(anchor, "click", self._click)

    def _click(self, event: object) -> None:
        """Opened here, not by the link's own action: going on removes the link, and a
        link no longer in the page opens nothing. Modified clicks (a new window, a
        download) stay the browser's; they record nothing."""
        if event.ctrlKey or event.metaKey or event.shiftKey or event.altKey or event.button:
            return
        event.preventDefault()
        js.window.open(self.url, "_blank", "noopener,noreferrer")
        self.view.run.answer(True)
        self.view.next()

    def collect(self) -> object:
        return None


#: types whose renderer goes on by itself: the widget draws no Next for them
SELF_ADVANCING = ("cta",)
