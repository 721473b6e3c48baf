"""One person's way through one survey: the current question in their language, answer
checks per question type, branching, back along the real path, progress.

Pure Python (no browser imports) so CPython tests and MicroPython run the same rules; the
widget (`refiner_web.widget`) only draws what this module decides. The definition is cleaned
by `refiner_web.definition`, the interface's texts come from `refiner_web.strings`, its
colours from `refiner_web.appearance`.
"""

from refiner_web.answers import OTHER as OTHER  # the widget reads it here, with SurveyRun
from refiner_web.answers import SCALES, check_answer, is_day
from refiner_web.appearance import appearance
from refiner_web.definition import (
    DEFAULT_AUTO_CLOSE_S,
    clean_logic,
    clean_questions,
    copy_text,
    localise_question,
    translated,
)
from refiner_web.strings import STRINGS, direction, match_locale

END = -1


# -- branching ---------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(answer: object, value: object) -> bool:
    if isinstance(answer, list) and isinstance(value, list):
        return sorted(str(a) for a in answer) == sorted(str(v) for v in value)
    if _is_number(answer) and _is_number(value):
        return answer == value
    return type(answer) is type(value) and answer == value


def condition_holds(condition: dict, answered: bool, answer: object) -> bool:
    """One `if` of a logic rule against the answer to its question. Comparisons on an
    unanswered question are false (use `skipped` for that case). With `row`, the answer is
    that row's of a matrix; `before` and `after` compare `YYYY-MM-DD` dates."""
    op = condition.get("op")
    row = condition.get("row")
    if row is not None:
        answered = answered and isinstance(answer, dict) and row in answer
        answer = answer.get(row) if answered else None
    if op == "answered":
        return answered
    if op == "skipped":
        return not answered
    if not answered:
        return False
    value = condition.get("value")
    if op == "eq":
        return _equal(answer, value)
    if op == "neq":
        return not _equal(answer, value)
    if op == "contains":
        if isinstance(answer, list):
            return value in answer
        if isinstance(answer, str) and isinstance(value, (str, int)):
            return str(value).lower() in answer.lower()
        return False
    if op in ("before", "after"):
        if not (is_day(answer) and is_day(value)):
            return False
        return answer < value if op == "before" else answer > value
    if not (_is_number(answer) and _is_number(value)):
        return False
    if op == "gt":
        return answer > value
    if op == "gte":
        return answer >= value
    if op == "lt":
        return answer < value
    if op == "lte":
        return answer <= value
    return False


# -- the run -----------------------------------------------------------------------------------


