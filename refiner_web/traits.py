"""The trait rules of the reference documents: what `identifyUser` may carry.

Strings up to 255 characters, integers in [-2147483647, 2147483647], booleans, and dates
for keys ending in `_at`. A quoted number stays a string. An invalid trait is dropped with
one warning naming its key and the rule; the other traits go through.
"""

from refiner_web.dates import parse_date
from refiner_web.values import MAX_INT, MAX_NAME, MAX_TRAITS, check_text, is_text, keep_valid


def is_date_key(key: str) -> bool:
    return key.endswith("_at")


def check_trait(key: str, value: object) -> object:
    """The stored form of one trait value; raises ValueError with the rule it broke."""
    if not key:
        raise ValueError("a trait name cannot be empty")
    if len(key) > MAX_NAME:
        raise ValueError("a trait name is at most 255 characters")
    check_text(key, MAX_NAME)
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
    if is_text(value):
        return check_text(value, MAX_NAME)
    raise ValueError(
        "a trait is a string, an integer, a boolean or (for keys ending in _at) a date"
    )


def clean_traits(items: list, warn: object) -> list:
    """Checked traits; `warn(text)` hears each drop."""
    return keep_valid(items, check_trait, MAX_TRAITS, "trait", warn)
