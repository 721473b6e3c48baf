"""The preview frame's rules (refiner_web/preview.py) and try-out links in the client
(refiner_web/tryout.py, the trial surveys of refiner_web/surveys.py), under CPython."""

import json

import pytest

from refiner_web.appearance import POSITIONS
from refiner_web.preview import NotPreview, PreviewHooks, parse_message, preview_form
from refiner_web.tryout import MAX_TOKEN, token_in
from tests.unit.test_surveys import NPS, shown_ids
from tests.unit.test_surveys import boot as boot  # a fixture
from tests.unit.test_surveys import calls as calls  # a fixture
from tests.unit.twin import View

DEFINITION = {"id": "s", "questions": [{"id": "q", "type": "nps", "title": "Q"}]}


def message(**changes):
    base = {
        "type": "refiner:preview",
        "definition": DEFINITION,
        "locale": "en",
        "theme": "light",
        "position": "bottom-right",
        "width": "desktop",
    }
    base.update(changes)
    return base


def test_a_message_of_the_documented_shape_is_taken():
    for position in POSITIONS:
        for theme in ("light", "dark"):
            for width in ("phone", "desktop"):
                chosen = parse_message(message(position=position, theme=theme, width=width))
                assert chosen == {
                    "definition": DEFINITION,
                    "locale": "en",
                    "theme": theme,
                    "position": position,
                    "width": width,
                }
    assert parse_message(message(locale=None))["locale"] is None


@pytest.mark.parametrize(
    "data, fault",
    [
        (None, "type: must be 'refiner:preview'"),
        ([], "type: must be 'refiner:preview'"),
        (message(type="refiner:preview-ready"), "type: must be 'refiner:preview'"),
        (message(extra=1), "extra: unknown field"),
        (message(definition=[DEFINITION]), "definition: must be an object"),
        (message(definition=None), "definition: must be an object"),
        (message(locale=""), "locale: must be a language code or null"),
        (message(locale="x" * 36), "locale: must be a language code or null"),
        (message(locale=5), "locale: must be a language code or null"),
        (message(theme="auto"), "theme: must be one of light, dark"),
        (message(position="middle"), "position: must be one of bottom-right"),
        (message(width="tablet"), "width: must be one of phone, desktop"),
        ({k: v for k, v in message().items() if k != "width"}, "width: must be one of"),
    ],
)
def test_any_other_message_is_refused_naming_the_field(data, fault):
    with pytest.raises(NotPreview) as refused:
        parse_message(data)
    assert str(refused.value).startswith(fault)


def test_the_chosen_theme_and_position_replace_the_definitions_own():
    definition = dict(DEFINITION, appearance={"theme": "auto", "position": "top", "accent": "#f00"})
    form = preview_form(parse_message(message(definition=definition, theme="dark")))
    assert form["appearance"] == {"theme": "dark", "position": "bottom-right", "accent": "#f00"}
    assert definition["appearance"]["theme"] == "auto"  # the editor's copy is untouched
    assert preview_form(parse_message(message(definition={"questions": []})))["id"] == "preview"


def test_preview_hooks_tell_only_the_frame_and_only_once():
    closed = []
    hooks = PreviewHooks(lambda: closed.append(True))
    hooks.shown()
    hooks.navigated({"id": "q"}, 0)
    hooks.answered({"q": 9}, True)
    hooks.dismissed()
    hooks.closed()
    hooks.closed()
    assert closed == [True]


# -- try-out links --------------------------------------------------------------------------------


def test_the_token_is_read_from_the_query_only():
    assert token_in("https://a.example/p?x=1&refiner_try=ab.c-_d#f") == "ab.c-_d"
    assert token_in("https://a.example/p#refiner_try=ab.cd") is None
    assert token_in("https://a.example/p?refiner_trying=1") is None
    assert token_in("https://a.example/p") is None
    for bad in ("", "a" * (MAX_TOKEN + 1), "<script>", "a%20b", "a.b'"):
        with pytest.raises(ValueError):
            token_in("https://a.example/p?refiner_try=" + bad)


def tryout_answer(status, body):
    def answer(method, url, data):
        if url.endswith("/tryout"):
            return status, json.dumps(body), 0
        return 202, "{}", 0

    return answer


def test_a_try_out_survey_shows_forced_and_writes_nothing(boot, platform, calls):
    platform.url = "https://site.example/pricing?refiner_try=tok.en"
    trial = dict(NPS, id="nps", trial=True, questions=[{"id": "score", "type": "nps"}])
    client = boot(answer=tryout_answer(200, trial), forms=(NPS,))
    assert platform.posted("/tryout") == [{"token": "tok.en"}]
    assert shown_ids() == ["nps"] and View.opened[0].hooks.trial is True
    view = View.opened[0]
    view.hooks.answered({"score": 9}, True)
    view.hooks.dismissed()
    platform.run()
    assert platform.posted("/views") == []
    assert platform.posted("/responses/" + view.hooks.response_id) == []
    assert platform.posted("/dismissals") == []
    assert platform.store.get("refiner:forms") is None  # no seen, completed or dismissed
    assert [c[0] for c in calls if c[0] != "onNavigation"] == [
        "onBeforeShow",
        "onShow",
        "onComplete",
        "onDismiss",
        "onClose",
    ]
    client.dispatch(["showForm", "nps"])  # the real survey still shows to this browser
    platform.run()
    assert shown_ids() == ["nps", "nps"] and View.opened[1].hooks.trial is False
    assert platform.warnings == []


@pytest.mark.parametrize(
    "url, answer, warning",
    [
        (
            "https://site.example/?refiner_try=%3Cscript%3E",
            None,
            "the link's token holds characters no token has",
        ),
        (
            "https://site.example/?refiner_try=tok.en",
            (403, {"error": {"code": "tryout_refused", "message": "this link has expired"}}),
            "this link has expired",
        ),
        (
            "https://site.example/?refiner_try=tok.en",
            (502, "<html>"),
            "the server did not answer (502)",
        ),
        (
            "https://site.example/?refiner_try=tok.en",
            (200, {"id": "nps", "questions": []}),
            "the server's answer is not a try-out survey",
        ),
    ],
)
def test_a_refused_try_out_costs_one_warning_and_shows_nothing(
    boot, platform, url, answer, warning
):
    platform.url = url
    boot(answer=None if answer is None else tryout_answer(*answer))
    assert shown_ids() == []
    assert platform.warnings == ["[refiner] tryout: survey not shown: " + warning]


def test_the_try_out_waits_for_the_project_and_asks_once(make_client, platform):
    platform.url = "https://site.example/?refiner_try=tok.en"
    client = make_client()
    platform.run()
    assert platform.posted("/tryout") == []
    client.dispatch(["setProject", "P"])
    client.dispatch(["setProject", "Q"])
    platform.run()
    assert [url for _, url, _ in platform.requests if url.endswith("/tryout")] == [
        "http://api.test/api/v1/client/P/tryout"
    ]
