"""Which live surveys a contact may see now: schedule, frequency, recontact wait, audience
and sample.

Pure: the store hands over the contact's `Facts` and per-survey `History` (loaded in a
fixed number of queries, whatever the number of surveys) and the clock's `now`.

Frequency (`frequency.repeat`):
- `once` (default): served until completed or dismissed. A dismissed survey comes back
  `dismissed_retry_days` after the dismissal when that is set.
- `each_trigger`: served whatever happened before (the client shows it on every trigger).
- `interval`: served until first shown, then again `interval_days` after the last time it
  was shown (a dismissal with `dismissed_retry_days` may bring it back sooner), and never
  once `max_days` have passed since it was first shown. Completion does not end it: a
  recurring survey is meant to be answered again.

Recontact wait (the project's `recontact_days`, off when null): no survey is served within
that many days of the last time the contact saw another survey of the project, any survey,
live or not; a survey with `frequency.ignore_recontact_wait` is exempt. The survey seen
last is not held back by its own showing (its `frequency` decides), so a survey left open
on one page is still there on the next.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from refiner_server.client.audience import Facts, in_audience, in_sample, sample_bucket
from refiner_server.client.rules import parse_date

log = logging.getLogger("refiner_server")


class History:
    """What one contact did with one survey: first and last view, last dismissal and last
    completion (aware UTC datetimes or None)."""

    __slots__ = ("first_view", "last_view", "last_dismissal", "last_completion")

    def __init__(self) -> None:
        self.first_view: datetime | None = None
        self.last_view: datetime | None = None
        self.last_dismissal: datetime | None = None
        self.last_completion: datetime | None = None

    def shown(self) -> tuple[datetime, datetime] | None:
        """(first, last) time it was on screen. A dismissal or completion proves it was
        shown even when its view never reached us (e.g. lost with a closed tab)."""
        times = [t for t in (self.last_dismissal, self.last_completion) if t is not None]
        firsts = times + ([self.first_view] if self.first_view else [])
        lasts = times + ([self.last_view] if self.last_view else [])
        return (min(firsts), max(lasts)) if firsts else None


NO_HISTORY = History()


class Recontact:
    """The project's recontact wait over one contact's histories: the two surveys shown
    last, so that each survey finds the latest showing of another in constant time."""

    __slots__ = ("wait", "latest")

    def __init__(self, days: int | None, histories: dict[str, History]) -> None:
        self.wait = timedelta(days=days) if days else None
        shown = []
        if self.wait is not None:
            for form_id, history in histories.items():
                times = history.shown()
                if times is not None:
                    shown.append((times[1], form_id))
        self.latest = sorted(shown, reverse=True)[:2]

    def allows(self, definition: dict[str, Any], now: datetime) -> bool:
        if self.wait is None or (definition.get("frequency") or {}).get("ignore_recontact_wait"):
            return True
        other = next((at for at, form_id in self.latest if form_id != definition["id"]), None)
        return other is None or now >= other + self.wait


NO_WAIT = Recontact(None, {})


def needs(
    definitions: list[dict[str, Any]], segments: dict[str, dict[str, Any]] | None = None
) -> tuple[bool, set[str]]:
    """Whether any audience (or segment) has rules on traits, and which event names rules
    count: the store loads only that."""
    any_traits, event_names = False, set()
    audiences = [d.get("audience") or {} for d in definitions] + list((segments or {}).values())
    for audience in audiences:
        for rule in audience.get("rules") or []:
            if "event" in rule:
                event_names.add(rule["event"])
            elif "trait" in rule or "account_trait" in rule:
                any_traits = True
    return any_traits, event_names


def eligible(
    definition: dict[str, Any],
    project_id: str,
    contact_key: str,
    facts: Facts,
    history: History,
    recontact: Recontact = NO_WAIT,
) -> bool:
    """Everything but `status` and the response limit (the query selects live surveys not
    closed). A definition stored before it was validated can hold anything: such a survey
    is logged and not served."""
    try:
        return (
            in_schedule(definition.get("schedule"), facts.now)
            and frequency_allows(definition.get("frequency"), history, facts.now)
            and recontact.allows(definition, facts.now)
            and _sampled(definition, project_id, contact_key)
            and in_audience(definition.get("audience"), facts)
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("survey %r not served: invalid targeting (%s)", definition.get("id"), exc)
        return False


def in_schedule(schedule: dict[str, Any] | None, now: datetime) -> bool:
    """`start_at` <= now < `end_at`; either bound may be null."""
    if not schedule:
        return True
    start, end = schedule.get("start_at"), schedule.get("end_at")
    if start is not None and now < parse_date(start):
        return False
    return end is None or now < parse_date(end)


def frequency_allows(frequency: dict[str, Any] | None, history: History, now: datetime) -> bool:
    """The `frequency` rules of the module docstring."""
    frequency = frequency or {}
    repeat = frequency.get("repeat") or "once"
    if repeat == "each_trigger":
        return True
    retry = _days(frequency.get("dismissed_retry_days"))
    dismissed = history.last_dismissal
    if repeat == "once":
        if history.last_completion is not None:
            return False
        return dismissed is None or (retry is not None and now >= dismissed + retry)
    shown = history.shown()
    if shown is None:
        return True
    first, last = shown
    max_days = _days(frequency.get("max_days"))
    if max_days is not None and now >= first + max_days:
        return False
    due = last + _days(frequency["interval_days"])
    completed = history.last_completion
    if retry is not None and dismissed is not None and (completed is None or dismissed > completed):
        due = min(due, dismissed + retry)
    return now >= due


def _days(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(days=value)


def _sampled(definition: dict[str, Any], project_id: str, contact_key: str) -> bool:
    percent = (definition.get("audience") or {}).get("sample_percent")
    if percent is None or percent >= 100:
        return True
    return in_sample(percent, sample_bucket(project_id, definition["id"], contact_key))
