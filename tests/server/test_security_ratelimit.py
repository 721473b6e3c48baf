"""Rate limits: the token buckets (pure, driven by a clock the test holds) and the client
API's 429 with `Retry-After`, per project and per client address."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from refiner_server.app import create_app
from refiner_server.clock import Clock
from refiner_server.db import events
from refiner_server.http.ratelimit import Buckets, Limiter, Rate, address_key
from refiner_server.projects import create_project

ANON = "anon-0000000001"


# -- the buckets -------------------------------------------------------------------------


def test_rate_parse() -> None:
    assert Rate.parse("off") is None
    r = Rate.parse("5/20")
    assert (r.per_s, r.burst) == (5, 20)
    assert Rate.parse("2").burst == 20  # ten seconds' worth
    assert Rate.parse("0.5").burst == 5
    back = Rate.parse(str(Rate(0.1, 3)))
    assert (back.per_s, back.burst) == (0.1, 3)
    for bad in ("", "x", "0", "-1/5", "5/0", "1/2/3"):
        with pytest.raises(ValueError):
            Rate.parse(bad)


def test_split_between_workers() -> None:
    r = Rate(100, 1000).split(4)
    assert (r.per_s, r.burst) == (25, 250)
    assert Rate(1, 2).split(8).burst == 1  # never below one request


def test_burst_then_steady_rate() -> None:
    b = Buckets(Rate(2, 5))
    now = 1000.0
    for _ in range(5):
        assert b.wait("k", now) == 0
        b.take("k", now)
    assert b.wait("k", now) == pytest.approx(0.5)  # one token comes back every 0.5 s
    assert b.wait("k", now + 0.5) == 0
    b.take("k", now + 0.5)
    assert b.wait("k", now + 0.5) == pytest.approx(0.5)
    assert b.wait("k", now + 100) == 0 and b._tokens("k", now + 100) == 5  # capped at burst


def test_keys_are_independent() -> None:
    b = Buckets(Rate(1, 1))
    b.take("a", 0.0)
    assert b.wait("a", 0.0) > 0 and b.wait("b", 0.0) == 0


def test_clock_stepping_back_refills_nothing() -> None:
    b = Buckets(Rate(1, 2))
    b.take("k", 100.0)
    b.take("k", 100.0)
    assert b.wait("k", 50.0) == pytest.approx(1.0)


def test_made_up_keys_do_not_grow_without_bound() -> None:
    b = Buckets(Rate(1, 10), max_keys=100)
    for i in range(1000):
        b.take(f"k{i}", float(i))  # one request each, then idle: full again after 10 s
    assert len(b._buckets) <= 100
    busy = Buckets(Rate(1, 10), max_keys=100)
    for i in range(1000):
        busy.take(f"k{i}", 0.0)  # all at once: none is full, the older half goes
    assert len(busy._buckets) <= 100


@given(
    st.floats(0.1, 100),
    st.integers(1, 50),
    st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_time(per_s, burst, gaps) -> None:
    """Over any run of requests, what passes is at most the burst plus what the rate
    refilled; and a request told to wait `w` passes when it comes back `w` later."""
    b = Buckets(Rate(per_s, burst))
    now, passed = 0.0, 0
    for gap in gaps:
        now += gap
        wait = b.wait("k", now)
        if wait == 0:
            b.take("k", now)
            passed += 1
        else:
            assert b.wait("k", now + wait + 1e-9) == 0
    assert passed <= burst + per_s * now + 1e-6


def test_limiter_refusal_takes_no_token() -> None:
    lim = Limiter(Rate(1, 3), Rate(1, 1))
    assert lim.check("p", "203.0.113.1", 0.0) == 0
    assert lim.check("p", "203.0.113.1", 0.0) == 1  # the address is out; the project is not
    assert lim.check("p", "203.0.113.2", 0.0) == 0
    assert lim.check("p", "203.0.113.3", 0.0) == 0
    assert lim.check("p", "203.0.113.4", 0.0) == 1  # now the project is out
    assert lim.check("other", "203.0.113.5", 0.0) == 0
    assert lim.check("p", None, 0.0) == 1  # an unlimited address still counts for its project
    assert Limiter(None, None).check("p", "203.0.113.1", 0.0) == 0


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    lim = Limiter(Rate(0.1, 1), None)
    lim.check("p", None, 0.0)
    assert lim.check("p", None, 0.0) == 10
    assert lim.check("p", None, 9.5) == 1


def test_address_keys() -> None:
    assert address_key("127.0.0.1") is None and address_key("::1") is None
    assert address_key("203.0.113.9") == "203.0.113.9"
    # one /64 is one subscriber: its addresses share a bucket
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_key("::ffff:127.0.0.1") is None
    assert address_key("testclient") == "testclient"


# -- over HTTP -----------------------------------------------------------------------------


@pytest.fixture
def limited(db_url: str, tmp_path: Path) -> Any:
    """A server whose project allows 4 requests in a burst and an address 2 (a fixed
    clock: nothing refills until the test moves it)."""
    clock = Clock(datetime(2026, 5, 1, tzinfo=UTC))
    app = create_app(db_url, clock=clock, limiter=Limiter(Rate(0.1, 4), Rate(0.01, 2)))
    create_project(app.state.engine, "p1")
    create_project(app.state.engine, "p2")
    return app


def ping(client: TestClient, project: str = "p1", **headers: str) -> Any:
    return client.post(
        f"/api/v1/client/{project}/ping",
        json={"anonymous_id": ANON},
        headers={"origin": "https://site.example", **headers},
    )


def test_429_with_retry_after_per_address(limited: Any) -> None:
    with TestClient(limited, client=("203.0.113.7", 5000)) as client:
        assert ping(client).status_code == 200
        assert ping(client).status_code == 200
        r = ping(client)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert r.headers["content-type"] == "application/json"
    assert r.headers["retry-after"] == "100"  # 0.01 a second: one token in 100 s
    # readable by the page's fetch: CORS allowed, Retry-After exposed
    assert r.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()
    assert r.headers["x-content-type-options"] == "nosniff"
    limited.state.clock.advance(seconds=100)
    with TestClient(limited, client=("203.0.113.7", 5000)) as client:
        assert ping(client).status_code == 200


def test_429_per_project_whatever_the_address(limited: Any) -> None:
    codes = []
    for i in range(6):
        with TestClient(limited, client=(f"203.0.113.{i}", 5000)) as client:
            r = client.post(
                "/api/v1/client/p1/events",
                json={"event_id": f"evt-0000000{i}", "anonymous_id": ANON, "name": "x"},
            )
            codes.append(r.status_code)
    assert codes == [202] * 4 + [429] * 2
    with limited.state.engine.connect() as conn:  # a refused write stores nothing
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one() == 4
    with TestClient(limited, client=("203.0.113.99", 5000)) as client:
        assert ping(client, "p2").status_code == 200  # another project has its own bucket


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_preflights_runtime_files_and_other_paths_are_not_counted(limited: Any) -> None:
    with TestClient(limited, client=("203.0.113.7", 5000)) as client:
        for _ in range(5):
            r = client.options(
                "/api/v1/client/p1/ping",
                headers={"origin": "https://s.example", "access-control-request-method": "POST"},
            )
            assert r.status_code == 204
            assert client.get("/openapi.json").status_code == 200
        assert ping(client).status_code == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_loopback_is_not_limited_by_address(limited: Any) -> None:
    with TestClient(limited, client=("127.0.0.1", 5000)) as client:
        assert [ping(client).status_code for _ in range(5)] == [200] * 4 + [429]  # project's


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_limits_unless_configured(app: Any, client: TestClient) -> None:
    assert all(ping(client).status_code == 200 for _ in range(50))


def test_openapi_documents_429(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    answer = doc["paths"]["/api/v1/client/{project}/ping"]["post"]["responses"]["429"]
    assert "Retry-After" in answer["headers"]
    assert "429" not in doc["paths"]["/api/v1/admin/projects"]["get"]["responses"]
