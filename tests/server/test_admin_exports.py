"""Response lists and exports: filters, columns, formula guard, keyset paging, and a
100k-row CSV that streams in bounded memory."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from datetime import timedelta

import pytest
import sqlalchemy as sa

from refiner_server.db import responses
from refiner_server.surveys.exports import count_responses, responses_csv, responses_rows

from .admin_support import ADMIN, NPS, T0, insert_rows, respond
from .admin_support import auth as make_auth

RESPONSES = f"{ADMIN}/projects/p1/responses"


@pytest.fixture
def h(engine):
    return make_auth(engine)


@pytest.fixture
def nps(client, h):
    assert client.post(f"{ADMIN}/projects/p1/surveys", json=NPS, headers=h).status_code == 201


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_columns_values_and_formula_guard(client, h, nps):
    respond(
        client,
        "resp-00000001",
        {
            "score": 10,
            "why": '=HYPERLINK("http://x")',
            "plan": ["pro", "other"],
            "plan_other": "@me",
        },
        user_id="u1",
        data={"utm": "+mail", "ref": "-1"},
    )
    respond(client, "resp-00000002", {"score": 3, "legacy": "kept"}, completed=False)
    r = client.get(f"{RESPONSES}/export", params={"format": "csv", "survey": "nps"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="p1-nps-responses.csv"' in r.headers["content-disposition"]
    first, second = csv_rows(r.text)
    assert list(first)[:11] == [
        "response_id", "survey_id", "survey_version", "user_id", "email", "completed",
        "created_at", "updated_at", "completed_at", "locale", "page_url",
    ]  # fmt: skip
    assert list(first)[11:] == [
        "score",
        "why",
        "plan",
        "plan_other",
        "data.ref",
        "data.utm",
        "extra_fields",
        "notes",
    ]
    assert first["why"] == '\'=HYPERLINK("http://x")' and first["plan_other"] == "'@me"
    assert first["data.utm"] == "'+mail" and first["data.ref"] == "'-1"
    assert first["plan"] == "pro;other" and first["score"] == "10" and first["user_id"] == "u1"
    assert (first["completed"], second["completed"]) == ("true", "false")
    assert second["why"] == "" and second["completed_at"] == ""
    # an answer no question takes is left out, with a note the owner reads in the export
    assert second["notes"].startswith("answers.legacy: left out, no question of this survey")
    assert second["extra_fields"] == "" and first["notes"] == ""


def test_filters_of_lists_and_exports(client, h, nps, engine):
    insert_rows(engine, 10, step=timedelta(days=1))
    insert_rows(engine, 3, form="live-one")

    def ids(**params):
        got = client.get(f"{RESPONSES}/export", params={"format": "json", **params}, headers=h)
        listed = client.get(RESPONSES, params=params, headers=h).json()["items"]
        assert [r["response_id"] for r in listed] == [r["response_id"] for r in got.json()]
        return [r["response_id"] for r in got.json()]

    assert len(ids()) == 13
    assert ids(survey="live-one") == ["l0000000", "l0000001", "l0000002"]
    since = (T0 + timedelta(days=7)).isoformat()
    assert ids(survey="nps", since=since) == ["r0000007", "r0000008", "r0000009"]
    assert ids(survey="nps", until="2026-03-03T00:00:00Z") == ["r0000000", "r0000001"]  # before
    assert ids(survey="nps", completed="false") == [f"r000000{i}" for i in (1, 3, 5, 7, 9)]
    assert count_responses(engine, "p1", survey_id="nps", completed=True) == 5
    assert client.get(RESPONSES, params={"since": "yesterday"}, headers=h).status_code == 422
    assert client.get(f"{ADMIN}/projects/nope/responses/export", headers=h).status_code == 404


def test_list_pages_with_a_cursor_through_equal_times(client, h, nps, engine):
    insert_rows(engine, 25, same_time=True)
    seen, after = [], None
    while True:
        params = {"limit": 10, **({"after": after} if after else {})}
        page = client.get(RESPONSES, params=params, headers=h).json()
        seen += [r["response_id"] for r in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [f"r{i:07d}" for i in range(25)]
    bad = client.get(RESPONSES, params={"after": "nonsense"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("after:")


def test_keyset_batches_neither_skip_nor_repeat(engine):
    insert_rows(engine, 7, same_time=True)
    insert_rows(engine, 5, form="live-one", at=T0 + timedelta(hours=1))
    got = [r["response_id"] for r in responses_rows(engine, "p1", batch=3)]
    assert got == [f"r{i:07d}" for i in range(7)] + [f"l{i:07d}" for i in range(5)]
    assert len(list(responses_rows(engine, "p1", batch=3, limit=4))) == 4


def test_json_export_is_one_valid_array(client, h, nps, engine):
    insert_rows(engine, 2500)
    r = client.get(f"{RESPONSES}/export", params={"format": "json"}, headers=h)
    rows = json.loads(r.text)
    assert len(rows) == 2500 and rows[0]["answers"] == {"score": 0, "why": "reason number 0"}
    empty = client.get(f"{RESPONSES}/export", params={"format": "json", "survey": "x"}, headers=h)
    assert json.loads(empty.text) == []


# the streaming reader is the same SQL on both databases; 100k rows once (on PostgreSQL it
# alone took over a minute of the suite), the keyset paging is checked on both above
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_csv_of_100k_rows_streams_in_bounded_memory(app, engine, h, nps):
    n = 100_000
    insert_rows(engine, n)
    # straight through the ASGI app (TestClient would collect the whole body first)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"{RESPONSES}/export",
        "raw_path": f"{RESPONSES}/export".encode(),
        "query_string": b"format=csv&survey=nps",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"authorization", h["Authorization"].encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    seen = {"size": 0, "lines": 0, "status": None}

    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # the client never disconnects

    async def send(message):
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        elif message["type"] == "http.response.body":
            seen["size"] += len(message.get("body", b""))
            seen["lines"] += message.get("body", b"").count(b"\n")

    tracemalloc.start()
    try:
        asyncio.run(app(scope, receive, send))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen["status"] == 200 and seen["lines"] == n + 1
    # what the rows would take in memory, from 2 % of them
    tracemalloc.start()
    try:
        sample = list(responses_rows(engine, "p1", limit=n // 50))
        all_rows = tracemalloc.get_traced_memory()[0] * 50
    finally:
        tracemalloc.stop()
    assert len(sample) == n // 50
    assert all_rows > 50_000_000  # 100k rows as dicts: ~100 MB
    assert peak < all_rows / 10, (peak, all_rows)
    assert peak < seen["size"] / 2, (peak, seen["size"])  # less than the CSV (~11 MB) itself


def test_the_library_iterator_matches_the_http_export(client, h, nps, engine):
    insert_rows(engine, 1200)
    direct = b"".join(responses_csv(engine, "p1", survey_id="nps")).decode()
    over_http = client.get(f"{RESPONSES}/export", params={"survey": "nps"}, headers=h).text
    assert direct == over_http and len(csv_rows(direct)) == 1200
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() == 1200
