"""A survey definition as the client uses it: its questions cleaned to what the widget
understands (defaults explicit, unsafe links dropped), their copy in one translation, and
its logic rules; anything unusable is left out, never raised.

Pure Python; the server reads its vocabulary (TYPES, OPS) here, so both agree.
"""

from refiner_web.answers import (
    EMAIL_MAX,
    FLAGS,
    MAX_COLUMNS,
    MAX_ROWS,
    SCALES,
    TEXT_MAX,
    is_day,
)

TYPES = SCALES + ("single_choice", "multiple_choice", "text", "email", "statement")
TYPES += ("matrix", "ranking", "date") + FLAGS
#: `before` and `after` compare a date's answer with a `YYYY-MM-DD` value
OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "contains", "answered", "skipped", "before", "after")
#: the types whose links open from the question (a statement's, a consent's terms, a call
#: to action's button)
LINKED = ("statement", "consent", "cta")
DEFAULT_AUTO_CLOSE_S = 3  # the thank-you screen's, when the definition has none


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(value: object, low: int, high: int, default: int) -> int:
    return value if _is_int(value) and low <= value <= high else default


def copy_text(value: object) -> object:
    """A non-empty string or None: survey copy is only ever text."""
    return value if isinstance(value, str) and value != "" else None


def safe_url(value: object) -> object:
    """The URL when it is http(s), else None: a `javascript:` link must never render."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    lower = url.lower()
    if (lower.startswith("https://") or lower.startswith("http://")) and len(url) > 8:
        for char in url:
            if char in " \t\r\n\"'<>\\":
                return None
        return url
    return None


def _choices(raw: object) -> list:
    out = []
    seen = []
    if isinstance(raw, list):
        for choice in raw:
            if not isinstance(choice, dict):
                continue
            cid = choice.get("id")
            if isinstance(cid, str) and cid and cid not in seen:
                seen.append(cid)
                label = choice.get("label")
                out.append({"id": cid, "label": label if isinstance(label, str) else cid})
    return out


def _matrix(question: dict, raw: dict) -> bool:
    """Rows, and columns: the definition's, or a scale's 1..`scale`; False when unusable."""
    question["rows"] = _choices(raw.get("rows"))[:MAX_ROWS]
    columns = _choices(raw.get("columns"))[:MAX_COLUMNS]
    if not columns:
        scale = _int_in(raw.get("scale"), 3, 10, 5)
        question["scale"] = scale
        columns = [{"id": n, "label": str(n)} for n in range(1, scale + 1)]
    question["columns"] = columns
    return bool(question["rows"]) and len(columns) >= 2


def _clean_question(raw: object) -> object:
    """Only what the widget understands, with defaults made explicit; None when unusable."""
    if not isinstance(raw, dict):
        return None
    qid = raw.get("id")
    kind = raw.get("type")
    if not isinstance(qid, str) or not qid or kind not in TYPES:
        return None
    question = {"id": qid, "type": kind, "required": raw.get("required") is True}
    if kind == "consent":  # a consent asks to be given unless it says otherwise
        question["required"] = raw.get("required") is not False
    for key in ("title", "description", "button", "placeholder"):
        if copy_text(raw.get(key)) is not None:
            question[key] = raw[key]
    if question.get("title") is None:
        question["title"] = ""
    labels = raw.get("labels")
    if isinstance(labels, dict):
        question["labels"] = {k: labels[k] for k in ("low", "high") if copy_text(labels.get(k))}
    if kind == "rating":
        question["scale"] = _int_in(raw.get("scale"), 3, 10, 5)
        question["style"] = "numbers" if raw.get("style") == "numbers" else "stars"
    elif kind == "csat":
        question["style"] = "labels" if raw.get("style") == "labels" else "faces"
    elif kind in ("single_choice", "multiple_choice"):
        question["choices"] = _choices(raw.get("choices"))
        if raw.get("other") is True:
            question["other"] = True
            if copy_text(raw.get("other_label")):
                question["other_label"] = raw["other_label"]
        if kind == "multiple_choice":
            count = len(question["choices"]) + (1 if question.get("other") else 0)
            low = _int_in(raw.get("min"), 0, count, 0)
            high = _int_in(raw.get("max"), 1, count, count)
            question["min"] = low
            question["max"] = max(low, high)
    elif kind == "text":
        question["multiline"] = raw.get("multiline") is True
    elif kind == "matrix" and not _matrix(question, raw):
        return None
    elif kind == "ranking":
        question["choices"] = _choices(raw.get("choices"))
        if len(question["choices"]) < 2:
            return None
    elif kind == "date":
        for key in ("min", "max"):
            if is_day(raw.get(key)):
                question[key] = raw[key]
    elif kind == "consent" and copy_text(raw.get("label")):
        question["label"] = raw["label"]
    if kind in ("text", "email"):
        question["max_length"] = _int_in(raw.get("max_length"), 1, TEXT_MAX, 0) or (
            EMAIL_MAX if kind == "email" else 0
        )
    if kind == "statement":
        question["required"] = False
    if kind in LINKED:
        link = raw.get("link")
        if isinstance(link, dict) and safe_url(link.get("url")) and copy_text(link.get("label")):
            question["link"] = {"label": link["label"], "url": safe_url(link["url"])}
        elif kind == "cta":  # a call to action is its link
            return None
    return question


def clean_questions(raw: object) -> list:
    out = []
    ids = []
    for item in raw if isinstance(raw, list) else []:
        question = _clean_question(item)
        if question is not None and question["id"] not in ids:
            ids.append(question["id"])
            out.append(question)
    return out


def translated(base: object, override: object) -> object:
    """Per-string fallback: the translation when it is a non-empty string, else the original."""
    return override if copy_text(override) is not None else base


def localise_question(question: dict, strings: dict) -> dict:
    """A copy of `question` with each string from `strings` (one translation's entry for
    it) where present, the original elsewhere."""
    out = dict(question)
    if not isinstance(strings, dict):
        strings = {}
    for key in ("title", "description", "button", "placeholder", "other_label", "label"):
        if key in question:
            out[key] = translated(question[key], strings.get(key))
    labels = strings.get("labels")
    if "labels" in question:
        out["labels"] = dict(question["labels"])
        if isinstance(labels, dict):
            for key in question["labels"]:
                out["labels"][key] = translated(question["labels"][key], labels.get(key))
    for key in ("choices", "rows", "columns"):  # a scale's numbered columns have no words
        if key in question:
            out[key] = _localise_options(question[key], strings.get(key))
    if "link" in question:
        link = strings.get("link")
        label = link.get("label") if isinstance(link, dict) else None
        out["link"] = {
            "label": translated(question["link"]["label"], label),
            "url": question["link"]["url"],
        }
    return out


def _localise_options(options: list, names: object) -> list:
    """Options with their labels from `names` (option id -> label, or a list of
    `{"id", "label"}` like the original) where it has them."""
    if isinstance(names, list):
        names = {
            c["id"]: c.get("label")
            for c in names
            if isinstance(c, dict) and isinstance(c.get("id"), str)
        }
    if not isinstance(names, dict):
        names = {}
    return [{"id": c["id"], "label": translated(c["label"], names.get(c["id"]))} for c in options]


def clean_logic(raw: object, ids: list) -> list:
    """Rules as (question id, condition, target); unusable rules are dropped."""
    rules = []
    for rule in raw if isinstance(raw, list) else []:
        if not isinstance(rule, dict) or not isinstance(rule.get("if"), dict):
            continue
        condition = rule["if"]
        target = rule.get("goto")
        if condition.get("question") in ids and condition.get("op") in OPS:
            if target == "end" or target in ids:
                rules.append((condition["question"], condition, target))
    return rules
