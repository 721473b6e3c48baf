"""One renderer per question family: scales (nps, rating, csat, emoji), choices, text and
email, a statement's link, and the thank-you screen.

A renderer draws its question into `screen` and turns clicks and keys into calls on `view`
(a `refiner_web.widget.SurveyView`, or anything with its surface): `view.run` (the
`SurveyRun`), `view.on(target, name, fn)` (a listener that lives as long as the question is
on screen and never raises into the page), `view.describe(node, ids)`,
`view.show_error(text)`, `view.clear_error()`, `view.next()`, `view.refresh_primary()` and
`view.finish()`.
The renderers of questions that take an answer have `collect()`: it hands what is typed or
ticked to the run and returns its error text, or None.
"""

from refiner_web import scales
from refiner_web.dom import attrs, el, nodes, svg
from refiner_web.ffi import absent
from refiner_web.survey import OTHER

STAR = "M12 2.6l2.8 6 6.6.7-4.9 4.5 1.4 6.5L12 17 6.1 20.3l1.4-6.5-4.9-4.5 6.6-.7z"
MOUTHS = (
    "M8 17c1-2 2.4-3 4-3s3 1 4 3",
    "M8.5 16.3c1-1.1 2.2-1.6 3.5-1.6s2.5.5 3.5 1.6",
    "M8.5 15.5h7",
    "M8.5 14.5c1 1.1 2.2 1.6 3.5 1.6s2.5-.5 3.5-1.6",
    "M7.8 13.8c1 2.2 2.4 3.3 4.2 3.3s3.2-1.1 4.2-3.3",
)
EMOJI_FILL = ("#f87171", "#fb923c", "#facc15", "#a3e635", "#4ade80")


def title(text: str, screen: object) -> None:
    """The screen's heading, which names the question's group (`rf-title`) and takes focus
    when the screen has nothing else to focus."""
    heading = el("h2", "title", text, screen)
    heading.id = "rf-title"
    heading.setAttribute("tabindex", "-1")


def _face(level: int, filled: bool) -> object:
    fill = EMOJI_FILL[level - 1] if filled else "none"
    stroke = "#1f2937" if filled else "currentColor"
    return svg(
        [
            ("circle", [("cx", "12"), ("cy", "12"), ("r", "10"), ("fill", fill)]),
            ("circle", [("cx", "8.7"), ("cy", "9.6"), ("r", "1.3"), ("fill", stroke)]),
            ("circle", [("cx", "15.3"), ("cy", "9.6"), ("r", "1.3"), ("fill", stroke)]),
            ("path", [("d", MOUTHS[level - 1]), ("fill", "none"), ("stroke", stroke)]),
        ],
        "face emoji" if filled else "face",
    )


def _icon(kind: object, n: int) -> object:
    if kind == "star":
        return svg([("path", [("d", STAR)])], "star")
    return _face(n, kind == "emoji")


