"""What a scale question (nps, rating, csat, emoji) shows and how its keys move: pure
decisions on values and words, so CPython tests reach them; `refiner_web.questions.Scale`
draws them. `text` is the survey's `SurveyRun.text` (its words in the survey's language)."""

#: the key that moves the roving tab stop, and which way (in reading order, left to right)
STEPS = {"ArrowDown": 1, "ArrowUp": -1, "ArrowRight": 1, "ArrowLeft": -1}


def values(question: dict) -> list:
    """The answers a scale offers, in order: NPS 0-10, a rating 1 to its `scale`, csat and
    emoji 1-5."""
    kind = question["type"]
    if kind == "nps":
        return list(range(0, 11))
    if kind == "rating":
        return list(range(1, question["scale"] + 1))
    return [1, 2, 3, 4, 5]


def items(question: dict, text) -> list:  # noqa: ANN001 - SurveyRun.text
    """One (value, icon, content, label) per answer: `icon` "star", "emoji" (a coloured
    face), "face" (an outlined one) or None; `content` the visible text or None; `label` the
    accessible name when the content does not say it all (None: the content is the name)."""
    kind = question["type"]
    style = question.get("style", "")
    offered = values(question)
    top = offered[-1]
    words = text(kind) if kind in ("csat", "emoji") else None
    out = []
    for n in offered:
        if kind == "rating" and style == "stars":
            out.append((n, "star", None, text("star_item") % (n, top)))
        elif kind == "emoji":
            out.append((n, "emoji", None, words[n - 1]))
        elif kind == "csat" and style == "faces":
            out.append((n, "face", None, words[n - 1]))
        elif kind == "csat":
            out.append((n, None, words[n - 1], None))
        else:
            out.append((n, None, str(n), text("scale_item") % (n, top)))
    return out


def ends(question: dict, text) -> object:  # noqa: ANN001 - SurveyRun.text
    """(low, high): the words at the two ends of the scale ("" for a missing one), or None
    when there are none. The survey's own labels first; NPS, and csat and emoji drawn as
    faces, fall back to the language's words."""
    kind = question["type"]
    labels = question.get("labels") or {}
    low, high = labels.get("low"), labels.get("high")
    if kind == "nps":
        low = low or text("nps_low")
        high = high or text("nps_high")
    elif kind in ("csat", "emoji") and question.get("style") != "labels":
        words = text(kind)
        low, high = low or words[0], high or words[4]
    if not (low or high):
        return None
    return (low or "", high or "")


def marks(offered: list, value: object, stars: bool) -> list:
    """One (checked, tab stop, lit) per answer of `offered` when `value` is chosen (None:
    none is): the chosen one is the group's one tab stop, else the first; stars light up to
    the chosen one."""
    chosen = str(value) if value is not None else None
    out = []
    for index, n in enumerate(offered):
        picked = str(n) == chosen
        stop = picked or (chosen is None and index == 0)
        out.append((picked, stop, stars and value is not None and n <= value))
    return out


def moved_to(key: str, index: int, count: int, rtl: bool) -> object:
    """Where `key` takes the roving tab stop from `index` among `count` answers: arrows
    step and wrap around (left and right swap in a right-to-left survey), Home and End go to
    the first and last; None for any other key."""
    step = STEPS.get(key)
    if step is not None:
        if rtl and key in ("ArrowRight", "ArrowLeft"):
            step = -step
        return (index + step) % count
    if key == "Home":
        return 0
    if key == "End":
        return count - 1
    return None
