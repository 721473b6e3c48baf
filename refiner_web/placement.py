"""Where a survey may sit so that the page's keyboard focus is never hidden under it (WCAG
2.4.11). Pure arithmetic on rectangles in CSS px, so CPython tests reach it; the widget
measures and moves, this module decides.

A rectangle is (left, top, right, bottom) in viewport coordinates.
"""

#: A viewport shorter than this cannot hold a corner, top or bottom survey and the page beside
#: it (the panel alone is 250-400 px tall), so there the survey is a modal with a focus trap.
#: Width does not count: the page scrolls vertically, and that is how controls get clear.
SMALL_VIEWPORT_PX = 400
#: Room kept between a control scrolled clear and the panel (its focus ring is ~5 px).
CLEARANCE_PX = 8


def is_modal(position: str, viewport_height: float) -> bool:
    """The center position is always a modal; any position is one on a short viewport."""
    return position == "center" or viewport_height < SMALL_VIEWPORT_PX


def overlaps(first: tuple, second: tuple) -> bool:
    return (
        first[0] < second[2]
        and second[0] < first[2]
        and first[1] < second[3]
        and second[1] < first[3]
    )


def clearing_scroll(
    control: tuple, panel: tuple, viewport_height: float, scroll_top: float, scroll_max: float
) -> object:
    """How far to scroll the document (px, + is down) so that `control` is in view and clear
    of `panel`: 0 when it already is, None when no scroll of the document can do it (the page
    is at its end, or the control is taller than the room beside the panel). Of the two ways
    (above the panel, below it) the shorter wins."""
    if not overlaps(control, panel):
        return 0
    top, bottom = control[1], control[3]
    ways = []
    above = bottom - (panel[1] - CLEARANCE_PX)  # > 0: the control moves up, above the panel
    if top - above >= 0:
        ways.append(above)
    below = top - (panel[3] + CLEARANCE_PX)  # < 0: the control moves down, below the panel
    if bottom - below <= viewport_height:
        ways.append(below)
    best = None
    for delta in ways:
        if 0 <= scroll_top + delta <= scroll_max and (best is None or abs(delta) < abs(best)):
            best = delta
    return best
