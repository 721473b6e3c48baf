"""The value rules of everything the client stores on the server: one module that the client
applies at the call and the server at its door (DESIGN.md section 6), so that nothing the
client queues is refused later and lost with the answers around it.

Pure and MicroPython-safe. Text must be storable by every database: no NUL (PostgreSQL's
text and jsonb refuse it) and no lone surrogate (not UTF-8; on Pyodide `'😀'.slice(0, 1)`
arrives as one, on MicroPython as the bytes ED A0-BF xx that JSON decoding leaves).
"""

MAX_NAME = 255  # ids, names, keys, trait strings, event names
MAX_TEXT = 4096  # a hidden field's string; the longest string the loader copies at all
MAX_TRAITS = 100  # of a user, and of an account
MAX_FIELDS = 100  # hidden fields of one response, over every addToResponse call
#: the characters of one response's hidden fields in all, names and string values: with
#: answers.MAX_ANSWER_CHARS, what bounds a response body (refiner_server.client.limits)
MAX_FIELDS_TEXT = 10000
MAX_INT = 2147483647  # traits are 32-bit integers
MAX_URL = 2048  # a page's URL, title or referrer
#: what the loader reads of one `_refiner` call (static/refiner.js, kept equal by a test):
#: values visited, and characters copied; beyond either the call is refused whole
MAX_NODES = 256  # 100 traits and 100 account traits fit; each costs MicroPython ~0.15 ms
#: UTF-16 units (what JavaScript's `length` counts): the largest legal call must fit, an
#: identifyUser of 2 x 100 traits whose 255-character names and values are all emoji
#: (2 units each): 203,400 units
MAX_CALL_CHARS = 256 * 1024


class Uncopied:
    """A string over MAX_TEXT characters, which the loader does not copy into Python
    (static/refiner.js): it stands in for that string in the value rules, where it breaks
    the length rule, and that is what a warning about it must name."""

    kind = "a string over %d characters" % MAX_TEXT

    def __repr__(self) -> str:
        return self.kind


#: the one stand-in (jsvalues decodes the loader's `long` marker to it)
UNCOPIED = Uncopied()


def is_text(value: object) -> bool:
    """Whether `value` is a string, copied or too long to be."""
    return isinstance(value, str) or value is UNCOPIED


def has_lone_surrogate(text: str) -> bool:
    """Whether `text` holds half of a surrogate pair (CPython cannot encode one; MicroPython
    encodes it as ED A0-BF xx, which no valid UTF-8 holds)."""
    try:
        data = text.encode("utf-8")
    except UnicodeError:
        return True
    at = data.find(b"\xed")
    while at >= 0:
        if at + 1 < len(data) and data[at + 1] >= 0xA0:
            return True
        at = data.find(b"\xed", at + 1)
    return False


def text_fault(text: object, most: int) -> object:
    """The rule `text` (a string or UNCOPIED) breaks as stored text of at most `most`
    characters, or None."""
    if text is UNCOPIED or len(text) > most:
        return "strings are at most %d characters" % most
    if "\x00" in text:
        return "text cannot hold a NUL character"
    if has_lone_surrogate(text):
        return "text cannot hold a lone surrogate (half of an emoji cut in two)"
    return None


def check_text(text: object, most: int) -> object:
    """`text`, or ValueError with the rule it breaks."""
    fault = text_fault(text, most)
    if fault is not None:
        raise ValueError(fault)
    return text


def check_name(key: str) -> str:
    """A hidden-field name: 1 to 255 characters of storable text."""
    if not isinstance(key, str) or not key or len(key) > MAX_NAME:
        raise ValueError("names are 1 to %d characters" % MAX_NAME)
    return check_text(key, MAX_NAME)


def check_field(key: str, value: object) -> object:
    """One hidden field (`addToResponse`): its stored value, or ValueError with the rule."""
    check_name(key)
    return check_field_value(value)


