"""One contact's history as the eligibility rules read it: per survey its views,
dismissals and completions, and the counts of the events rules name, in one query."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.client.eligibility import History
from refiner_server.db import TS, as_utc, dismissals, events, responses, views

# typed NULLs: PostgreSQL takes an untyped one in a UNION for text
_NO_COUNT, _NO_TIME = sa.cast(sa.null(), sa.BigInteger), sa.cast(sa.null(), TS)


def _per_form(kind: str, table: sa.Table, at: sa.Column[Any], *where: Any) -> sa.Select[Any]:
    return (
        sa.select(sa.literal(kind), table.c.form_id, _NO_COUNT, sa.func.min(at), sa.func.max(at))
        .where(table.c.contact_pk == sa.bindparam("contact_pk"), *where)
        .group_by(table.c.form_id)
    )


# (kind, form id or event name, event count, first, last): the time columns take their type
# from the first part, so SQLite's stored text comes back as datetimes
_HISTORY = sa.union_all(
    _per_form("v", views, views.c.shown_at),
    _per_form("d", dismissals, dismissals.c.dismissed_at),
    _per_form("c", responses, responses.c.completed_at, responses.c.completed),
    sa.select(sa.literal("e"), events.c.name, sa.func.count(), _NO_TIME, _NO_TIME)
    .where(
        events.c.contact_pk == sa.bindparam("contact_pk"),
        events.c.name.in_(sa.bindparam("names", expanding=True)),
    )
    .group_by(events.c.name),
)


def contact_history(
    conn: Connection, contact_pk: int, event_names: list[str]
) -> tuple[dict[str, int], dict[str, History]]:
    """Counts of the named events and, per survey, the views, dismissals and completions
    of one contact, in one query."""
    counts: dict[str, int] = {}
    out: dict[str, History] = {}
    params = {"contact_pk": contact_pk, "names": event_names}
    for kind, key, n, first, last in conn.execute(_HISTORY, params):
        if kind == "e":
            counts[key] = n
            continue
        h = out.setdefault(key, History())
        if kind == "v":
            h.first_view, h.last_view = as_utc(first), as_utc(last)
        elif kind == "d":
            h.last_dismissal = as_utc(last)
        else:
            h.last_completion = as_utc(last)
    return counts, out
