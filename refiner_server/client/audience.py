"""Who is in a survey's audience: identity mode, trait and event rules, sampling.

Pure functions over what the ping already knows of the contact (`Facts`), so that the
store loads everything in a fixed number of queries and the rules are testable alone.

Rules (DESIGN.md §4, `audience.rules`, combined by `audience.match`: `all` (default) or `any`):
- `{"trait": key, "op": op, "value": v}` on the user's traits, `{"account_trait": ...}` on
  the account's. The stored type decides the comparison: integers numerically, dates as
  instants (or as calendar days when `v` is a date without a time), booleans for equality,
  strings as text. A trait that is not set matches only `not_set`.
- `more_than_days_ago` / `less_than_days_ago` take a number of days and apply to dates.
- `{"event": name, "op": "at_least", "count": n}`: the contact tracked `name` n times or more.
- `{"device": ["phone", "tablet"]}`: the visit's device class (the client decides it from
  viewport and pointer: `refiner_web.devices`); `{"locale": ["de", "pt-BR"]}`: the visit's
  locale, `de` taking any region of German. A ping that sends neither matches neither.
- `{"segment": id}`: the contact is in the project's segment of that id (a named audience,
  `segments.py`), evaluated with the same facts; a segment holds no segment rules.
The last three take `"op": "in"` (default) or `"not_in"`.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from datetime import date, datetime, timedelta
from typing import Any

from refiner_server.client.rules import parse_date

TRAIT_OPS = (
    "eq",
    "neq",
    "contains",
    "gt",
    "lt",
    "gte",
    "lte",
    "is_set",
    "not_set",
    "more_than_days_ago",
    "less_than_days_ago",
)
EVENT_OPS = ("at_least",)
SET_OPS = ("in", "not_in")
#: rule kinds on the visit rather than the person: a count of contacts cannot know them
VISIT_KINDS = ("device", "locale")
VALUELESS_OPS = ("is_set", "not_set")
DAYS_OPS = ("more_than_days_ago", "less_than_days_ago")
BUCKETS = 10_000  # sampling resolution: 0.01 %

_COMPARE = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": operator.gt,
    "lt": operator.lt,
    "gte": operator.ge,
    "lte": operator.le,
}


class Facts:
    """What the rules may look at: typed traits as `{key: (type, value)}` for the user and
    the account, event counts by name, whether the contact is identified, the visit's
    device class and locale, and the project's segments by id. `visit` False: no visit
    (a segment's count of contacts), where device and locale rules hold, so the count is
    the most the segment can reach."""

    def __init__(
        self,
        identified: bool,
        traits: dict[str, tuple[str, Any]],
        account_traits: dict[str, tuple[str, Any]],
        event_counts: dict[str, int],
        now: datetime,
        device: str | None = None,
        locale: str | None = None,
        segments: dict[str, dict[str, Any]] | None = None,
        visit: bool = True,
    ) -> None:
        self.identified = identified
        self.traits = traits
        self.account_traits = account_traits
        self.event_counts = event_counts
        self.now = now
        self.device = device
        self.locale = locale
        self.segments = segments or {}
        self.visit = visit


@functools.lru_cache(maxsize=65536)  # pure; saves a hash per sampled survey per ping
def sample_bucket(project_id: str, survey_id: str, contact_key: str) -> int:
    """A stable bucket in [0, 10000) per contact and survey: the same on every visit, and on
    every device where the user is identified (the key is then the user id)."""
    digest = hashlib.sha256(f"{project_id}:{survey_id}:{contact_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_sample(percent: float, bucket: int) -> bool:
    """`sample_percent` of contacts (to 0.01 %) fall below the threshold."""
    return bucket < round(percent * BUCKETS / 100)


def in_audience(audience: dict[str, Any] | None, facts: Facts, nested: bool = False) -> bool:
    """Identity mode and rules; sampling is separate (it needs the contact's key).
    `nested`: a segment's audience, whose segment rules (refused when it is saved) never
    match, so no stored definition can recurse."""
    if not audience:
        return True
    if audience.get("identified_only") and not facts.identified:
        return False
    if audience.get("anonymous_only") and facts.identified:
        return False
    rules = audience.get("rules") or []
    if not rules:
        return True
    results = (rule_matches(rule, facts, nested) for rule in rules)
    return any(results) if audience.get("match") == "any" else all(results)


def rule_matches(rule: dict[str, Any], facts: Facts, nested: bool = False) -> bool:
    """One rule (validated at import: see `survey_checks`)."""
    if "event" in rule:
        return facts.event_counts.get(rule["event"], 0) >= rule["count"]
    if "segment" in rule:
        segment = None if nested else facts.segments.get(rule["segment"])
        inside = segment is not None and in_audience(segment, facts, nested=True)
        return inside != (rule.get("op") == "not_in")
    for kind in VISIT_KINDS:
        if kind in rule:
            if not facts.visit:
                return True
            if kind == "device":
                inside = facts.device in rule["device"]
            else:
                inside = locale_matches(facts.locale, rule["locale"])
            return inside != (rule.get("op") == "not_in")
    if "account_trait" in rule:
        stored = facts.account_traits.get(rule["account_trait"])
    else:
        stored = facts.traits.get(rule["trait"])
    return trait_matches(rule["op"], rule.get("value"), stored, facts.now)


def locale_matches(locale: str | None, wanted: list[str]) -> bool:
    """Whether the visit's locale is one of `wanted`: the same tag (case and `_` or `-`
    aside), or a bare language (`de`) for any of its regions (`de-AT`)."""
    if not locale:
        return False
    have = locale.strip().replace("_", "-").lower()
    for tag in wanted:
        tag = tag.strip().replace("_", "-").lower()
        if have == tag or ("-" not in tag and have.startswith(tag + "-")):
            return True
    return False


def trait_matches(op: str, value: Any, stored: tuple[str, Any] | None, now: datetime) -> bool:
    """`op` applied to the stored trait (type, value) and the rule's value."""
    if op == "is_set" or op == "not_set":
        return (stored is not None) == (op == "is_set")
    if stored is None:
        return False
    kind, current = stored
    if op in DAYS_OPS:
        if kind != "date":
            return False
        limit = now - timedelta(days=value)
        return current < limit if op == "more_than_days_ago" else current > limit
    if kind == "date":
        return _compare_dates(op, current, value)
    wanted = _coerce(kind, value)
    if wanted is None:
        return False
    if op == "contains":
        return kind == "string" and wanted in current
    if kind == "boolean" and op not in ("eq", "neq"):
        return False
    return _COMPARE[op](current, wanted)


def _coerce(kind: str, value: Any) -> Any:
    """The rule's value as the stored type, or None when it cannot be one."""
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value) if isinstance(value, (str, int, float)) else None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(value) if isinstance(value, str) else None
    # integer
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _compare_dates(op: str, current: datetime, value: Any) -> bool:
    """A date-only value compares calendar days (UTC); a date-time compares instants."""
    if op == "contains" or not isinstance(value, str):
        return False
    try:
        if len(value.strip()) == 10:
            return _COMPARE[op](current.date(), date.fromisoformat(value.strip()))
        return _COMPARE[op](current, parse_date(value))
    except ValueError:
        return False
