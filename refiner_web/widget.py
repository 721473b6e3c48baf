"""The survey on screen: one host element with a shadow root, one question at a time.

`refiner_web.survey.SurveyRun` decides everything (copy, checks, branching, progress); this
module only draws it and turns clicks and keys into calls on it. The orchestrator
(`refiner_web.surveys`) creates a `SurveyView` and hears back through its `hooks`.

Survey text is only ever set through `textContent` or attribute values, never parsed as
HTML. Every Python callable handed to JavaScript is kept and destroyed when the view goes.
"""

import js

from refiner_web.browser import JsRefused, _guarded
from refiner_web.ffi import RUNTIME, once, proxy
from refiner_web.placement import clearing_scroll, is_modal, overlaps
from refiner_web.survey import OTHER, SurveyRun

try:  # Pyodide 0.26+ gives JavaScript's null as `jsnull`, MicroPython as None
    from pyodide.ffi import jsnull
except ImportError:
    jsnull = None

HOST_TAG = "refiner-survey"
SVG_NS = "http://www.w3.org/2000/svg"
LEAVE_MS = 180
ANNOUNCE_MS = 150
STAR = "M12 2.6l2.8 6 6.6.7-4.9 4.5 1.4 6.5L12 17 6.1 20.3l1.4-6.5-4.9-4.5 6.6-.7z"
MOUTHS = (
    "M8 17c1-2 2.4-3 4-3s3 1 4 3",
    "M8.5 16.3c1-1.1 2.2-1.6 3.5-1.6s2.5.5 3.5 1.6",
    "M8.5 15.5h7",
    "M8.5 14.5c1 1.1 2.2 1.6 3.5 1.6s2.5-.5 3.5-1.6",
    "M7.8 13.8c1 2.2 2.4 3.3 4.2 3.3s3.2-1.1 4.2-3.3",
)
EMOJI_FILL = ("#f87171", "#fb923c", "#facc15", "#a3e635", "#4ade80")
_css = []
_on_screen = []  # the open views, found by their host's name when the page takes it
_watched = []  # host names watched with `customElements.whenDefined`, one handler each


def _styles() -> str:
    """static/widget.css, which build.py ships inside the package as refiner_web/widget.css
    (read once; the loader and PyScript both put it next to this module)."""
    if not _css:
        try:
            with open(__file__.rsplit("/", 1)[0] + "/widget.css") as handle:
                _css.append(handle.read())
        except OSError:
            js.console.warn("[refiner] widget.css is missing from the package; unstyled")
            _css.append("")
    return _css[0]


def _absent(value: object) -> bool:
    """JavaScript null or undefined, on either interpreter."""
    return value is None or value is jsnull


def _registry(method: str, tag: str) -> object:
    """`customElements[method](tag)`, or None in a window without the registry. The page
    may have made the registry throw: `_guarded` turns that into an exception Python can
    catch (JsRefused)."""
    registry = _guarded("customElements", js.Reflect.get, js.window, "customElements")
    if not js.Boolean(registry):
        return None
    return _guarded("customElements", getattr(registry, method).bind(registry), tag)


def _host_tag() -> str:
    """`refiner-survey`, unless the page has defined a custom element of that name (its
    constructor would run on our host and may take its shadow root): then the first of
    `refiner-survey-2`, `-3`, ... that it has not. Tested through JavaScript's `Boolean`:
    MicroPython gives `undefined` as a truthy object of its own."""
    tag = HOST_TAG
    number = 1
    while js.Boolean(_registry("get", tag)):
        number += 1
        tag = "%s-%d" % (HOST_TAG, number)
    return tag


def _watch_tag(tag: str) -> None:
    """A page may define a custom element of our host's name while a survey shows: the
    upgrade runs its constructor and callbacks on our host, and they may take our open
    shadow root. `whenDefined` says so (after the upgrade) and the survey moves to a host
    of a free name. One handler a name, kept for the life of the page."""
    if tag in _watched:
        return
    _watched.append(tag)
    try:
        defined = _registry("whenDefined", tag)
    except JsRefused:
        return  # a registry the page broke: nothing to watch, the survey shows all the same
    if defined is not None:
        defined.then(proxy(lambda *_: _tag_taken(tag)))


def _tag_taken(tag: str) -> None:
    for view in list(_on_screen):
        if view.host is not None and view.host.localName == tag:
            view._guard(view.rehost)()  # runs in a promise reaction: never raise there


