"""Time of a segment's count of contacts (`segments.count_contacts`, what the dashboard and
the admin API show) as a project's contacts grow, on SQLite and PostgreSQL.

Fills a fresh database with N contacts (half identified, each with three traits, one in ten
in an account with a trait, one event each for a third of them), then counts four segments
(identity only; one trait; two traits, an account trait and an event; `match: any`), the
median of `--runs`.

    python bench/segments.py                       # N = 10,000 and 100,000, both databases
    python bench/segments.py --sizes 1000 --runs 1 --no-postgres
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.postgres import Cluster, Unavailable  # noqa: E402
from refiner_server.db import (  # noqa: E402
    accounts,
    contacts,
    events,
    make_engine,
    migrate,
    traits,
)
from refiner_server.projects import create_project  # noqa: E402
from refiner_server.segments import count_contacts  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "segments.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PRO = {"trait": "plan", "op": "eq", "value": "pro"}
SEGMENTS = {
    "identified": {"identified_only": True},
    "one trait": {"rules": [PRO]},
    "four rules": {
        "identified_only": True,
        "rules": [
            PRO,
            {"trait": "seats", "op": "gte", "value": 5},
            {"account_trait": "tier", "op": "eq", "value": "gold"},
            {"event": "export", "op": "at_least", "count": 1},
        ],
    },
    "any of two": {"match": "any", "rules": [PRO, {"trait": "country", "op": "eq", "value": "de"}]},
}


def fill(engine, n: int) -> None:  # noqa: ANN001 - an Engine
    create_project(engine, "bench")
    with engine.begin() as conn:
        conn.execute(
            accounts.insert(),
            [
                {"project_id": "bench", "account_id": f"a{i}", "created_at": T0, "updated_at": T0}
                for i in range(n // 10)
            ],
        )
        conn.execute(
            contacts.insert(),
            [
                {
                    "project_id": "bench",
                    "user_id": f"u{i}" if i % 2 else None,
                    "account_pk": (i // 10 + 1) if i % 10 == 1 else None,
                    "first_seen_at": T0,
                    "last_seen_at": T0,
                }
                for i in range(n)
            ],
        )
        rows = []
        for pk in range(1, n + 1):
            for key, value in (("plan", ["pro", "free"][pk % 2]), ("country", "de")):
                rows.append(_trait(key, "string", value_text=value, contact_pk=pk))
            rows.append(_trait("seats", "integer", value_int=pk % 7, contact_pk=pk))
        rows += [
            _trait("tier", "string", value_text="gold", account_pk=a) for a in range(1, n // 10 + 1)
        ]
        conn.execute(traits.insert(), rows)
        conn.execute(
            events.insert(),
            [
                {
                    "project_id": "bench",
                    "event_id": f"e{pk}",
                    "contact_pk": pk,
                    "name": "export",
                    "occurred_at": T0,
                    "received_at": T0,
                }
                for pk in range(1, n + 1, 3)
            ],
        )


def _trait(key: str, kind: str, **values: object) -> dict:
    row = {"contact_pk": None, "account_pk": None, "value_text": None, "value_int": None}
    return {**row, "project_id": "bench", "key": key, "type": kind, "updated_at": T0, **values}


def measure(url: str, n: int, runs: int) -> dict[str, dict[str, float]]:
    engine = make_engine(url)
    migrate(engine)
    fill(engine, n)
    out = {}
    for name, audience in SEGMENTS.items():
        times, matched = [], 0
        for _ in range(runs):
            with engine.connect() as conn:
                start = time.perf_counter()
                matched = count_contacts(conn, "bench", audience, T0)
                times.append(time.perf_counter() - start)
        out[name] = {"ms": round(statistics.median(times) * 1000, 1), "matched": matched}
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        databases = {"sqlite": lambda n: f"sqlite:///{tmp}/segments-{n}.db"}
        if not args.no_postgres:
            try:
                cluster = stack.enter_context(Cluster(durable=True))
            except Unavailable as exc:
                print(f"PostgreSQL skipped: {exc}")
            else:
                databases["postgresql"] = lambda n: _new_database(cluster, n)
        print(f"{'database':<11} {'contacts':>9} {'segment':<11} {'ms':>8} {'matched':>8}")
        for db, url_of in databases.items():
            for n in args.sizes:
                found = measure(url_of(n), n, args.runs)
                results[f"{db}/{n}"] = found
                for name, row in found.items():
                    print(f"{db:<11} {n:>9,} {name:<11} {row['ms']:>8} {row['matched']:>8}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def _new_database(cluster: Cluster, n: int) -> str:
    admin = make_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE segments_{n}")
    admin.dispose()
    return cluster.url(f"segments_{n}")


if __name__ == "__main__":
    main()
