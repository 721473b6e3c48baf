"""The feedback button on the page: a real <button> in a shadow root of its own host, in
the widget's styles, that says whether its survey is open (`aria-expanded`). What it shows
and what a press does is `refiner_web.feedback`; this module only draws it.

The host delegates focus to the button, so a survey that closes gives the focus back to
the host (`refiner_web.focus.return_focus`) and the button has it. Its label is text,
never HTML; its colours are the checked ones of `refiner_web.channels.button`.
"""

import js

from refiner_web.dom import attrs, el
from refiner_web.ffi import guarded, proxy, release
from refiner_web.host import add_styles, detach, insert

HOST_TAG = "refiner-feedback"


class Launcher:
    """One feedback button: `pressed()` runs on a click (Enter and Space are a button's)."""

    def __init__(
        self,
        form_id: str,
        spec: dict,
        pressed,  # noqa: ANN001 - the feedback's press handler
        nonce: object,
        warn,  # noqa: ANN001 - the client's warning function
    ) -> None:
        self.warn = warn
        self.host = js.document.createElement(HOST_TAG)
        attrs(self.host, [("data-launcher", spec["position"]), ("data-form", form_id)])
        options = js.Object.new()
        options.mode = "open"
        options.delegatesFocus = True
        root = guarded("attachShadow", self.host.attachShadow.bind(self.host), options)
        add_styles(root, nonce, warn)
        self.button = el("button", "launcher", spec["label"], root)
        attrs(self.button, [("type", "button"), ("aria-expanded", "false")])
        self.button.style.setProperty("--rf-launcher-bg", spec["background"])
        self.button.style.setProperty("--rf-launcher-fg", spec["colour"])

        def click(*_: object) -> None:
            try:
                pressed()
            except Exception as error:  # noqa: BLE001 - told, never thrown into the page
                warn("feedback button: %r" % (error,))

        self.handler = proxy(click)
        self.button.addEventListener("click", self.handler)
        insert(self.host)

    def expanded(self, value: bool) -> None:
        self.button.setAttribute("aria-expanded", "true" if value else "false")

    def remove(self) -> None:
        self.button.removeEventListener("click", self.handler)
        detach(self.host, self.warn)
        release(self.handler)