class SurveyRun:
    """The state of one showing of a survey. The widget asks it what to draw and tells it
    what the person did; it never touches the page itself."""

    def __init__(self, form: dict, locale: object = None) -> None:
        self.form = form if isinstance(form, dict) else {}
        form_id = self.form.get("id")
        self.form_id = form_id if isinstance(form_id, str) else ""
        self.questions = clean_questions(self.form.get("questions"))
        self.ids = [q["id"] for q in self.questions]
        self.rules = clean_logic(self.form.get("logic"), self.ids)
        self.locale = locale if isinstance(locale, str) and locale else None
        translations = self.form.get("translations")
        self.translations = translations if isinstance(translations, dict) else {}
        self.translation_key = match_locale(self.locale, list(self.translations))
        self.translation = {}
        if self.translation_key is not None:
            found = self.translations[self.translation_key]
            self.translation = found if isinstance(found, dict) else {}
        self.strings = STRINGS[match_locale(self.locale, list(STRINGS)) or "en"]
        self.index = 0 if self.questions else END
        self.history = []
        self.store = {}
        self.finished = not self.questions

    # -- what to draw ------------------------------------------------------------------

    def text(self, key: str) -> object:
        """An interface string in the person's language (English when we have none)."""
        value = self.strings.get(key)
        return STRINGS["en"][key] if value is None else value

    def direction(self) -> str:
        return direction(self.locale)

    def question(self) -> object:
        """The current question, localised, as a plain dict (None once finished)."""
        if self.finished:
            return None
        raw = self.questions[self.index]
        entries = self.translation.get("questions")
        strings = entries.get(raw["id"]) if isinstance(entries, dict) else None
        return localise_question(raw, strings)

    def thank_you(self) -> dict:
        """Title, description, button and auto close (seconds, 0 for never), localised."""
        raw = self.form.get("thank_you")
        raw = raw if isinstance(raw, dict) else {}
        strings = self.translation.get("thank_you")
        strings = strings if isinstance(strings, dict) else {}
        out = {
            "title": translated(
                copy_text(raw.get("title")) or self.text("thank_you"), strings.get("title")
            )
        }
        for key in ("description", "button"):
            value = translated(copy_text(raw.get(key)), strings.get(key))
            if value is not None:
                out[key] = value
        seconds = raw.get("auto_close_s", DEFAULT_AUTO_CLOSE_S if not raw else None)
        out["auto_close_s"] = seconds if _is_number(seconds) and seconds > 0 else 0
        return out

    def appearance(self) -> dict:
        """Position, theme and accent with every value checked (`refiner_web.appearance`)."""
        return appearance(self.form.get("appearance"))

    def position(self) -> tuple:
        """(number of the current question, number of questions)."""
        return (self.index + 1 if not self.finished else len(self.questions), len(self.questions))

    def progress(self) -> int:
        """Share of the survey behind the person, 0 on the first question, 100 when done.
        Jumps only go forward, so it never falls along a forward path."""
        if self.finished:
            return 100
        return self.index * 100 // len(self.questions)

    def auto_advances(self) -> bool:
        """Single-select scales move on as soon as a value is picked."""
        question = self.questions[self.index] if not self.finished else None
        if question is None:
            return False
        if question["type"] in SCALES:
            return True
        return question["type"] == "single_choice" and not question.get("other")

    def can_skip(self) -> bool:
        if self.finished:
            return False
        question = self.questions[self.index]
        return not question["required"] and question["type"] != "statement"

    def can_go_back(self) -> bool:
        return not self.finished and bool(self.history)

    def is_last(self) -> bool:
        """True when Next would end the survey with the answers as they are now."""
        return not self.finished and self._target(self.index) == END

    def value(self) -> object:
        """The stored answer of the current question (to show it again after Back)."""
        return None if self.finished else self.store.get(self.questions[self.index]["id"])

    def other_text(self) -> str:
        if self.finished:
            return ""
        return self.store.get(self.questions[self.index]["id"] + "_other", "")

    @property
    def answers(self) -> dict:
        """Answers by question id along the path taken (plus `<id>_other` texts); answers
        left on a branch the person backed out of are not part of it."""
        path = list(self.history)
        if not self.finished:
            path.append(self.index)
        out = {}
        for index in path:
            qid = self.questions[index]["id"]
            for key in (qid, qid + "_other"):
                if key in self.store:
                    out[key] = self.store[key]
        return out

    # -- what the person did -----------------------------------------------------------

    def answer(self, value: object, other: object = None) -> object:
        """Checks and stores an answer to the current question; returns an error text for
        the person, or None. Never moves."""
        if self.finished:
            return self.text("invalid")
        question = self.questions[self.index]
        qid = question["id"]
        error, value, other_text = self._check(question, value, other)
        if error is not None:
            return error
        if value is None:
            self._forget(qid)
            return None
        self.store[qid] = value
        if other_text is None:
            self.store.pop(qid + "_other", None)
        else:
            self.store[qid + "_other"] = other_text
        return None

    def _forget(self, qid: str) -> None:
        self.store.pop(qid, None)
        self.store.pop(qid + "_other", None)

    def _check(self, question: dict, value: object, other: object) -> tuple:
        """(error text or None, value to store or None for "no answer", other text or None)."""
        problem, value, other_text = check_answer(question, value, other)
        if problem is None:
            return None, value, other_text
        key, number = problem
        return (self.text(key) if number is None else self.text(key) % number), None, None

    def next(self) -> object:
        """Moves on (branching by `logic`); returns an error text when the current question
        is required and has no answer, else None. Finishing sets `finished`."""
        if self.finished:
            return None
        question = self.questions[self.index]
        if question["required"] and question["id"] not in self.store:
            return self.text("consent_required" if question["type"] == "consent" else "required")
        target = self._target(self.index)
        self.history.append(self.index)
        if target == END:
            self.finished = True
            self.index = END
        else:
            self.index = target
        return None

    def skip(self) -> object:
        """Moves on without an answer; an error text for a required question."""
        if self.finished:
            return None
        question = self.questions[self.index]
        if question["required"]:
            return self.text("required")
        self._forget(question["id"])
        return self.next()

    def back(self) -> bool:
        """Returns to the question shown before this one on the way actually taken."""
        if not self.can_go_back():
            return False
        self.index = self.history.pop()
        return True

    def _target(self, index: int) -> int:
        """Where Next leads from question `index`: the first matching rule on that question
        that jumps forward (or to the end), else the following question. Backward jumps are
        ignored, so no definition can make the survey loop."""
        qid = self.questions[index]["id"]
        for source, condition, target in self.rules:
            if source != qid:
                continue
            if not condition_holds(condition, qid in self.store, self.store.get(qid)):
                continue
            if target == "end":
                return END
            goto = self.ids.index(target)
            if goto > index:
                return goto
        return index + 1 if index + 1 < len(self.questions) else END
