"""What portability between SQLite and PostgreSQL asks of the server: text without NUL
(PostgreSQL cannot store it, so both refuse it), `postgresql://` URLs on psycopg 3, and
transactions PostgreSQL aborts to break a deadlock recognised as worth a retry."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from refiner_server.db import is_retryable, make_engine, projects, traits
from refiner_server.projects import create_project


@pytest.mark.parametrize(
    "path, body",
    [
        ("ping", {"anonymous_id": "anon-00000001", "user": {"id": "u\x00"}}),
        ("events", {"event_id": "evt-00000001", "anonymous_id": "anon-00000001", "name": "a\x00"}),
    ],
)
def test_nul_in_stored_text_is_refused_on_both(client, db, path, body):
    r = client.post(f"/api/v1/client/p1/{path}", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"]


def test_nul_in_a_trait_drops_the_trait_on_both(client, db):
    body = {"anonymous_id": "anon-00000001", "user": {"id": "u", "traits": {"k": "\x00", "j": 1}}}
    r = client.post("/api/v1/client/p1/ping", json=body)
    assert r.status_code == 200, r.text
    assert [row["key"] for row in db.rows(traits)] == ["j"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_urls_use_psycopg_3(db_url):
    engine = make_engine(db_url)
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_deadlock_victim_is_retryable(db_url):
    engine = make_engine(db_url)
    create_project(engine, "a")
    create_project(engine, "b")
    both_locked = threading.Barrier(2)
    errors: list[BaseException] = []

    def lock(first: str, second: str) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(projects.update().where(projects.c.id == first).values(name="x"))
                both_locked.wait(10)
                conn.execute(projects.update().where(projects.c.id == second).values(name="y"))
        except OperationalError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lock, args=p) for p in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    engine.dispose()
    assert len(errors) == 1 and is_retryable(errors[0])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_pooled_connection_the_server_ended_is_replaced(db_url):
    engine = make_engine(db_url)
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    with make_engine(db_url, poolclass=sa.NullPool).connect() as admin:
        assert admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        gone = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        while admin.execute(gone, {"pid": pid}).scalar():
            pass  # until the backend has exited (and told its client)
    # the pooled connection is dead: the checkout notices (its socket turned readable)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()
