"""Survey summaries: the arithmetic against naive references (hypothesis), then whole
summaries of answers stored through the real client API on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refiner_server.projects import import_surveys
from refiner_server.surveys.reports import (
    Choices,
    Scale,
    average,
    bucket_start,
    nps_score,
    percent,
    ratio,
    survey_summary,
)
from refiner_server.surveys.store import NotFound

API = "/api/v1/client/p1"
SURVEY = {
    "id": "rep",
    "name": "Report me",
    "status": "live",
    "questions": [
        {"id": "score", "type": "nps", "title": "Recommend us?"},
        {"id": "stars", "type": "rating", "scale": 4, "title": "Stars"},
        {"id": "mood", "type": "csat"},
        {
            "id": "plan",
            "type": "single_choice",
            "choices": [{"id": "free", "label": "Free"}, {"id": "pro", "label": "Pro"}],
            "other": True,
        },
        {
            "id": "feat",
            "type": "multiple_choice",
            "choices": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        },
        {"id": "why", "type": "text"},
        {"id": "bye", "type": "statement", "title": "Thanks"},
    ],
}
_ids = itertools.count(1)


def half_away(value: Fraction) -> int:
    """The reference rounding: the nearest integer, halves away from zero."""
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


counts = st.integers(0, 10_000)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6))
def test_ratio_rounds_half_away_from_zero(numerator, denominator):
    assert ratio(numerator, denominator) == half_away(Fraction(numerator, denominator))


@given(counts, counts, counts)
def test_nps_matches_the_definition(promoters, passives, detractors):
    n = promoters + passives + detractors
    score = nps_score(promoters, passives, detractors)
    if n == 0:
        assert score is None
        return
    assert score == half_away(Fraction(100 * (promoters - detractors), n))
    assert -100 <= score <= 100


@given(counts, counts)
def test_percent_and_average(part, extra):
    whole = part + extra
    if whole == 0:
        assert percent(part, whole) is None and average(part, whole) is None
        return
    assert percent(part, whole) == half_away(Fraction(1000 * part, whole)) / 10
    assert average(part, whole) == half_away(Fraction(100 * part, whole)) / 100


def test_nps_edges():
    assert nps_score(5, 0, 0) == 100
    assert nps_score(0, 0, 5) == -100
    assert nps_score(0, 4, 0) == 0
    assert nps_score(1, 0, 1) == 0
    assert nps_score(1, 1, 0) == 50
    assert nps_score(2, 0, 1) == 33 and nps_score(1, 0, 2) == -33
    assert nps_score(1, 6, 1) == 0 and nps_score(1, 7, 0) == 13  # 12.5 rounds up


@given(st.lists(st.one_of(st.integers(-3, 14), st.booleans(), st.text(max_size=2), st.none())))
def test_nps_scale_counts_only_valid_answers(values):
    scale = Scale("nps", 0, 10)
    for value in values:
        scale.add(value)
    valid = [v for v in values if type(v) is int and 0 <= v <= 10]
    out = scale.summary()
    assert out["answered"] == len(valid)
    assert [d["count"] for d in out["distribution"]] == [valid.count(i) for i in range(11)]
    promoters = sum(v >= 9 for v in valid)
    detractors = sum(v <= 6 for v in valid)
    assert out["promoters"]["count"] == promoters
    assert out["detractors"]["count"] == detractors
    assert out["passives"]["count"] == len(valid) - promoters - detractors
    assert out["score"] == nps_score(promoters, len(valid) - promoters - detractors, detractors)


@given(st.integers(3, 10), st.lists(st.integers(0, 11)))
def test_rating_average_and_distribution(high, values):
    scale = Scale("rating", 1, high)
    for value in values:
        scale.add(value)
    valid = [v for v in values if 1 <= v <= high]
    out = scale.summary()
    assert out["answered"] == len(valid)
    expected = half_away(Fraction(100 * sum(valid), len(valid))) / 100 if valid else None
    assert out["average"] == expected
    assert [d["value"] for d in out["distribution"]] == list(range(1, high + 1))


def test_choices_count_each_pick_once_and_keep_earlier_ids():
    tally = Choices(SURVEY["questions"][3], {"gone": "Gone", "pro": "Pro (old)"})
    for value in ["pro", "pro", "other", "gone", ["pro", "pro"], 3, [], None, "made-up", ["x"]]:
        tally.add(value)
    out = tally.summary()
    assert out["answered"] == 5
    assert [(c["id"], c["label"], c["count"]) for c in out["choices"]] == [
        ("free", "Free", 0),
        ("pro", "Pro", 3),
        ("other", "Other", 1),
        ("gone", "Gone", 1),
    ]
    assert out["choices"][1]["percent"] == 60.0


def test_weeks_start_on_monday():
    sunday = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    assert bucket_start(sunday, "day").isoformat() == "2026-11-22"
    assert bucket_start(sunday, "week").isoformat() == "2026-11-16"
    assert bucket_start(datetime(2026, 11, 23, 0, 0), "week").isoformat() == "2026-11-23"


# -- whole summaries over the real client API ---------------------------------------------


@pytest.fixture
def survey(engine):
    import_surveys(engine, "p1", [SURVEY])
    return SURVEY["id"]


def view(client) -> None:
    n = next(_ids)
    body = {"view_id": f"view-{n:08d}", "form_id": "rep", "anonymous_id": f"anon-{n:010d}"}
    r = client.post(f"{API}/views", json=body)
    assert r.status_code == 202


def answer(client, answers: dict, completed: bool = True) -> None:
    n = next(_ids)
    body = {"form_id": "rep", "anonymous_id": f"anon-{n:010d}", "answers": answers}
    r = client.put(f"{API}/responses/resp-{n:08d}", json=dict(body, completed=completed))
    assert r.status_code == 200, r.text


def test_empty_survey(engine, survey):
    out = survey_summary(engine, "p1", survey)
    assert (out["views"], out["responses"], out["completed"]) == (0, 0, 0)
    assert out["response_rate"] is None and out["over_time"] == []
    nps = out["questions"][0]
    assert nps["score"] is None and nps["answered"] == 0
    assert nps["promoters"] == {"count": 0, "percent": None}
    assert [q["id"] for q in out["questions"]] == ["score", "stars", "mood", "plan", "feat", "why"]


def test_summary_of_stored_answers(app, client, engine, survey):
    app.state.clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    for _ in range(4):
        view(client)
    answer(client, {"score": 10, "stars": 4, "plan": "pro", "feat": ["a", "b"], "why": "fast"})
    answer(client, {"score": 9, "stars": 3, "mood": 5, "plan": "other", "plan_other": "x"})
    app.state.clock.set(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    view(client)
    answer(client, {"score": 3, "stars": 9, "feat": ["b"], "why": "  "}, completed=False)
    out = survey_summary(engine, "p1", survey)
    assert (out["views"], out["responses"], out["completed"]) == (5, 3, 2)
    assert out["response_rate"] == 0.4
    score, stars, mood, plan, feat, why = out["questions"]
    assert score["score"] == 33  # 2 promoters, 1 detractor of 3
    assert score["promoters"] == {"count": 2, "percent": 66.7}
    assert score["detractors"] == {"count": 1, "percent": 33.3}
    assert [d["count"] for d in score["distribution"]] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1]
    assert stars["average"] == 3.5 and stars["answered"] == 2  # 9 is off a 4-point scale
    assert mood["average"] == 5.0
    assert {c["id"]: c["count"] for c in plan["choices"]} == {"free": 0, "pro": 1, "other": 1}
    assert {c["id"]: c["count"] for c in feat["choices"]} == {"a": 1, "b": 2}
    assert why["answered"] == 1
    days = [(b["start"], b["views"], b["responses"], b["completed"]) for b in out["over_time"]]
    assert days == [
        ("2026-11-20", 4, 2, 2),
        ("2026-11-21", 0, 0, 0),
        ("2026-11-22", 1, 1, 0),
    ]
    assert [b["scores"]["score"] for b in out["over_time"]] == [100, None, -100]
    assert [b["scores"]["stars"] for b in out["over_time"]] == [3.5, None, None]
    weeks = survey_summary(engine, "p1", survey, bucket="week")["over_time"]
    assert [(b["start"], b["responses"], b["scores"]["score"]) for b in weeks] == [
        ("2026-11-16", 3, 33)
    ]
    since = datetime(2026, 11, 21, tzinfo=UTC)
    later = survey_summary(engine, "p1", survey, since=since)
    assert (later["views"], later["responses"], later["since"]) == (1, 1, "2026-11-21T00:00:00Z")
    until = survey_summary(engine, "p1", survey, until=since)
    assert (until["views"], until["responses"], until["questions"][0]["score"]) == (4, 2, 100)


def test_all_promoters(client, engine, survey):
    for value in (9, 10, 10):
        answer(client, {"score": value})
    nps = survey_summary(engine, "p1", survey)["questions"][0]
    assert nps["score"] == 100 and nps["promoters"] == {"count": 3, "percent": 100.0}
    assert nps["passives"] == {"count": 0, "percent": 0.0}


def test_unknown_survey_and_bucket(engine, survey):
    with pytest.raises(NotFound):
        survey_summary(engine, "p1", "nope")
    with pytest.raises(NotFound):
        survey_summary(engine, "nope", survey)
    with pytest.raises(ValueError):
        survey_summary(engine, "p1", survey, bucket="month")
