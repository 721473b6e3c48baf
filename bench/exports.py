"""Time and memory of the streamed response exports (CSV and JSON) as responses grow.

Fills a fresh SQLite file with N responses to the demo survey in one executemany (answers to
every question, a hidden field, every other one completed), then consumes
`exports.responses_csv` and `exports.responses_json` once for time (median of `--runs`) and
once under tracemalloc for the peak Python heap, next to what the N rows would take as a list
(`responses_rows` materialised): the peak stays flat while that grows with N.

    python bench/exports.py                      # N = 10,000 and 100,000
    python bench/exports.py --sizes 1000 --runs 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from refiner_server.db import contacts, make_engine, migrate, responses  # noqa: E402
from refiner_server.projects import ensure_demo  # noqa: E402
from refiner_server.surveys.exports import responses_csv, responses_json, responses_rows  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "exports.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def fill(engine, n: int) -> None:  # noqa: ANN001 - an Engine
    with engine.begin() as conn:
        pk = conn.execute(
            contacts.insert().values(project_id="demo", first_seen_at=T0, last_seen_at=T0)
        ).inserted_primary_key[0]
        conn.execute(
            responses.insert(),
            [
                {
                    "project_id": "demo",
                    "response_id": f"r{i:08d}",
                    "form_id": "demo-nps",
                    "contact_pk": pk,
                    "answers": {"score": i % 11, "why": f"reason {i}", "plan": "pro", "stars": 4},
                    "data": {"source": "bench"},
                    "completed": i % 2 == 0,
                    "created_at": T0 + timedelta(seconds=i),
                    "updated_at": T0,
                    "survey_version": 1,
                }
                for i in range(n)
            ],
        )


def consume(chunks: Iterable[bytes]) -> int:
    return sum(len(c) for c in chunks)


def peak_of(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(n: int, runs: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate(engine)
        ensure_demo(engine)
        fill(engine, n)
        as_list = peak_of(lambda: list(responses_rows(engine, "demo")))
        rows = []
        for name, make in (("csv", responses_csv), ("json", responses_json)):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                size = consume(make(engine, "demo", survey_id="demo-nps"))
                times.append(time.perf_counter() - started)
            seconds = statistics.median(times)
            rows.append(
                {
                    "format": name,
                    "responses": n,
                    "bytes": size,
                    "seconds": round(seconds, 2),
                    "rows_per_s": round(n / seconds),
                    "peak_heap": peak_of(lambda make=make: consume(make(engine, "demo"))),
                    "rows_as_list": as_list,
                }
            )
        engine.dispose()
    return rows


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [row for n in args.sizes for row in measure(n, args.runs)]
    print("| format | responses | output | time | rows/s | peak heap | the rows as a list |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['format']} | {r['responses']:,} | {mb(r['bytes'])} | {r['seconds']} s "
            f"| {r['rows_per_s']:,} | {mb(r['peak_heap'])} | {mb(r['rows_as_list'])} |"
        )
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
