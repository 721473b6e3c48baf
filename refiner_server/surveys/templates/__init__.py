"""Survey templates that teams use (NPS, CSAT, CES, product-market fit, feature feedback,
onboarding, churn), one JSON file each beside this module.

A file holds the survey without its words (`survey`: questions, logic, trigger, ...), its
words per language (`copy`: each entry shaped as a definition's `translations` entry), its
name per language (`title`) and a line for the catalogue (`about`). A survey made from a
template takes its words in the language asked for (English when the template has none in
it) and carries the template's other languages as its translations, so one template serves
every built-in language the copy exists in.
"""

from __future__ import annotations

import copy as copying
import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
FALLBACK = "en"
#: the catalogue's order: the most asked first
ORDER = ("nps", "csat", "ces", "pmf", "feature", "onboarding", "churn")
STRING_KEYS = ("title", "description", "button", "placeholder", "other_label")


class UnknownTemplate(LookupError):
    """No template by that key; the message lists the keys there are."""


@cache
def _templates() -> dict[str, dict[str, Any]]:
    return {key: json.loads((HERE / f"{key}.json").read_text("utf-8")) for key in ORDER}


def _template(key: str) -> dict[str, Any]:
    found = _templates().get(key)
    if found is None:
        raise UnknownTemplate(f"no template {key!r}; there are {', '.join(ORDER)}")
    return found


def catalogue() -> list[dict[str, Any]]:
    """Every template: key, English name, what it asks, the languages it has words in
    (English first) and its questions' English titles (what the new-survey page previews)."""
    out = []
    for key in ORDER:
        template = _template(key)
        english = template["copy"][FALLBACK]["questions"]
        out.append(
            {
                "key": key,
                "name": template["title"][FALLBACK],
                "about": template["about"],
                "languages": languages(key),
                "questions": [
                    {"id": q["id"], "type": q["type"], "title": english[q["id"]]["title"]}
                    for q in template["survey"]["questions"]
                ],
            }
        )
    return out


def languages(key: str) -> list[str]:
    """The languages a template has words in, English first."""
    codes = _template(key)["copy"]
    return [FALLBACK] + sorted(code for code in codes if code != FALLBACK)


def language(key: str, locale: str) -> str:
    """The language a survey from template `key` asked in `locale` is worded in."""
    return locale if locale in _template(key)["copy"] else FALLBACK


def build(key: str, survey_id: str, locale: str = FALLBACK) -> dict[str, Any]:
    """A draft definition from template `key` with id `survey_id`, written in `locale` (or
    English, when the template has no words in it); its other languages as translations."""
    template = _template(key)
    lang = language(key, locale)
    words = template["copy"][lang]
    survey = copying.deepcopy(template["survey"])
    strings = words.get("questions", {})
    survey["questions"] = [_worded(q, strings.get(q["id"], {})) for q in survey["questions"]]
    survey["thank_you"] = dict(survey.get("thank_you") or {}, **words.get("thank_you", {}))
    others = {code: entry for code, entry in template["copy"].items() if code != lang}
    return {
        "id": survey_id,
        "name": template["title"][lang],
        "status": "draft",
        **survey,
        "translations": copying.deepcopy(others),
    }


def _worded(question: dict[str, Any], strings: dict[str, Any]) -> dict[str, Any]:
    """A question with its words from one language's entry (the translation's shape)."""
    out = {"id": question["id"], "type": question["type"]}
    out.update((key, strings[key]) for key in STRING_KEYS if key in strings)
    out.update(question)
    if "labels" in strings:
        out["labels"] = dict(strings["labels"])
    if "choices" in question:
        labels = strings.get("choices", {})
        out["choices"] = [dict(c, label=labels.get(c["id"], c["id"])) for c in question["choices"]]
    return out
