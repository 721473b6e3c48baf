"""Parsing and checking of every `_refiner` command of the reference documents.

`parse_name` reads the command's name; then the command's method in `refiner_web.client`
calls its `parse_...(args, warn)` (`parse_identify`, `parse_show_form`, ...), which turns the
raw arguments into the values the client acts on, or raises CommandError with the rule that
was broken. Lesser faults (one bad trait, an extra argument) go to `warn` and the command
still runs, as the documents promise.
"""

from refiner_web.jsvalues import UNDEFINED, JsFunction, describe
from refiner_web.traits import clean_traits
from refiner_web.values import MAX_NAME, add_fields, is_text, text_fault

CALLBACKS = ("onBeforeShow", "onNavigation", "onShow", "onClose", "onDismiss", "onComplete")
USER_FIELDS = ("id", "email", "name", "account", "locale")
MAX_ID = MAX_NAME
MAX_SIGNATURE = 128  # hex HMAC-SHA256 is 64
MAX_KEY = 64  # project and survey ids on the server
MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's: a whole number passed as an id is exact below it
KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


class CommandError(Exception):
    """A call that cannot run; its text is the rule, for the console warning."""


def _expect_count(args: list, most: int, warn: object) -> None:
    if len(args) > most:
        warn(
            "takes at most %d argument%s; %d extra ignored"
            % (most, "" if most == 1 else "s", len(args) - most)
        )


def _arg(args: list, index: int) -> object:
    return args[index] if index < len(args) else UNDEFINED


