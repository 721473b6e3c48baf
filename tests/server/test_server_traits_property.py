"""Property: any trait the protocol allows is stored with its type and read back equal."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refiner_server.client.contacts import trait_value, typed
from refiner_server.db import contacts, traits

INT = st.integers(-2147483647, 2147483647)
NO_NUL = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")
STR = st.text(NO_NUL, max_size=255)
DATE = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
KEY = st.text(NO_NUL, min_size=1, max_size=40)


@st.composite
def trait_dicts(draw):
    plain = draw(
        st.dictionaries(
            KEY.filter(lambda k: not k.endswith("_at")),
            st.one_of(st.booleans(), INT, STR),
            max_size=8,
        )
    )
    dates = draw(st.dictionaries(KEY.map(lambda k: k[:30] + "_at"), DATE, max_size=3))
    return plain, dates


def expected_type(key, value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "date" if key.endswith("_at") else "string"


@given(key=KEY, value=st.one_of(st.booleans(), INT, STR))
def test_typed_never_takes_bool_for_int(key, value):
    if key.endswith("_at") and isinstance(value, str):
        return
    row = typed(key, value)
    assert row["type"] == expected_type(key, value)
    filled = [
        c for c in ("value_text", "value_int", "value_bool", "value_date") if row[c] is not None
    ]
    assert len(filled) == 1


_users = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=trait_dicts())
def test_ping_round_trips_traits(client, db, data):
    plain, dates = data
    user_id = f"user-{next(_users)}"
    sent = {**plain, **{k: v.strftime("%Y-%m-%dT%H:%M:%SZ") for k, v in dates.items()}}
    r = client.post("/api/v1/client/p1/ping", json={"user": {"id": user_id, "traits": sent}})
    assert r.status_code == 200, r.text
    (contact,) = db.rows(contacts, contacts.c.user_id == user_id)
    with db.engine.connect() as conn:
        stored = {
            row.key: (row.type, trait_value(row))
            for row in conn.execute(sa.select(traits).where(traits.c.contact_pk == contact["pk"]))
        }
    want = {k: (expected_type(k, v), v) for k, v in plain.items()}
    want.update({k: ("date", v) for k, v in dates.items()})
    assert stored == want
