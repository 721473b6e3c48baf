"""The preview frame's browser side (`/admin/preview`, docs/dashboard.md "Preview"): the
loader boots here instead of `refiner_web.boot` when its tag says `data-preview`.

No `Client` is made: nothing pings, writes, queues or sets a cookie. Each request the
editor posts is checked for its shape (`refiner_web.preview`), its definition by the
server's validator (the loader's `check`, a read), and then drawn by the widget's own
`SurveyView` in place of the previous one; the frame tells the editor how long that took.
"""

import json

import js

from refiner_web.ffi import once, proxy
from refiner_web.preview import (
    DRAWN,
    READY,
    NotPreview,
    PreviewHooks,
    parse_message,
    preview_form,
)


def _by_id(name: str) -> object:
    return js.document.getElementById(name)


def _checked_fault(status: int, text: str) -> object:
    """None when the validator accepted the definition, else what to show instead."""
    if status == 200:
        return None
    try:
        error = json.loads(text)["error"]
        return "%s" % error["message"]
    except (ValueError, KeyError, TypeError):
        return "The definition could not be checked (%s)." % (status or "no answer")


class Frame:
    """The survey drawn in the frame and the last request it drew."""

    def __init__(self, bridge: object) -> None:
        self.bridge = bridge
        self.view = None
        self.hooks = None
        self.request = None
        self.asked = 0  # requests received; a check answered late is for an older one
        self.fault = _by_id("preview-fault")
        self.status = _by_id("preview-status")
        self.again = _by_id("preview-again")
        self.listeners = [proxy(self.receive), proxy(lambda *_: self.draw(self.request))]
        self.again.addEventListener("click", self.listeners[1])

    def warn(self, message: str) -> None:
        js.console.warn("[refiner] " + message)

    def receive(self, text: str, received_at: float) -> None:
        """A message from the editor (the loader lets only the parent's through)."""
        try:
            request = parse_message(json.loads(text))
        except (ValueError, NotPreview) as error:
            self.warn("preview: message ignored: %s" % (error,))
            return
        self.asked += 1
        asked = self.asked

        def checked(status: int, answer: str) -> None:
            if asked == self.asked:
                self.show(request, _checked_fault(status, answer), received_at)

        self.bridge.check(json.dumps(request["definition"]), once(checked))

    def show(self, request: dict, fault: object, received_at: float) -> None:
        root = js.document.documentElement
        root.setAttribute("data-width", request["width"])
        root.setAttribute("data-theme", request["theme"])
        self.request = request
        if fault is None:
            self.fault.hidden = True
            self.fault.textContent = ""
            self.draw(request)
        else:
            self._clear()
            self.again.hidden = True
            self.fault.textContent = fault
            self.fault.hidden = False
        self.status.textContent = ""
        elapsed = self.bridge.now() - received_at
        self.bridge.toParent(json.dumps({"type": DRAWN, "ms": round(elapsed, 1)}))

    def draw(self, request: object, *_: object) -> None:
        """The survey of `request`, from its first question, in place of the one shown."""
        if request is None:
            return
        from refiner_web.widget import SurveyView

        self._clear()
        self.again.hidden = True
        self.hooks = PreviewHooks(self._closed)
        self.view = SurveyView(
            preview_form(request), request["locale"], self.hooks, self.bridge.nonce, self.warn
        )
        # the editor's field keeps the focus; a click in the frame ("show again") moves it
        self.view.modal_focus = bool(js.document.hasFocus())
        self.view.open()
        if self.view.panel is not None:
            self.view.panel.classList.remove("animated")  # a redraw per keystroke: no motion

    def _clear(self) -> None:
        """The survey on screen goes at once, telling no one."""
        if self.view is not None:
            self.hooks.done = True
            if self.view.panel is not None:
                self.view.panel.classList.remove("animated")
            self.view.close()
        self.view = self.hooks = None

    def _closed(self) -> None:
        self.view = self.hooks = None
        self.again.hidden = False


def start() -> Frame:
    """Listens to the editor, then tells it the frame can draw."""
    import refiner_bridge

    import refiner_web.widget  # noqa: F401 - loaded before `ready`, not on the first draw

    frame = Frame(refiner_bridge)
    refiner_bridge.listenPreview(frame.listeners[0])
    frame.status.textContent = ""
    refiner_bridge.toParent(json.dumps({"type": READY}))
    return frame
