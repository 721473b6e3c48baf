"""Accessibility that axe cannot see (issue 16), on both runtimes: focus never hidden under a
corner, top or bottom survey (WCAG 2.4.11), focus returned when a survey closes (2.4.3),
required questions marked (3.3.2, 4.1.2), states that stand out from any accent (1.4.11),
selection that does not move focus or the survey on (3.2.2), descriptions that outlive an
error, text that follows the browser's font size (1.4.4), and the demo page."""

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from refiner_server.cli import main as server_cli
from refiner_web.appearance import contrast_ratio
from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server
from tests.e2e.test_dashboard import import_surveys, signed_in
from tests.e2e.test_dashboard import token as token  # the fixture
from tests.e2e.test_preview import BRANCHING
from tests.e2e.test_question_types import typed  # noqa: F401 - a fixture
from tests.e2e.test_widget import animations_done, axe_violations, definition, title

CHOICES = [{"id": "free", "label": "Free"}, {"id": "pro", "label": "Pro"}]
NPS = {"id": "nps", "type": "nps", "title": "How likely?", "required": True}
PICK = {
    "id": "plan",
    "type": "single_choice",
    "title": "Which plan?",
    "required": True,
    "other": True,
    "choices": CHOICES,
}
MANY = {
    "id": "feat",
    "type": "multiple_choice",
    "title": "Which features?",
    "description": "Pick two or three",
    "required": True,
    "other": True,
    "choices": [{"id": "a", "label": "Alerts"}, {"id": "b", "label": "Boards"}],
}
WHY = {"id": "why", "type": "text", "title": "Why?", "required": True, "max_length": 50}
ONE = [{"id": "stars", "type": "rating", "title": "Stars?", "scale": 5}]


def at(position: str) -> dict:
    return {"position": position, "theme": "light"}


FORMS = [
    definition("a-corner", [NPS, PICK, MANY, WHY]),
    definition("a-one", ONE),
    definition("a-auto", ONE, thank_you={"title": "Thanks", "auto_close_s": 1}),
    definition("a-top", [NPS], appearance=at("top")),
    definition("a-yellow", [NPS, MANY], appearance={"theme": "light", "accent": "#ffff00"}),
    definition("a-black", [NPS, MANY], appearance={"theme": "dark", "accent": "#111111"}),
]
RECORD = """<script>
  window.closes = []; window.dismissed = [];
  _refiner('onClose', function (id) { window.closes.push(id); });
  _refiner('onDismiss', function (id) { window.dismissed.push(id); });
</script>"""
PAGE = '<main><h1>Host</h1><button id="opener" type="button">Open</button></main>'
SHADOW = "document.querySelector('refiner-survey').shadowRoot"


