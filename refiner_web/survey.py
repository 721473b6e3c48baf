"""One person's way through one survey: the current question in their language, answer
checks per question type, branching, back along the real path, progress.

Pure Python (no browser imports) so CPython tests and MicroPython run the same rules; the
widget (`refiner_web.widget`) only draws what this module decides.
"""

from refiner_web.answers import EMAIL_MAX, SCALES, TEXT_MAX, check_answer
from refiner_web.answers import OTHER as OTHER  # the vocabulary survey_checks reads here

END = -1
TYPES = SCALES + ("single_choice", "multiple_choice", "text", "email", "statement")
RTL_LANGUAGES = ("ar", "he", "iw", "fa", "ur")
OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "contains", "answered", "skipped")
DEFAULT_ACCENT = "#4f46e5"
#: appearance values, the first of each the default
POSITIONS = ("bottom-right", "bottom-left", "top", "bottom", "center")
THEMES = ("auto", "light", "dark")
DEFAULT_AUTO_CLOSE_S = 3

# Interface texts per language, read by key only (so dict order, which MicroPython does not
# keep, never matters). English is the fallback for any missing language or key.
STRINGS = {
    "en": {
        "next": "Next",
        "back": "Back",
        "submit": "Submit",
        "close": "Close",
        "skip": "Skip",
        "dismiss": "Close survey",
        "survey": "Survey",
        "position": "Question %d of %d",
        "scale_item": "%d of %d",
        "star_item": "%d of %d stars",
        "chars_left": "%d characters left",
        "required": "This question is required.",
        "required_mark": "Required",
        "invalid": "Please choose one of the options.",
        "email_invalid": "Please enter a valid email address.",
        "too_long": "Please use at most %d characters.",
        "at_least": "Please choose at least %d.",
        "at_most": "Please choose at most %d.",
        "other": "Other",
        "other_placeholder": "Please specify",
        "other_missing": "Please describe your other answer.",
        "new_tab": "(opens in a new tab)",
        "nps_low": "Not likely",
        "nps_high": "Very likely",
        "thank_you": "Thank you!",
        "csat": ["Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"],
        "emoji": ["Terrible", "Bad", "Okay", "Good", "Great"],
    },
    "de": {
        "next": "Weiter",
        "back": "Zurück",
        "submit": "Absenden",
        "close": "Schließen",
        "skip": "Überspringen",
        "dismiss": "Umfrage schließen",
        "survey": "Umfrage",
        "position": "Frage %d von %d",
        "scale_item": "%d von %d",
        "star_item": "%d von %d Sternen",
        "chars_left": "Noch %d Zeichen",
        "required": "Diese Frage ist erforderlich.",
        "required_mark": "Pflichtfrage",
        "invalid": "Bitte wählen Sie eine der Optionen.",
        "email_invalid": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        "too_long": "Bitte höchstens %d Zeichen.",
        "at_least": "Bitte wählen Sie mindestens %d.",
        "at_most": "Bitte wählen Sie höchstens %d.",
        "other": "Sonstiges",
        "other_placeholder": "Bitte angeben",
        "other_missing": "Bitte beschreiben Sie Ihre andere Antwort.",
        "new_tab": "(öffnet in neuem Tab)",
        "nps_low": "Unwahrscheinlich",
        "nps_high": "Sehr wahrscheinlich",
        "thank_you": "Vielen Dank!",
        "csat": ["Sehr unzufrieden", "Unzufrieden", "Neutral", "Zufrieden", "Sehr zufrieden"],
        "emoji": ["Schrecklich", "Schlecht", "Okay", "Gut", "Großartig"],
    },
    "fr": {
        "next": "Suivant",
        "back": "Retour",
        "submit": "Envoyer",
        "close": "Fermer",
        "skip": "Passer",
        "dismiss": "Fermer le sondage",
        "survey": "Sondage",
        "position": "Question %d sur %d",
        "scale_item": "%d sur %d",
        "star_item": "%d étoiles sur %d",
        "chars_left": "%d caractères restants",
        "required": "Cette question est obligatoire.",
        "required_mark": "Obligatoire",
        "invalid": "Veuillez choisir une des options.",
        "email_invalid": "Veuillez saisir une adresse e-mail valide.",
        "too_long": "%d caractères au maximum, s'il vous plaît.",
        "at_least": "Veuillez en choisir au moins %d.",
        "at_most": "Veuillez en choisir au plus %d.",
        "other": "Autre",
        "other_placeholder": "Précisez",
        "other_missing": "Veuillez décrire votre autre réponse.",
        "new_tab": "(s'ouvre dans un nouvel onglet)",
        "nps_low": "Peu probable",
        "nps_high": "Très probable",
        "thank_you": "Merci !",
        "csat": ["Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"],
        "emoji": ["Horrible", "Mauvais", "Correct", "Bien", "Excellent"],
    },
    "es": {
        "next": "Siguiente",
        "back": "Atrás",
        "submit": "Enviar",
        "close": "Cerrar",
        "skip": "Omitir",
        "dismiss": "Cerrar encuesta",
        "survey": "Encuesta",
        "position": "Pregunta %d de %d",
        "scale_item": "%d de %d",
        "star_item": "%d de %d estrellas",
        "chars_left": "Quedan %d caracteres",
        "required": "Esta pregunta es obligatoria.",
        "required_mark": "Obligatoria",
        "invalid": "Elija una de las opciones.",
        "email_invalid": "Introduzca una dirección de correo válida.",
        "too_long": "Use como máximo %d caracteres.",
        "at_least": "Elija al menos %d.",
        "at_most": "Elija como máximo %d.",
        "other": "Otro",
        "other_placeholder": "Especifique",
        "other_missing": "Describa su otra respuesta.",
        "new_tab": "(se abre en una pestaña nueva)",
        "nps_low": "Poco probable",
        "nps_high": "Muy probable",
        "thank_you": "¡Gracias!",
        "csat": ["Muy insatisfecho", "Insatisfecho", "Neutral", "Satisfecho", "Muy satisfecho"],
        "emoji": ["Terrible", "Malo", "Regular", "Bueno", "Excelente"],
    },
    "ar": {
        "next": "التالي",
        "back": "رجوع",
        "submit": "إرسال",
        "close": "إغلاق",
        "skip": "تخطي",
        "dismiss": "إغلاق الاستبيان",
        "survey": "استبيان",
        "position": "السؤال %d من %d",
        "scale_item": "%d من %d",
        "star_item": "%d من %d نجوم",
        "chars_left": "متبقي %d حرف",
        "required": "هذا السؤال مطلوب.",
        "required_mark": "مطلوب",
        "invalid": "يرجى اختيار أحد الخيارات.",
        "email_invalid": "يرجى إدخال بريد إلكتروني صالح.",
        "too_long": "يرجى استخدام %d حرفًا كحد أقصى.",
        "at_least": "يرجى اختيار %d على الأقل.",
        "at_most": "يرجى اختيار %d على الأكثر.",
        "other": "أخرى",
        "other_placeholder": "يرجى التحديد",
        "other_missing": "يرجى وصف إجابتك الأخرى.",
        "new_tab": "(يفتح في علامة تبويب جديدة)",
        "nps_low": "غير محتمل",
        "nps_high": "محتمل جدًا",
        "thank_you": "شكرًا لك!",
        "csat": ["غير راضٍ جدًا", "غير راضٍ", "محايد", "راضٍ", "راضٍ جدًا"],
        "emoji": ["سيئ جدًا", "سيئ", "مقبول", "جيد", "رائع"],
    },
}


