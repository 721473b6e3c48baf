"""Where a survey is asked besides the snippet's triggers: its own link page and a feedback
button. The vocabulary of a definition's `channels` and `hidden_fields` (the server's
validator reads it from here), and what the client decides from them.

Pure Python: the link page's start (`refiner_web.boot`) and the button's drawing
(`refiner_web.launcher`) act on what this module decides; the server prefills a link's
hidden fields with the same `prefill`.
"""

from refiner_web.appearance import accent_colour, text_on
from refiner_web.strings import match_locale
from refiner_web.triggers import page_matches
from refiner_web.values import check_field_value

#: `channels.link`: off; public (anyone with the page's address); one_time (only through a
#: one-time link minted for one person)
LINK_ACCESS = ("off", "public", "one_time")
#: `channels.button.position`: a tab on the right or left edge, or a corner button
BUTTON_POSITIONS = ("right", "left", "bottom-right", "bottom-left")
DEFAULT_LABEL = "Feedback"
MAX_LABEL = 40
#: characters of a hidden field's name (it is a query-string key of the link)
FIELD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
MAX_HIDDEN_FIELDS = 20
MAX_FIELD_NAME = 64


def _channels(form: dict) -> dict:
    channels = form.get("channels")
    return channels if isinstance(channels, dict) else {}


def link_access(form: dict) -> str:
    """How the survey may be reached by its link: one of LINK_ACCESS."""
    access = _channels(form).get("link")
    return access if access in LINK_ACCESS else LINK_ACCESS[0]


def is_field_name(name: object) -> bool:
    """A name `hidden_fields` may declare: 1-64 characters of FIELD_CHARS."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_FIELD_NAME:
        return False
    for char in name:
        if char not in FIELD_CHARS:
            return False
    return True


def hidden_fields(form: dict) -> list:
    """The hidden-field names the survey declares, in order (the malformed left out)."""
    names = form.get("hidden_fields")
    if not isinstance(names, list):
        return []
    return [name for name in names[:MAX_HIDDEN_FIELDS] if is_field_name(name)]


def prefill(form: dict, pairs: list) -> list:
    """The (key, value) pairs of a link's query string that the survey declares as hidden
    fields, in the declared order; the first value of a key wins, and a value the hidden
    fields' rules refuse (values.check_field_value) is left out."""
    declared = hidden_fields(form)
    found = {}
    for key, value in pairs:
        if key in declared and key not in found:
            try:
                found[key] = check_field_value(value)
            except ValueError:
                continue
    return [(key, found[key]) for key in declared if key in found]


def button(form: dict) -> object:
    """The survey's feedback button with every value checked, or None without one:
    `{"label", "position", "background", "colour", "pages"}`; the text colour is drawn
    from the background so that the label reads (WCAG contrast)."""
    raw = _channels(form).get("button")
    if not isinstance(raw, dict):
        return None
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        label = DEFAULT_LABEL
    position = raw.get("position")
    if position not in BUTTON_POSITIONS:
        position = BUTTON_POSITIONS[0]
    background = accent_colour(raw.get("background"))
    pages = raw.get("pages")
    return {
        "label": label.strip()[:MAX_LABEL],
        "position": position,
        "background": background,
        "colour": text_on(background),
        "pages": pages if isinstance(pages, dict) else {},
    }


def launcher(forms: list, url: str) -> object:
    """(form id, button) of the feedback button this page shows, or None: the first survey
    the server serves (so its audience, status and schedule allow this person) whose button
    has page rules that match `url`. One button a page."""
    for form in forms:
        found = button(form)
        if found is not None and page_matches(found["pages"], url):
            return form["id"], found
    return None


def _language_tag(value: object) -> object:
    """`value` as a language tag (`de`, `pt-BR`), or None when it is not one."""
    if not isinstance(value, str) or not 0 < len(value) <= 35:
        return None
    for char in value:
        if not (char in FIELD_CHARS and char != "."):
            return None
    return value.replace("_", "-")


def page_locale(asked: object, accept_language: object) -> object:
    """The link page's locale: the query's `lang`, else the browser's first language
    (its Accept-Language header), else None (the survey's own words)."""
    found = _language_tag(asked)
    if found is not None or not isinstance(accept_language, str):
        return found
    first = accept_language.split(",")[0].split(";")[0].strip()
    return _language_tag(first) if first != "*" else None


#: what the link page says to a person this browser saw answer before (a public link asks
#: once; `refiner_web.strings.match_locale` picks the language)
ANSWERED = {
    "en": "You have already answered this survey. Thank you!",
    "de": "Sie haben diese Umfrage bereits beantwortet. Vielen Dank!",
    "fr": "Vous avez déjà répondu à ce sondage. Merci !",
    "es": "Ya respondió esta encuesta. ¡Gracias!",
    "ar": "لقد أجبت على هذا الاستطلاع بالفعل. شكرًا لك!",
}


def start_link_page(client: object, settings: dict) -> object:
    """Starts the link page's client (`refiner_web.boot`) from the settings the server
    wrote into the page: its project, survey, prefilled hidden fields, locale and one-time
    link. It never pings (the page asks one survey, whoever the person is) and keeps its
    locale off storage. Returns the words to show instead of the survey when this browser
    answered it before (a public link asks once), else None once the survey is asked for."""
    form = settings.get("form")
    client.dispatch(["setProject", settings.get("project")])
    client.pinger.stop()
    locale = settings.get("locale")
    if isinstance(locale, str):
        client.identity.locale = locale
    data = settings.get("data")
    if isinstance(data, dict) and data:
        client.dispatch(["addToResponse", data])
    link = settings.get("link")
    client.link = link if isinstance(link, str) else None
    client.finish_boot()
    if not isinstance(form, dict) or not isinstance(form.get("id"), str):
        client.warn("link page: no survey in its settings")
        return None
    client.forms = [form]
    client.forms_known = True
    surveys = client.survey_layer()
    if client.link is None and surveys._done(form["id"], form) == "already completed":
        return ANSWERED[match_locale(locale, list(ANSWERED)) or "en"]
    surveys.show(form["id"], True)
    return None
