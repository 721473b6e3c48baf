"""How a survey looks: its position, theme and accent as the definition asks, checked, and
the colours drawn from the accent so that text and states stay readable (WCAG contrast).

Pure Python: `refiner_web.survey.SurveyRun.appearance` gives the widget what this module
decides; the server checks definitions with the same values.
"""

DEFAULT_ACCENT = "#4f46e5"
#: appearance values, the first of each the default
POSITIONS = ("bottom-right", "bottom-left", "top", "bottom", "center")
THEMES = ("auto", "light", "dark")

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


def appearance(raw: object) -> dict:
    """Position, theme and accent of a definition's `appearance` with every value checked,
    and the colours drawn from the accent for each theme."""
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
