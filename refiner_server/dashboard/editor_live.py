"""The survey editor in the browser, on this project's MicroPython build: the thin adapter
between the page and the server's one validator. Runs on MicroPython only (served by
`editor.py`, started by `editor.js`); what it decides is the server's (`editor_form`,
`editor_checks`, `editor_moves`, tested under CPython), so this file only moves text.

- Live checks: a change posts the form to `.../edit/check` (at most one request at a time,
  50 ms after the last change) and shows each fault next to its field (`aria-invalid`,
  `aria-describedby` and the text of the field's error slot: text, never HTML).
- The preview: each checked draft is posted to the preview frame, addressed to any origin:
  the frame is sandboxed without `allow-same-origin`, so its origin is opaque and a
  message addressed to this page's origin never arrives (measured); what goes is the
  owner's own draft, to the frame this page loaded from its own server.
- Unsaved changes: leaving asks first, but not for the form's own buttons.
- Drag to reorder: dropping a question's handle on another question posts the same move a
  button would (`_drag`), so the server makes every structural edit.
"""

import json

import js
from jsffi import create_proxy

DEBOUNCE_MS = 50
CONTROLS = ("INPUT", "SELECT", "TEXTAREA")


class Live:
    def __init__(self, started: float) -> None:
        self.started = started
        self.form = js.document.getElementById("editor")
        self.frame = js.document.querySelector("iframe.preview")
        self.summary = js.document.getElementById("faults")
        self.dirty = self.form.getAttribute("data-changed") == "true"
        self.leaving = False
        self.busy = False
        self.again = False
        self.timer = None
        self.draft = None
        self.changed_at = 0.0
        self.flagged = []
        self.kept = []  # the proxies JS holds: alive as long as the page
        self.fire = self.keep(lambda *_: self.check())

    def keep(self, fn: object) -> object:
        proxy = create_proxy(fn)
        self.kept.append(proxy)
        return proxy

    def on(self, target: object, event: str, fn: object) -> None:
        target.addEventListener(event, self.keep(fn))

    def start(self) -> None:
        self.on(self.form, "input", self.changed)
        self.on(self.form, "change", self.changed)
        self.on(self.form, "submit", self.submitting)
        self.on(js.window, "beforeunload", self.before_unload)
        for name in ("_preview_theme", "_preview_width", "_preview_locale"):
            control = js.document.getElementById(name)
            if control:
                self.on(control, "change", lambda *_: self.post_preview())
        for handle in js.document.querySelectorAll(".question .handle"):
            self.on(handle, "dragstart", self.drag_start)
        for item in js.document.querySelectorAll(".question"):
            self.on(item, "dragover", self.drag_over)
            self.on(item, "dragleave", self.drag_leave)
            self.on(item, "drop", self.drop)
        self.check()
        ms = js.performance.now() - self.started
        js.performance.mark("editor:ready")
        js.document.documentElement.setAttribute("data-editor", "ready")
        state = js.document.getElementById("live-state")
        if state:
            state.textContent = "Live checks on (started in %d ms)." % ms

    # -- changes and checks ----------------------------------------------------------------

    def changed(self, event: object) -> None:
        if str(event.target.id).startswith("_preview_"):
            return
        self.dirty = True
        self.changed_at = js.performance.now()
        if self.timer is not None:
            js.clearTimeout(self.timer)
        self.timer = js.setTimeout(self.fire, DEBOUNCE_MS)

    def check(self) -> None:
        self.timer = None
        if self.busy:
            self.again = True
            return
        self.busy = True
        options = js.Object.new()
        options.method = "POST"
        options.credentials = "same-origin"
        options.body = js.URLSearchParams.new(js.FormData.new(self.form))
        url = self.form.getAttribute("data-check")
        js.fetch(url, options).then(self.keep(self.answered)).then(self.keep(self.checked)).catch(
            self.keep(self.failed)
        )

    def answered(self, response: object) -> object:
        if not response.ok:
            raise RuntimeError("HTTP %s" % response.status)
        return response.text()

    def checked(self, text: object) -> None:
        self.busy = False
        found = json.loads(text)
        self.show(found["faults"])
        self.draft = found["definition"]
        self.post_preview()
        if self.changed_at:
            ms = js.performance.now() - self.changed_at
            self.form.setAttribute("data-last-check-ms", str(int(ms)))
        checks = int(self.form.getAttribute("data-checks") or 0) + 1
        self.form.setAttribute("data-checks", str(checks))
        if self.again:
            self.again = False
            self.check()

    def failed(self, error: object) -> None:
        self.busy = False
        js.console.warn("refiner editor: live check failed:", error)

    def show(self, faults: list) -> None:
        """Each fault in its field's slot and in the summary, as text."""
        for field in self.flagged:
            slot = js.document.getElementById("err-" + field)
            if slot:
                slot.hidden = True
                slot.textContent = ""
            control = js.document.getElementById(field)
            if control:
                control.removeAttribute("aria-invalid")
                control.removeAttribute("aria-describedby")
        self.flagged = []
        for fault in faults:
            field = fault["field"]
            if field in self.flagged:
                continue
            self.flagged.append(field)
            slot = js.document.getElementById("err-" + field)
            if slot:
                slot.textContent = fault["message"]
                slot.hidden = False
            control = js.document.getElementById(field)
            if control and control.tagName in CONTROLS:
                control.setAttribute("aria-invalid", "true")
                control.setAttribute("aria-describedby", "err-" + field)
        self.summarise(faults)

    def summarise(self, faults: list) -> None:
        self.summary.replaceChildren()
        if not faults:
            return
        heading = js.document.createElement("h2")
        heading.textContent = "%d to fix before saving" % len(faults)
        items = js.document.createElement("ul")
        for fault in faults:
            item = js.document.createElement("li")
            link = js.document.createElement("a")
            link.href = "#" + fault["field"]
            link.textContent = fault["path"]
            item.append(link, ": " + fault["message"])
            items.append(item)
        self.summary.append(heading, items)

    # -- the preview -----------------------------------------------------------------------

    def post_preview(self) -> None:
        if self.draft is None or not self.frame:
            return
        position = (self.draft.get("appearance") or {}).get("position") or "bottom-right"
        message = {
            "type": "refiner:preview",
            "definition": self.draft,
            "locale": _value("_preview_locale") or None,
            "theme": _value("_preview_theme") or "light",
            "position": position,
            "width": _value("_preview_width") or "phone",
        }
        target = self.frame.contentWindow
        if target:
            target.postMessage(js.JSON.parse(json.dumps(message)), "*")

    # -- leaving and dragging ----------------------------------------------------------------

    def submitting(self, _event: object) -> None:
        self.leaving = True

    def before_unload(self, event: object) -> None:
        if self.dirty and not self.leaving:
            event.preventDefault()
            event.returnValue = ""

    def drag_start(self, event: object) -> None:
        event.dataTransfer.setData("text/plain", event.target.getAttribute("data-index"))
        event.dataTransfer.effectAllowed = "move"

    def drag_over(self, event: object) -> None:
        event.preventDefault()
        event.currentTarget.classList.add("drop-target")

    def drag_leave(self, event: object) -> None:
        event.currentTarget.classList.remove("drop-target")

    def drop(self, event: object) -> None:
        event.preventDefault()
        source = str(event.dataTransfer.getData("text/plain"))
        target = str(event.currentTarget.getAttribute("data-index"))
        if not source.isdigit() or source == target:
            return
        js.document.getElementById("_drag").value = "move:questions[%s]:%s" % (source, target)
        self.leaving = True
        self.form.requestSubmit()


def _value(element_id: str) -> str:
    element = js.document.getElementById(element_id)
    return str(element.value) if element else ""


def start(started: float) -> None:
    Live(started).start()
