import pytest

from refiner_web.commands import (
    CommandError,
    parse_callback,
    parse_event_name,
    parse_form_id,
    parse_identify,
    parse_locale,
    parse_project,
    parse_response_data,
    parse_show_form,
    path_segment,
)
from refiner_web.jsvalues import UNDEFINED, JsFunction, Opaque


def run(parser, *args):
    warnings = []
    return parser(list(args), warnings.append), warnings


def test_identify_reference_example_with_account():
    identity, warnings = run(
        parse_identify,
        {
            "id": "USER-ID-ABC-123",
            "email": "",
            "name": "Jane Doe",
            "signed_up_at": "2020-04-26T17:58:14+02:00",
            "a_number": 42,
            "account": {
                "id": "ACCOUNT-ID-ABC-12345",
                "name": "Awesome Inc.",
                "a_date_at": "2022-01-31",
            },
        },
    )
    assert warnings == []
    assert identity["id"] == "USER-ID-ABC-123"
    assert identity["email"] is None  # the reference's empty email means "no email"
    assert identity["name"] == "Jane Doe"
    assert dict(identity["traits"]) == {"signed_up_at": "2020-04-26T15:58:14Z", "a_number": 42}
    assert identity["account"] == {
        "id": "ACCOUNT-ID-ABC-12345",
        "name": "Awesome Inc.",
        "traits": [("a_date_at", "2022-01-31T00:00:00Z")],
    }


def test_identify_needs_id_or_email():
    with pytest.raises(CommandError, match="needs an id or an email"):
        run(parse_identify, {"name": "Jane"})
    with pytest.raises(CommandError, match="must be an object"):
        run(parse_identify, "USER-1")
    identity, _ = run(parse_identify, {"email": "jane@awesome.com"})
    assert identity["id"] is None and identity["email"] == "jane@awesome.com"


def test_identify_numeric_id_and_signature_and_locale_trait():
    identity, warnings = run(parse_identify, {"id": 123, "locale": "de"}, {"signature": "ab12"})
    assert identity["id"] == "123"
    assert identity["signature"] == "ab12"
    assert identity["locale"] == "de"
    assert ("locale", "de") in identity["traits"]
    assert warnings == []


def test_identify_bad_trait_warns_once_and_keeps_the_rest():
    identity, warnings = run(parse_identify, {"id": "u", "big": 2**31, "ok": "yes"})
    assert dict(identity["traits"]) == {"ok": "yes"}
    assert len(warnings) == 1 and "big" in warnings[0]


def test_identify_bad_account_is_dropped_with_warning():
    identity, warnings = run(parse_identify, {"id": "u", "account": {"name": "no id"}})
    assert identity["account"] is None
    assert len(warnings) == 1 and "account" in warnings[0]


def test_event_name_rules():
    assert run(parse_event_name, "MyCustomEventName") == ("MyCustomEventName", [])
    for bad in ["", "   ", None, 5, UNDEFINED, {"a": 1}, "x" * 256]:
        with pytest.raises(CommandError):
            run(parse_event_name, bad)
    name, warnings = run(parse_event_name, "Clicked", {"attr": 1})
    assert name == "Clicked" and "extra ignored" in warnings[0]


def test_show_form_force_flag():
    assert run(parse_show_form, "SURVEY_ID")[0] == ("SURVEY_ID", False)
    assert run(parse_show_form, "SURVEY_ID", True)[0] == ("SURVEY_ID", True)
    with pytest.raises(CommandError, match="force must be true or false"):
        run(parse_show_form, "SURVEY_ID", "yes")
    with pytest.raises(CommandError, match="survey id"):
        run(parse_show_form)


def test_add_to_response_null_clears_and_bad_values_drop():
    assert run(parse_response_data, None)[0] is None
    fields, warnings = run(
        parse_response_data, {"moreData": "Hello!", "n": 2.5, "bad": Opaque("symbol")}
    )
    assert fields == [("moreData", "Hello!"), ("n", 2.5)]
    assert len(warnings) == 1 and "bad" in warnings[0]
    with pytest.raises(CommandError):
        run(parse_response_data, "text")


def test_locale_rules():
    assert run(parse_locale, "pt_BR")[0] == "pt-BR"
    for bad in ["", "de<script>", 7, None, "x" * 36]:
        with pytest.raises(CommandError):
            run(parse_locale, bad)


def test_callbacks_take_functions_or_null():
    fn = JsFunction(object())
    assert run(parse_callback, fn)[0] is fn
    assert run(parse_callback, None)[0] is None
    assert run(parse_callback, print)[0] is print
    with pytest.raises(CommandError, match="function or null"):
        run(parse_callback, "alert(1)")


def test_ids_that_go_into_urls():
    assert run(parse_project, "PROJECT-ID_1")[0] == "PROJECT-ID_1"
    for bad in ["../admin", "a b", "a/b", "?x=1", "x" * 65, "\x00"]:
        with pytest.raises(CommandError, match="project id"):
            run(parse_project, bad)
    assert run(parse_form_id, "nps 2026/q?1#")[0] == "nps 2026/q?1#"
    for bad in [".", "..", "x" * 65]:
        with pytest.raises(CommandError, match="survey id"):
            run(parse_form_id, bad)
    assert path_segment("a/b?c#d é.~") == "a%2Fb%3Fc%23d%20%C3%A9.~"
    assert path_segment("\ud800") == "%EF%BF%BD"


def test_numbers_as_ids_are_whole_and_exact():
    assert run(parse_form_id, 42.0)[0] == "42"
    assert run(parse_identify, {"id": 9007199254740991.0})[0]["id"] == "9007199254740991"
    for bad in [float("inf"), float("-inf"), float("nan"), 1e300, 2.5]:
        with pytest.raises(CommandError, match="survey id must be a non-empty string, not"):
            run(parse_form_id, bad)
    with pytest.raises(CommandError, match="at most 255"):
        run(parse_form_id, 10**300)
