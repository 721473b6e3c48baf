"""Dates for `_at` traits and timestamps on the wire, without `datetime`.

MicroPython ships no `datetime`, so the civil-calendar arithmetic is written out here
(Howard Hinnant's days-from-civil algorithm). Every date leaves as ISO 8601 UTC with a `Z`.
"""

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Unix timestamps above this many seconds (year 5138) are taken to be milliseconds, the unit
# of JavaScript's Date.now().
_MS_THRESHOLD = 10**11


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and _is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    if month <= 2:
        year -= 1
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple:
    """(year, month, day) of a count of days since 1970-01-01."""
    days += 719468
    era = (days if days >= 0 else days - 146096) // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def _pad(number: int, width: int) -> str:
    text = str(number)
    return "0" * (width - len(text)) + text


def iso_from_seconds(seconds: int) -> str:
    """ISO 8601 UTC text (second precision) of a Unix time in seconds."""
    days = seconds // 86400
    rest = seconds - days * 86400
    year, month, day = civil_from_days(days)
    return "%s-%s-%sT%s:%s:%sZ" % (
        _pad(year, 4),
        _pad(month, 2),
        _pad(day, 2),
        _pad(rest // 3600, 2),
        _pad(rest // 60 % 60, 2),
        _pad(rest % 60, 2),
    )


def iso_from_ms(ms: float) -> str:
    """ISO 8601 UTC text of a JavaScript time value (milliseconds since the epoch)."""
    return iso_from_seconds(int(ms // 1000))


def _digits(text: str, start: int, count: int) -> int:
    """The number written by exactly `count` ASCII digits at `start`, or -1."""
    part = text[start : start + count]
    if len(part) != count:
        return -1
    for char in part:
        if char < "0" or char > "9":
            return -1
    return int(part)


def _all_digits(text: str) -> bool:
    if not text:
        return False
    for char in text:
        if char < "0" or char > "9":
            return False
    return True


def _parse_offset(text: str) -> int:
    """Seconds east of UTC for `Z`, `+HH:MM`, `+HHMM` or `+HH`; raises ValueError."""
    if text in ("Z", "z"):
        return 0
    if not text or text[0] not in "+-":
        raise ValueError("time zone must be Z or +HH:MM")
    body = text[1:]
    if len(body) == 5 and body[2] == ":":
        body = body[:2] + body[3:]
    if len(body) not in (2, 4) or not _all_digits(body):
        raise ValueError("time zone must be Z or +HH:MM")
    hours = int(body[:2])
    minutes = int(body[2:]) if len(body) == 4 else 0
    if hours > 23 or minutes > 59:
        raise ValueError("time zone out of range")
    sign = -1 if text[0] == "-" else 1
    return sign * (hours * 3600 + minutes * 60)


def _parse_time(text: str) -> tuple:
    """(seconds into the day, offset seconds) of `HH:MM[:SS[.fff]][zone]`."""
    hour = _digits(text, 0, 2)
    minute = _digits(text, 3, 2)
    if hour < 0 or minute < 0 or len(text) < 5 or text[2] != ":":
        raise ValueError("time must be HH:MM or HH:MM:SS")
    second = 0
    rest = text[5:]
    if rest.startswith(":"):
        second = _digits(rest, 1, 2)
        if second < 0:
            raise ValueError("seconds must be two digits")
        rest = rest[3:]
        if rest.startswith("."):
            end = 1
            while end < len(rest) and "0" <= rest[end] <= "9":
                end += 1
            if end == 1:
                raise ValueError("fraction of a second needs digits")
            rest = rest[end:]
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("time out of range")
    offset = _parse_offset(rest) if rest else 0
    return hour * 3600 + minute * 60 + second, offset


def parse_date(value: object) -> str:
    """Normalise a trait date to ISO 8601 UTC, or raise ValueError saying why.

    Accepted: an ISO 8601 date (`2022-01-31`), date-time with `T` or a space, optional
    seconds, fraction and zone (`2020-04-26T17:58:14+02:00`, `2021-05-05 17:12`), or a Unix
    timestamp as an integer or a string of digits (seconds; milliseconds above 10^11). A
    date-time without a zone is taken as UTC.
    """
    if isinstance(value, bool):
        raise ValueError("a date must be an ISO 8601 text or a Unix timestamp, not a boolean")
    if isinstance(value, int):
        return _from_timestamp(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or value != int(value):
            raise ValueError("a Unix timestamp must be a whole number")
        return _from_timestamp(int(value))
    if not isinstance(value, str):
        raise ValueError("a date must be an ISO 8601 text or a Unix timestamp")
    text = value.strip()
    if _all_digits(text) and len(text) != 8:
        return _from_timestamp(int(text))
    year = _digits(text, 0, 4)
    month = _digits(text, 5, 2)
    day = _digits(text, 8, 2)
    if year < 0 or month < 0 or day < 0 or text[4:5] != "-" or text[7:8] != "-":
        raise ValueError("a date must look like YYYY-MM-DD, optionally with a time")
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        raise ValueError("no such day in the calendar")
    seconds = 0
    offset = 0
    if len(text) > 10:
        if text[10] not in "Tt ":
            raise ValueError("date and time must be joined by T or a space")
        seconds, offset = _parse_time(text[11:])
    return iso_from_seconds(days_from_civil(year, month, day) * 86400 + seconds - offset)


def _from_timestamp(number: int) -> str:
    if number < 0:
        raise ValueError("a Unix timestamp cannot be negative")
    if number > _MS_THRESHOLD:
        number //= 1000
    if number > 253402300799:  # 9999-12-31T23:59:59Z
        raise ValueError("a Unix timestamp beyond the year 9999")
    return iso_from_seconds(number)


def ms_from_iso(text: str) -> int:
    """Milliseconds since the epoch of JavaScript's `Date.prototype.toISOString()` text.

    The clock is read this way because MicroPython 1.27's FFI wraps integral JavaScript
    numbers beyond 32 bits (`Date.now()` arrives as garbage); text crosses intact.
    """
    year = _digits(text, 0, 4)
    month = _digits(text, 5, 2)
    day = _digits(text, 8, 2)
    seconds, _ = _parse_time(text[11:19])
    millis = _digits(text, 20, 3) if text[19:20] == "." else 0
    if year < 0 or month < 0 or day < 0 or millis < 0:
        raise ValueError("not a toISOString() text: %r" % text)
    return (days_from_civil(year, month, day) * 86400 + seconds) * 1000 + millis
