"""What the survey page shows of a summary: per question its headline numbers, its charts
and the same numbers as table rows (a matrix: a chart per row, one table; a ranking: items
by average rank; dates: a column per month; consents and calls to action: a count). Pure
functions of `reports.survey_summary` output."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from refiner_server.dashboard.charts import Bar, bar_list, column_chart, line_chart
from refiner_server.surveys.reports import SCALE_RANGES

#: what the survey page shows of one response (the CSV has everything): characters of a
#: value, hidden fields; keys and values come from strangers, the page stays readable
SHOWN_CHARS, SHOWN_FIELDS = 500, 20
NPS_KINDS = {"promoters": "promoter", "passives": "passive", "detractors": "detractor"}


def nps_kind(value: int) -> str:
    return "promoter" if value >= 9 else "passive" if value >= 7 else "detractor"


def fmt(value: Any) -> str:
    """A number as people read it: `–` for none, no trailing `.0`."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def overview(summary: dict[str, Any]) -> dict[str, Any]:
    """Counts per bucket as a column chart (responses) with its table."""
    series = summary["over_time"]
    unit = summary["bucket"]
    chart = None
    if series:
        bars = [Bar(b["start"][5:], b["responses"]) for b in series]
        chart = column_chart(
            "over-time",
            f"Responses per {unit}",
            f"{summary['responses']} responses from {series[0]['start']} to {series[-1]['start']}",
            bars,
            labels=7,
        )
    rows = [(b["start"], b["views"], b["responses"], b["completed"]) for b in series]
    return {"chart": chart, "rows": rows}


def question(
    index: int, q: dict[str, Any], series: list[dict[str, Any]], unit: str
) -> dict[str, Any]:
    """Headline, charts and table rows of one question of the summary."""
    cid = f"q{index}"
    kind = q["type"]
    charts: list[tuple[str, Markup]] = []  # (visible caption, chart)
    out: dict[str, Any] = {"id": q["id"], "title": q["title"], "type": kind, "charts": charts}
    out["answered"] = q["answered"]
    if kind in SCALE_RANGES:
        _scale(out, cid, q, series, unit)
    elif kind in MORE:
        MORE[kind](out, cid, q)
    elif "choices" in q:
        bars = [Bar(c["label"], c["count"]) for c in q["choices"]]
        chart = bar_list(f"{cid}-choices", f"Answers to {q['title']}", _counts(bars), bars)
        out["charts"].append(("Picks per choice", chart))
        out["table"] = [(c["label"], c["count"], fmt(c["percent"]) + " %") for c in q["choices"]]
        out["columns"] = ("Choice", "Count", "Share")
    return out


def _matrix(out: dict[str, Any], cid: str, q: dict[str, Any]) -> None:
    rows = q["rows"]
    labels = [d["label"] for d in rows[0]["distribution"]] if rows else []
    for i, row in enumerate(rows):
        bars = [Bar(d["label"], d["count"]) for d in row["distribution"]]
        chart = column_chart(f"{cid}-row{i}", f"{q['title']}: {row['label']}", _counts(bars), bars)
        out["charts"].append((f"{row['label']}: answers per column", chart))
    scale = rows and "average" in rows[0]
    out["table"] = [
        (row["label"], *(d["count"] for d in row["distribution"]))
        + ((fmt(row["average"]),) if scale else ())
        for row in rows
    ]
    out["columns"] = ("Row", *labels) + (("Average",) if scale else ())


def _ranking(out: dict[str, Any], cid: str, q: dict[str, Any]) -> None:
    """Best first: the lowest average rank (unranked items last)."""
    items = sorted(q["items"], key=lambda i: (i["average_rank"] is None, i["average_rank"] or 0))
    bars = [Bar(i["label"], i["first"]) for i in items]
    chart = bar_list(f"{cid}-first", f"Ranked first in {q['title']}", _counts(bars), bars)
    out["charts"].append(("Times ranked first", chart))
    out["table"] = [(i["label"], fmt(i["average_rank"]), i["first"]) for i in items]
    out["columns"] = ("Item", "Average rank", "Ranked first")


