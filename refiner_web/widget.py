"""The survey on screen: one host element with a shadow root, one question at a time.

`refiner_web.survey.SurveyRun` decides everything (copy, checks, branching, progress); this
module opens and closes the survey and moves between its questions. The host element and its
styles are in `refiner_web.host`, the drawing of each question family in
`refiner_web.questions` (and `matrix`, `ranking`, `inputs`), focus and keys in
`refiner_web.focus`. The orchestrator
(`refiner_web.surveys`) creates a `SurveyView` and hears back through its `hooks`.

Survey text is only ever set through `textContent` or attribute values, never parsed as
HTML. Every Python callable handed to JavaScript is kept and released when the view goes.
"""

import js

from refiner_web import inputs, matrix, questions, ranking
from refiner_web.dom import attrs, el, nodes
from refiner_web.ffi import absent, once, proxy, release
from refiner_web.focus import Focus, focus_first
from refiner_web.host import detach, frame, insert, new_host, on_screen, watch_tag
from refiner_web.placement import is_modal
from refiner_web.survey import SurveyRun

LEAVE_MS = 180
ANNOUNCE_MS = 150
#: the renderer of each question type that takes an answer (`collect`)
RENDERERS = {
    "nps": questions.Scale,
    "rating": questions.Scale,
    "csat": questions.Scale,
    "emoji": questions.Scale,
    "single_choice": questions.Choices,
    "multiple_choice": questions.Choices,
    "text": questions.Text,
    "email": questions.Text,
    "matrix": matrix.Matrix,
    "ranking": ranking.Ranking,
    "date": inputs.Date,
    "consent": inputs.Consent,
    "cta": inputs.Cta,
}


