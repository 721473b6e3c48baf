"""Property (issue 13, item 8): every value the client accepts is stored by the server.

The CPython client (the doubles of tests/unit/twin.py) takes hostile `identifyUser`,
`addToResponse` and `trackEvent` calls: NUL, lone surrogates, strings, key counts and the
hidden fields' total past the limits, numbers of every kind; on a page whose title and URL
hold the same. What it queues goes, as the bytes it would send, to the real server on both
databases: each write must be stored whole, nothing dropped or refused.
"""

from __future__ import annotations

import itertools
import json

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refiner_server.db import contacts, events, responses, traits
from refiner_web.client import Client
from refiner_web.values import MAX_FIELDS, MAX_FIELDS_TEXT, MAX_TEXT, MAX_URL, field_chars
from tests.unit.twin import FakePlatform, View

EVIL = ["\x00", "\ud83d", "\ude00", "\ud83d\ude00", "\U0001f600", "_at", "é"]
NUMBERS = st.one_of(
    st.integers(-(2**53), 2**53),
    st.sampled_from([2147483647, 2147483648, -2147483648, 0.5, 3.0, 1e300]),
    st.floats(),
)


def texts(most: int) -> st.SearchStrategy:
    pieces = st.one_of(st.characters(), st.sampled_from(EVIL))
    short = st.lists(pieces, max_size=12).map("".join)
    # around a length limit: `most` and one past it, with a piece of evil at the end
    edge = st.tuples(st.sampled_from([most - 1, most]), pieces).map(lambda t: "x" * t[0] + t[1])
    return st.one_of(short, edge)


def scalars(most: int) -> st.SearchStrategy:
    return st.one_of(texts(most), NUMBERS, st.booleans(), st.none())


def values(most: int) -> st.SearchStrategy:
    return st.one_of(scalars(most), st.lists(scalars(most), max_size=2))


TRAITS = st.lists(st.tuples(texts(255), values(255)), max_size=12).map(dict)
FIELDS = st.lists(st.tuples(texts(255), values(MAX_TEXT)), max_size=8).map(dict)
#: two calls that together name more fields than a response may hold
MANY = st.integers(0, 3).map(lambda n: {"f%03d" % i: i for i in range(n * 40)})


class ServerPlatform(FakePlatform):
    """The doubles, with requests sent as the client's own bytes to the real server."""

    def __init__(self, client: object) -> None:
        super().__init__()
        self.http = client
        self.answers = []

    async def request(self, method, url, body, keepalive):
        path = url.split("127.0.0.1", 1)[1]
        r = self.http.request(method, path, content=body.encode("utf-8"))
        self.answers.append((method, path, r.status_code, r.text))
        return r.status_code, r.text, 0


_ids = itertools.count()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    user_id=texts(255),
    user_traits=TRAITS,
    account_traits=TRAITS,
    first=FIELDS,
    second=st.tuples(FIELDS, MANY).map(lambda t: {**t[1], **t[0]}),
    event=texts(255),
    title=texts(MAX_URL),
    path=texts(MAX_URL),
)
def test_what_the_client_accepts_the_server_stores(
    client, db, user_id, user_traits, account_traits, first, second, event, title, path
) -> None:
    n = next(_ids)
    platform = ServerPlatform(client)
    platform.title = title
    platform.url = "https://host.example/" + path
    platform.ids = n * 1000  # ids unique across examples: a repeated one is a retry
    web = Client(platform, "http://127.0.0.1", View)
    web.dispatch(["setProject", "p1"])
    account = {**account_traits, "id": "acct-%d" % n}
    user_id = ("u%d-" % n + user_id)[:255]  # a user of an earlier example keeps its traits
    web.dispatch(["identifyUser", {**user_traits, "id": user_id, "account": account}])
    web.dispatch(["addToResponse", first])
    web.dispatch(["addToResponse", second])
    events_before = db.count(events)
    web.dispatch(["trackEvent", event])
    web.finish_boot()
    platform.run()
    response_id = "resp-%08d" % n
    fields = {
        "form_id": "live-one",
        "answers": {},
        "data": web.hidden_fields(),
        "page_url": web.page()["url"],
        "completed": True,
    }
    web.record("response", response_id, "PUT", "responses/" + response_id, fields)
    platform.clock += 1000
    platform.run()

    assert [a for a in platform.answers if a[2] >= 400] == []
    (put,) = [a for a in platform.answers if a[0] == "PUT"]
    assert json.loads(put[3])["dropped"] == []
    assert len(web.hidden_fields()) <= MAX_FIELDS
    assert sum(field_chars(k, v) for k, v in web.hidden_fields().items()) <= MAX_FIELDS_TEXT
    stored = db.rows(responses, responses.c.response_id == response_id)
    assert [row["data"] for row in stored] == [web.hidden_fields()]
    assert [row["page_url"] for row in stored] == [web.page()["url"]]
    if web.identity.user is not None:
        (contact,) = db.rows(contacts, contacts.c.user_id == web.identity.user["id"])
        with db.engine.connect() as conn:
            where = traits.c.contact_pk == contact["pk"]
            keys = {row.key for row in conn.execute(sa.select(traits).where(where))}
        assert keys == {key for key, _ in web.identity.user["traits"]}
    sent = [a for a in platform.answers if a[1].endswith("/events")]
    assert db.count(events) == events_before + (1 if sent else 0), sent