@pytest.fixture(scope="module")
def forms(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("a11y") / "forms.json"
    path.write_text(json.dumps(FORMS), "utf-8")
    command = ["survey", "import", str(path), "--project", "demo", "--db", _server_session.db_url]
    assert server_cli(command) == 0


def start(host: HostPage, body: str = PAGE, locale: str = "") -> None:
    setup = RECORD
    if locale:
        setup += "<script>_refiner('setLocale', %s)</script>" % json.dumps(locale)
    host.open(body, after_loader=setup)
    host.wait_ready()


def show(host: HostPage, form_id: str) -> Any:
    host.page.evaluate("id => _refiner('showForm', id, true)", form_id)
    host.page.wait_for_selector("refiner-survey[data-form='%s'] .title" % form_id)
    return host.page.locator("refiner-survey")


def gone(host: HostPage) -> None:
    host.page.wait_for_function("!document.querySelector('refiner-survey')")


def page_focus(host: HostPage) -> str:
    """The id (or tag) of what has the page's focus."""
    return host.page.evaluate("document.activeElement.id || document.activeElement.tagName")


def inside(host: HostPage, script: str) -> Any:
    """`script` on the survey's focused element (`a`)."""
    code = "(() => { const a = %s.activeElement; return %s; })()" % (SHADOW, script)
    return host.page.evaluate(code)


def rgb(text: str) -> str:
    """`rgb(r, g, b)` as `#rrggbb`."""
    parts = text[text.index("(") + 1 : text.index(")")].split(",")
    return "#" + "".join("%02x" % int(float(p)) for p in parts[:3])


# -- 2.4.11 focus not obscured, and Esc ---------------------------------------------------------

IN_VIEW_AND_CLEAR = (
    "(() => { const a = document.activeElement.getBoundingClientRect();"
    " const p = %s.querySelector('.panel').getBoundingClientRect();"
    " const apart = a.right <= p.left || p.right <= a.left || a.bottom <= p.top"
    " || p.bottom <= a.top;"
    " return apart && a.top >= 0 && a.bottom <= innerHeight; })()" % SHADOW
)


def tab_through_page(host: HostPage, count: int) -> None:
    """Tab onto each of `count` page controls; each must end up in view and clear of the
    panel (waited for: the widget scrolls after the browser has brought it into view)."""
    for n in range(count):
        host.page.keyboard.press("Tab")
        assert page_focus(host) == "c%d" % n
        host.page.wait_for_function(IN_VIEW_AND_CLEAR, timeout=5000)


def test_page_controls_are_never_hidden_under_a_corner_survey(host: HostPage, forms: None) -> None:
    """320x640, bottom-right: controls mid-page are scrolled clear; the last ones, which the
    page cannot scroll any higher, get the panel out of their way (it moves to the top)."""
    host.page.set_viewport_size({"width": 320, "height": 640})
    body = "<main>%s</main>" % "".join(
        '<p><button id="c%d" type="button">Control %d</button></p>' % (n, n) for n in range(18)
    )
    start(host, body)
    survey = show(host, "a-corner")
    assert survey.get_by_role("dialog").get_attribute("aria-modal") is None
    tab_through_page(host, 18)
    assert survey.get_attribute("data-yield") is not None  # the end of the page: it gave way
    assert host.errors() == []


def test_links_at_the_top_are_not_hidden_under_a_top_survey(host: HostPage, forms: None) -> None:
    """1280x800, top: the page is at its top and cannot scroll, so the panel gives way."""
    host.page.set_viewport_size({"width": 1280, "height": 800})
    body = (
        '<main style="max-width:40rem;margin:2rem auto"><h1>Demo</h1><p>'
        '<a id="c0" href="#one">One</a> · <a id="c1" href="#two">Two</a></p></main>'
    )
    start(host, body)
    show(host, "a-top")
    tab_through_page(host, 2)
    assert host.errors() == []


def test_a_small_viewport_makes_the_survey_a_modal(host: HostPage, forms: None) -> None:
    """320x256 (and 1280x800 at 400 % zoom is 320x200): no room beside the panel, so it is a
    modal: focus moves in, Tab stays inside, Esc dismisses and focus returns."""
    host.page.set_viewport_size({"width": 320, "height": 256})
    start(host)
    host.page.focus("#opener")
    survey = show(host, "a-corner")
    assert survey.get_by_role("dialog").get_attribute("aria-modal") == "true"
    host.page.wait_for_function("document.activeElement.localName === 'refiner-survey'")
    for _ in range(5):
        host.page.keyboard.press("Tab")
        assert page_focus(host) == "REFINER-SURVEY"
    host.page.keyboard.press("Escape")
    gone(host)
    assert host.page.evaluate("window.dismissed") == ["a-corner"]
    assert page_focus(host) == "opener"


def test_escape_closes_a_corner_survey_without_dismissing(host: HostPage, forms: None) -> None:
    start(host)
    host.page.focus("#opener")
    show(host, "a-corner")
    host.page.keyboard.press("Tab")  # into the survey: its x
    assert inside(host, "a.getAttribute('aria-label')") == "Close survey"
    host.page.keyboard.press("Escape")
    gone(host)
    assert host.page.evaluate("[window.closes, window.dismissed]") == [["a-corner"], []]
    assert page_focus(host) == "opener"


# -- 2.4.3 focus returns when a corner survey closes ------------------------------------------


def finish_by_keyboard(host: HostPage) -> None:
    key = host.page.keyboard.press
    key("Tab")  # x
    key("Tab")  # 1 of 5 stars
    key("End")
    key("Enter")  # Enter on the chosen value goes on
    host.page.wait_for_function(SHADOW + ".querySelector('.panel.done')")


def test_focus_returns_to_the_page_when_a_corner_survey_closes(host: HostPage, forms: None) -> None:
    start(host)
    page = host.page
    page.focus("#opener")
    show(host, "a-one")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the x
    gone(host)
    assert page_focus(host) == "opener"
    page.focus("#opener")
    show(host, "a-one")
    finish_by_keyboard(host)
    assert inside(host, "a.textContent") == "Close"
    page.keyboard.press("Enter")
    gone(host)
    assert page_focus(host) == "opener"
    page.focus("#opener")
    show(host, "a-auto")
    finish_by_keyboard(host)
    gone(host)  # closes by itself after a second
    assert page_focus(host) == "opener"
    page.focus("#opener")
    show(host, "a-one")
    page.keyboard.press("Tab")
    page.evaluate("document.getElementById('opener').remove()")  # the page moved on
    page.keyboard.press("Enter")
    gone(host)
    assert page_focus(host) == "MAIN"  # the page's main landmark, not the body
    assert host.errors() == []


def test_a_survey_closed_while_focus_is_on_the_page_leaves_it_there(
    host: HostPage, forms: None
) -> None:
    start(host)
    show(host, "a-one")
    host.page.focus("#opener")
    host.page.evaluate("_refiner('closeForm', 'a-one')")
    gone(host)
    assert page_focus(host) == "opener"


# -- 3.3.2 / 4.1.2 required questions ---------------------------------------------------------


def test_required_questions_are_marked_on_screen_and_on_the_group(
    host: HostPage, forms: None
) -> None:
    start(host)
    survey = show(host, "a-corner")
    assert survey.locator(".required").text_content() == "Required"
    assert survey.get_by_role("radiogroup").get_attribute("aria-required") == "true"
    survey.get_by_role("radio", name="8 of 10").click()
    assert title(host) == "Which plan?"
    assert survey.locator(".required").is_visible()
    assert survey.get_by_role("radiogroup").get_attribute("aria-required") == "true"
    survey.get_by_text("Pro").click()
    survey.get_by_role("button", name="Next").click()
    group = survey.get_by_role("group")  # aria-required is not allowed here: described instead
    assert "rf-req" in group.get_attribute("aria-describedby").split()
    survey.get_by_text("Alerts").click()
    survey.get_by_role("button", name="Next").click()
    assert survey.get_by_role("textbox").get_attribute("aria-required") == "true"
    host.page.evaluate("_refiner('closeForm', 'a-corner'); _refiner('setLocale', 'de')")
    gone(host)
    survey = show(host, "a-corner")
    assert survey.locator(".required").text_content() == "Pflichtfrage"


# -- 1.4.11 the selected state stands out whatever the accent ---------------------------------


@pytest.mark.parametrize(("form_id", "panel"), [("a-yellow", "#ffffff"), ("a-black", "#1f2937")])
def test_selected_states_stand_out_from_any_accent(
    host: HostPage, forms: None, form_id: str, panel: str
) -> None:
    start(host)
    survey = show(host, form_id)

    def colour(locator: Any, prop: str) -> str:
        return rgb(locator.evaluate("(e, p) => getComputedStyle(e)[p]", prop))

    assert colour(survey.locator(".panel"), "backgroundColor") == panel
    item = survey.get_by_role("radio", name="8 of 10")
    item.focus()
    host.page.keyboard.press(" ")  # picks, stays
    assert item.get_attribute("aria-checked") == "true"
    assert contrast_ratio(colour(item, "backgroundColor"), panel) >= 3
    survey.get_by_role("button", name="Next").click()
    track = colour(survey.locator(".progress"), "backgroundColor")
    assert contrast_ratio(colour(survey.locator(".bar"), "backgroundColor"), track) >= 3
    assert contrast_ratio(colour(survey.locator(".bar"), "backgroundColor"), panel) >= 3
    survey.get_by_text("Alerts").click()
    chosen = survey.locator(".choice").first
    assert contrast_ratio(colour(chosen, "borderTopColor"), panel) >= 3
    mark = chosen.evaluate("e => getComputedStyle(e, '::after').content")
    assert "\u2713" in mark  # a check mark, whatever the colours


# -- 3.2.2 selection is selection --------------------------------------------------------------


def test_selection_does_not_move_focus_or_the_survey(host: HostPage, forms: None) -> None:
    start(host)
    page = host.page
    survey = show(host, "a-corner")
    survey.get_by_role("radio", name="5 of 10").focus()
    page.keyboard.press(" ")  # picks "5", stays
    assert title(host) == "How likely?"
    survey.get_by_role("radio", name="7 of 10").focus()
    page.keyboard.press("Enter")  # Enter on a value not chosen only picks it
    assert title(host) == "How likely?"
    checked = "a.getAttribute('aria-label') + ' ' + a.getAttribute('aria-checked')"
    assert inside(host, checked) == "7 of 10 true"
    page.keyboard.press("Enter")  # and on the chosen one goes on
    assert title(host) == "Which plan?"
    survey.get_by_role("radio", name="Free").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # onto "Other": its box appears, focus stays
    assert survey.locator("input.other").is_visible()
    assert inside(host, "a.value") == "other"
    page.keyboard.press("Tab")  # the person moves on to it
    assert inside(host, "a.className") == "other"
    page.keyboard.type("Team")
    page.keyboard.press("Enter")
    assert title(host) == "Which features?"
    survey.get_by_role("checkbox", name="Other").focus()
    page.keyboard.press(" ")
    assert survey.locator("input.other").is_visible()
    assert inside(host, "a.value + ' ' + a.checked") == "other true"
    assert host.errors() == []


# -- descriptions that outlive an error --------------------------------------------------------


def test_descriptions_come_back_when_an_error_is_fixed(host: HostPage, forms: None) -> None:
    start(host)
    page = host.page
    survey = show(host, "a-corner")
    group = survey.get_by_role("radiogroup")
    assert group.get_attribute("aria-describedby") == "rf-low rf-high"
    survey.get_by_role("button", name="Next").click()
    assert group.get_attribute("aria-describedby") == "rf-low rf-high rf-error"
    survey.get_by_role("radio", name="3 of 10").focus()
    page.keyboard.press(" ")
    assert group.get_attribute("aria-describedby") == "rf-low rf-high"
    page.keyboard.press("Enter")
    survey.get_by_text("Free").click()
    survey.get_by_role("button", name="Next").click()  # a list with "Other" waits
    group = survey.get_by_role("group")
    assert group.get_attribute("aria-describedby") == "rf-req rf-desc"
    assert survey.locator("#rf-desc").text_content() == "Pick two or three"
    survey.get_by_text("Boards").click()
    survey.get_by_role("button", name="Next").click()
    box = survey.get_by_role("textbox")
    assert box.get_attribute("aria-describedby") == "rf-count"
    survey.get_by_role("button", name="Submit").click()
    assert box.get_attribute("aria-describedby") == "rf-count rf-error"
    box.fill("Fast")
    assert box.get_attribute("aria-describedby") == "rf-count"


# -- 1.4.4 text follows the browser's font size ------------------------------------------------


def test_the_browser_font_size_setting_enlarges_the_survey(host: HostPage, forms: None) -> None:
    cdp = host.page.context.new_cdp_session(host.page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 24}})  # Settings > Font size
    start(host)
    survey = show(host, "a-corner")
    size = survey.locator(".panel").evaluate("e => getComputedStyle(e).fontSize")
    assert size == "22.5px"  # 15/16 of the root, as 15px is of 16px
    assert survey.locator(".title").evaluate("e => getComputedStyle(e).fontSize") == "25.5px"
    host.page.evaluate("document.documentElement.style.fontSize = '10px'")
    assert survey.locator(".panel").evaluate("e => getComputedStyle(e).fontSize") == "15px"


