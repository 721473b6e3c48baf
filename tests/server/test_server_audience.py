"""Audience rules, sampling and the import checks of targeting fields (pure, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refiner_server.client.audience import (
    Facts,
    in_audience,
    in_sample,
    rule_matches,
    sample_bucket,
    trait_matches,
)
from refiner_server.client.eligibility import History, frequency_allows, in_schedule
from refiner_server.projects import ProjectError, check_survey

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SIGNUP = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def facts(identified=True, events=None, **account) -> Facts:
    user = {
        "plan": ("string", "pro"),
        "seats": ("integer", 3),
        "paying": ("boolean", True),
        "signed_up_at": ("date", SIGNUP),
    }
    acc = {k: ("string", v) for k, v in account.items()}
    return Facts(identified, user, acc, events or {}, NOW)


@pytest.mark.parametrize(
    ("key", "op", "value", "expected"),
    [
        ("plan", "eq", "pro", True),
        ("plan", "eq", "Pro", False),
        ("plan", "neq", "free", True),
        ("plan", "contains", "r", True),
        ("plan", "contains", "x", False),
        ("plan", "gt", "free", True),  # strings compare as text
        ("seats", "eq", 3, True),
        ("seats", "eq", "3", True),  # the stored type decides: numeric comparison
        ("seats", "gt", 2, True),
        ("seats", "gt", "10", False),  # numerically, not "3" > "10" as text
        ("seats", "lt", 3, False),
        ("seats", "lte", 3, True),
        ("seats", "gte", 4, False),
        ("seats", "eq", "three", False),
        ("seats", "contains", "3", False),
        ("paying", "eq", True, True),
        ("paying", "eq", "true", True),
        ("paying", "neq", True, False),
        ("paying", "gt", False, False),
        ("signed_up_at", "eq", "2026-06-01", True),  # a date without time: calendar day
        ("signed_up_at", "eq", "2026-06-01T09:30:00Z", True),
        ("signed_up_at", "eq", "2026-06-01T09:31:00Z", False),
        ("signed_up_at", "gt", "2026-05-31", True),
        ("signed_up_at", "gt", "2026-06-01", False),
        ("signed_up_at", "gte", "2026-06-01", True),
        ("signed_up_at", "lt", "2026-06-01T10:00:00+00:00", True),
        ("signed_up_at", "lt", "not a date", False),
        ("signed_up_at", "contains", "2026", False),
        ("signed_up_at", "more_than_days_ago", 7, True),
        ("signed_up_at", "more_than_days_ago", 30, False),
        ("signed_up_at", "less_than_days_ago", 30, True),
        ("signed_up_at", "less_than_days_ago", 7, False),
        ("plan", "more_than_days_ago", 1, False),  # only dates have an age
        ("plan", "is_set", None, True),
        ("plan", "not_set", None, False),
        ("missing", "not_set", None, True),
        ("missing", "is_set", None, False),
        ("missing", "neq", "x", False),  # an unset trait matches only not_set
    ],
)
def test_trait_operators(key, op, value, expected):
    assert rule_matches({"trait": key, "op": op, "value": value}, facts()) is expected


def test_days_ago_boundaries_follow_the_clock():
    stored = ("date", NOW - timedelta(days=7))
    assert not trait_matches("more_than_days_ago", 7, stored, NOW)
    assert trait_matches("more_than_days_ago", 7, stored, NOW + timedelta(seconds=1))
    assert not trait_matches("less_than_days_ago", 7, stored, NOW)
    assert trait_matches("less_than_days_ago", 7, stored, NOW - timedelta(seconds=1))


def test_account_traits_event_counts_and_match_modes():
    f = facts(events={"saved": 3}, tier="gold")
    gold = {"account_trait": "tier", "op": "eq", "value": "gold"}
    plan_tier = {"account_trait": "plan", "op": "is_set"}  # the user's trait is not the account's
    saved3 = {"event": "saved", "op": "at_least", "count": 3}
    saved4 = {"event": "saved", "op": "at_least", "count": 4}
    never = {"event": "other", "op": "at_least", "count": 1}
    assert rule_matches(gold, f) and not rule_matches(plan_tier, f)
    assert rule_matches(saved3, f) and not rule_matches(saved4, f) and not rule_matches(never, f)
    assert in_audience({"rules": [gold, saved3]}, f)
    assert not in_audience({"rules": [gold, saved4]}, f)
    assert not in_audience({"rules": [gold, saved4], "match": "all"}, f)
    assert in_audience({"rules": [saved4, gold], "match": "any"}, f)
    assert not in_audience({"rules": [saved4, never], "match": "any"}, f)
    assert in_audience({"rules": []}, f) and in_audience(None, f)


def test_identity_modes():
    assert in_audience({"identified_only": True}, facts(identified=True))
    assert not in_audience({"identified_only": True}, facts(identified=False))
    assert in_audience({"anonymous_only": True}, facts(identified=False))
    assert not in_audience({"anonymous_only": True}, facts(identified=True))


# -- sampling ------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=64))
def test_sample_bucket_is_stable_and_in_range(survey, key):
    bucket = sample_bucket("p1", survey, key)
    assert 0 <= bucket < 10_000
    assert sample_bucket("p1", survey, key) == bucket


@given(st.integers(0, 9999), st.floats(0, 100), st.floats(0, 100))
def test_sampling_is_monotonic_in_percent(bucket, a, b):
    low, high = sorted((a, b))
    assert not in_sample(low, bucket) or in_sample(high, bucket)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([1, 10, 25, 50, 90]), st.text(min_size=1, max_size=8))
def test_sample_distribution_is_close_to_the_percent(percent, survey):
    n = 20_000
    hits = sum(in_sample(percent, sample_bucket("p1", survey, f"user-{i}")) for i in range(n))
    expected = n * percent / 100
    assert abs(hits - expected) < 5 * (expected * (1 - percent / 100)) ** 0.5 + 1


def test_sample_differs_per_survey():
    keys = [f"user-{i}" for i in range(2000)]
    a = {k for k in keys if in_sample(50, sample_bucket("p1", "a", k))}
    b = {k for k in keys if in_sample(50, sample_bucket("p1", "b", k))}
    assert a != b and 0.3 < len(a & b) / len(a) < 0.7  # independent draws, not one cohort


def test_zero_and_full_percent():
    assert not any(in_sample(0, b) for b in range(10_000))
    assert all(in_sample(100, b) for b in range(10_000))
    assert sum(in_sample(0.5, b) for b in range(10_000)) == 50


# -- schedule and frequency over time -------------------------------------------------------


def history(view=None, first=None, dismissed=None, completed=None) -> History:
    h = History()
    h.first_view, h.last_view = first or view, view
    h.last_dismissal, h.last_completion = dismissed, completed
    return h


def days(n: float) -> datetime:
    return NOW + timedelta(days=n)


def test_schedule_bounds():
    window = {"start_at": "2026-06-10", "end_at": "2026-06-20T00:00:00Z"}
    assert in_schedule(window, NOW) and in_schedule(None, NOW)
    assert not in_schedule(window, datetime(2026, 6, 9, 23, 59, tzinfo=UTC))
    assert in_schedule(window, datetime(2026, 6, 10, tzinfo=UTC))
    assert not in_schedule(window, datetime(2026, 6, 20, tzinfo=UTC))
    assert in_schedule({"start_at": None, "end_at": None}, NOW)


def test_once_until_completed_or_dismissed_and_the_dismissal_retry():
    once = {"repeat": "once"}
    assert frequency_allows(None, History(), NOW)
    assert frequency_allows(once, history(view=NOW), days(1))  # seen, not acted on
    assert not frequency_allows(once, history(view=NOW, completed=NOW), days(999))
    assert not frequency_allows(once, history(view=NOW, dismissed=NOW), days(999))
    retry = {"repeat": "once", "dismissed_retry_days": 14}
    assert not frequency_allows(retry, history(view=NOW, dismissed=NOW), days(13.9))
    assert frequency_allows(retry, history(view=NOW, dismissed=NOW), days(14))
    assert not frequency_allows(retry, history(view=NOW, completed=NOW), days(99))


def test_each_trigger_ignores_history():
    h = history(view=NOW, dismissed=NOW, completed=NOW)
    assert frequency_allows({"repeat": "each_trigger"}, h, NOW)


def test_interval_counts_from_the_last_show_within_max_days():
    freq = {"repeat": "interval", "interval_days": 30, "max_days": 100}
    assert frequency_allows(freq, History(), NOW)
    seen = history(view=NOW)
    assert not frequency_allows(freq, seen, days(29))
    assert frequency_allows(freq, seen, days(30))
    # shown again on day 45: next from day 75, and never from day 100 after the first view
    again = history(view=days(45), first=NOW, completed=days(45))
    assert not frequency_allows(freq, again, days(74))
    assert frequency_allows(freq, again, days(75))
    assert not frequency_allows(freq, history(view=days(80), first=NOW), days(110))
    assert not frequency_allows(freq, history(view=days(60), first=NOW), days(100))
    # a completion or dismissal without a view still counts as shown
    assert not frequency_allows(freq, history(dismissed=NOW), days(10))


def test_interval_dismissal_retry_comes_back_sooner():
    freq = {"repeat": "interval", "interval_days": 90, "dismissed_retry_days": 7}
    dismissed = history(view=NOW, dismissed=NOW)
    assert not frequency_allows(freq, dismissed, days(6))
    assert frequency_allows(freq, dismissed, days(7))
    answered = history(view=NOW, dismissed=days(-1), completed=NOW)
    assert not frequency_allows(freq, answered, days(7))


# -- import checks -----------------------------------------------------------------------------


def survey(**fields):
    return {"id": "s1", "questions": [], **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"audience": []}, "audience: must be an object"),
        ({"audience": {"identified_only": 1}}, "audience.identified_only: must be true"),
        (
            {"audience": {"identified_only": True, "anonymous_only": True}},
            "audience: identified_only and anonymous_only exclude each other",
        ),
        ({"audience": {"match": "some"}}, "audience.match: must be one of all, any"),
        ({"audience": {"sample_percent": 120}}, "audience.sample_percent: must be between"),
        ({"audience": {"sample_percent": "50"}}, "audience.sample_percent: must be a number"),
        ({"audience": {"rules": {}}}, "audience.rules: must be a list"),
        ({"audience": {"rules": [{"op": "eq"}]}}, "audience.rules[0]: needs exactly one of"),
        (
            {"audience": {"rules": [{"trait": "a", "op": "eq", "value": 1}, {"trait": "b"}]}},
            "audience.rules[1].op: must be one of eq,",
        ),
        (
            {"audience": {"rules": [{"trait": "a", "op": "eq"}]}},
            "audience.rules[0].value: must be a string, a number or a boolean",
        ),
        (
            {"audience": {"rules": [{"trait": "a_at", "op": "more_than_days_ago", "value": "x"}]}},
            "audience.rules[0].value: must be a number",
        ),
        (
            {"audience": {"rules": [{"event": "e", "op": "at_least", "count": -1}]}},
            "audience.rules[0].count: must be an integer >= 0",
        ),
        (
            {"audience": {"rules": [{"event": "", "op": "at_least", "count": 1}]}},
            "audience.rules[0].event: must be a non-empty string",
        ),
        ({"frequency": {"repeat": "twice"}}, "frequency.repeat: must be one of"),
        ({"frequency": {"repeat": "interval"}}, "frequency.interval_days: required"),
        (
            {"frequency": {"repeat": "once", "dismissed_retry_days": -1}},
            "frequency.dismissed_retry_days: must be >= 0",
        ),
        ({"schedule": {"start_at": "soon"}}, "schedule.start_at: must be an ISO 8601"),
        (
            {"schedule": {"start_at": "2026-02-01", "end_at": "2026-01-01"}},
            "schedule.end_at: must be after start_at",
        ),
        ({"trigger": {"type": "hover"}}, "trigger.type: must be one of"),
        ({"trigger": {"type": "event"}}, "trigger.event: must be a non-empty string"),
        ({"trigger": {"type": "delay"}}, "trigger.delay_s: must be a number"),
        (
            {"trigger": {"type": "delay", "delay_s": 5, "from": "lunch"}},
            "trigger.from: must be one of",
        ),
        ({"trigger": {"type": "scroll", "percent": 150}}, "trigger.percent: must be between"),
        (
            {"trigger": {"type": "page", "pages": {"include": [{"match": "glob", "value": "/"}]}}},
            "trigger.pages.include[0].match: must be one of",
        ),
        (
            {"trigger": {"type": "page", "pages": {"exclude": [{"match": "regex", "value": "("}]}}},
            "trigger.pages.exclude[0].value: invalid regex",
        ),
        (
            {
                "trigger": {
                    "type": "page",
                    "pages": {"include": [{"match": "regex", "value": "^/a(?=b)"}]},
                }
            },
            "trigger.pages.include[0].value: the MicroPython client cannot run",
        ),
        (
            {
                "trigger": {
                    "type": "page",
                    "pages": {"include": [{"match": "equals", "value": "/", "on": "host"}]},
                }
            },
            "trigger.pages.include[0].on: must be one of path, url",
        ),
    ],
)
def test_import_names_the_bad_path(fields, message):
    with pytest.raises(ProjectError) as info:
        check_survey(survey(**fields))
    assert str(info.value).startswith(f"survey 's1': {message}"), str(info.value)


def test_import_accepts_the_full_vocabulary():
    check_survey(
        survey(
            audience={
                "anonymous_only": False,
                "identified_only": True,
                "match": "any",
                "sample_percent": 12.5,
                "rules": [
                    {"trait": "plan", "op": "eq", "value": "pro"},
                    {"account_trait": "seats", "op": "gte", "value": 5},
                    {"trait": "signed_up_at", "op": "less_than_days_ago", "value": 30},
                    {"trait": "beta", "op": "is_set"},
                    {"event": "saved", "op": "at_least", "count": 2},
                ],
            },
            frequency={
                "repeat": "interval",
                "interval_days": 90,
                "max_days": 365,
                "dismissed_retry_days": 7,
            },
            schedule={"start_at": "2026-01-01", "end_at": None},
            trigger={
                "type": "page",
                "delay_s": 2,
                "pages": {
                    "include": [
                        {"match": "pattern", "value": "/app/*"},
                        {"match": "regex", "value": r"^/p/\d+$", "on": "path"},
                    ],
                    "exclude": [{"match": "contains", "value": "preview=1", "on": "url"}],
                },
            },
        )
    )
    check_survey(survey(frequency={"repeat": "once", "interval_days": None}))
