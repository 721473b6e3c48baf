"""Whether an answer is one its question can have: the one checker of answers. The widget
runs it as a person answers (`SurveyRun.answer`), the server on every saved response against
the version of the survey it answers, so what the client sends is what the server keeps.

Answers by type: a scale's integer, a choice's id (or a list of them), text, a matrix's
`{row id: column}` (a column id, or a scale's integer), a ranking's full order of option
ids, a date's `YYYY-MM-DD`, and `true` for a consent given or a call to action clicked.

Pure (no browser imports, MicroPython-safe). Questions are as `survey.clean_question` makes
them: defaults explicit (`min`, `max`, `scale`, `max_length`).
"""

OTHER = "other"
SCALES = ("nps", "rating", "csat", "emoji")
EMAIL_MAX = 254
#: a text answer when the question sets no `max_length`, and the highest `max_length` the
#: survey format takes: what keeps a response body within the server's budget
TEXT_MAX = 10000
OTHER_MAX = 1000
#: choices of one question (`other` comes on top), and questions of one survey: they bound
#: how many values a legitimate response holds (refiner_server.client.limits.MAX_BODY_VALUES)
MAX_CHOICES = 100
MAX_QUESTIONS = 100
#: the characters one response's answers can hold (`answer_chars`), what keeps the largest
#: legitimate response body small (refiner_server.client.limits.MAX_RESPONSE_BYTES): a survey
#: whose answers could hold more is refused
MAX_ANSWER_CHARS = 30000

#: rows and columns of a matrix: one row is a radio group across the widget's 320 px
MAX_ROWS = 20
MAX_COLUMNS = 10
#: the types whose one answer is `true`: a consent given, a call to action clicked
FLAGS = ("consent", "cta")

_EMAIL_LOCAL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-"
_DOMAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"


def valid_email(value: object) -> bool:
    """A practical address check (one @, a dotted domain, no spaces); by hand because
    MicroPython's `re` lacks the repetition counts an honest pattern needs."""
    if not isinstance(value, str) or len(value) > EMAIL_MAX:
        return False
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(local) > 64:
        return False
    if local[0] == "." or local[-1] == "." or ".." in local:
        return False
    for char in local:
        if char not in _EMAIL_LOCAL:
            return False
    labels = domain.split(".")
    if len(labels) < 2:
        return False
    for label in labels:
        if not label or len(label) > 63 or label[0] == "-" or label[-1] == "-":
            return False
        for char in label:
            if char not in _DOMAIN:
                return False
    tld = labels[-1]
    return len(tld) >= 2 and not tld.isdigit()


def scale_range(question: dict) -> tuple:
    """(lowest, highest) answer of a scale question."""
    if question["type"] == "nps":
        return 0, 10
    if question["type"] == "rating":
        return 1, question["scale"]
    return 1, 5


def choice_ids(question: dict) -> list:
    """The ids a choice question takes, in definition order (`other` last when offered)."""
    ids = [c["id"] for c in question["choices"]]
    if question.get("other") and OTHER not in ids:
        ids.append(OTHER)
    return ids


def answer_chars(questions: list) -> int:
    """The most characters the answers to `questions` (as `survey.clean_questions` makes
    them) hold: each key, and the longest value it takes (a text's `max_length`, an
    address, a scale's number, a choice's id or all of them, an "other" text)."""
    total = 0
    for question in questions:
        kind = question["type"]
        if kind == "statement":
            continue
        most = 2
        if kind in FLAGS:
            most = len("true")
        elif kind == "date":
            most = len("2026-01-01")
        elif kind == "matrix":
            widest = max(len(str(c["id"])) for c in question["columns"])
            most = sum(len(r["id"]) + widest for r in question["rows"])
        elif kind == "ranking":
            most = sum(len(c["id"]) for c in question["choices"])
        elif kind == "text":
            most = question["max_length"] or TEXT_MAX
        elif kind == "email":
            most = EMAIL_MAX
        elif kind not in SCALES:
            sizes = [len(cid) for cid in choice_ids(question)]
            most = sum(sizes) if kind == "multiple_choice" else max(sizes)
            if question.get("other"):
                most += len(question["id"]) + len("_other") + OTHER_MAX
        total += len(question["id"]) + most
    return total


