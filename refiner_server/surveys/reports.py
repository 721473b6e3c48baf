"""Summaries of one survey's answers: NPS, scale averages and distributions, choice counts,
a matrix's distribution per row, a ranking's average rank per item, dates per month,
consents given and calls to action clicked, response rate, and the same over time (per UTC
day or ISO week).

Answers are JSON whose shape the client decides, so the arithmetic runs in Python over one
bounded streaming pass (`exports.responses_rows`: keyset pages of 1,000 rows, each its own
short read) instead of dialect-specific JSON SQL; views are counted the same way. Memory is
per question and per time bucket, never per response. Every ratio is rounded in integer
arithmetic, half away from zero, so SQLite and PostgreSQL runs and the tests agree exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.db import as_utc, iso, responses, views
from refiner_server.surveys.exports import BATCH, responses_rows
from refiner_server.surveys.store import get_survey, list_versions
from refiner_web.answers import FLAGS, is_day
from refiner_web.definition import clean_questions

BUCKETS = ("day", "week")
#: (lowest, highest) answer of each scale type; a rating's highest is its `scale`
SCALE_RANGES = {"nps": (0, 10), "rating": (1, 5), "csat": (1, 5), "emoji": (1, 5)}
CHOICE_TYPES = ("single_choice", "multiple_choice")
COUNTED_TYPES = ("text", "email")
OTHER = "other"
#: months a date summary lists one by one; beyond, it counts years (answers come from
#: strangers: a date question without min and max takes any day of ten thousand years)
MAX_MONTHS = 120


def ratio(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded half away from zero (`denominator` > 0)."""
    whole = (2 * abs(numerator) + denominator) // (2 * denominator)
    return whole if numerator >= 0 else -whole


def nps_score(promoters: int, passives: int, detractors: int) -> int | None:
    """Net Promoter Score in -100..100: % promoters (9-10) minus % detractors (0-6) of
    everyone who answered; None when nobody did."""
    answered = promoters + passives + detractors
    if answered == 0:
        return None
    return ratio(100 * (promoters - detractors), answered)


