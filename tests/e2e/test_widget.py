"""The survey widget on both runtimes, driven through the real client (`showForm(id, true)`)
with survey definitions imported into the e2e server's database: every question type by
mouse and by keyboard, required and optional, branching and back, translations and RTL,
positions at 320 px, hostile host CSS, markup in survey text, axe-core, modal focus."""

import json
from typing import Any

import pytest

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import HostPage, Server

CHOICES = [{"id": "free", "label": "Free"}, {"id": "pro", "label": "Pro"}]
ALL_TYPES = [
    {"id": "nps", "type": "nps", "title": "How likely are you to recommend us?", "required": True},
    {"id": "stars", "type": "rating", "title": "Rate the app", "scale": 5, "style": "stars"},
    {"id": "nums", "type": "rating", "title": "Rate the docs", "scale": 7, "style": "numbers"},
    {"id": "csat", "type": "csat", "title": "How satisfied are you?"},
    {"id": "csat2", "type": "csat", "title": "How satisfied with support?", "style": "labels"},
    {"id": "emoji", "type": "emoji", "title": "How do you feel today?"},
    {"id": "plan", "type": "single_choice", "title": "Which plan?", "choices": CHOICES},
    {
        "id": "feat",
        "type": "multiple_choice",
        "title": "Which features?",
        "max": 2,
        "other": True,
        "choices": [{"id": "a", "label": "Alerts"}, {"id": "b", "label": "Boards"}],
    },
    {
        "id": "why",
        "type": "text",
        "title": "What could be better?",
        "multiline": True,
        "max_length": 200,
    },
    {"id": "mail", "type": "email", "title": "Your email, if we may follow up?"},
    {
        "id": "bye",
        "type": "statement",
        "title": "That is all",
        "description": "Thanks a lot.",
        "link": {"label": "Our blog", "url": "https://example.com/blog"},
    },
]


def definition(form_id: str, questions: list, **extra: Any) -> dict:
    return {
        "id": form_id,
        "name": form_id,
        "status": "live",
        "questions": questions,
        "thank_you": {"title": "Thank you!", "auto_close_s": 0},
        "trigger": {"type": "manual"},
        "appearance": {"position": "bottom-right", "theme": "light"},
        **extra,
    }


ALL = definition("w-all", ALL_TYPES)
DARK = definition("w-dark", ALL_TYPES, appearance={"position": "bottom-left", "theme": "dark"})
MODAL = definition("w-modal", ALL_TYPES[:2], appearance={"position": "center", "theme": "light"})
BRANCH = definition(
    "w-branch",
    [
        {"id": "score", "type": "nps", "title": "Score?", "required": True},
        {"id": "why", "type": "text", "title": "Why so low?"},
        {"id": "plan", "type": "single_choice", "title": "Plan?", "choices": CHOICES},
        {"id": "stars", "type": "rating", "title": "Stars?", "scale": 5},
    ],
    logic=[
        {"if": {"question": "score", "op": "gte", "value": 9}, "goto": "stars"},
        {"if": {"question": "plan", "op": "eq", "value": "free"}, "goto": "end"},
    ],
)
LOCALE = definition(
    "w-locale",
    [
        {
            "id": "score",
            "type": "nps",
            "title": "How likely?",
            "labels": {"low": "Not likely", "high": "Very likely"},
        },
        {"id": "plan", "type": "single_choice", "title": "Which plan?", "choices": CHOICES},
    ],
    translations={
        "de": {
            "questions": {
                "score": {"title": "Wie wahrscheinlich?", "labels": {"low": "Kaum"}},
                "plan": {"choices": {"pro": "Profi"}},
            }
        },
        "ar": {"questions": {"score": {"title": "ما مدى احتمال؟"}}, "thank_you": {"title": "شكرا"}},
    },
)
POSITIONS = ["bottom-right", "bottom-left", "top", "bottom", "center"]
POSITION_FORMS = [
    definition(
        "w-pos-" + p, ALL_TYPES[:1] + ALL_TYPES[7:8], appearance={"position": p, "theme": "auto"}
    )
    for p in POSITIONS
]
PAYLOAD = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">'
HOSTILE = definition(
    "w-markup",
    [
        {
            "id": "n",
            "type": "nps",
            "title": PAYLOAD,
            "description": PAYLOAD,
            "labels": {"low": PAYLOAD, "high": PAYLOAD},
        },
        {
            "id": "c",
            "type": "multiple_choice",
            "title": PAYLOAD,
            "other": True,
            "other_label": PAYLOAD,
            "choices": [{"id": "x", "label": PAYLOAD}],
        },
        {"id": "t", "type": "text", "title": PAYLOAD, "placeholder": PAYLOAD, "button": PAYLOAD},
        {
            "id": "s",
            "type": "statement",
            "title": PAYLOAD,
            "link": {"label": PAYLOAD, "url": "https://example.com/?q=1&r=2"},
        },
        {
            "id": "j",
            "type": "statement",
            "title": "js link",
            "link": {"label": "click", "url": "javascript:window.__pwned=1"},
        },
    ],
    thank_you={"title": PAYLOAD, "description": PAYLOAD, "button": PAYLOAD},
    appearance={"position": "bottom-right", "accent": 'red}</style><img src=x onerror="1">'},
    translations={"de": {"questions": {"n": {"title": PAYLOAD + " de"}}}},
)
#: HOSTILE holds what the server's import now refuses (a javascript: link, a broken accent):
#: the page gets it straight from a route, to show the widget's own defences.
FORMS = [ALL, DARK, MODAL, BRANCH, LOCALE, *POSITION_FORMS]

