"""Where keyboard focus goes around a survey: what Tab reaches inside it, the trap that keeps
Tab inside a modal one, Esc, the way back to the page when it goes, and a focused page
control kept clear of a corner panel (WCAG 2.4.11; the arithmetic is `refiner_web.placement`)."""

import js

from refiner_web.dom import nodes
from refiner_web.ffi import absent, once, proxy
from refiner_web.placement import clearing_scroll, overlaps


def tabbable(root: object) -> list:
    """What Tab reaches inside `root`, in order: one stop per radio group (the checked
    radio, else the first), nothing hidden, disabled or taken out with tabindex=-1."""
    out = []
    radios = []
    for node in nodes(root, "button, input, textarea, a[href]"):
        if node.hasAttribute("disabled") or not absent(node.closest("[hidden]")):
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


def focus_first(screen: object) -> None:
    """The first stop of the question on screen takes focus; its title when it has none."""
    found = tabbable(screen)
    target = found[0] if found else nodes(screen, "#rf-title")[0]
    target.focus()


def trap(event: object, panel: object, active: object) -> None:
    """Tab and Shift+Tab cycle inside the modal panel; `active` has the focus in its root."""
    found = tabbable(panel)
    if not found:
        return
    first, last = found[0], found[-1]
    if event.shiftKey:
        if absent(active) or active.isSameNode(first):
            event.preventDefault()
            last.focus()
    elif absent(active) or active.isSameNode(last):
        event.preventDefault()
        first.focus()


def return_focus(previous: object) -> None:
    """Focus goes back to the page element it came from; when that element is gone or will
    not take focus, to the page's main landmark (else its body), so the next Tab goes on
    from the page rather than from the browser's toolbar. A tabindex we had to add for that
    goes again when the landmark loses focus."""
    try:
        if not absent(previous) and previous.isConnected:
            previous.focus()
            if previous.isSameNode(js.document.activeElement):
                return
        doc = js.document
        landmark = doc.querySelector("main, [role=main]")
        if absent(landmark):
            landmark = doc.body
        if absent(landmark):
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


def _rect(node: object) -> tuple:
    box = node.getBoundingClientRect()
    return (box.left, box.top, box.right, box.bottom)


def keep_clear(host: object, panel: object) -> None:
    """A focused page control under the panel is scrolled clear of it; where the page
    cannot scroll that far, the panel moves to the other edge of the viewport (and back,
    the next time that is what clears a control)."""
    control = js.document.activeElement
    if absent(control) or control.isSameNode(host):
        return
    box = _rect(control)
    if not overlaps(box, _rect(panel)):
        return
    scroller = js.document.scrollingElement
    if absent(scroller):
        scroller = js.document.documentElement
    top = scroller.scrollTop
    highest = scroller.scrollHeight - scroller.clientHeight
    delta = clearing_scroll(box, _rect(panel), js.window.innerHeight, top, highest)
    if delta is None:  # the panel goes to the other edge (or back)
        host.toggleAttribute("data-yield")
        delta = clearing_scroll(box, _rect(panel), js.window.innerHeight, top, highest)
    if delta:
        scroller.scrollTop = top + delta


class Focus:
    """Focus around one survey (`view`, a `refiner_web.widget.SurveyView`): where it came
    from, to give it back when the survey goes; Tab kept inside a modal survey and focus
    that leaves it brought back; Esc; page controls kept clear of a corner survey. The
    view listens with `keydown` on its shadow root and `focusin` on the document."""

    def __init__(self, view: object) -> None:
        self.view = view
        self.previous = None  # where focus was before it entered the survey
        self.clear_check = None  # the deferred check that a focused page control is in view
        self.clear_timer = None

    def remember(self) -> None:
        """A modal survey takes focus: where it was goes back on close (not our old host,
        on a rehost)."""
        if self.view.modal and absent(self.previous):
            self.previous = js.document.activeElement

    def focusin(self, event: object) -> None:
        if self.view.modal:
            self._escaped(event)
        else:
            self._page_focus(event)

    def keydown(self, event: object) -> None:
        """Esc leaves the survey (`SurveyView.escape`); Tab stays inside a modal one."""
        view = self.view
        key = event.key
        if key == "Escape":
            event.preventDefault()
            view.escape()
        elif key == "Tab" and view.modal:
            trap(event, view.panel, view.root.activeElement)

    def _escaped(self, event: object) -> None:
        """Focus that leaves a modal survey is brought back."""
        target = event.target
        if absent(target) or not target.isSameNode(self.view.host):
            focus_first(self.view.screen)

    def _page_focus(self, event: object) -> None:
        """Focus moved on the page, or into the survey. Into the survey: remember where it
        came from, to return it there on close. Onto a page control: once the browser has
        scrolled it into view, make sure the panel does not hide it (`keep_clear`)."""
        view = self.view
        target = event.target
        if absent(target) or view.host is None:
            return
        if target.isSameNode(view.host):
            came_from = event.relatedTarget
            if not absent(came_from) and not came_from.isSameNode(view.host):
                self.previous = came_from
            return
        if self.clear_check is None:
            self.clear_check = proxy(view.guard(self._keep_clear))
            view.proxies.append(self.clear_check)  # freed with the view's
        if self.clear_timer is None:
            self.clear_timer = js.setTimeout(self.clear_check, 0)

    def _keep_clear(self, *_: object) -> None:
        self.clear_timer = None
        keep_clear(self.view.host, self.view.panel)

    def stop(self) -> None:
        """The survey is closing: no more checks."""
        if self.clear_timer is not None:
            js.clearTimeout(self.clear_timer)

    def give_back(self, inside: bool) -> None:
        """The survey has gone: focus goes back to the page when the survey had it (a modal
        one always has)."""
        if self.view.modal or inside:
            return_focus(self.previous)
        self.previous = None
