"""Inline SVG charts drawn on the server: no JavaScript, nothing from a CDN, and the same
markup under the strict CSP of the dashboard.

Every chart is `role="img"` named by its `<title>` and `<desc>`; the page puts the same
numbers in a table for screen readers. Colours come from CSS classes (`admin.css` maps them
to custom properties, so dark mode restyles them); nothing moves. Text is escaped by
`markupsafe` (each `Markup.format` argument is), so a hostile label stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import Markup

WIDTH = 320  # viewBox units; the SVG scales to its container (`width: 100%`)
BAR_AREA = 120  # height of the tallest bar
TOP, BOTTOM = 18, 22  # room for value labels above and axis labels below


class Bar(NamedTuple):
    label: str
    value: int
    kind: str = ""  # a CSS class: promoter, passive, detractor or nothing


def _frame(chart_id: str, title: str, desc: str, height: int, body: Markup) -> Markup:
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img"'
        ' aria-labelledby="{id}-t {id}-d" focusable="false">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>'
    ).format(w=WIDTH, h=height, id=chart_id, title=title, desc=desc, body=body)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def column_chart(
    chart_id: str, title: str, desc: str, bars: Sequence[Bar], labels: int = 12
) -> Markup:
    """Vertical bars with their value above and, for at most `labels` evenly spaced ones,
    their label below (more would overlap)."""
    slot = WIDTH / max(len(bars), 1)
    every = -(-len(bars) // labels)
    top = max([b.value for b in bars] + [1])
    parts = []
    for i, bar in enumerate(bars):
        height = BAR_AREA * bar.value / top
        x = i * slot + slot * 0.15
        y = TOP + BAR_AREA - height
        middle = i * slot + slot / 2
        parts.append(
            Markup(
                '<rect class="bar {kind}" x="{x}" y="{y}" width="{w}" height="{h}"/>'
                '<text class="value" x="{mx}" y="{vy}">{value}</text>'
                '<text class="label" x="{mx}" y="{ly}">{label}</text>'
            ).format(
                kind=bar.kind,
                x=_num(x),
                y=_num(y),
                w=_num(slot * 0.7),
                h=_num(height),
                mx=_num(middle),
                vy=_num(y - 4),
                value=bar.value,
                ly=TOP + BAR_AREA + 16,
                label=bar.label if i % every == 0 else "",
            )
        )
    base = Markup('<line class="axis" x1="0" x2="{w}" y1="{y}" y2="{y}"/>').format(
        w=WIDTH, y=TOP + BAR_AREA
    )
    return _frame(chart_id, title, desc, TOP + BAR_AREA + BOTTOM, Markup("").join(parts) + base)


ROW = 34  # height of one row of a bar list


def bar_list(chart_id: str, title: str, desc: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, each under its label with its count (choices: labels may be long)."""
    top = max([b.value for b in bars] + [1])
    parts = []
    for i, bar in enumerate(bars):
        y = i * ROW
        width = (WIDTH - 40) * bar.value / top
        parts.append(
            Markup(
                '<text class="label start" x="0" y="{ty}">{label}</text>'
                '<rect class="bar" x="0" y="{by}" width="{w}" height="12"/>'
                '<text class="value start" x="{vx}" y="{vy}">{value}</text>'
            ).format(
                ty=y + 12,
                label=_clip(bar.label),
                by=y + 17,
                w=_num(max(width, 1)),
                vx=_num(width + 6),
                vy=y + 28,
                value=bar.value,
            )
        )
    return _frame(chart_id, title, desc, max(len(bars), 1) * ROW, Markup("").join(parts))


def _clip(label: str, most: int = 44) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    points: Sequence[tuple[str, float | None]],
    low: float,
    high: float,
) -> Markup:
    """A score over time between `low` and `high`; a bucket without a value breaks the line.
    The first and last bucket are labelled under the axis, the extremes on the left."""
    left, height = 34, BAR_AREA
    step = (WIDTH - left - 8) / max(len(points) - 1, 1)

    def y_of(value: float) -> float:
        return TOP + height - height * (value - low) / (high - low)

    parts = [
        Markup(
            '<line class="axis" x1="{l}" x2="{w}" y1="{y}" y2="{y}"/>'
            '<text class="label end" x="{tx}" y="{ty}">{text}</text>'
        ).format(l=left, w=WIDTH, y=_num(y_of(v)), tx=left - 4, ty=_num(y_of(v) + 4), text=_num(v))
        for v in (low, (low + high) / 2, high)
    ]
    runs: list[list[str]] = [[]]
    for i, (_, value) in enumerate(points):
        if value is None:
            runs.append([])
            continue
        x, y = _num(left + 4 + i * step), _num(y_of(value))
        runs[-1].append(f"{x},{y}")
        parts.append(Markup('<circle class="dot" cx="{x}" cy="{y}" r="3"/>').format(x=x, y=y))
    for run in runs:
        if len(run) > 1:
            parts.append(Markup('<polyline class="line" points="{p}"/>').format(p=" ".join(run)))
    if points:
        below = TOP + height + 16
        parts.append(
            Markup('<text class="label start" x="{x}" y="{y}">{text}</text>').format(
                x=left, y=below, text=points[0][0]
            )
        )
        if len(points) > 1:
            parts.append(
                Markup('<text class="label end" x="{x}" y="{y}">{text}</text>').format(
                    x=WIDTH, y=below, text=points[-1][0]
                )
            )
    return _frame(chart_id, title, desc, TOP + height + BOTTOM, Markup("").join(parts))