PAGE = (
    "<main><h1>Host page</h1><p>Some content.</p>"
    '<button id="opener" type="button">Page button</button></main>'
)
RECORD = """<script>
  window.completed = null; window.dismissed = [];
  _refiner('onComplete', function (id, data) { window.completed = data; });
  _refiner('onDismiss', function (id) { window.dismissed.push(id); });
</script>"""
SR = "document.querySelector('refiner-survey').shadowRoot"


@pytest.fixture(scope="module")
def forms(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The widget's test surveys, imported through the real CLI."""
    path = tmp_path_factory.mktemp("widget") / "forms.json"
    path.write_text(json.dumps(FORMS), "utf-8")
    command = ["survey", "import", str(path), "--project", "demo", "--db", _server_session.db_url]
    assert server_cli(command) == 0


def start(host: HostPage, *, head: str = "", body: str = PAGE, locale: str = "") -> None:
    setup = RECORD
    if locale:
        setup += "<script>_refiner('setLocale', %s)</script>" % json.dumps(locale)
    host.open(body, head=head, after_loader=setup)
    host.wait_ready()


def show(host: HostPage, form_id: str) -> Any:
    host.page.evaluate("id => _refiner('showForm', id, true)", form_id)
    host.page.wait_for_selector("refiner-survey[data-form='%s'] .title" % form_id)
    return host.page.locator("refiner-survey")


def animations_done(host: HostPage) -> None:
    """Until the enter animation (any animation of the page and of the surveys' shadow
    trees, which `document.getAnimations()` leaves out) has finished: a busy machine may
    take longer than its 200 ms."""
    host.page.evaluate(
        "Promise.all([document, ...[...document.querySelectorAll('refiner-survey')]"
        ".map(e => e.shadowRoot)].flatMap(r => r.getAnimations())"
        ".map(a => a.finished.catch(() => null))).then(() => true)"
    )


def title(host: HostPage) -> str:
    return host.page.locator("refiner-survey .title").text_content()


def gone(host: HostPage) -> None:
    host.page.wait_for_function("!document.querySelector('refiner-survey')")


def completed(host: HostPage) -> dict:
    host.page.wait_for_function("window.completed !== null")
    return host.page.evaluate("window.completed")


def active(host: HostPage) -> Any:
    """What has the focus inside the widget: its aria-label, text or tag; None outside."""
    return host.page.evaluate(
        "(() => { const h = document.querySelector('refiner-survey');"
        " if (!h || document.activeElement !== h) return null;"
        " const a = h.shadowRoot.activeElement;"
        " return a && (a.getAttribute('aria-label') || a.textContent || a.tagName); })()"
    )


EXPECTED = {
    "nps": 9,
    "stars": 4,
    "nums": 7,
    "csat": 2,
    "csat2": 3,
    "emoji": 5,
    "plan": "pro",
    "feat": ["a", "other"],
    "feat_other": "Mine",
    "why": "Because",
    "mail": "a@b.co",
}


def test_every_type_answered_by_mouse(host: HostPage, forms: None) -> None:
    start(host)
    survey = show(host, "w-all")
    survey.get_by_role("button", name="Next").click()  # required: stays, says why
    assert survey.get_by_role("alert").text_content() == "This question is required."
    assert survey.get_by_role("radiogroup").get_attribute("aria-invalid") == "true"
    assert title(host) == "How likely are you to recommend us?"
    survey.get_by_role("radio", name="9 of 10").click()
    survey.get_by_role("radio", name="4 of 5 stars").click()
    survey.get_by_role("radio", name="7 of 7").click()
    survey.get_by_role("radio", name="Unsatisfied", exact=True).click()
    survey.get_by_role("radio", name="Neutral").click()
    survey.get_by_role("radio", name="Great").click()
    survey.get_by_text(
        "Pro", exact=True
    ).click()  # single choice without "other" moves on by itself
    assert title(host) == "Which features?"
    survey.get_by_text("Alerts").click()
    survey.get_by_text("Boards").click()
    survey.get_by_text("Other", exact=True).click()
    survey.get_by_role("button", name="Next").click()
    assert survey.get_by_role("alert").text_content() == "Please choose at most 2."
    survey.get_by_text("Boards").click()
    survey.get_by_role("button", name="Next").click()
    assert survey.get_by_role("alert").text_content() == "Please describe your other answer."
    survey.get_by_role("textbox").fill("Mine")
    survey.get_by_role("button", name="Next").click()
    box = survey.get_by_role("textbox")
    box.fill("Because")
    assert survey.locator(".counter").text_content() == "193 characters left"
    assert box.get_attribute("maxlength") == "200"
    survey.get_by_role("button", name="Next").click()
    survey.get_by_role("textbox").fill("not an address")
    survey.get_by_role("button", name="Next").click()
    assert survey.get_by_role("alert").text_content() == "Please enter a valid email address."
    survey.get_by_role("textbox").fill("a@b.co")
    survey.get_by_role("button", name="Next").click()
    link = survey.get_by_role("link")
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("href") == "https://example.com/blog"
    survey.get_by_role("button", name="Submit").click()
    assert completed(host) == EXPECTED
    assert title(host) == "Thank you!"
    assert survey.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    survey.get_by_role("button", name="Close", exact=True).click()
    gone(host)
    assert host.errors() == []


def test_every_type_answered_by_keyboard_only(host: HostPage, forms: None) -> None:
    start(host)
    page = host.page
    page.focus("#opener")
    show(host, "w-all")
    assert page.evaluate("document.activeElement.id") == "opener"  # a corner survey waits
    key = page.keyboard.press
    key("Tab")
    assert active(host) == "Close survey"
    key("Tab")
    assert active(host) == "0 of 10"
    for _ in range(9):
        key("ArrowRight")
    assert active(host) == "9 of 10"
    assert title(host) == "How likely are you to recommend us?"  # arrows select, not submit
    key("Enter")
    assert title(host) == "Rate the app" and active(host) == "1 of 5 stars"
    for _ in range(3):
        key("ArrowRight")
    key(" ")  # Space selects and stays (selection is selection) ...
    assert title(host) == "Rate the app"
    key("Enter")  # ... Enter on the chosen value goes on
    assert title(host) == "Rate the docs"
    key("End")
    key("Enter")
    key("ArrowRight")  # csat faces: 1 -> 2
    key("Enter")
    key("ArrowDown")
    key("ArrowDown")
    key("Enter")
    key("ArrowLeft")  # emoji: wraps from 1 to 5
    key("Enter")
    assert title(host) == "Which plan?"
    key(" ")
    key("ArrowDown")
    assert title(host) == "Which plan?"  # a radio list waits for Enter
    key("Enter")
    assert title(host) == "Which features?"
    key(" ")
    key("Tab")
    key("Tab")
    key(" ")  # "Other": its text box appears, next in Tab order
    key("Tab")
    page.keyboard.type("Mine")
    key("Enter")
    assert title(host) == "What could be better?"
    page.keyboard.type("Because")
    key("Tab")  # Back
    key("Tab")  # Skip
    key("Tab")  # Next
    key("Enter")
    page.keyboard.type("a@b.co")
    key("Enter")
    assert title(host) == "That is all"
    assert active(host).startswith("Our blog")  # the link comes first
    key("Tab")  # Back
    key("Tab")
    assert active(host) == "Submit"
    key("Enter")
    assert completed(host) == EXPECTED
    assert active(host) == "Close"
    key("Enter")
    gone(host)
    assert host.errors() == []


def test_required_optional_branching_and_back(host: HostPage, forms: None) -> None:
    start(host)
    survey = show(host, "w-branch")
    progress = survey.get_by_role("progressbar")
    assert progress.get_attribute("aria-valuenow") == "0"
    assert survey.get_by_role("button", name="Skip").count() == 0  # required
    assert survey.get_by_role("button", name="Back").count() == 0  # first
    survey.get_by_role("radio", name="9 of 10").click()
    assert title(host) == "Stars?"  # score >= 9 jumps over two questions
    assert progress.get_attribute("aria-valuenow") == "75"
    assert progress.get_attribute("aria-label") == "Question 4 of 4"
    survey.get_by_role("button", name="Back").click()
    assert title(host) == "Score?"
    assert survey.get_by_role("radio", name="9 of 10").get_attribute("aria-checked") == "true"
    survey.get_by_role("radio", name="3 of 10").click()
    assert title(host) == "Why so low?"
    survey.get_by_role("textbox").fill("Slow")
    survey.get_by_role("button", name="Back").click()
    survey.get_by_role("radio", name="3 of 10").click()
    assert survey.get_by_role("textbox").input_value() == "Slow"  # kept on the way back
    survey.get_by_role("button", name="Skip").click()  # optional
    assert title(host) == "Plan?"
    assert survey.get_by_role("button", name="Next").count() == 1
    survey.get_by_text("Free").click()  # plan = free ends the survey
    assert completed(host) == {"score": 3, "plan": "free"}
    assert title(host) == "Thank you!"


def test_translation_fallback_and_right_to_left(host: HostPage, forms: None) -> None:
    start(host, locale="de-AT")
    survey = show(host, "w-locale")
    panel = survey.get_by_role("dialog")
    assert panel.get_attribute("dir") == "ltr" and panel.get_attribute("lang") == "de"
    assert title(host) == "Wie wahrscheinlich?"
    assert survey.locator(".ends").inner_text().split("\n") == ["Kaum", "Very likely"]
    assert survey.get_by_role("button", name="Umfrage schließen").count() == 1
    survey.get_by_role("radio", name="5 von 10").click()
    labels = survey.locator(".choice").all_inner_texts()
    assert [t.strip() for t in labels] == ["Free", "Profi"]
    assert survey.get_by_role("button", name="Absenden").count() == 1
    host.page.evaluate("_refiner('closeForm', 'w-locale'); _refiner('setLocale', 'ar-EG')")
    gone(host)
    survey = show(host, "w-locale")
    panel = survey.get_by_role("dialog")
    assert panel.get_attribute("dir") == "rtl" and panel.get_attribute("lang") == "ar"
    assert title(host) == "ما مدى احتمال؟"
    assert survey.get_by_role("button", name="التالي").count() == 1
    first = survey.get_by_role("radio", name="0 من 10", exact=True)
    box0, box1 = (
        first.bounding_box(),
        survey.get_by_role("radio", name="1 من 10", exact=True).bounding_box(),
    )
    assert box1["x"] < box0["x"]  # laid out right to left
    first.focus()
    host.page.keyboard.press("ArrowLeft")  # in RTL, left is forward
    assert active(host) == "1 من 10"
    assert title(host) == "ما مدى احتمال؟"


def test_every_position_fits_320_px(host: HostPage, forms: None) -> None:
    page = host.page
    page.set_viewport_size({"width": 320, "height": 640})
    start(host)
    page.focus("#opener")
    for position in POSITIONS:
        survey = show(host, "w-pos-" + position)
        animations_done(host)
        box = survey.locator(".panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (position, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= 640, (position, box)
        assert box["width"] >= 280, (position, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        dialog = survey.get_by_role("dialog")
        modal = position == "center"
        assert (dialog.get_attribute("aria-modal") == "true") is modal
        assert (survey.locator(".overlay").count() == 1) is modal
        if position == "bottom-left":
            assert box["x"] < 20
        if position == "top":
            assert box["y"] < 20
        if position in ("bottom", "bottom-right", "bottom-left"):
            assert box["y"] + box["height"] > 600
        survey.get_by_role("radio", name="10 of 10").click()  # usable at this size
        page.evaluate("id => _refiner('closeForm', id)", "w-pos-" + position)
        gone(host)
    page.focus("#opener")
    assert host.errors() == []


def test_reduced_motion_turns_animations_off(host: HostPage, forms: None) -> None:
    start(host)
    survey = show(host, "w-all")
    assert "animated" in survey.locator(".panel").get_attribute("class")
    # read in the same task as the close: a loaded machine may finish the animation (and
    # remove the panel) between two round trips
    leaving = host.page.evaluate(
        "_refiner('closeForm', 'w-all');"
        " document.querySelector('refiner-survey').shadowRoot.querySelector('.panel').className"
    )
    assert "leaving" in leaving
    gone(host)
    host.page.emulate_media(reduced_motion="reduce")
    survey = show(host, "w-all")
    assert "animated" not in survey.locator(".panel").get_attribute("class")
    removed = host.page.evaluate(
        "_refiner('closeForm', 'w-all'); !document.querySelector('refiner-survey')"
    )
    assert removed  # no leave animation: gone at once


HOSTILE_CSS = """<style>
  * { all: unset !important; }
  div { display: none !important; }
  button { font-size: 40px !important; color: red !important; }
  html { font-size: 4px !important; }
  refiner-survey { display: none !important; opacity: 0 !important; }
</style>"""


def test_hostile_host_css_does_not_reach_in(host: HostPage, forms: None) -> None:
    start(host, head=HOSTILE_CSS)
    survey = show(host, "w-all")
    animations_done(host)
    panel = survey.locator(".panel")
    box = panel.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert panel.evaluate("e => getComputedStyle(e).fontSize") == "15px"
    item = survey.get_by_role("radio", name="9 of 10")
    assert item.evaluate("e => getComputedStyle(e).fontSize") == "14px"  # ours, not 40px
    assert item.evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    item.click()
    assert title(host) == "Rate the app"
    # and ours does not leak out: the page's own elements keep the page's styles
    assert (
        host.page.evaluate("getComputedStyle(document.getElementById('opener')).fontSize") == "40px"
    )


def test_markup_in_survey_text_is_shown_literally(host: HostPage, forms: None) -> None:
    host.page.route(
        "**/api/v1/client/demo/forms/w-markup",
        lambda route: route.fulfill(status=200, json=HOSTILE),
    )
    start(host, locale="en")
    survey = show(host, "w-markup")

    def clean() -> None:
        assert host.page.evaluate(SR + ".querySelectorAll('img, b, style').length") == 0
        assert host.page.evaluate("window.__pwned") is None

    assert title(host) == PAYLOAD
    assert survey.locator(".description").text_content() == PAYLOAD
    assert survey.locator(".ends").inner_text().split("\n") == [PAYLOAD, PAYLOAD]
    clean()
    survey.get_by_role("radio", name="5 of 10").click()
    assert survey.locator(".choice").first.text_content() == PAYLOAD
    survey.locator(".choice").nth(1).click()
    other = survey.get_by_role("textbox")
    assert other.get_attribute("aria-label") == PAYLOAD
    other.fill(PAYLOAD)
    clean()
    survey.get_by_role("button", name="Next").click()
    box = survey.get_by_role("textbox")
    assert box.get_attribute("placeholder") == PAYLOAD
    box.fill(PAYLOAD)
    survey.get_by_role("button", name=PAYLOAD).click()
    link = survey.get_by_role("link")
    assert link.text_content().startswith(PAYLOAD)
    assert link.get_attribute("href") == "https://example.com/?q=1&r=2"
    clean()
    survey.get_by_role("button", name="Next").click()
    assert survey.get_by_role("link").count() == 0  # a javascript: URL never renders
    survey.get_by_role("button", name="Submit").click()
    assert title(host) == PAYLOAD
    assert survey.get_by_role("button", name=PAYLOAD).count() == 1
    clean()
    accent = survey.locator(".panel").evaluate("e => e.style.getPropertyValue('--rf-accent')")
    assert accent == "#4f46e5"
    assert completed(host)["c_other"] == PAYLOAD
    assert host.errors() == []


def axe_violations(host: HostPage) -> list:
    result = host.page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"
    )
    return result


@pytest.mark.parametrize("form_id", ["w-all", "w-dark"])
def test_axe_finds_nothing_with_each_question_open(
    host: HostPage, forms: None, built_static: dict, form_id: str
) -> None:
    start(host)
    host.page.add_script_tag(url=built_static["base"] + built_static["axe"])
    survey = show(host, form_id)
    animations_done(host)
    seen = []
    while True:
        text = title(host)
        seen.append(text)
        assert axe_violations(host) == [], text
        if text == "Thank you!":
            break
        if text == "How likely are you to recommend us?":
            survey.get_by_role("button", name="Next").click()  # the error state too
            assert axe_violations(host) == [], "required error"
            survey.get_by_role("radio", name="8 of 10").click()
        elif text == "Which features?":
            survey.get_by_text("Other", exact=True).click()
            assert axe_violations(host) == [], "other"
            survey.get_by_role("button", name="Skip").click()
        elif survey.get_by_role("button", name="Skip").count():
            survey.get_by_role("button", name="Skip").click()
        else:
            survey.locator("button.next").click()
    assert len(seen) == len(ALL_TYPES) + 1


def test_modal_dialog_traps_and_returns_focus(host: HostPage, forms: None) -> None:
    start(host)
    page = host.page
    page.focus("#opener")
    survey = show(host, "w-modal")
    dialog = survey.get_by_role("dialog")
    assert dialog.get_attribute("aria-modal") == "true"
    labelled = dialog.get_attribute("aria-labelledby")
    assert survey.locator("#" + labelled).text_content() == "How likely are you to recommend us?"
    assert active(host) == "0 of 10"  # focus moved in
    stops = []
    for _ in range(6):
        page.keyboard.press("Tab")
        stops.append(active(host))
    assert None not in stops  # never leaves the dialog
    assert stops[:3] == ["Next", "Close survey", "0 of 10"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert active(host) == "Next"  # wrapped backwards
    page.evaluate("document.getElementById('opener').focus()")
    assert active(host) == "0 of 10"  # focus that escapes is brought back
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert title(host) == "Rate the app" and active(host) == "1 of 5 stars"
    page.keyboard.press("Escape")
    gone(host)
    assert page.evaluate("window.dismissed") == ["w-modal"]
    assert page.evaluate("document.activeElement.id") == "opener"
    page.evaluate("document.getElementById('opener').blur(); document.body.focus()")
    assert host.errors() == []  # no listener of a closed view is left to call


def test_corner_survey_keeps_focus_and_announces(host: HostPage, forms: None) -> None:
    start(host)
    page = host.page
    page.focus("#opener")
    survey = show(host, "w-branch")
    live = survey.locator("[aria-live]")
    page.wait_for_function(SR + ".querySelector('[aria-live]').textContent.includes('Score?')")
    assert live.text_content() == "Score? (Question 1 of 4)"
    assert page.evaluate("document.activeElement.id") == "opener"
    assert survey.get_by_role("dialog").get_attribute("aria-modal") is None
    page.keyboard.press("Escape")  # not a modal: Esc belongs to the page
    assert survey.count() == 1
    survey.get_by_role("button", name="Close survey").click()
    gone(host)
    assert page.evaluate("window.dismissed") == ["w-branch"]