# -- the demo page ----------------------------------------------------------------------------


def test_demo_page_log_takes_focus_and_links_read_in_dark_mode(host: HostPage, forms: None) -> None:
    page = host.page
    page.emulate_media(color_scheme="dark")
    page.goto(host.base_url + "/?runtime=" + host.runtime)
    log = page.locator("#log")
    assert log.get_attribute("tabindex") == "0"
    assert page.get_by_role("list", name="Callbacks").count() == 1
    ground = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    for link in page.locator("main p a").all():
        text = rgb(link.evaluate("e => getComputedStyle(e).color"))
        assert contrast_ratio(text, ground) >= 4.5, (link.text_content(), text, ground)


# -- issue 19's question types under axe-core, light and dark -----------------------------------


@pytest.mark.usefixtures("typed")
@pytest.mark.parametrize(("form_id", "scheme"), [("t-mouse", "light"), ("t-dark", "dark")])
def test_axe_finds_nothing_on_the_new_types_and_their_errors(
    host: HostPage, built_static: dict, form_id: str, scheme: str
) -> None:
    """Matrix, ranking, date, consent, call to action: each as drawn, and each refusal
    (a matrix row missing, a date out of range, the consent not given) as drawn."""
    host.page.emulate_media(color_scheme=scheme)
    start(host)
    host.page.add_script_tag(url=built_static["base"] + built_static["axe"])
    survey = show(host, form_id)
    animations_done(host)
    for step in ("matrix", "ranking", "date", "consent", "cta"):
        assert axe_violations(host) == [], step
        if step == "cta":
            break
        if step == "ranking":
            survey.get_by_role("button", name="Move Alerts down").click()
        elif step == "date":
            survey.locator("input[type=date]").fill("2027-01-01")
        if step != "ranking":
            survey.get_by_role("button", name="Next").click()  # refused: the error state
            assert survey.locator(".error").text_content(), step
            assert axe_violations(host) == [], step + " error"
        if step == "matrix":
            survey.get_by_role("radio", name="Speed: OK").click()
            survey.get_by_role("radio", name="Price: Good").click()
        elif step == "date":
            survey.locator("input[type=date]").fill("2026-05-05")
        elif step == "consent":
            survey.get_by_role("checkbox").check()
        survey.get_by_role("button", name="Next").click()
    assert title(host) == "Talk to us?"