class Scale:
    """nps, rating, csat, emoji: a radio group of buttons with a roving tab stop. A pick
    goes to the run at once (there is nothing to collect); a pointer's pick moves on."""

    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        run = view.run
        kind = question["type"]
        style = question.get("style", "")
        self.rtl = run.direction() == "rtl"
        self.offered = scales.values(question)
        group = el("div", "scale %s %s" % (kind, style), None, screen)
        attrs(group, [("role", "radiogroup"), ("aria-labelledby", "rf-title")])
        if question["required"]:
            group.setAttribute("aria-required", "true")
        for n, icon, content, label in scales.items(question, run.text):
            item = el("button", "item", content, group)
            attrs(item, [("type", "button"), ("role", "radio"), ("data-value", str(n))])
            if icon is not None:
                item.appendChild(_icon(icon, n))
            if label is not None:
                item.setAttribute("aria-label", label)
        self.group = group
        self._mark(value)
        view.describe(group, describedby + self._ends(question, screen))
        view.on(group, "click", self._click)
        view.on(group, "keydown", self._key)

    def collect(self) -> object:
        return None

    def _ends(self, question: dict, screen: object) -> list:
        """The words at the two ends of the scale, if any; the ids that describe it."""
        words = scales.ends(question, self.view.run.text)
        if words is None:
            return []
        ends = el("div", "ends", None, screen)
        el("span", "low", words[0], ends).id = "rf-low"
        el("span", "high", words[1], ends).id = "rf-high"
        return ["rf-low", "rf-high"]

    def _mark(self, value: object) -> None:
        stars = self.group.classList.contains("stars")
        marks = scales.marks(self.offered, value, stars)
        for index, item in enumerate(nodes(self.group, "[role=radio]")):
            picked, stop, lit = marks[index]
            item.setAttribute("aria-checked", "true" if picked else "false")
            item.setAttribute("tabindex", "0" if stop else "-1")
            if stars:
                item.classList.toggle("on", lit)

    def _pick(self, item: object) -> bool:
        view = self.view
        error = view.run.answer(int(item.getAttribute("data-value")))
        if error is not None:
            view.show_error(error)
            return False
        view.clear_error()
        self._mark(view.run.value())
        view.refresh_primary()
        return True

    def _click(self, event: object) -> None:
        """A press of the mouse or a tap picks and moves on; a click from the keyboard (Space,
        Enter) or from assistive technology (`detail` 0) only picks: selection is selection."""
        item = event.target.closest("[role=radio]")
        if absent(item):
            return
        if self._pick(item) and event.detail > 0:
            self.view.next()

    def _key(self, event: object) -> None:
        items = nodes(self.group, "[role=radio]")
        current = event.target.closest("[role=radio]")
        if absent(current) or not items:
            return
        if event.key == "Enter" and current.getAttribute("aria-checked") == "true":
            event.preventDefault()  # Enter on the chosen value goes on, as in a form
            self.view.next()
            return
        index = 0
        for i, item in enumerate(items):
            if item.isSameNode(current):
                index = i
        index = scales.moved_to(event.key, index, len(items), self.rtl)
        if index is None:
            return
        event.preventDefault()
        if self._pick(items[index]):
            items[index].focus()


class Choices:
    """single_choice (radios) and multiple_choice (checkboxes), with an "Other" text box
    that shows while its choice is ticked. A pointer's pick of a single choice moves on
    when the survey auto-advances; the keyboard's never does (Enter goes on)."""

    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        run = view.run
        self.single = question["type"] == "single_choice"
        group = el("div", "choices", None, screen)
        group.setAttribute("role", "radiogroup" if self.single else "group")
        group.setAttribute("aria-labelledby", "rf-title")
        if question["required"] and self.single:
            group.setAttribute("aria-required", "true")
        elif question["required"]:  # a group cannot take aria-required: the visible mark says it
            describedby = ["rf-req"] + describedby
        view.describe(group, describedby)
        options = list(question["choices"])
        other_label = question.get("other_label") or run.text("other")
        if question.get("other") and OTHER not in [c["id"] for c in options]:
            options.append({"id": OTHER, "label": other_label})
        chosen = value if isinstance(value, list) else ([value] if value is not None else [])
        self.selection = list(chosen)
        for index, choice in enumerate(options):
            label = el("label", "choice", None, group)
            box = el("input", None, None, label)
            attrs(
                box,
                [
                    ("type", "radio" if self.single else "checkbox"),
                    ("name", "rf-choice"),
                    ("value", choice["id"]),
                    ("id", "rf-c%d" % index),
                ],
            )
            box.checked = choice["id"] in chosen
            el("span", None, choice["label"], label)
        self.other = None
        if question.get("other"):
            other = el("input", "other", None, screen)
            attrs(
                other,
                [
                    ("type", "text"),
                    ("maxlength", "1000"),
                    ("aria-label", other_label),
                    ("placeholder", run.text("other_placeholder")),
                ],
            )
            other.value = run.other_text()
            other.hidden = OTHER not in chosen
            self.other = other
            view.describe(other, [])
            view.on(other, "keydown", lambda event: enter_submits(view, event))
        self.pointer = False
        view.on(group, "pointerdown", self._pointed)
        view.on(group, "change", lambda event: self._changed(group))
        view.on(group, "keydown", self._key)

    def collect(self) -> object:
        other = self.other.value if self.other is not None else None
        if self.single:
            value = self.selection[0] if self.selection else None
        else:
            value = list(self.selection)
        return self.view.run.answer(value, other)

    def _pointed(self, event: object) -> None:
        self.pointer = True

    def _changed(self, group: object) -> None:
        view = self.view
        self.selection = [box.value for box in nodes(group, "input:checked")]
        view.clear_error()
        if self.other is not None:
            self.other.hidden = OTHER not in self.selection  # next in Tab order; focus stays
        by_pointer, self.pointer = self.pointer, False
        if view.run.auto_advances() and by_pointer and self.selection:
            view.next()
            return
        if self.single:
            view.run.answer(self.selection[0] if self.selection else None)
            view.refresh_primary()

    def _key(self, event: object) -> None:
        self.pointer = False
        if event.key == "Enter":
            event.preventDefault()
            self.view.next()


