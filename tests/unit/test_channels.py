"""The pure side of channels (refiner_web/channels.py, feedback.py): link access, hidden
fields prefilled only as declared, the link page's locale and start, and the feedback
button that follows the served surveys and the page's route."""

import json

import pytest

from refiner_web import channels
from refiner_web.client import Client
from tests.unit.twin import View

PAGES = {"include": [{"match": "starts_with", "value": "/app"}]}


def form(form_id, **extra):
    return {"id": form_id, "questions": [{"id": "q", "type": "text", "title": "Q?"}], **extra}


def served(platform, *forms):
    platform.answer = lambda method, url, body: (
        (200, json.dumps({"forms": list(forms)}), 0) if url.endswith("/ping") else (202, "{}", 0)
    )


# -- the definition's words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "access"),
    [("public", "public"), ("one_time", "one_time"), (True, "off"), (None, "off"), ("x", "off")],
)
def test_link_access(value, access):
    assert channels.link_access(form("f", channels={"link": value})) == access
    assert channels.link_access({"id": "f", "channels": "public"}) == "off"


def test_prefill_takes_only_declared_fields_in_their_order():
    survey = form("f", hidden_fields=["plan", "source", "bad name", 7])
    pairs = [("source", "email"), ("admin", "1"), ("plan", "pro"), ("plan", "free")]
    assert channels.prefill(survey, pairs) == [("plan", "pro"), ("source", "email")]
    assert channels.prefill(form("f"), pairs) == []
    assert channels.prefill(survey, [("plan", "x" * 5000)]) == []  # over a field's length


def test_the_button_is_checked_and_its_text_reads_on_its_colour():
    assert channels.button(form("f")) is None
    assert channels.button(form("f", channels={"button": "yes"})) is None
    spec = channels.button(form("f", channels={"button": {}}))
    assert spec == {
        "label": "Feedback",
        "position": "right",
        "background": "#4f46e5",
        "colour": "#ffffff",
        "pages": {},
    }
    odd = {"label": "  " + "x" * 60, "position": "top", "background": "red;x", "pages": 3}
    spec = channels.button(form("f", channels={"button": odd}))
    assert (spec["label"], spec["position"], spec["background"], spec["pages"]) == (
        "x" * 40,
        "right",
        "#4f46e5",
        {},
    )
    light = channels.button(form("f", channels={"button": {"background": "#ff0"}}))
    assert (light["background"], light["colour"]) == ("#ffff00", "#000000")


def test_the_launcher_is_the_first_served_survey_whose_pages_match():
    forms = [
        form("plain"),
        form("elsewhere", channels={"button": {"pages": PAGES}}),
        form("everywhere", channels={"button": {"label": "Ideas"}}),
    ]
    assert channels.launcher(forms, "https://x.test/app/1")[0] == "elsewhere"
    found = channels.launcher(forms, "https://x.test/blog")
    assert (found[0], found[1]["label"]) == ("everywhere", "Ideas")
    assert channels.launcher(forms[:2], "https://x.test/blog") is None


@pytest.mark.parametrize(
    ("asked", "header", "locale"),
    [
        ("de", "fr", "de"),
        (None, "pt_BR;q=1, en", "pt-BR"),
        ("<b>", "es-MX,es;q=0.9", "es-MX"),
        ("de.x", None, None),
        (None, "*", None),
        ("x" * 36, "", None),
    ],
)
def test_the_page_locale(asked, header, locale):
    assert channels.page_locale(asked, header) == locale


# -- the link page's client ------------------------------------------------------------------


def link_page(platform, **settings):
    client = Client(platform, "http://api.test", View)
    base = {"project": "P", "form": form("f"), "data": {"plan": "pro"}, "locale": "de"}
    return client, channels.start_link_page(client, {**base, **settings})


def test_the_link_page_shows_its_survey_without_a_ping(platform):
    View.opened.clear()
    client, answered = link_page(platform, link="tok.sig")
    platform.run(until_ms=platform.clock + 60000)
    assert answered is None
    assert [view.form_id for view in View.opened] == ["f"]
    assert View.opened[0].locale == "de" and platform.store.get("refiner:locale") is None
    View.opened[0].hooks.answered({"q": "more"}, True)
    platform.run()
    assert platform.posted("/ping") == []
    (response,) = platform.posted("/responses/" + View.opened[0].hooks.response_id)
    assert (response["data"], response["link"], response["completed"]) == (
        {"plan": "pro"},
        "tok.sig",
        True,
    )
    (view,) = platform.posted("/views")
    assert view["link"] == "tok.sig"


def test_the_link_page_asks_a_browser_once(platform):
    View.opened.clear()
    link_page(platform, locale=None)
    View.opened[0].hooks.answered({"q": "x"}, True)
    View.opened.clear()
    _client, answered = link_page(platform, locale="de-AT")
    assert answered == channels.ANSWERED["de"] and View.opened == []
    _client, answered = link_page(platform, link="tok.sig")  # a one-time link: the server's call
    assert answered is None and len(View.opened) == 1


def test_a_link_page_without_a_survey_warns(platform):
    _client, answered = link_page(platform, form=None)
    assert answered is None
    assert platform.warnings == ["[refiner] link page: no survey in its settings"]


# -- the feedback button ---------------------------------------------------------------------


class Button:
    """Records what the feedback asks of its drawing."""

    made = []

    def __init__(self, form_id, spec, pressed):
        self.form_id, self.spec, self.pressed = form_id, spec, pressed
        self.states, self.removed = [], False
        Button.made.append(self)

    def expanded(self, value):
        self.states.append(value)

    def remove(self):
        self.removed = True


class FocusView(View):
    def take_focus(self):
        self.focused = True


@pytest.fixture
def with_button(platform):
    Button.made.clear()
    FocusView.opened.clear()
    client = Client(platform, "http://api.test", FocusView, Button)
    client.dispatch(["setProject", "P"])
    client.finish_boot()
    return client


def test_the_button_opens_and_closes_its_survey(platform, with_button):
    served(platform, form("a"), form("fb", channels={"button": {"pages": PAGES}}))
    platform.run()
    (button,) = Button.made
    assert (button.form_id, button.states) == ("fb", [False])
    button.pressed()
    view = FocusView.opened[-1]
    assert (view.form_id, getattr(view, "focused", False), button.states) == (
        "fb",
        True,
        [False, True],
    )
    button.pressed()  # open: the button closes it
    assert not view.is_open and button.states[-1] is False
    view.hooks.answered({"q": "x"}, True)
    button.pressed()  # on demand: again after an answer
    assert FocusView.opened[-1].is_open and button.states[-1] is True


def test_a_survey_shown_otherwise_sets_the_state_without_the_focus(platform, with_button):
    served(platform, form("fb", channels={"button": {}}))
    platform.run()
    with_button.dispatch(["showForm", "fb"])
    view = FocusView.opened[-1]
    assert Button.made[0].states == [False, True] and not getattr(view, "focused", False)


def test_the_button_follows_the_route_and_the_served_surveys(platform, with_button):
    served(platform, form("fb", channels={"button": {"pages": PAGES}}))
    platform.url = "https://host.example/blog"
    platform.run()
    assert Button.made == []
    platform.url = "https://host.example/app/settings"
    platform.route_changed()
    (button,) = Button.made
    served(platform)  # the audience no longer takes the person: not served, no button
    with_button.pinger.schedule(0)
    platform.run()
    assert button.removed
    assert platform.warnings == []