class SurveyView:
    """One survey on screen. `hooks` hears: shown(), navigated(question, progress),
    answered(answers, completed), dismissed(), closed(). `nonce` is the CSP
    nonce for a <style> (None without one); `warn(message)` the client's warning path.
    `page`: the link page's full-page layout, in its <main>, with no way to dismiss it
    (nothing is under it) and a thank-you screen that stays."""

    def __init__(
        self,
        form: dict,
        locale: object,
        hooks: object,
        nonce: object,
        warn,  # noqa: ANN001 - the client's warning function
        page: bool = False,
    ) -> None:
        self.run = SurveyRun(form, locale)
        self.form_id = self.run.form_id
        self.hooks = hooks
        self.nonce = nonce
        self.warn = warn
        self.look = self.run.appearance()
        self.page = page
        if page:
            self.look["position"] = "page"
        self.modal = not page and is_modal(self.look["position"], js.window.innerHeight)
        self.proxies = []  # live as long as the view
        self.screen_proxies = []  # handlers of the question on screen
        self.retired = []  # handlers of the previous screen, freed on the next render
        self.timers = []
        self.document_listeners = []
        self.opened = False
        self.closing = False
        self.closed = False
        self.host = self.root = self.panel = self.screen = self.live = None
        self.bar = self.meter = self.error = None
        self.described = []  # (element, ids of what describes it) on the question on screen
        self.focus = Focus(self)
        self.field = None  # the renderer of the question on screen, when it takes an answer
        #: a modal takes the focus when it opens; the dashboard's preview frame says no
        #: while the owner types in the editor around it (`refiner_web.preview_frame`)
        self.modal_focus = True

    # -- plumbing ------------------------------------------------------------------------

    def _listen(self, target: object, name: str, fn, screen: bool = True) -> None:  # noqa: ANN001
        handler = proxy(fn)
        (self.screen_proxies if screen else self.proxies).append(handler)
        target.addEventListener(name, handler)

    def on(self, target: object, name: str, fn) -> None:  # noqa: ANN001
        """A guarded listener (`guard`) for as long as the question is on screen."""
        self._listen(target, name, self.guard(fn))

    def _later(self, fn, ms: int) -> None:  # noqa: ANN001
        """A timer cleared on close; its proxy is freed with the others."""
        handler = proxy(fn)
        self.proxies.append(handler)
        self.timers.append(js.setTimeout(handler, ms))

    def guard(self, fn):  # noqa: ANN001, ANN201
        """Event handlers never raise into the page, and do nothing once closing."""

        def run(*args: object) -> None:
            if self.closing:
                return
            try:
                fn(*args)
            except Exception as error:  # noqa: BLE001 - told, never thrown into the page
                self.warn("survey %s: %r" % (self.form_id, error))

        return run

    # -- open and close --------------------------------------------------------------------

    def open(self) -> None:
        """Adds the host element, draws the first question and tells the hooks. A page we
        cannot draw into gets a warning and a closed view, so the next survey may show."""
        if self.opened or self.closing:
            return
        self.opened = True
        if not self._place():
            return
        on_screen.append(self)
        self.hooks.shown()
        self._navigated()

    def rehost(self) -> None:
        """The page took our host's name (see `refiner_web.host.watch_tag`): the survey moves
        to a new host of a free name, on the question it was on, and the old host goes. On
        the thank-you screen there is nothing left to move: the survey is done."""
        if self.closing:
            return
        if self.run.finished:
            self.finish()
            return
        old = self.host
        for name, handler in self.document_listeners:
            js.document.removeEventListener(name, handler)
        self.document_listeners = []
        self._place()
        detach(old, self.warn)

    def _place(self) -> bool:
        """Builds the view in a new host. A page we cannot draw into gets a warning and a
        closed view, so the next survey may show."""
        try:
            self._build()
        except Exception as error:  # noqa: BLE001 - e.g. a page whose attachShadow throws
            self.warn("survey %s: cannot show it: %r" % (self.form_id, error))
            self.close()
            return False
        watch_tag(self.host.localName)
        return True

    def _build(self) -> None:
        look, modal = self.look, self.modal
        self.focus.remember()
        host, root = new_host(look["position"], self.form_id, modal, self.nonce, self.warn)
        if modal:
            overlay = el("div", "overlay", None, root)
            self._listen(overlay, "mousedown", lambda event: event.preventDefault(), False)
        panel, meter, self.bar, dismiss, self.screen, self.live = frame(root, self.run, look, modal)
        self._listen(dismiss, "click", self.guard(self._dismiss), False)
        if self.page:
            dismiss.setAttribute("hidden", "")
        self._listen(root, "keydown", self.guard(self.focus.keydown), False)
        self._listen_document("focusin", self.guard(self.focus.focusin))
        self.host, self.root, self.panel, self.meter = host, root, panel, meter
        insert(host, self.page)
        self._render(False)
        if modal and self.modal_focus:
            focus_first(self.screen)

    def _listen_document(self, name: str, fn) -> None:  # noqa: ANN001
        handler = proxy(fn)
        self.proxies.append(handler)
        self.document_listeners.append((name, handler))
        js.document.addEventListener(name, handler)

    def close(self) -> None:
        """Leave animation, then the host goes, proxies are freed and `hooks.closed()` runs
        exactly once. Safe to call again."""
        if self.closing:
            return
        self.closing = True
        for handle in self.timers:
            js.clearTimeout(handle)
        self.timers = []
        self.focus.stop()
        for name, handler in self.document_listeners:
            js.document.removeEventListener(name, handler)
        self.document_listeners = []
        if self.panel is not None and "animated" in str(self.panel.className):
            self.panel.classList.add("leaving")
            js.setTimeout(once(self._remove), LEAVE_MS)
        else:
            self._remove()

    def _remove(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self in on_screen:
            on_screen.remove(self)
        inside = self.root is not None and not absent(self.root.activeElement)
        if self.host is not None:
            detach(self.host, self.warn)
        self.focus.give_back(inside)
        # A handler of ours may be running right now (the x button): free the proxies on
        # the next turn, never from inside one of them.
        js.setTimeout(once(self._free), 0)
        self.hooks.closed()

    def _free(self) -> None:
        for handle in self.proxies + self.screen_proxies + self.retired:
            release(handle)
        self.proxies, self.screen_proxies, self.retired = [], [], []

    # -- moving ----------------------------------------------------------------------------

    def _dismiss(self, *_: object) -> None:
        if self.run.finished:
            self.finish()
            return
        self.hooks.dismissed()
        self.close()

    def escape(self) -> None:
        """Esc dismisses a modal survey (it asked for the person's attention); a corner, top
        or bottom one is only closed (`onClose`, no dismissal), so the way out from under it
        costs nothing. Focus goes back where it came from (`Focus.give_back`). The link
        page's survey stays: it is the page."""
        if self.page:
            return
        if self.modal or self.run.finished:
            self._dismiss()
        else:
            self.close()

    def take_focus(self) -> None:
        """Focus into the survey (opened by the feedback button); it goes back to where it
        came from on close (`Focus.give_back`)."""
        if self.screen is not None and not self.closing:
            focus_first(self.screen)

    def finish(self, *_: object) -> None:
        if self.closing:
            return
        self.close()

    def next(self, *_: object) -> None:
        error = None if self.field is None else self.field.collect()
        if error is None:
            error = self.run.next()
        if error is not None:
            self.show_error(error)
            return
        self._moved()

    def _skip(self, *_: object) -> None:
        error = self.run.skip()
        if error is not None:
            self.show_error(error)
            return
        self._moved()

    def _back(self, *_: object) -> None:
        if self.field is not None:
            self.field.collect()  # what was typed here waits for the way forward, if valid
        if self.run.back():
            self._render(True)
            self._navigated()

    def _moved(self) -> None:
        self.hooks.answered(self.run.answers, self.run.finished)
        if self.closing:
            return
        if self.run.finished:
            self._thank_you()
        else:
            self._render(True)
            self._navigated()

    def _navigated(self) -> None:
        if not self.closing:
            self.hooks.navigated(self.run.question(), self.run.progress())

    # -- drawing ---------------------------------------------------------------------------

    def _new_screen(self, moved: bool) -> tuple:
        """Empties the screen; returns (focus was inside, screen)."""
        focus_inside = not absent(self.root.activeElement)
        for handle in self.retired:
            release(handle)
        self.retired = self.screen_proxies
        self.screen_proxies = []
        screen = self.screen
        while not absent(screen.firstChild):
            screen.removeChild(screen.firstChild)
        self.error = self.field = None
        self.described = []
        return (focus_inside or (moved and self.modal)), screen

    def _progress(self, value: int, label: str) -> None:
        self.bar.style.width = "%d%%" % value
        self.meter.setAttribute("aria-valuenow", str(value))
        self.meter.setAttribute("aria-label", label)

    def _render(self, moved: bool) -> None:
        run = self.run
        question = run.question()
        refocus, screen = self._new_screen(moved)
        number, total = run.position()
        position = run.text("position") % (number, total)
        self._progress(run.progress(), position)
        questions.title(question["title"], screen)
        if question["required"]:
            el("p", "required", run.text("required_mark"), screen).id = "rf-req"
        describedby = []
        if question.get("description"):
            el("p", "description", question["description"], screen).id = "rf-desc"
            describedby.append("rf-desc")
        kind = question["type"]
        renderer = RENDERERS.get(kind)
        if renderer is not None:
            self.field = renderer(self, question, run.value(), screen, describedby)
        elif kind == "statement" and question.get("link"):
            questions.link(self, question["link"], screen)
        self.error = el("p", "error", None, screen)
        attrs(self.error, [("id", "rf-error"), ("role", "alert")])
        self._nav(question, screen)
        if refocus:
            focus_first(self.screen)
        if self.live is not None:
            self._announce("%s (%s)" % (question["title"], position))

    def _thank_you(self) -> None:
        run = self.run
        thanks = run.thank_you()
        refocus, screen = self._new_screen(True)
        self._progress(100, run.text("position") % run.position())
        button = questions.thank_you(self, thanks, screen)
        self.panel.classList.add("done")
        if self.page:  # the page ends here: nothing to close, no focus lost to the body
            button.parentNode.remove()
            button = nodes(screen, "#rf-title")[0]
        if refocus:
            button.focus()
        if self.live is not None:
            self._announce(thanks["title"])
        if thanks["auto_close_s"] and not self.page:
            self._later(self.guard(self.finish), int(thanks["auto_close_s"] * 1000))

    def _announce(self, text: str) -> None:
        """Corner surveys keep the page's focus; a live region reads the question instead."""
        live = self.live
        live.textContent = ""

        def say() -> None:
            live.textContent = text

        self._later(say, ANNOUNCE_MS)

    def _nav(self, question: dict, screen: object) -> None:
        run = self.run
        nav = el("div", "nav", None, screen)
        if run.can_go_back():
            back = el("button", "secondary back", run.text("back"), nav)
            back.setAttribute("type", "button")
            self.on(back, "click", self._back)
        el("span", "spacer", None, nav)
        if run.can_skip():
            skip = el("button", "secondary skip", run.text("skip"), nav)
            skip.setAttribute("type", "button")
            self.on(skip, "click", self._skip)
        if question["type"] in inputs.SELF_ADVANCING:
            return
        label = question.get("button") or run.text("submit" if run.is_last() else "next")
        primary = el("button", "primary next", label, nav)
        primary.setAttribute("type", "button")
        self.on(primary, "click", self.next)

    def refresh_primary(self) -> None:
        """Next becomes Submit (and back) when an answer changes where the logic leads."""
        question = self.run.question()
        if question is None or question.get("button"):
            return
        for button in nodes(self.screen, "button.next"):
            button.textContent = self.run.text("submit" if self.run.is_last() else "next")

    def describe(self, node: object, ids: list) -> None:
        """`node` is described by `ids` (question description, scale ends, counter), and by
        the error while one shows: `show_error` adds it and `clear_error` takes it away."""
        self.described.append((node, list(ids)))
        self._set_described(node, ids)

    def _set_described(self, node: object, ids: list) -> None:
        if ids:
            node.setAttribute("aria-describedby", " ".join(ids))
        else:
            node.removeAttribute("aria-describedby")

    def show_error(self, text: str) -> None:
        if self.error is None:
            return
        self.error.textContent = text
        for node in nodes(self.screen, "input, textarea, [role=radiogroup], [role=group]"):
            node.setAttribute("aria-invalid", "true")
        for node, ids in self.described:
            self._set_described(node, ids + ["rf-error"])

    def clear_error(self) -> None:
        if self.error is not None and self.error.textContent:
            self.error.textContent = ""
            for node in nodes(self.screen, "[aria-invalid]"):
                node.removeAttribute("aria-invalid")
            for node, ids in self.described:
                self._set_described(node, ids)