# -- small pure helpers ------------------------------------------------------------------------


def _norm_locale(code: object) -> str:
    return code.replace("_", "-").lower() if isinstance(code, str) else ""


def match_locale(locale: object, available: list) -> object:
    """The key of `available` for `locale`: exact match, then the bare language (`pt-BR` →
    `pt`), then any region of that language; None when nothing fits."""
    want = _norm_locale(locale)
    if not want:
        return None
    keys = sorted(k for k in available if isinstance(k, str))
    for key in keys:
        if _norm_locale(key) == want:
            return key
    language = want.split("-")[0]
    for key in keys:
        if _norm_locale(key) == language:
            return key
    for key in keys:
        if _norm_locale(key).split("-")[0] == language:
            return key
    return None


def direction(locale: object) -> str:
    """Text direction: right to left for Arabic, Hebrew, Persian and Urdu (any region)."""
    return "rtl" if _norm_locale(locale).split("-")[0] in RTL_LANGUAGES else "ltr"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int_in(value: object, low: int, high: int, default: int) -> int:
    return value if _is_int(value) and low <= value <= high else default


def _text(value: object) -> object:
    """A non-empty string or None: survey copy is only ever text."""
    return value if isinstance(value, str) and value != "" else None


_HEX = "0123456789abcdefABCDEF"


def accent_colour(value: object) -> str:
    """`#rgb` or `#rrggbb` as `#rrggbb` (lower case); anything else gives the default, so
    a survey definition can never inject CSS through its accent."""
    if not isinstance(value, str) or len(value) not in (4, 7) or value[0] != "#":
        return DEFAULT_ACCENT
    digits = value[1:]
    for char in digits:
        if char not in _HEX:
            return DEFAULT_ACCENT
    if len(digits) == 3:
        digits = "".join(c + c for c in digits)
    return "#" + digits.lower()