def check_field_value(value: object) -> object:
    """A hidden field's value: a scalar, a string of at most MAX_TEXT characters."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("numbers must be finite")
        return value
    if is_text(value):
        return check_text(value, MAX_TEXT)
    raise ValueError("a value must be a string, a number, a boolean or null")


def field_chars(key: str, value: object) -> int:
    """What one hidden field counts against MAX_FIELDS_TEXT."""
    return len(key) + (len(value) if isinstance(value, str) else 0)


def add_fields(held: list, items: list, warn) -> list:  # noqa: ANN001
    """The hidden fields `held`, (key, value) pairs, with `items` checked and added in order
    (a later value replaces an earlier one): at most MAX_FIELDS names and MAX_FIELDS_TEXT
    characters in all. A field refused costs itself and one warning `field <name> dropped:
    <rule>` (the names past MAX_FIELDS share one); what fits is kept. The client applies it
    at `addToResponse`, the server to a response's `data`."""
    fields = list(held)
    names = [key for key, _ in fields]
    total = 0
    for key, value in fields:
        total += field_chars(key, value)
    over = []  # names past MAX_FIELDS: one warning for all of them
    for key, value in items:
        at = names.index(key) if key in names else -1
        if at < 0 and len(names) >= MAX_FIELDS:
            over.append(key)
            continue
        try:
            value = check_field(key, value)
            grown = field_chars(key, value) - (field_chars(*fields[at]) if at >= 0 else 0)
            if total + grown > MAX_FIELDS_TEXT:
                raise ValueError("fields hold at most %d characters in all" % MAX_FIELDS_TEXT)
        except ValueError as error:
            warn("field %s dropped: %s" % (printable(key), error))
            continue
        total += grown
        if at >= 0:
            fields[at] = (key, value)
        else:
            fields.append((key, value))
            names.append(key)
    if over:
        warn(over_limit("field", over, MAX_FIELDS))
    return fields


def storable(text: str, most: int) -> str:
    """`text` as stored text the client can always queue: at most `most` UTF-16 units (a
    pair, one character here, is never cut in two), NUL and lone surrogates as U+FFFD. For
    what the page holds rather than what a caller passed (its URL, title, referrer); the
    loader cuts these the same way before Python copies them (static/refiner.js)."""
    if not has_lone_surrogate(text):
        data = text.encode("utf-8")
        if len(data) <= most and b"\x00" not in data:
            return text  # no more UTF-8 bytes than `most`, so no more UTF-16 units either
    out = []
    units = 0
    for char in text[:most]:
        code = ord(char)
        units += 2 if code > 0xFFFF else 1
        if units > most:
            break
        out.append("\ufffd" if code == 0 or 0xD800 <= code <= 0xDFFF else char)
    return "".join(out)


def keep_valid(items: list, check, most: int, noun: str, warn) -> list:  # noqa: ANN001
    """(key, checked value) pairs in order, at most `most`; each one `check` refuses (with
    ValueError) is dropped with one warning naming it and the rule. Lists, not dicts:
    MicroPython's dicts do not keep insertion order."""
    kept = []
    over = []
    for key, value in items:
        if len(kept) >= most:
            over.append(key)
            continue
        try:
            kept.append((key, check(key, value)))
        except ValueError as error:
            warn("%s %s dropped: %s" % (noun, printable(key), error))
    if over:
        warn(over_limit(noun, over, most))
    return kept


def over_limit(noun: str, keys: list, most: int) -> str:
    """One warning for every name past a count limit: a call of hundreds of names must not
    cost the page a console line each (each one a trip out of Python)."""
    more = "" if len(keys) == 1 else " and %d more" % (len(keys) - 1)
    # the least name, not the first: MicroPython's dicts have no order
    return "%s %s%s dropped: at most %d %ss" % (noun, printable(min(keys)), more, most, noun)


def printable(key: object) -> str:
    """A name as a warning or a note shows it: 64 characters at most, NUL and lone
    surrogates replaced, so the warning itself is always storable and printable."""
    if not isinstance(key, str):
        return "?"
    if "\x00" not in key and not has_lone_surrogate(key):
        return key[:64]  # the usual case, without a loop over characters
    out = []
    for char in key[:64]:
        if char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF:
            char = "\ufffd"
        out.append(char)
    return "".join(out)