def _dates(out: dict[str, Any], cid: str, q: dict[str, Any]) -> None:
    if q["earliest"]:
        out["headline"] = ("From", f"{q['earliest']} to {q['latest']}")
    bars = [Bar(m["month"], m["count"]) for m in q["months"]]
    if bars:
        chart = column_chart(f"{cid}-months", f"Dates in {q['title']}", _counts(bars), bars)
        out["charts"].append(("Answers per month", chart))
    out["table"] = [(m["month"], m["count"]) for m in q["months"]]
    out["columns"] = ("Month", "Count")


def _flag(out: dict[str, Any], cid: str, q: dict[str, Any]) -> None:
    word = "Given" if q["type"] == "consent" else "Clicked"
    out["headline"] = (word, str(q["answered"]))
    out["table"] = [(word, q["answered"], fmt(q["percent"]) + " %")]
    out["columns"] = ("Answer", "Count", "Share of responses")


MORE = {"matrix": _matrix, "ranking": _ranking, "date": _dates, "consent": _flag, "cta": _flag}


def _counts(bars: list[Bar]) -> str:
    return ", ".join(f"{b.label}: {b.value}" for b in bars)


def _scale(
    out: dict[str, Any], cid: str, q: dict[str, Any], series: list[dict[str, Any]], unit: str
) -> None:
    kind = q["type"]
    bars = [
        Bar(str(d["value"]), d["count"], nps_kind(d["value"]) if kind == "nps" else "")
        for d in q["distribution"]
    ]
    out["table"] = [(str(d["value"]), d["count"]) for d in q["distribution"]]
    out["columns"] = ("Answer", "Count")
    if kind == "nps":
        out["headline"] = ("NPS", fmt(q["score"]))
        out["groups"] = [
            (name.capitalize(), NPS_KINDS[name], q[name]["count"], fmt(q[name]["percent"]))
            for name in ("promoters", "passives", "detractors")
        ]
        low, high, label = -100, 100, "NPS"
    else:
        out["headline"] = ("Average", fmt(q["average"]))
        low, high = q["distribution"][0]["value"], q["distribution"][-1]["value"]
        label = "Average"
    chart = column_chart(f"{cid}-dist", f"Distribution of {q['title']}", _counts(bars), bars)
    out["charts"].append(("Answers per value", chart))
    points = [(b["start"], b["scores"].get(q["id"])) for b in series]
    if any(v is not None for _, v in points):
        known = ", ".join(f"{d}: {fmt(v)}" for d, v in points if v is not None)
        chart = line_chart(f"{cid}-trend", f"{label} over time", known, points, low, high)
        out["charts"].append((f"{label} per {unit}", chart))
        out["trend"] = [(d, fmt(v)) for d, v in points]


def text(value: Any) -> str:
    """An answer, hidden field or trait as one line of text, cut at `SHOWN_CHARS`."""
    if isinstance(value, bool):
        out = "true" if value else "false"
    elif isinstance(value, list):
        out = ", ".join(text(v) for v in value)
    elif isinstance(value, dict):
        out = json.dumps(value, ensure_ascii=False)
    else:
        out = fmt(value)
    return out if len(out) <= SHOWN_CHARS else out[:SHOWN_CHARS] + "…"


def hidden_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Hidden fields by key, the first `SHOWN_FIELDS` of them and a count of the rest."""
    rows = sorted(data.items())
    if len(rows) <= SHOWN_FIELDS:
        return rows
    more = len(rows) - SHOWN_FIELDS + 1
    return [*rows[: SHOWN_FIELDS - 1], ("…", f"{more} more in the CSV")]


def answer_rows(answers: dict[str, Any], titles: dict[str, str]) -> list[tuple[str, Any]]:
    """(question title, answer) in the survey's order, then keys it no longer names
    (`<id>_other` texts, questions of older versions) by key."""
    known = [(titles[qid], answers[qid]) for qid in titles if qid in answers]
    return known + sorted((k, v) for k, v in answers.items() if k not in titles)