def enter_submits(view: object, event: object) -> None:
    """Enter in a one-line box goes on, as in a form (not while an input method composes)."""
    if event.key == "Enter" and not event.isComposing:
        event.preventDefault()
        view.next()


class Text:
    """text (one line, or several with `multiline`) and email: a box with an optional
    count of the characters left."""

    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        run = view.run
        multiline = question.get("multiline")
        box = el("textarea" if multiline else "input", "text", None, screen)
        box.setAttribute("aria-labelledby", "rf-title")
        if not multiline:
            kind = "email" if question["type"] == "email" else "text"
            box.setAttribute("type", kind)
            if kind == "email":
                attrs(box, [("autocomplete", "email"), ("inputmode", "email")])
            view.on(box, "keydown", lambda event: enter_submits(view, event))
        else:
            box.setAttribute("rows", "3")
        if question.get("placeholder"):
            box.setAttribute("placeholder", question["placeholder"])
        if question["required"]:
            box.setAttribute("aria-required", "true")
        limit = question.get("max_length") or 0
        if limit:
            box.setAttribute("maxlength", str(limit))
        box.value = value if isinstance(value, str) else ""
        self.box = box
        if limit and question["type"] == "text":
            counter = el("p", "counter", None, screen)
            counter.id = "rf-count"
            describedby.append("rf-count")

            def count(*_: object) -> None:
                counter.textContent = run.text("chars_left") % max(0, limit - len(box.value))
                view.clear_error()

            count()
            view.on(box, "input", count)
        else:
            view.on(box, "input", lambda event: view.clear_error())
        view.describe(box, describedby)

    def collect(self) -> object:
        return self.view.run.answer(self.box.value)


def link(view: object, target: dict, screen: object) -> None:
    """A statement's link: opens in a new tab, which its accessible name says."""
    paragraph = el("p", "link", None, screen)
    anchor = el("a", None, target["label"], paragraph)
    attrs(anchor, [("href", target["url"]), ("target", "_blank"), ("rel", "noopener noreferrer")])
    el("span", "sr-only", " " + view.run.text("new_tab"), anchor)


def thank_you(view: object, thanks: dict, screen: object) -> object:
    """The thank-you screen's heading, words and close button (returned, to take focus)."""
    title(thanks["title"], screen)
    if thanks.get("description"):
        el("p", "description", thanks["description"], screen)
    nav = el("div", "nav", None, screen)
    el("span", "spacer", None, nav)
    button = el("button", "primary close", thanks.get("button") or view.run.text("close"), nav)
    button.setAttribute("type", "button")
    view.on(button, "click", view.finish)
    return button
