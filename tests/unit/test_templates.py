"""The survey templates: each is valid by the one validator in every language the client
ships (those it has words in, and the fallback for the rest), and says which it has."""

import pytest

from refiner_server.surveys import templates
from refiner_server.surveys.checks import check_definition
from refiner_web.strings import STRINGS

KEYS = [t["key"] for t in templates.catalogue()]


def test_the_catalogue_has_the_templates_teams_use():
    assert KEYS == ["nps", "csat", "ces", "pmf", "feature", "onboarding", "churn"]
    for entry in templates.catalogue():
        assert entry["name"] and entry["about"] and entry["questions"]
        assert all(q["title"] for q in entry["questions"])


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("locale", sorted(STRINGS) + ["pt-BR"])
def test_every_template_is_valid_in_every_language(key, locale):
    survey = check_definition(templates.build(key, f"{key}-1", locale))
    assert survey["status"] == "draft" and survey["id"] == f"{key}-1"
    assert all(q.get("title") for q in survey["questions"])


@pytest.mark.parametrize("key", KEYS)
def test_every_template_is_worded_in_every_built_in_language(key):
    assert templates.languages(key) == ["en"] + sorted(set(STRINGS) - {"en"})


def test_a_template_is_written_in_the_language_asked_with_the_others_as_translations():
    german = templates.build("nps", "nps", "de")
    assert german["name"] == "Net Promoter Score (NPS)"
    assert german["questions"][0]["title"].startswith("Wie wahrscheinlich")
    assert german["thank_you"]["title"] == "Vielen Dank!"
    assert sorted(german["translations"]) == ["ar", "en", "es", "fr"]
    assert german["translations"]["en"]["questions"]["score"]["title"].startswith("How likely")


def test_a_language_without_words_falls_back_to_english():
    assert templates.build("csat", "c", "pt") == templates.build("csat", "c", "en")


def test_choices_take_their_labels_from_the_language():
    pmf = templates.build("pmf", "fit", "fr")
    first = pmf["questions"][0]
    assert first["title"].startswith("Que ressentiriez-vous si vous ne pouviez plus utiliser")
    assert [c["label"] for c in first["choices"]][:2] == ["Très déçu", "Plutôt déçu"]


def test_building_twice_shares_nothing():
    one = templates.build("nps", "a")
    one["questions"][0]["title"] = "changed"
    one["translations"]["de"]["questions"]["score"]["title"] = "changed"
    again = templates.build("nps", "a")
    assert again["questions"][0]["title"] != "changed"
    assert again["translations"]["de"]["questions"]["score"]["title"] != "changed"


def test_an_unknown_template_is_refused_naming_the_known():
    with pytest.raises(templates.UnknownTemplate, match="there are nps, csat"):
        templates.build("nope", "x")