# -- the dashboard's preview -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_preview_page_and_its_frame_have_no_axe_violations(
    browser: Browser,
    server: Server,
    token: str,
    built_static: dict[str, Any],
    tmp_path: Path,
    scheme: str,
) -> None:
    """The owner's preview page, and the frame with a survey drawn in the same scheme
    (axe runs in each document: the frame is another origin, which axe does not enter)."""
    import_surveys(server, tmp_path, BRANCHING)
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {"bypass_csp": True, "color_scheme": scheme}  # axe is a script: let it in
    with signed_in(browser, server, token, **options) as context:
        page = context.new_page()
        page.set_default_timeout(READY_TIMEOUT_S * 1000)
        page.goto(server.base_url + "/admin/projects/demo/surveys/pv-branch/preview")
        page.get_by_label("Theme").select_option(scheme)
        frame = page.frame_locator("#preview-frame")
        frame.locator(f"refiner-survey .panel.theme-{scheme} .title").wait_for()
        page.add_script_tag(url=axe)
        found = page.evaluate(
            "axe.run(document, {iframes: false, resultTypes: ['violations']}).then(r =>"
            " r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' '))))"
        )
        assert found == [], "preview page"
        inner = page.query_selector("#preview-frame").content_frame()
        inner.add_script_tag(url=axe)
        found = inner.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r =>"
            " r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' '))))"
        )
        assert found == [], "preview frame"