def check_answer(question: dict, value: object, other: object = None) -> tuple:
    """`(problem, value, other_text)`: `problem` is None or `(key, number)`, the key of an
    interface text (`invalid`, `too_long`, ...) and the number it names (or None); `value`
    is what to store (None: no answer), `other_text` the "other" text (or None)."""
    kind = question["type"]
    if kind == "statement" or value is None or value == "" or value == []:
        return None, None, None
    if kind in FLAGS:
        if value is False:
            return None, None, None
        return (None, True, None) if value is True else (("invalid", None), None, None)
    if kind == "date":
        return _check_date(question, value) + (None,)
    if kind == "matrix":
        return _check_matrix(question, value) + (None,)
    if kind == "ranking":
        ids = choice_ids(question)
        if not isinstance(value, list) or sorted_ids(value) != sorted(ids):
            return ("rank_all", None), None, None
        return None, list(value), None
    if kind in SCALES:
        low, high = scale_range(question)
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or not low <= value <= high:
            return ("invalid", None), None, None
        return None, value, None
    if kind in ("text", "email"):
        if not isinstance(value, str):
            return ("invalid", None), None, None
        limit = question["max_length"] or TEXT_MAX
        if len(value) > limit:
            return ("too_long", limit), None, None
        if value.strip() == "":
            return None, None, None
        if kind == "email":
            value = value.strip()
            if not valid_email(value):
                return ("email_invalid", None), None, None
        return None, value, None
    ids = choice_ids(question)
    if kind == "single_choice":
        if not isinstance(value, str) or value not in ids:
            return ("invalid", None), None, None
        picked = [value]
    else:
        if not isinstance(value, list):
            return ("invalid", None), None, None
        for item in value:
            if not isinstance(item, str):
                return ("invalid", None), None, None
        picked = [i for i in ids if i in value]  # definition order, no duplicates
        if len(picked) != len(value):  # an unknown id or one given twice
            return ("invalid", None), None, None
        if len(picked) < question["min"]:
            return ("at_least", question["min"]), None, None
        if len(picked) > question["max"]:
            return ("at_most", question["max"]), None, None
        value = picked
    other_text = None
    if question.get("other") and OTHER in picked:
        if not isinstance(other, str) or other.strip() == "":
            return ("other_missing", None), None, None
        other_text = other.strip()
        if len(other_text) > OTHER_MAX:
            return ("too_long", OTHER_MAX), None, None
    return None, value, other_text


def sorted_ids(value: list) -> object:
    """The strings of `value` in order, or None when it holds anything else."""
    for item in value:
        if not isinstance(item, str):
            return None
    return sorted(value)


def is_day(value: object) -> bool:
    """Whether `value` is a calendar date written `YYYY-MM-DD` (what a date input gives)."""
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        return False
    parts = (value[:4], value[5:7], value[8:])
    for part in parts:
        for char in part:
            if char not in "0123456789":
                return False
    year, month, day = int(parts[0]), int(parts[1]), int(parts[2])
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return year >= 1 and day <= days


def _check_date(question: dict, value: object) -> tuple:
    """ISO dates compare as text, `min` and `max` included."""
    if not is_day(value):
        return ("date_invalid", None), None
    if question.get("min") and value < question["min"]:
        return ("date_min", question["min"]), None
    if question.get("max") and value > question["max"]:
        return ("date_max", question["max"]), None
    return None, value


def matrix_values(question: dict) -> list:
    """The values a matrix row takes: column ids, or a scale's integers."""
    return [c["id"] for c in question["columns"]]


def _check_matrix(question: dict, value: object) -> tuple:
    """A row id to one of the columns; a required matrix needs every row."""
    if not isinstance(value, dict):
        return ("invalid", None), None
    rows = [r["id"] for r in question["rows"]]
    offered = matrix_values(question)
    kept = {}
    for row in rows:
        if row not in value or value[row] is None:
            continue
        cell = value[row]
        if cell not in offered or type(cell) is not type(offered[0]):
            return ("invalid", None), None
        kept[row] = cell
    if len(kept) != len([k for k in value if value[k] is not None]):  # a key no row has
        return ("invalid", None), None
    if not kept:
        return None, None
    if question["required"] and len(kept) < len(rows):
        return ("matrix_rows", None), None
    return None, kept


def check_answers(questions: list, answers: dict) -> tuple:
    """`(kept, dropped)`: the answers the questions can have (as `check_answer` stores
    them, `<id>_other` texts included), and `(key, problem)` for each one left out, in
    question order then key order; `problem` is a `check_answer` problem, or
    `("unknown", None)` for a key no question takes."""
    kept = {}
    dropped = []
    taken = []
    for question in questions:
        qid = question["id"]
        extra = qid + "_other"
        taken.append(qid)
        taken.append(extra)
        if qid not in answers:
            if extra in answers:
                dropped.append((extra, ("unknown", None)))
            continue
        problem, value, other_text = check_answer(question, answers[qid], answers.get(extra))
        if problem is not None:
            dropped.append((qid, problem))
        elif value is not None:
            kept[qid] = value
        if other_text is not None:
            kept[extra] = other_text
        elif extra in answers:
            dropped.append((extra, problem or ("unknown", None)))
    for key in sorted(k for k in answers if k not in taken):
        dropped.append((key, ("unknown", None)))
    return kept, dropped