def percent(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole` with one decimal; None when `whole` is 0."""
    return None if whole == 0 else ratio(1000 * part, whole) / 10


def average(total: int, count: int) -> float | None:
    """Mean with two decimals; None when `count` is 0."""
    return None if count == 0 else ratio(100 * total, count) / 100


def bucket_start(at: datetime, bucket: str) -> date:
    """The UTC day of `at`, or the Monday of its ISO week."""
    day = as_utc(at).date()  # type: ignore[union-attr]
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


class Scale:
    """Counts of each value of a scale question (0-10 for NPS, 1..N otherwise)."""

    def __init__(self, kind: str, low: int, high: int) -> None:
        self.kind, self.low, self.high = kind, low, high
        self.counts = [0] * (high - low + 1)

    def add(self, value: Any) -> None:
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        ):
            self.counts[value - self.low] += 1

    @property
    def answered(self) -> int:
        return sum(self.counts)

    def groups(self) -> tuple[int, int, int]:
        """(promoters, passives, detractors) of an NPS question."""
        return sum(self.counts[9:]), sum(self.counts[7:9]), sum(self.counts[:7])

    def score(self) -> int | float | None:
        """The headline number: the NPS, or the average of any other scale."""
        if self.kind == "nps":
            return nps_score(*self.groups())
        total = sum((self.low + i) * n for i, n in enumerate(self.counts))
        return average(total, self.answered)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "answered": self.answered,
            "distribution": [
                {"value": self.low + i, "count": n} for i, n in enumerate(self.counts)
            ],
        }
        if self.kind != "nps":
            out["average"] = self.score()
            return out
        out["score"] = self.score()
        for name, count in zip(("promoters", "passives", "detractors"), self.groups(), strict=True):
            out[name] = {"count": count, "percent": percent(count, self.answered)}
        return out


class Choices:
    """Picks per choice id: the definition's choices in order, then `other`, then the ids
    only `earlier` versions of the survey had (id -> label). Other ids (stored before the
    server checked answers) are not counted: the summary is as long as the survey."""

    def __init__(self, question: dict[str, Any], earlier: dict[str, str] | None = None) -> None:
        self.labels = {c["id"]: c.get("label") or c["id"] for c in question.get("choices") or []}
        if question.get("other"):
            self.labels.setdefault(OTHER, question.get("other_label") or "Other")
        for cid, label in (earlier or {}).items():
            self.labels.setdefault(cid, label)
        self.counts = dict.fromkeys(self.labels, 0)
        self.answered = 0

    def add(self, value: Any) -> None:
        picked = value if isinstance(value, list) else [value]
        picked = [p for p in picked if isinstance(p, str) and p in self.counts]
        if not picked:
            return
        self.answered += 1
        for choice in dict.fromkeys(picked):
            self.counts[choice] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "choices": [
                {
                    "id": cid,
                    "label": self.labels.get(cid, cid),
                    "count": n,
                    "percent": percent(n, self.answered),
                }
                for cid, n in self.counts.items()
            ],
        }


class Answered:
    """Free-text questions: how many gave a non-empty answer."""

    def __init__(self) -> None:
        self.answered = 0

    def add(self, value: Any) -> None:
        if isinstance(value, str) and value.strip():
            self.answered += 1

    def summary(self) -> dict[str, Any]:
        return {"answered": self.answered}


class Matrix:
    """Per row, picks of each column; with a scale, the row's average too."""

    def __init__(self, question: dict[str, Any]) -> None:
        self.scale = bool(question.get("scale"))
        self.rows = question["rows"]
        self.columns = question["columns"]
        self.counts = {r["id"]: [0] * len(self.columns) for r in self.rows}
        self.answered = 0

    def add(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        ids = [c["id"] for c in self.columns]
        counted = False
        for row, counts in self.counts.items():
            cell = value.get(row)
            if cell in ids and type(cell) is type(ids[0]):
                counts[ids.index(cell)] += 1
                counted = True
        self.answered += counted

    def summary(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            counts = self.counts[row["id"]]
            out: dict[str, Any] = {
                "id": row["id"],
                "label": row["label"],
                "answered": sum(counts),
                "distribution": [
                    {"value": c["id"], "label": c["label"], "count": n}
                    for c, n in zip(self.columns, counts, strict=True)
                ],
            }
            if self.scale:
                total = sum(c["id"] * n for c, n in zip(self.columns, counts, strict=True))
                out["average"] = average(total, sum(counts))
            rows.append(out)
        return {"answered": self.answered, "rows": rows}


class Ranking:
    """Per item, the sum of its ranks (1 is first) and how often it came first."""

    def __init__(self, question: dict[str, Any]) -> None:
        self.items = question["choices"]
        self.ids = sorted(c["id"] for c in self.items)
        self.ranks = {c["id"]: 0 for c in self.items}
        self.first = {c["id"]: 0 for c in self.items}
        self.answered = 0

    def add(self, value: Any) -> None:
        """Only full orders of the current items count (an older version's do not)."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return
        if sorted(value) != self.ids:
            return
        self.answered += 1
        self.first[value[0]] += 1
        for rank, item in enumerate(value, 1):
            self.ranks[item] += rank

    def summary(self) -> dict[str, Any]:
        items = [
            {
                "id": c["id"],
                "label": c["label"],
                "average_rank": average(self.ranks[c["id"]], self.answered),
                "first": self.first[c["id"]],
            }
            for c in self.items
        ]
        return {"answered": self.answered, "items": items}


class Dates:
    """Answers per calendar month (`YYYY-MM`), the earliest and latest day."""

    def __init__(self) -> None:
        self.months: dict[str, int] = {}
        self.answered = 0
        self.earliest: str | None = None
        self.latest: str | None = None

    def add(self, value: Any) -> None:
        if not is_day(value):
            return
        self.answered += 1
        self.months[value[:7]] = self.months.get(value[:7], 0) + 1
        self.earliest = min(self.earliest or value, value)
        self.latest = max(self.latest or value, value)

    def summary(self) -> dict[str, Any]:
        """`months`, oldest first, each with its count; by year (`YYYY`) when they are more
        than `MAX_MONTHS`."""
        counts = self.months
        if len(counts) > MAX_MONTHS:
            years: dict[str, int] = {}
            for month, n in counts.items():
                years[month[:4]] = years.get(month[:4], 0) + n
            counts = years
        return {
            "answered": self.answered,
            "earliest": self.earliest,
            "latest": self.latest,
            "months": [{"month": m, "count": counts[m]} for m in sorted(counts)],
        }


class Flags:
    """A consent given or a call to action clicked: how many, of all responses."""

    def __init__(self) -> None:
        self.answered = 0
        self.responses = 0  # set once every response is read

    def add(self, value: Any) -> None:
        self.answered += value is True

    def summary(self) -> dict[str, Any]:
        return {"answered": self.answered, "percent": percent(self.answered, self.responses)}


Tally = Scale | Choices | Answered | Matrix | Ranking | Dates | Flags


def _tally(question: dict[str, Any], earlier: dict[str, str] | None = None) -> Tally | None:
    kind = question.get("type")
    if kind in ("matrix", "ranking"):
        cleaned = clean_questions([question])  # a matrix's scale as columns
        if not cleaned:
            return None
        return Matrix(cleaned[0]) if kind == "matrix" else Ranking(cleaned[0])
    if kind == "date":
        return Dates()
    if kind in FLAGS:
        return Flags()
    if kind in SCALE_RANGES:
        low, high = SCALE_RANGES[kind]
        if kind == "rating" and isinstance(question.get("scale"), int):
            high = question["scale"]
        return Scale(kind, low, high)
    if kind in CHOICE_TYPES:
        return Choices(question, earlier)
    if kind in COUNTED_TYPES:
        return Answered()
    return None  # statements ask nothing


class Bucket:
    """One day or week: views, responses, completions and each scale question's score."""

    def __init__(self, scales: list[dict[str, Any]]) -> None:
        self.views = self.responses = self.completed = 0
        self.scales = {q["id"]: _tally(q) for q in scales}

    def row(self, start: date) -> dict[str, Any]:
        return {
            "start": start.isoformat(),
            "views": self.views,
            "responses": self.responses,
            "completed": self.completed,
            "scores": {qid: s.score() for qid, s in self.scales.items()},  # type: ignore[union-attr]
        }


def survey_summary(
    engine: Engine,
    project_id: str,
    survey_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    bucket: str = "day",
) -> dict[str, Any]:
    """JSON-ready summary of the responses created in `since <= t < until` (and the views
    received then), against the survey's current questions. Partial responses count
    toward the questions they answered; `response_rate` is completed / views.
    Raises `survey_store.NotFound` for an unknown project or survey."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket: must be one of {', '.join(BUCKETS)}")
    survey = get_survey(engine, project_id, survey_id)
    questions = [q for q in survey["definition"].get("questions") or [] if _tally(q) is not None]
    earlier = _earlier_choices(list_versions(engine, project_id, survey_id))
    tallies = {q["id"]: _tally(q, earlier.get(q["id"])) for q in questions}
    scales = [q for q in questions if q.get("type") in SCALE_RANGES]
    buckets: dict[date, Bucket] = {}

    def at(when: datetime) -> Bucket:
        key = bucket_start(when, bucket)
        found = buckets.get(key)
        if found is None:
            found = buckets[key] = Bucket(scales)
        return found

    total_views = 0
    for shown in _view_times(engine, project_id, survey_id, since, until):
        total_views += 1
        at(shown).views += 1
    total = completed = 0
    columns = (responses.c.answers, responses.c.completed)
    rows = responses_rows(
        engine, project_id, survey_id=survey_id, since=since, until=until, columns=columns
    )
    for row in rows:
        answers = row["answers"] if isinstance(row["answers"], dict) else {}
        here = at(row["_at"])
        total += 1
        here.responses += 1
        if row["completed"]:
            completed += 1
            here.completed += 1
        for qid, tally in tallies.items():
            if qid in answers:
                tally.add(answers[qid])  # type: ignore[union-attr]
                if qid in here.scales:
                    here.scales[qid].add(answers[qid])  # type: ignore[union-attr]
    for tally in tallies.values():
        if isinstance(tally, Flags):
            tally.responses = total
    return {
        "survey_id": survey_id,
        "name": survey["name"],
        "status": survey["status"],
        "since": iso(since),
        "until": iso(until),
        "bucket": bucket,
        "views": total_views,
        "responses": total,
        "completed": completed,
        "response_rate": None
        if total_views == 0
        else ratio(10000 * completed, total_views) / 10000,
        "questions": [
            {"id": q["id"], "type": q["type"], "title": q.get("title") or q["id"]}
            | tallies[q["id"]].summary()  # type: ignore[union-attr]
            for q in questions
        ],
        "over_time": _series(buckets, bucket, scales),
    }


def _earlier_choices(versions: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Question id -> {choice id: label} over every version, the newest label winning."""
    out: dict[str, dict[str, str]] = {}
    for version in versions:
        for question in version["definition"].get("questions") or []:
            if question.get("type") in CHOICE_TYPES:
                labels = out.setdefault(question["id"], {})
                for choice in question.get("choices") or []:
                    labels[choice["id"]] = choice.get("label") or choice["id"]
    return out


def _series(buckets: dict[date, Bucket], bucket: str, scales: list[dict[str, Any]]) -> list:
    """Buckets in order from the first to the last with data, empty ones included (a gap
    in a trend is news)."""
    if not buckets:
        return []
    step = timedelta(days=7 if bucket == "week" else 1)
    start, last = min(buckets), max(buckets)
    out = []
    while start <= last:
        out.append((buckets.get(start) or Bucket(scales)).row(start))
        start += step
    return out


def _view_times(
    engine: Engine,
    project_id: str,
    survey_id: str,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[datetime]:
    """When each view of the survey reached the server, streamed in batches."""
    query = sa.select(views.c.received_at).where(
        views.c.project_id == project_id, views.c.form_id == survey_id
    )
    if since is not None:
        query = query.where(views.c.received_at >= since)
    if until is not None:
        query = query.where(views.c.received_at < until)
    with engine.connect().execution_options(readonly=True, yield_per=BATCH) as conn:
        yield from conn.execute(query).scalars()