def _luminance(colour: str) -> float:
    total = 0.0
    for i, weight in ((1, 0.2126), (3, 0.7152), (5, 0.0722)):
        channel = int(colour[i : i + 2], 16) / 255
        if channel <= 0.04045:
            channel = channel / 12.92
        else:
            channel = ((channel + 0.055) / 1.055) ** 2.4
        total += weight * channel
    return total


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours."""
    a, b = _luminance(first), _luminance(second)
    if a < b:
        a, b = b, a
    return (a + 0.05) / (b + 0.05)


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (text on accent buttons); one of
    the two always reaches 4.5:1, so any accent gives readable buttons."""
    if contrast_ratio(colour, "#ffffff") >= contrast_ratio(colour, "#000000"):
        return "#ffffff"
    return "#000000"


# The panel's own colours (static/widget.css): a state drawn in the accent must stand out
# 3:1 from the panel and from the progress track, on the light theme and on the dark one.
LIGHT_GROUNDS = ("#ffffff", "#e5e7eb")
DARK_GROUNDS = ("#1f2937", "#4b5563")
MARK_CONTRAST = 3.0


def _hsl(colour: str) -> tuple:
    red, green, blue = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    high, low = max(red, green, blue), min(red, green, blue)
    lightness = (high + low) / 2
    if high == low:
        return 0.0, 0.0, lightness
    span = high - low
    saturation = span / (2 - high - low) if lightness > 0.5 else span / (high + low)
    if high == red:
        hue = (green - blue) / span % 6
    elif high == green:
        hue = (blue - red) / span + 2
    else:
        hue = (red - green) / span + 4
    return hue / 6, saturation, lightness


def _from_hsl(hue: float, saturation: float, lightness: float) -> str:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    sector = hue * 6
    second = chroma * (1 - abs(sector % 2 - 1))
    order = (
        (chroma, second, 0),
        (second, chroma, 0),
        (0, chroma, second),
        (0, second, chroma),
        (second, 0, chroma),
        (chroma, 0, second),
    )[int(sector) % 6]
    base = lightness - chroma / 2
    return "#" + "".join("%02x" % min(255, max(0, round((c + base) * 255))) for c in order)


def _stands_out(colour: str, grounds: tuple) -> bool:
    for ground in grounds:
        if contrast_ratio(colour, ground) < MARK_CONTRAST:
            return False
    return True


def mark_colour(accent: str, grounds: tuple) -> str:
    """The accent as a state indicator (selected item, checked border, progress bar) on
    `grounds` (the panel and its track): the accent itself where it stands out 3:1 from
    each, else the same hue and saturation made darker (light grounds) or lighter (dark
    grounds), by as little as reaches 3:1. Black and white always do, so every accent
    gives a visible state."""
    if _stands_out(accent, grounds):
        return accent
    hue, saturation, lightness = _hsl(accent)
    darker = _luminance(grounds[0]) > 0.18
    end = 0.0 if darker else 1.0
    near, far = lightness, end  # `far` always stands out; halve the way to the least change
    for _ in range(16):
        middle = (near + far) / 2
        if _stands_out(_from_hsl(hue, saturation, middle), grounds):
            far = middle
        else:
            near = middle
    found = _from_hsl(hue, saturation, far)
    return found if _stands_out(found, grounds) else _from_hsl(hue, saturation, end)


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


# -- the definition, cleaned -------------------------------------------------------------------


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


