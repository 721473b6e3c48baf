"""What kind of device a visitor is on, for audience rules on `device`: decided from the
viewport and the primary pointer, which say how the page is used, rather than from the
user agent, which desktop-mode phones and iPads spoof.

Pure Python: the browser adapter reads the viewport and `matchMedia('(pointer: coarse)')`,
`Pinging` sends the class with each ping, and the server checks rules with `DEVICES`.
"""

DEVICES = ("phone", "tablet", "desktop")
#: a touch screen whose shorter side is below this many CSS pixels is a phone (phones are
#: at most ~480 wide upright, small tablets from ~600)
PHONE_MAX_SIDE = 600


def device_class(width: object, height: object, coarse: object) -> object:
    """`phone`, `tablet` or `desktop`; None when the viewport is unknown. A coarse primary
    pointer (a finger) makes a phone or tablet by the shorter side, so a phone held
    sideways stays a phone; a fine one (mouse, trackpad) a desktop, however narrow its
    window. `coarse` None (no `matchMedia`): the width alone, below PHONE_MAX_SIDE a phone."""
    if not _is_size(width) or not _is_size(height):
        return None
    if coarse is None:
        return "phone" if width < PHONE_MAX_SIDE else "desktop"
    if not coarse:
        return "desktop"
    return "phone" if min(width, height) < PHONE_MAX_SIDE else "tablet"


def _is_size(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
