"""refiner_web.placement: when a survey is a modal, and how far to scroll a focused page
control clear of the panel."""

from hypothesis import given
from hypothesis import strategies as st

from refiner_web.placement import CLEARANCE_PX, clearing_scroll, is_modal, overlaps

BOTTOM_PANEL = (12, 340, 308, 628)  # 320x640, bottom-right
TOP_PANEL = (320, 12, 960, 260)  # 1280x800, top


def test_modal_on_center_or_a_short_viewport():
    assert is_modal("center", 800) and is_modal("bottom-right", 256)
    assert not is_modal("top", 800) and not is_modal("bottom-right", 640)


def test_a_control_clear_of_the_panel_needs_nothing():
    assert clearing_scroll((0, 100, 100, 130), BOTTOM_PANEL, 640, 0, 1000) == 0


def test_under_a_bottom_panel_the_page_scrolls_down_just_enough():
    delta = clearing_scroll((20, 400, 120, 430), BOTTOM_PANEL, 640, 0, 1000)
    assert delta == 430 - (340 - CLEARANCE_PX)


def test_nothing_when_the_page_cannot_scroll_far_enough():
    assert clearing_scroll((20, 400, 120, 430), BOTTOM_PANEL, 640, 980, 1000) is None
    assert clearing_scroll((400, 30, 450, 50), TOP_PANEL, 800, 0, 2000) is None  # at the top


@given(
    st.integers(0, 600),
    st.integers(8, 120),
    st.integers(0, 400),
    st.integers(60, 400),
    st.integers(0, 2000),
    st.integers(0, 2000),
)
def test_a_scroll_found_puts_the_control_in_view_and_clear(
    top, height, panel_top, panel_height, scroll_top, scroll_max
):
    control = (20, top, 120, top + height)
    panel = (0, panel_top, 320, panel_top + panel_height)
    scroll_top = min(scroll_top, scroll_max)
    delta = clearing_scroll(control, panel, 640, scroll_top, scroll_max)
    if delta is None:
        return
    moved = (20, top - delta, 120, top + height - delta)
    assert not overlaps(moved, panel) and 0 <= scroll_top + delta <= scroll_max
    assert delta == 0 or (moved[1] >= 0 and moved[3] <= 640)