def _detach(host: object) -> None:
    """Takes our host out of the page with the DOM's own `remove`: a page that took the
    host's name may override `remove` on its element class, and MicroPython cannot catch
    what that throws."""
    try:
        _guarded("remove", js.Element.prototype.remove.bind(host))
    except JsRefused:
        js.console.warn("[refiner] the page would not let a survey's host go")


def _release(handle: object) -> None:
    """Frees a proxy: Pyodide needs it; MicroPython's are collected with their JS side."""
    if RUNTIME == "pyodide":
        try:
            handle.destroy()
        except Exception:  # noqa: BLE001 - already destroyed
            pass


def _rect(node: object) -> tuple:
    box = node.getBoundingClientRect()
    return (box.left, box.top, box.right, box.bottom)


def _return_focus(previous: object) -> None:
    """Focus goes back to the page element it came from; when that element is gone or will
    not take focus, to the page's main landmark (else its body), so the next Tab goes on
    from the page rather than from the browser's toolbar. A tabindex we had to add for that
    goes again when the landmark loses focus."""
    try:
        if not _absent(previous) and previous.isConnected:
            previous.focus()
            if previous.isSameNode(js.document.activeElement):
                return
        doc = js.document
        landmark = doc.querySelector("main, [role=main]")
        if _absent(landmark):
            landmark = doc.body
        if _absent(landmark):
            return
        if not landmark.hasAttribute("tabindex"):
            landmark.setAttribute("tabindex", "-1")
            undo = js.Object.new()
            undo.once = True
            landmark.addEventListener(
                "blur", once(lambda *_: landmark.removeAttribute("tabindex")), undo
            )
        options = js.Object.new()
        options.preventScroll = True
        landmark.focus(options)
    except Exception:  # noqa: BLE001 - an element or a page that refuses focus
        pass


def _reduced_motion() -> bool:
    try:
        return bool(js.window.matchMedia("(prefers-reduced-motion: reduce)").matches)
    except Exception:  # noqa: BLE001 - a page that broke matchMedia: motion as usual
        return False


def _el(tag: str, cls: object = None, text: object = None, parent: object = None) -> object:
    """An element; `text` goes in as text, never as markup."""
    node = js.document.createElement(tag)
    if cls:
        node.className = cls
    if text is not None:
        node.textContent = text
    if parent is not None:
        parent.appendChild(node)
    return node


def _attrs(node: object, pairs: list) -> object:
    for name, value in pairs:
        node.setAttribute(name, value)
    return node


def _svg(parts: list, cls: str) -> object:
    """A small decorative icon: [(tag, [(attribute, value), ...]), ...]."""
    svg = js.document.createElementNS(SVG_NS, "svg")
    _attrs(svg, [("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")])
    svg.setAttribute("class", cls)
    for tag, pairs in parts:
        svg.appendChild(_attrs(js.document.createElementNS(SVG_NS, tag), pairs))
    return svg


def _face(level: int, filled: bool) -> object:
    fill = EMOJI_FILL[level - 1] if filled else "none"
    stroke = "#1f2937" if filled else "currentColor"
    return _svg(
        [
            ("circle", [("cx", "12"), ("cy", "12"), ("r", "10"), ("fill", fill)]),
            ("circle", [("cx", "8.7"), ("cy", "9.6"), ("r", "1.3"), ("fill", stroke)]),
            ("circle", [("cx", "15.3"), ("cy", "9.6"), ("r", "1.3"), ("fill", stroke)]),
            ("path", [("d", MOUTHS[level - 1]), ("fill", "none"), ("stroke", stroke)]),
        ],
        "face emoji" if filled else "face",
    )


def _nodes(root: object, selector: str) -> list:
    found = root.querySelectorAll(selector)
    return [found.item(i) for i in range(found.length)]


def _tabbable(root: object) -> list:
    """What Tab reaches inside `root`, in order: one stop per radio group (the checked
    radio, else the first), nothing hidden, disabled or taken out with tabindex=-1."""
    out = []
    radios = []
    for node in _nodes(root, "button, input, textarea, a[href]"):
        if node.hasAttribute("disabled") or not _absent(node.closest("[hidden]")):
            continue
        if node.getAttribute("tabindex") == "-1":
            continue
        if node.tagName == "INPUT" and node.getAttribute("type") == "radio":
            radios.append(node)
            if not node.checked:
                continue
        out.append(node)
    if radios and not [r for r in radios if r.checked]:
        first = radios[0]
        for index, node in enumerate(out):
            if node.compareDocumentPosition(first) & 2:  # first radio precedes node
                out.insert(index, first)
                break
        else:
            out.append(first)
    return out


