"""The trait rules of the reference documents: what `identifyUser` may carry.

Strings up to 255 characters, integers in [-2147483647, 2147483647], booleans, and dates
for keys ending in `_at`. A quoted number stays a string. An invalid trait is dropped with
one warning naming its key and the rule; the other traits go through.
"""

from refiner_web.dates import parse_date

MAX_STRING = 255
MAX_INT = 2147483647
MAX_TRAITS = 100


def is_date_key(key: str) -> bool:
    return key.endswith("_at")


def check_trait(key: str, value: object) -> object:
    """The stored form of one trait value; raises ValueError with the rule it broke."""
    if not key:
        raise ValueError("a trait name cannot be empty")
    if len(key) > MAX_STRING:
        raise ValueError("a trait name is at most 255 characters")
    if is_date_key(key):
        try:
            return parse_date(value)
        except ValueError as error:
            raise ValueError("keys ending in _at take dates: " + str(error)) from None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -MAX_INT <= value <= MAX_INT:
            return value
        raise ValueError("integers must lie between -2147483647 and 2147483647")
    if isinstance(value, float):
        if value == value and -MAX_INT <= value <= MAX_INT and value == int(value):
            return int(value)
        raise ValueError("numbers must be whole and between -2147483647 and 2147483647")
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ValueError("strings are at most 255 characters")
        return value
    raise ValueError(
        "a trait is a string, an integer, a boolean or (for keys ending in _at) a date"
    )


def keep_valid(items: list, check, most: int, noun: str, warn) -> list:
    """(key, checked value) pairs in order, at most `most`; each one `check` refuses (with
    ValueError) is dropped with one warning naming it and the rule. Lists, not dicts:
    MicroPython's dicts do not keep insertion order."""
    kept = []
    for key, value in items:
        if len(kept) >= most:
            warn("%s %s dropped: at most %d %ss" % (noun, key[:64], most, noun))
            continue
        try:
            kept.append((key, check(key, value)))
        except ValueError as error:
            warn("%s %s dropped: %s" % (noun, key[:64], error))
    return kept


def clean_traits(items: list, warn) -> list:
    """Checked traits; `warn(text)` hears each drop."""
    return keep_valid(items, check_trait, MAX_TRAITS, "trait", warn)
