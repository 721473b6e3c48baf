"""The device class audience rules read: from the viewport and the primary pointer
(`refiner_web.devices`), sent with every ping."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refiner_web.devices import DEVICES, PHONE_MAX_SIDE, device_class


@pytest.mark.parametrize(
    "width, height, coarse, expected",
    [
        (390, 844, True, "phone"),  # a phone upright
        (844, 390, True, "phone"),  # the same phone sideways
        (820, 1180, True, "tablet"),  # a tablet upright
        (1366, 1024, True, "tablet"),  # a large tablet sideways
        (1440, 900, False, "desktop"),
        (480, 900, False, "desktop"),  # a narrow desktop window: the mouse says desktop
        (480, 900, None, "phone"),  # no matchMedia: the width alone
        (1024, 768, None, "desktop"),
        (0, 800, True, None),  # no viewport to speak of
        (None, None, None, None),
        (True, 800, True, None),
        ("390", 844, True, None),
    ],
)
def test_device_class(width, height, coarse, expected):
    assert device_class(width, height, coarse) == expected


sizes = st.one_of(st.integers(-10, 5000), st.floats(allow_nan=True), st.none(), st.text(max_size=3))


@given(sizes, sizes, st.one_of(st.booleans(), st.none()))
def test_any_viewport_gives_a_class_or_none(width, height, coarse):
    """Whatever a page's window says, never an exception, and a fine pointer is a desktop."""
    found = device_class(width, height, coarse)
    assert found is None or found in DEVICES
    if found is not None and coarse is False:
        assert found == "desktop"
    if found is not None and coarse:
        assert (found == "phone") == (min(width, height) < PHONE_MAX_SIDE)


def test_every_ping_says_the_device(platform, make_client):
    make_client(("setProject", "P"))
    platform.run()
    platform.window = (390, 844, True)
    make_client(("setProject", "P"))
    platform.run()
    assert [p["device"] for p in platform.posted("/ping")] == ["desktop", "phone"]


LOADER = Path(__file__).resolve().parents[2] / "static" / "refiner.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_loaders_first_ping_decides_as_python_does():
    """The loader sends the first ping before Python runs; Python takes its answer only when
    the body is the one it would send, so the two device classes must agree everywhere."""
    source = LOADER.read_text("utf-8")
    start = source.index("  function deviceClass(")
    end = source.index("\n  }\n", start) + 4
    grid = [
        [w, h, c]
        for w in (None, 0, 1, 390, 599, 600, 601, 844, 1366)
        for h in (None, 0, 390, 599, 600, 1024)
        for c in (None, True, False)
    ]
    script = source[start:end] + "\nconsole.log(JSON.stringify(%s.map(a => deviceClass(...a))))"
    out = subprocess.run(
        ["node", "-e", script % json.dumps(grid)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [device_class(*args) for args in grid]