def _clean_question(raw: object) -> object:
    """Only what the widget understands, with defaults made explicit; None when unusable."""
    if not isinstance(raw, dict):
        return None
    qid = raw.get("id")
    kind = raw.get("type")
    if not isinstance(qid, str) or not qid or kind not in TYPES:
        return None
    question = {"id": qid, "type": kind, "required": raw.get("required") is True}
    for key in ("title", "description", "button", "placeholder"):
        if _text(raw.get(key)) is not None:
            question[key] = raw[key]
    if question.get("title") is None:
        question["title"] = ""
    labels = raw.get("labels")
    if isinstance(labels, dict):
        question["labels"] = {k: labels[k] for k in ("low", "high") if _text(labels.get(k))}
    if kind == "rating":
        question["scale"] = _int_in(raw.get("scale"), 3, 10, 5)
        question["style"] = "numbers" if raw.get("style") == "numbers" else "stars"
    elif kind == "csat":
        question["style"] = "labels" if raw.get("style") == "labels" else "faces"
    elif kind in ("single_choice", "multiple_choice"):
        question["choices"] = _choices(raw.get("choices"))
        if raw.get("other") is True:
            question["other"] = True
            if _text(raw.get("other_label")):
                question["other_label"] = raw["other_label"]
        if kind == "multiple_choice":
            count = len(question["choices"]) + (1 if question.get("other") else 0)
            low = _int_in(raw.get("min"), 0, count, 0)
            high = _int_in(raw.get("max"), 1, count, count)
            question["min"] = low
            question["max"] = max(low, high)
    elif kind == "text":
        question["multiline"] = raw.get("multiline") is True
    if kind in ("text", "email"):
        question["max_length"] = _int_in(raw.get("max_length"), 1, TEXT_MAX, 0) or (
            EMAIL_MAX if kind == "email" else 0
        )
    if kind == "statement":
        question["required"] = False
        link = raw.get("link")
        if isinstance(link, dict) and safe_url(link.get("url")) and _text(link.get("label")):
            question["link"] = {"label": link["label"], "url": safe_url(link["url"])}
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


def _translated(base: object, override: object) -> object:
    """Per-string fallback: the translation when it is a non-empty string, else the original."""
    return override if _text(override) is not None else base


def localise_question(question: dict, strings: dict) -> dict:
    """A copy of `question` with each string from `strings` (one translation's entry for
    it) where present, the original elsewhere."""
    out = dict(question)
    if not isinstance(strings, dict):
        strings = {}
    for key in ("title", "description", "button", "placeholder", "other_label"):
        if key in question:
            out[key] = _translated(question[key], strings.get(key))
    labels = strings.get("labels")
    if "labels" in question:
        out["labels"] = dict(question["labels"])
        if isinstance(labels, dict):
            for key in question["labels"]:
                out["labels"][key] = _translated(question["labels"][key], labels.get(key))
    if "choices" in question:
        names = strings.get("choices")
        if isinstance(names, list):  # [{"id", "label"}] like the original
            names = {
                c["id"]: c.get("label")
                for c in names
                if isinstance(c, dict) and isinstance(c.get("id"), str)
            }
        if not isinstance(names, dict):
            names = {}
        out["choices"] = [
            {"id": c["id"], "label": _translated(c["label"], names.get(c["id"]))}
            for c in question["choices"]
        ]
    if "link" in question:
        link = strings.get("link")
        label = link.get("label") if isinstance(link, dict) else None
        out["link"] = {
            "label": _translated(question["link"]["label"], label),
            "url": question["link"]["url"],
        }
    return out


# -- branching ---------------------------------------------------------------------------------


def _equal(answer: object, value: object) -> bool:
    if isinstance(answer, list) and isinstance(value, list):
        return sorted(str(a) for a in answer) == sorted(str(v) for v in value)
    if _is_number(answer) and _is_number(value):
        return answer == value
    return type(answer) is type(value) and answer == value


def condition_holds(condition: dict, answered: bool, answer: object) -> bool:
    """One `if` of a logic rule against the answer to its question. Comparisons on an
    unanswered question are false (use `skipped` for that case)."""
    op = condition.get("op")
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


def _clean_logic(raw: object, ids: list) -> list:
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
        self.rules = _clean_logic(self.form.get("logic"), self.ids)
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
            "title": _translated(
                _text(raw.get("title")) or self.text("thank_you"), strings.get("title")
            )
        }
        for key in ("description", "button"):
            value = _translated(_text(raw.get(key)), strings.get(key))
            if value is not None:
                out[key] = value
        seconds = raw.get("auto_close_s", DEFAULT_AUTO_CLOSE_S if not raw else None)
        out["auto_close_s"] = seconds if _is_number(seconds) and seconds > 0 else 0
        return out

    def appearance(self) -> dict:
        """Position, theme and accent with every value checked."""
        raw = self.form.get("appearance")
        raw = raw if isinstance(raw, dict) else {}
        position = raw.get("position")
        if position not in POSITIONS:
            position = POSITIONS[0]
        theme = raw.get("theme")
        if theme not in THEMES:
            theme = THEMES[0]
        accent = accent_colour(raw.get("accent"))
        look = {
            "position": position,
            "theme": theme,
            "accent": accent,
            "accent_text": text_on(accent),
        }
        for name, grounds in (("light", LIGHT_GROUNDS), ("dark", DARK_GROUNDS)):
            mark = mark_colour(accent, grounds)
            look["mark_" + name] = mark
            look["mark_text_" + name] = text_on(mark)
        return look

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
            return self.text("required")
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