def identifier(value: object, what: str) -> str:
    """A non-empty id: a string, or a whole number that JavaScript code passed for one."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif isinstance(value, float) and abs(value) <= MAX_SAFE_INTEGER and value == int(value):
        value = str(int(value))  # NaN and the infinities fail the bound
    if not isinstance(value, str):
        raise CommandError("%s must be a non-empty string, not %s" % (what, describe(value)))
    value = value.strip()
    if not value:
        raise CommandError("%s must be a non-empty string" % what)
    if len(value) > MAX_ID:
        raise CommandError("%s is at most %d characters" % (what, MAX_ID))
    fault = text_fault(value, MAX_ID)
    if fault is not None:
        raise CommandError("%s: %s" % (what, fault))
    return value


def _optional_text(fields: dict, key: str, warn: object) -> object:
    """A user field that may be absent or empty (the reference snippet sends `email: ''`)."""
    value = fields.get(key)
    if value is None or value is UNDEFINED or value == "":
        return None
    if not is_text(value):
        warn("%s ignored: must be a string, not %s" % (key, describe(value)))
        return None
    fault = text_fault(value, MAX_NAME)
    if fault is not None:
        warn("%s ignored: %s" % (key, fault))
        return None
    return value


def _account(value: object, warn: object) -> object:
    if value is None or value is UNDEFINED:
        return None
    if not isinstance(value, dict):
        warn("account ignored: must be an object with an id, not %s" % describe(value))
        return None
    try:
        account_id = identifier(value.get("id", UNDEFINED), "account.id")
    except CommandError as error:
        warn("account ignored: %s" % error)
        return None
    name = _optional_text(value, "name", lambda text: warn("account." + text))
    traits = [(k, v) for k, v in value.items() if k not in ("id", "name")]
    return {
        "id": account_id,
        "name": name,
        "traits": clean_traits(traits, lambda text: warn("account " + text)),
    }


def _locale(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > 35:
        raise CommandError("a locale is a language tag such as 'de' or 'pt-BR'")
    for char in value:
        if not (char.isalpha() or char.isdigit() or char in "-_"):
            raise CommandError("a locale is a language tag such as 'de' or 'pt-BR'")
    return value.replace("_", "-")


def ping_user(identity: dict) -> dict:
    """An identity from `parse_identify` as a ping carries it: the fields the server stores,
    traits as objects (the browser client and the server API send the same shape)."""
    account = identity["account"]
    return {
        "id": identity["id"],
        "email": identity["email"],
        "name": identity["name"],
        "traits": dict(identity["traits"]),
        "account": None
        if account is None
        else {"id": account["id"], "name": account["name"], "traits": dict(account["traits"])},
    }


def parse_identify(args: list, warn: object) -> dict:
    """`identifyUser(user, {signature})`: the identity with checked traits and account."""
    _expect_count(args, 2, warn)
    fields = _arg(args, 0)
    if not isinstance(fields, dict):
        raise CommandError("the first argument must be an object, not %s" % describe(fields))
    user_id = None
    if fields.get("id", None) not in (None, UNDEFINED, ""):
        user_id = identifier(fields["id"], "id")
    email = _optional_text(fields, "email", warn)
    if user_id is None and email is None:
        raise CommandError("needs an id or an email")
    locale = None
    if fields.get("locale") not in (None, UNDEFINED):
        try:
            locale = _locale(fields["locale"])
        except CommandError as error:
            warn("locale ignored: %s" % error)
    traits = [(k, v) for k, v in fields.items() if k not in USER_FIELDS]
    if locale is not None:
        traits.append(("locale", locale))
    signature = None
    options = _arg(args, 1)
    if isinstance(options, dict):
        signature = options.get("signature")
        if signature is not None and not is_text(signature):
            warn("signature ignored: must be a string, not %s" % describe(signature))
            signature = None
        elif signature is not None and text_fault(signature, MAX_SIGNATURE) is not None:
            warn("signature ignored: %s" % text_fault(signature, MAX_SIGNATURE))
            signature = None
    elif options is not UNDEFINED and options is not None:
        warn("second argument ignored: must be an object like {signature: '...'}")
    return {
        "id": user_id,
        "email": email,
        "name": _optional_text(fields, "name", warn),
        "traits": clean_traits(traits, warn),
        "account": _account(fields.get("account"), warn),
        "locale": locale,
        "signature": signature,
    }


def parse_response_data(args: list, warn: object, held: list = ()) -> object:
    """`addToResponse(object | null)`: the hidden fields `held` so far with the call's
    checked fields added (`values.add_fields`), as (key, value) pairs; None for null."""
    _expect_count(args, 1, warn)
    data = _arg(args, 0)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise CommandError("takes an object or null, not %s" % describe(data))
    return add_fields(held, list(data.items()), warn)


def parse_event_name(args: list, warn: object) -> str:
    _expect_count(args, 1, warn)
    name = _arg(args, 0)
    if not isinstance(name, str) or not name.strip():
        raise CommandError("the event name must be a non-empty string, not %s" % describe(name))
    if len(name) > MAX_NAME:
        raise CommandError("the event name is at most 255 characters")
    fault = text_fault(name, MAX_NAME)
    if fault is not None:
        raise CommandError("the event name: " + fault)
    return name


def parse_form_id(args: list, warn: object, most: int = 1) -> str:
    """A survey id as the server keeps them: at most 64 characters; "." and ".." would
    walk up the URL of `forms/{id}`."""
    _expect_count(args, most, warn)
    form_id = identifier(_arg(args, 0), "the survey id")
    if len(form_id) > MAX_KEY or form_id in (".", ".."):
        raise CommandError("the survey id is 1 to %d characters, not '.' or '..'" % MAX_KEY)
    return form_id


def parse_show_form(args: list, warn: object) -> tuple:
    """`showForm(id, force)`: force is a boolean that skips trigger restrictions."""
    form_id = parse_form_id(args, warn, 2)
    force = _arg(args, 1)
    if force is UNDEFINED or force is None:
        return form_id, False
    if not isinstance(force, bool):
        raise CommandError("force must be true or false, not %s" % describe(force))
    return form_id, force


def parse_project(args: list, warn: object) -> str:
    """A project id goes into every URL: only what the server's ids are made of."""
    _expect_count(args, 1, warn)
    project = identifier(_arg(args, 0), "the project id")
    if len(project) > MAX_KEY or [c for c in project if c not in KEY_CHARS]:
        raise CommandError("the project id is 1 to %d letters, digits, '-' or '_'" % MAX_KEY)
    return project


def path_segment(text: str) -> str:
    """`text` percent-encoded as one URL path segment (a survey id may hold '/', '?', '#')."""
    out = []
    for char in text:
        if char in KEY_CHARS or char in ".~":
            out.append(char)
            continue
        try:
            data = char.encode("utf-8")
        except UnicodeError:  # a lone surrogate
            data = b"\xef\xbf\xbd"
        out.append("".join("%%%02X" % byte for byte in data))
    return "".join(out)


def parse_locale(args: list, warn: object) -> str:
    _expect_count(args, 1, warn)
    return _locale(_arg(args, 0))


def parse_callback(args: list, warn: object) -> object:
    """A callback registration: a function, or null to remove the one registered."""
    _expect_count(args, 1, warn)
    fn = _arg(args, 0)
    if fn is None:
        return None
    if isinstance(fn, JsFunction) or callable(fn):
        return fn
    raise CommandError("takes a function or null, not %s" % describe(fn))


def parse_nothing(args: list, warn: object) -> None:
    _expect_count(args, 0, warn)


def parse_name(value: object) -> str:
    """The command name, the first argument of every call."""
    if not isinstance(value, str):
        raise CommandError("the first argument must be a command name, not %s" % describe(value))
    return value
