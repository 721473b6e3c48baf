"""The dashboard's SVG charts: escaped text, bar sizes proportional to the numbers, a line
that breaks where a bucket has no value."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from refiner_server.dashboard.charts import BAR_AREA, Bar, bar_list, column_chart, line_chart

HOSTILE = '<script>alert(1)</script>" onload="x'
SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def test_text_is_escaped_everywhere():
    for markup in (
        column_chart("c", HOSTILE, HOSTILE, [Bar(HOSTILE, 3)]),
        bar_list("c", HOSTILE, HOSTILE, [Bar(HOSTILE, 3)]),
        line_chart("c", HOSTILE, HOSTILE, [(HOSTILE, 1.0), (HOSTILE, 2.0)], 0, 10),
    ):
        assert "<script" not in markup and 'onload="' not in markup
        svg = parse(markup)  # well-formed
        assert svg.find(f"{SVG}title").text == HOSTILE
        assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-t c-d"


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40))
def test_column_heights_follow_the_values(values):
    svg = parse(column_chart("c", "t", "d", [Bar(str(i), v) for i, v in enumerate(values)]))
    heights = [float(r.get("height")) for r in svg.iter(f"{SVG}rect")]
    shown = [int(t.text) for t in svg.iter(f"{SVG}text") if t.get("class") == "value"]
    assert shown == values
    top = max(values)
    for height, value in zip(heights, values, strict=True):
        expected = BAR_AREA * value / top if top else 0
        assert abs(height - expected) <= 0.05
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label" and t.text]
    assert 1 <= len(labels) <= 12 and labels[0] == "0"


def test_line_breaks_at_missing_values():
    points = [("a", 1.0), ("b", 2.0), ("c", None), ("d", 3.0), ("e", 4.0), ("f", None), ("g", 5)]
    markup = line_chart("c", "t", "d", points, 0, 5)
    assert len(re.findall("<polyline", markup)) == 2  # a-b and d-e; g stands alone
    assert len(re.findall("<circle", markup)) == 5
