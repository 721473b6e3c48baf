"""The survey's host element in the page: its tag name, its shadow root and the styles in it
(by the CSP nonce where a page needs one), the panel that frames the questions, and the move
to a new host when the page takes the tag's name. `warn(message)` is the client's warning
path."""

import js

from refiner_web.dom import attrs, el
from refiner_web.ffi import JsRefused, absent, guarded, proxy

HOST_TAG = "refiner-survey"
_css = []
#: the open views, found by their host's name when the page takes it (`refiner_web.widget`)
on_screen = []
_watched = []  # host names watched with `customElements.whenDefined`, one handler each


def _styles(warn) -> str:  # noqa: ANN001
    """static/widget.css, which build.py ships inside the package as refiner_web/widget.css
    (read once; the loader and PyScript both put it next to this module)."""
    if not _css:
        try:
            with open(__file__.rsplit("/", 1)[0] + "/widget.css") as handle:
                _css.append(handle.read())
        except OSError:
            warn("widget.css is missing from the package; unstyled")
            _css.append("")
    return _css[0]


def _registry(method: str, tag: str) -> object:
    """`customElements[method](tag)`, or None in a window without the registry. The page
    may have made the registry throw: `guarded` turns that into an exception Python can
    catch (JsRefused)."""
    registry = guarded("customElements", js.Reflect.get, js.window, "customElements")
    if not js.Boolean(registry):
        return None
    return guarded("customElements", getattr(registry, method).bind(registry), tag)


def _free_tag() -> str:
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


def new_host(position: str, form_id: str, modal: bool, nonce: object, warn) -> tuple:  # noqa: ANN001
    """(host, shadow root) for a survey: a host element of a free tag name, not yet in the
    page, and its open shadow root with the widget's styles. Raises when the page will not
    let us attach one (it may patch `attachShadow` to throw)."""
    host = js.document.createElement(_free_tag())
    attrs(host, [("data-position", position), ("data-form", form_id)])
    if modal:
        host.setAttribute("data-modal", "")
    options = js.Object.new()
    options.mode = "open"
    root = guarded("attachShadow", host.attachShadow.bind(host), options)
    add_styles(root, nonce, warn)
    return host, root


def add_styles(root: object, nonce: object, warn) -> None:  # noqa: ANN001
    """A constructed style sheet (not subject to the page's `style-src`), else <style> with
    the nonce of the loader's tag or of a PyScript app's (a page whose `style-src` allows
    styles by nonce only)."""
    css = _styles(warn)
    try:
        sheet = js.CSSStyleSheet.new()
        sheet.replaceSync(css)
        sheets = js.Array.new()
        sheets.push(sheet)
        root.adoptedStyleSheets = sheets
    except Exception:  # noqa: BLE001 - browsers without constructable sheets
        style = js.document.createElement("style")
        if nonce:
            style.setAttribute("nonce", nonce)
        style.textContent = css
        root.appendChild(style)


def _reduced_motion() -> bool:
    try:
        return bool(js.window.matchMedia("(prefers-reduced-motion: reduce)").matches)
    except Exception:  # noqa: BLE001 - a window without matchMedia, or a page that broke it
        return False


def frame(root: object, run: object, look: dict, modal: bool) -> tuple:
    """The panel in the shadow root, in the survey's theme, colours, language and direction:
    (panel, progress meter, its bar, dismiss button, screen for the questions, live region
    for a corner survey's announcements or None). `run` is the `SurveyRun`, `look` its
    `appearance()`."""
    classes = "panel theme-%s pos-%s" % (look["theme"], look["position"])
    if not _reduced_motion():
        classes += " animated"
    panel = el("div", classes, None, root)
    attrs(panel, [("role", "dialog"), ("aria-labelledby", "rf-title")])
    panel.setAttribute("dir", run.direction())
    if run.translation_key is not None:
        panel.setAttribute("lang", run.translation_key)
    if modal:
        panel.setAttribute("aria-modal", "true")
    for name, key in (
        ("--rf-accent", "accent"),
        ("--rf-on-accent", "accent_text"),
        ("--rf-mark-light", "mark_light"),
        ("--rf-on-mark-light", "mark_text_light"),
        ("--rf-mark-dark", "mark_dark"),
        ("--rf-on-mark-dark", "mark_text_dark"),
    ):
        panel.style.setProperty(name, look[key])
    top = el("div", "top", None, panel)
    meter = attrs(
        el("div", "progress", None, top),
        [("role", "progressbar"), ("aria-valuemin", "0"), ("aria-valuemax", "100")],
    )
    bar = el("div", "bar", None, meter)
    dismiss = el("button", "dismiss", "×", top)
    attrs(dismiss, [("type", "button"), ("aria-label", run.text("dismiss"))])
    screen = el("div", "screen", None, panel)
    live = None
    if not modal:
        live = el("div", "sr-only", None, panel)
        attrs(live, [("aria-live", "polite"), ("aria-atomic", "true")])
    return panel, meter, bar, dismiss, screen, live


def insert(host: object, page: bool = False) -> None:
    """Puts the host at the end of the page's body (of its root element when it has none);
    on the link page (`page`), into its <main>."""
    doc = js.document
    main = doc.getElementById("refiner-page") if page else None
    if page and not absent(main):
        main.appendChild(host)
        return
    (doc.documentElement if absent(doc.body) else doc.body).appendChild(host)


def watch_tag(tag: str) -> None:
    """A page may define a custom element of our host's name while a survey shows: the
    upgrade runs its constructor and callbacks on our host, and they may take our open
    shadow root. `whenDefined` says so (after the upgrade) and the survey moves to a host
    of a free name (`SurveyView.rehost`). One handler a name, kept for the life of the page."""
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
    for view in list(on_screen):
        if view.host is not None and view.host.localName == tag:
            view.guard(view.rehost)()  # runs in a promise reaction: never raise there


def detach(host: object, warn) -> None:  # noqa: ANN001
    """Takes our host out of the page with the DOM's own `remove`: a page that took the
    host's name may override `remove` on its element class, and MicroPython cannot catch
    what that throws."""
    try:
        guarded("remove", js.Element.prototype.remove.bind(host))
    except JsRefused:
        warn("the page would not let a survey's host go")