class SurveyView:
    """One survey on screen. `hooks` hears: shown(), navigated(question, progress),
    answered(answers, completed), dismissed(), closed(). `nonce` is the CSP nonce for its
    <style> (a page whose `style-src` allows styles by nonce only), or None; `warn` the
    client's console warning."""

    def __init__(
        self, form: dict, locale: object, hooks: object, nonce: object, warn: object
    ) -> None:
        self.run = SurveyRun(form, locale)
        self.form_id = self.run.form_id
        self.hooks = hooks
        self.nonce = nonce
        self.warn = warn
        self.look = self.run.appearance()
        self.modal = is_modal(self.look["position"], js.window.innerHeight)
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
        self.previous_focus = None  # where focus was before it entered the survey
        self.described = []  # (element, ids of what describes it) on the question on screen
        self.clear_check = None  # the deferred check that a focused page control is in view
        self.clear_timer = None
        self.selection = []
        self.other_input = None
        self.text_input = None
        self.pointer = False

    # -- plumbing ------------------------------------------------------------------------

    def _listen(self, target: object, name: str, fn, screen: bool = True) -> None:  # noqa: ANN001
        handler = proxy(fn)
        (self.screen_proxies if screen else self.proxies).append(handler)
        target.addEventListener(name, handler)

    def _later(self, fn, ms: int) -> None:  # noqa: ANN001
        """A timer cleared on close; its proxy is freed with the others."""
        handler = proxy(fn)
        self.proxies.append(handler)
        self.timers.append(js.setTimeout(handler, ms))

    def _guard(self, fn):  # noqa: ANN001, ANN202
        """Event handlers never raise into the page, and do nothing once closing."""

        def run(*args: object) -> None:
            if self.closing:
                return
            try:
                fn(*args)
            except Exception as error:  # noqa: BLE001 - an event handler must not throw into the page
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
        _on_screen.append(self)
        self.hooks.shown()
        self._navigated()

    def rehost(self) -> None:
        """The page took our host's name (see `_watch_tag`): the survey moves to a new host
        of a free name, on the question it was on, and the old host goes. On the thank-you
        screen there is nothing left to move: the survey is done."""
        if self.closing:
            return
        if self.run.finished:
            self._finish()
            return
        old = self.host
        for name, handler in self.document_listeners:
            js.document.removeEventListener(name, handler)
        self.document_listeners = []
        self._place()
        _detach(old)

    def _place(self) -> bool:
        """Builds the view in a new host. A page we cannot draw into gets a warning and a
        closed view, so the next survey may show."""
        try:
            self._build()
        except Exception as error:  # noqa: BLE001 - e.g. a page whose attachShadow throws
            self.warn("survey %s: cannot show it: %r" % (self.form_id, error))
            self.close()
            return False
        _watch_tag(self.host.localName)
        return True

    def _build(self) -> None:
        doc = js.document
        if self.modal and _absent(self.previous_focus):  # not our old host on a rehost
            self.previous_focus = doc.activeElement
        host = doc.createElement(_host_tag())
        _attrs(host, [("data-position", self.look["position"]), ("data-form", self.form_id)])
        if self.modal:
            host.setAttribute("data-modal", "")
        options = js.Object.new()
        options.mode = "open"
        root = _guarded("attachShadow", host.attachShadow.bind(host), options)  # page may patch
        self._add_styles(root)
        if self.modal:
            overlay = _el("div", "overlay", None, root)
            self._listen(overlay, "mousedown", lambda event: event.preventDefault(), False)
        classes = "panel theme-%s pos-%s" % (self.look["theme"], self.look["position"])
        if not _reduced_motion():
            classes += " animated"
        panel = _el("div", classes, None, root)
        _attrs(panel, [("role", "dialog"), ("aria-labelledby", "rf-title")])
        panel.setAttribute("dir", self.run.direction())
        if self.run.translation_key is not None:
            panel.setAttribute("lang", self.run.translation_key)
        if self.modal:
            panel.setAttribute("aria-modal", "true")
        for name, key in (
            ("--rf-accent", "accent"),
            ("--rf-on-accent", "accent_text"),
            ("--rf-mark-light", "mark_light"),
            ("--rf-on-mark-light", "mark_text_light"),
            ("--rf-mark-dark", "mark_dark"),
            ("--rf-on-mark-dark", "mark_text_dark"),
        ):
            panel.style.setProperty(name, self.look[key])
        top = _el("div", "top", None, panel)
        meter = _attrs(
            _el("div", "progress", None, top),
            [("role", "progressbar"), ("aria-valuemin", "0"), ("aria-valuemax", "100")],
        )
        self.bar = _el("div", "bar", None, meter)
        dismiss = _el("button", "dismiss", "×", top)
        _attrs(dismiss, [("type", "button"), ("aria-label", self.run.text("dismiss"))])
        self._listen(dismiss, "click", self._guard(self._dismiss), False)
        self.screen = _el("div", "screen", None, panel)
        if not self.modal:
            self.live = _el("div", "sr-only", None, panel)
            _attrs(self.live, [("aria-live", "polite"), ("aria-atomic", "true")])
        self._listen(root, "keydown", self._guard(self._keydown), False)
        if self.modal:
            self._listen_document("focusin", self._guard(self._focus_escaped))
        else:
            self._listen_document("focusin", self._guard(self._page_focus))
        self.host, self.root, self.panel, self.meter = host, root, panel, meter
        (doc.documentElement if _absent(doc.body) else doc.body).appendChild(host)
        self._render(False)
        if self.modal:
            self._focus_first()

    def _add_styles(self, root: object) -> None:
        """A constructed style sheet (not subject to the page's `style-src`), else <style>."""
        css = _styles()
        try:
            sheet = js.CSSStyleSheet.new()
            sheet.replaceSync(css)
            sheets = js.Array.new()
            sheets.push(sheet)
            root.adoptedStyleSheets = sheets
        except Exception:  # noqa: BLE001 - browsers without constructable sheets
            style = js.document.createElement("style")
            if self.nonce:
                style.setAttribute("nonce", self.nonce)
            style.textContent = css
            root.appendChild(style)

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
        for handle in self.timers + [self.clear_timer]:
            if handle is not None:
                js.clearTimeout(handle)
        self.timers = []
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
        if self in _on_screen:
            _on_screen.remove(self)
        inside = self.root is not None and not _absent(self.root.activeElement)
        if self.host is not None:
            _detach(self.host)
        if self.modal or inside:
            _return_focus(self.previous_focus)
        self.previous_focus = None
        # A handler of ours may be running right now (the x button): free the proxies on
        # the next turn, never from inside one of them.
        js.setTimeout(once(self._free), 0)
        self.hooks.closed()

    def _free(self) -> None:
        for handle in self.proxies + self.screen_proxies + self.retired:
            _release(handle)
        self.proxies, self.screen_proxies, self.retired = [], [], []

    # -- moving ----------------------------------------------------------------------------

    def _dismiss(self, *_: object) -> None:
        if self.run.finished:
            self._finish()
            return
        self.hooks.dismissed()
        self.close()

    def _finish(self, *_: object) -> None:
        if self.closing:
            return
        self.close()

    def _next(self, *_: object) -> None:
        error = self._collect()
        if error is None:
            error = self.run.next()
        if error is not None:
            self._show_error(error)
            return
        self._moved()

    def _skip(self, *_: object) -> None:
        error = self.run.skip()
        if error is not None:
            self._show_error(error)
            return
        self._moved()

    def _back(self, *_: object) -> None:
        self._collect()  # what was typed here waits for the way forward again, if valid
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

    def _collect(self) -> object:
        """Hands what is typed or ticked to the run; an error text or None."""
        question = self.run.question()
        kind = question["type"]
        if kind in ("text", "email"):
            return self.run.answer(self.text_input.value)
        if kind in ("single_choice", "multiple_choice"):
            other = self.other_input.value if self.other_input is not None else None
            if kind == "single_choice":
                value = self.selection[0] if self.selection else None
            else:
                value = list(self.selection)
            return self.run.answer(value, other)
        return None

    # -- drawing ---------------------------------------------------------------------------

    def _new_screen(self, moved: bool) -> tuple:
        """Empties the screen; returns (focus was inside, screen)."""
        focus_inside = not _absent(self.root.activeElement)
        for handle in self.retired:
            _release(handle)
        self.retired = self.screen_proxies
        self.screen_proxies = []
        screen = self.screen
        while not _absent(screen.firstChild):
            screen.removeChild(screen.firstChild)
        self.error = self.other_input = self.text_input = None
        self.selection = []
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
        title = _el("h2", "title", question["title"], screen)
        title.id = "rf-title"
        title.setAttribute("tabindex", "-1")
        if question["required"]:
            _el("p", "required", run.text("required_mark"), screen).id = "rf-req"
        describedby = []
        if question.get("description"):
            _el("p", "description", question["description"], screen).id = "rf-desc"
            describedby.append("rf-desc")
        kind = question["type"]
        value = run.value()
        if kind in ("nps", "rating", "csat", "emoji"):
            self._scale(question, value, screen, describedby)
        elif kind in ("single_choice", "multiple_choice"):
            self._choices(question, value, screen, describedby)
        elif kind in ("text", "email"):
            self._text(question, value, screen, describedby)
        elif kind == "statement" and question.get("link"):
            self._link(question["link"], screen)
        self.error = _el("p", "error", None, screen)
        _attrs(self.error, [("id", "rf-error"), ("role", "alert")])
        self._nav(question, screen)
        if refocus:
            self._focus_first()
        if self.live is not None:
            self._announce("%s (%s)" % (question["title"], position))

    def _announce(self, text: str) -> None:
        """Corner surveys keep the page's focus; a live region reads the question instead."""
        live = self.live
        live.textContent = ""

        def say() -> None:
            live.textContent = text

        self._later(say, ANNOUNCE_MS)

    def _nav(self, question: dict, screen: object) -> None:
        run = self.run
        nav = _el("div", "nav", None, screen)
        if run.can_go_back():
            back = _el("button", "secondary back", run.text("back"), nav)
            back.setAttribute("type", "button")
            self._listen(back, "click", self._guard(self._back))
        _el("span", "spacer", None, nav)
        if run.can_skip():
            skip = _el("button", "secondary skip", run.text("skip"), nav)
            skip.setAttribute("type", "button")
            self._listen(skip, "click", self._guard(self._skip))
        label = question.get("button") or run.text("submit" if run.is_last() else "next")
        primary = _el("button", "primary next", label, nav)
        primary.setAttribute("type", "button")
        self._listen(primary, "click", self._guard(self._next))

    def _refresh_primary(self) -> None:
        """Next becomes Submit (and back) when an answer changes where the logic leads."""
        question = self.run.question()
        if question is None or question.get("button"):
            return
        for button in _nodes(self.screen, "button.next"):
            button.textContent = self.run.text("submit" if self.run.is_last() else "next")

    def _describe(self, node: object, ids: list) -> None:
        """`node` is described by `ids` (question description, scale ends, counter), and by
        the error while one shows: `_show_error` adds it and `_clear_error` takes it away."""
        self.described.append((node, list(ids)))
        self._set_described(node, ids)

    def _set_described(self, node: object, ids: list) -> None:
        if ids:
            node.setAttribute("aria-describedby", " ".join(ids))
        else:
            node.removeAttribute("aria-describedby")

    def _show_error(self, text: str) -> None:
        if self.error is None:
            return
        self.error.textContent = text
        for node in _nodes(self.screen, "input, textarea, [role=radiogroup], [role=group]"):
            node.setAttribute("aria-invalid", "true")
        for node, ids in self.described:
            self._set_described(node, ids + ["rf-error"])

    def _clear_error(self) -> None:
        if self.error is not None and self.error.textContent:
            self.error.textContent = ""
            for node in _nodes(self.screen, "[aria-invalid]"):
                node.removeAttribute("aria-invalid")
            for node, ids in self.described:
                self._set_described(node, ids)

    def _focus_first(self) -> None:
        found = _tabbable(self.screen)
        target = found[0] if found else _nodes(self.screen, "#rf-title")[0]
        target.focus()

    # -- scales: nps, rating, csat, emoji (radio groups with a roving tab stop) -----------

    def _scale(self, question: dict, value: object, screen: object, describedby: list) -> None:
        run = self.run
        kind = question["type"]
        style = question.get("style", "")
        group = _el("div", "scale %s %s" % (kind, style), None, screen)
        _attrs(group, [("role", "radiogroup"), ("aria-labelledby", "rf-title")])
        if question["required"]:
            group.setAttribute("aria-required", "true")
        if kind == "nps":
            values = list(range(0, 11))
        elif kind == "rating":
            values = list(range(1, question["scale"] + 1))
        else:
            values = [1, 2, 3, 4, 5]
        top = values[-1]
        words = run.text(kind) if kind in ("csat", "emoji") else None
        for n in values:
            item = _el("button", "item", None, group)
            _attrs(item, [("type", "button"), ("role", "radio"), ("data-value", str(n))])
            if kind == "rating" and style == "stars":
                item.appendChild(_svg([("path", [("d", STAR)])], "star"))
                item.setAttribute("aria-label", run.text("star_item") % (n, top))
            elif kind == "emoji":
                item.appendChild(_face(n, True))
                item.setAttribute("aria-label", words[n - 1])
            elif kind == "csat" and style == "faces":
                item.appendChild(_face(n, False))
                item.setAttribute("aria-label", words[n - 1])
            elif kind == "csat":
                item.textContent = words[n - 1]
            else:
                item.textContent = str(n)
                item.setAttribute("aria-label", run.text("scale_item") % (n, top))
        self._mark_scale(group, value)
        self._describe(group, describedby + self._scale_ends(question, kind, screen))
        self._listen(group, "click", self._guard(lambda event: self._scale_click(group, event)))
        self._listen(group, "keydown", self._guard(lambda event: self._scale_key(group, event)))

    def _scale_ends(self, question: dict, kind: str, screen: object) -> list:
        """The words at the two ends of the scale, if any; the ids that describe it."""
        labels = question.get("labels") or {}
        low, high = labels.get("low"), labels.get("high")
        if kind == "nps":
            low = low or self.run.text("nps_low")
            high = high or self.run.text("nps_high")
        elif kind in ("csat", "emoji") and question.get("style") != "labels":
            words = self.run.text(kind)
            low, high = low or words[0], high or words[4]
        if not (low or high):
            return []
        ends = _el("div", "ends", None, screen)
        _el("span", "low", low or "", ends).id = "rf-low"
        _el("span", "high", high or "", ends).id = "rf-high"
        return ["rf-low", "rf-high"]

    def _mark_scale(self, group: object, value: object) -> None:
        items = _nodes(group, "[role=radio]")
        stars = group.classList.contains("stars")
        chosen = str(value) if value is not None else None
        for index, item in enumerate(items):
            picked = item.getAttribute("data-value") == chosen
            item.setAttribute("aria-checked", "true" if picked else "false")
            stop = picked or (chosen is None and index == 0)
            item.setAttribute("tabindex", "0" if stop else "-1")
            if stars:
                on = value is not None and int(item.getAttribute("data-value")) <= value
                item.classList.toggle("on", on)

    def _pick(self, group: object, item: object) -> bool:
        error = self.run.answer(int(item.getAttribute("data-value")))
        if error is not None:
            self._show_error(error)
            return False
        self._clear_error()
        self._mark_scale(group, self.run.value())
        self._refresh_primary()
        return True

    def _scale_click(self, group: object, event: object) -> None:
        """A press of the mouse or a tap picks and moves on; a click from the keyboard (Space,
        Enter) or from assistive technology (`detail` 0) only picks: selection is selection."""
        item = event.target.closest("[role=radio]")
        if _absent(item):
            return
        if self._pick(group, item) and event.detail > 0:
            self._next()

    def _scale_key(self, group: object, event: object) -> None:
        key = event.key
        items = _nodes(group, "[role=radio]")
        current = event.target.closest("[role=radio]")
        if _absent(current) or not items:
            return
        if key == "Enter" and current.getAttribute("aria-checked") == "true":
            event.preventDefault()  # Enter on the chosen value goes on, as in a form
            self._next()
            return
        index = 0
        for i, item in enumerate(items):
            if item.isSameNode(current):
                index = i
        rtl = self.run.direction() == "rtl"
        step = {"ArrowDown": 1, "ArrowUp": -1, "ArrowRight": 1, "ArrowLeft": -1}.get(key)
        if step is not None and rtl and key in ("ArrowRight", "ArrowLeft"):
            step = -step
        if step is not None:
            index = (index + step) % len(items)
        elif key == "Home":
            index = 0
        elif key == "End":
            index = len(items) - 1
        else:
            return
        event.preventDefault()
        if self._pick(group, items[index]):
            items[index].focus()

    # -- choices ---------------------------------------------------------------------------

    def _choices(self, question: dict, value: object, screen: object, describedby: list) -> None:
        run = self.run
        single = question["type"] == "single_choice"
        group = _el("div", "choices", None, screen)
        group.setAttribute("role", "radiogroup" if single else "group")
        group.setAttribute("aria-labelledby", "rf-title")
        if question["required"] and single:
            group.setAttribute("aria-required", "true")
        elif question["required"]:  # a group cannot take aria-required: the visible mark says it
            describedby = ["rf-req"] + describedby
        self._describe(group, describedby)
        options = list(question["choices"])
        if question.get("other") and OTHER not in [c["id"] for c in options]:
            options.append({"id": OTHER, "label": question.get("other_label") or run.text("other")})
        chosen = value if isinstance(value, list) else ([value] if value is not None else [])
        self.selection = list(chosen)
        for index, choice in enumerate(options):
            label = _el("label", "choice", None, group)
            box = _el("input", None, None, label)
            _attrs(
                box,
                [
                    ("type", "radio" if single else "checkbox"),
                    ("name", "rf-choice"),
                    ("value", choice["id"]),
                    ("id", "rf-c%d" % index),
                ],
            )
            box.checked = choice["id"] in chosen
            _el("span", None, choice["label"], label)
        if question.get("other"):
            other = _el("input", "other", None, screen)
            _attrs(
                other,
                [
                    ("type", "text"),
                    ("maxlength", "1000"),
                    ("aria-label", question.get("other_label") or run.text("other")),
                    ("placeholder", run.text("other_placeholder")),
                ],
            )
            other.value = run.other_text()
            other.hidden = OTHER not in chosen
            self.other_input = other
            self._describe(other, [])
            self._listen(other, "keydown", self._guard(self._enter_submits))
        self._listen(group, "pointerdown", lambda event: self._pointer(True))
        self._listen(group, "change", self._guard(lambda event: self._choice_changed(group)))
        self._listen(group, "keydown", self._guard(self._choice_key))

    def _pointer(self, value: bool) -> None:
        self.pointer = value

    def _choice_changed(self, group: object) -> None:
        self.selection = [box.value for box in _nodes(group, "input:checked")]
        self._clear_error()
        other = self.other_input
        if other is not None:
            other.hidden = OTHER not in self.selection  # next in Tab order; focus stays
        by_pointer, self.pointer = self.pointer, False
        if self.run.auto_advances() and by_pointer and self.selection:
            self._next()
            return
        if self.run.question()["type"] == "single_choice":
            self.run.answer(self.selection[0] if self.selection else None)
            self._refresh_primary()

    def _choice_key(self, event: object) -> None:
        self.pointer = False
        if event.key == "Enter":
            event.preventDefault()
            self._next()

    def _enter_submits(self, event: object) -> None:
        if event.key == "Enter" and not event.isComposing:
            event.preventDefault()
            self._next()

    # -- text and email ----------------------------------------------------------------------

    def _text(self, question: dict, value: object, screen: object, describedby: list) -> None:
        run = self.run
        multiline = question.get("multiline")
        box = _el("textarea" if multiline else "input", "text", None, screen)
        box.setAttribute("aria-labelledby", "rf-title")
        if not multiline:
            kind = "email" if question["type"] == "email" else "text"
            box.setAttribute("type", kind)
            if kind == "email":
                _attrs(box, [("autocomplete", "email"), ("inputmode", "email")])
            self._listen(box, "keydown", self._guard(self._enter_submits))
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
        self.text_input = box
        if limit and question["type"] == "text":
            counter = _el("p", "counter", None, screen)
            counter.id = "rf-count"
            describedby.append("rf-count")

            def count(*_: object) -> None:
                counter.textContent = run.text("chars_left") % max(0, limit - len(box.value))
                self._clear_error()

            count()
            self._listen(box, "input", self._guard(count))
        else:
            self._listen(box, "input", self._guard(lambda event: self._clear_error()))
        self._describe(box, describedby)

    def _link(self, link: dict, screen: object) -> None:
        paragraph = _el("p", "link", None, screen)
        anchor = _el("a", None, link["label"], paragraph)
        _attrs(
            anchor,
            [("href", link["url"]), ("target", "_blank"), ("rel", "noopener noreferrer")],
        )
        _el("span", "sr-only", " " + self.run.text("new_tab"), anchor)

    # -- thank you ---------------------------------------------------------------------------

    def _thank_you(self) -> None:
        run = self.run
        thanks = run.thank_you()
        refocus, screen = self._new_screen(True)
        self._progress(100, run.text("position") % run.position())
        title = _el("h2", "title", thanks["title"], screen)
        title.id = "rf-title"
        title.setAttribute("tabindex", "-1")
        if thanks.get("description"):
            _el("p", "description", thanks["description"], screen)
        nav = _el("div", "nav", None, screen)
        _el("span", "spacer", None, nav)
        button = _el("button", "primary close", thanks.get("button") or run.text("close"), nav)
        button.setAttribute("type", "button")
        self._listen(button, "click", self._guard(self._finish))
        self.panel.classList.add("done")
        if refocus:
            button.focus()
        if self.live is not None:
            self._announce(thanks["title"])
        if thanks["auto_close_s"]:
            self._later(self._guard(self._finish), int(thanks["auto_close_s"] * 1000))

    # -- keyboard ------------------------------------------------------------------------------

    def _keydown(self, event: object) -> None:
        key = event.key
        if key == "Escape":
            event.preventDefault()
            self._escape()
        elif key == "Tab" and self.modal:
            self._trap(event)

    def _trap(self, event: object) -> None:
        """Tab and Shift+Tab cycle inside the modal panel."""
        found = _tabbable(self.panel)
        if not found:
            return
        first, last = found[0], found[-1]
        active = self.root.activeElement
        if event.shiftKey:
            if _absent(active) or active.isSameNode(first):
                event.preventDefault()
                last.focus()
        elif _absent(active) or active.isSameNode(last):
            event.preventDefault()
            first.focus()

    def _escape(self) -> None:
        """Esc dismisses a modal survey (it asked for the person's attention); a corner, top
        or bottom one is only closed (`onClose`, no dismissal), so the way out from under it
        costs nothing. Focus goes back where it came from (`_remove`)."""
        if self.modal or self.run.finished:
            self._dismiss()
        else:
            self.close()

    def _page_focus(self, event: object) -> None:
        """Focus moved on the page, or into the survey. Into the survey: remember where it
        came from, to return it there on close. Onto a page control: once the browser has
        scrolled it into view, make sure the panel does not hide it (`_keep_clear`)."""
        target = event.target
        if _absent(target) or self.host is None:
            return
        if target.isSameNode(self.host):
            came_from = event.relatedTarget
            if not _absent(came_from) and not came_from.isSameNode(self.host):
                self.previous_focus = came_from
            return
        if self.clear_check is None:
            self.clear_check = proxy(self._guard(self._keep_clear))
            self.proxies.append(self.clear_check)
        if self.clear_timer is None:
            self.clear_timer = js.setTimeout(self.clear_check, 0)

    def _keep_clear(self, *_: object) -> None:
        """A focused page control under the panel is scrolled clear of it; where the page
        cannot scroll that far, the panel moves to the other edge of the viewport (and back,
        the next time that is what clears a control)."""
        self.clear_timer = None
        control = js.document.activeElement
        if _absent(control) or control.isSameNode(self.host):
            return
        box = _rect(control)
        if not overlaps(box, _rect(self.panel)):
            return
        scroller = js.document.scrollingElement
        if _absent(scroller):
            scroller = js.document.documentElement
        top = scroller.scrollTop
        highest = scroller.scrollHeight - scroller.clientHeight
        delta = clearing_scroll(box, _rect(self.panel), js.window.innerHeight, top, highest)
        if delta is None:  # the panel goes to the other edge (or back)
            self.host.toggleAttribute("data-yield")
            delta = clearing_scroll(box, _rect(self.panel), js.window.innerHeight, top, highest)
        if delta:
            scroller.scrollTop = top + delta

    def _focus_escaped(self, event: object) -> None:
        """Focus that leaves a modal survey is brought back."""
        target = event.target
        if _absent(target) or not target.isSameNode(self.host):
            self._focus_first()
