"""Cost of the survey summary and of the dashboard's survey page as responses grow.

Fills a fresh SQLite file (or `--pg URL`, an empty database) with N responses to the demo
survey (NPS, text, choice, rating answers, spread over 60 days, one contact each with two
traits) and N views, then times `reports.survey_summary` and `GET /admin/.../demo-nps`
(summary, charts, latest answers, rendered) through the real app in-process, `--runs`
times each; reports the median wall and CPU time and the peak Python heap (tracemalloc)
of one summary, which stays flat as N grows: the summary streams responses in keyset pages.

    python bench/reports.py                      # N = 1,000, 10,000, 100,000
    python bench/reports.py --sizes 1000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from refiner_server.app import create_app  # noqa: E402
from refiner_server.db import contacts, responses, traits, views  # noqa: E402
from refiner_server.projects import ensure_demo  # noqa: E402
from refiner_server.surveys.reports import survey_summary  # noqa: E402
from refiner_server.tokens import create_token  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RESULTS = ROOT / "bench" / "results" / "reports.json"
PAGE = "/admin/projects/demo/surveys/demo-nps"
CHUNK = 5000


def fill(engine, n: int, seed: int = 1) -> None:  # noqa: ANN001 - an Engine
    """N contacts, each with a view, a response and two traits, in chunks."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    for first in range(0, n, CHUNK):
        count = min(CHUNK, n - first)
        rows_c, rows_v, rows_r, rows_t = [], [], [], []
        for i in range(first, first + count):
            pk = i + 1
            at = start + timedelta(seconds=rng.randrange(60 * 86400))
            rows_c.append(
                {
                    "pk": pk,
                    "project_id": "demo",
                    "user_id": f"u{pk}",
                    "email": f"u{pk}@x.test",
                    "first_seen_at": at,
                    "last_seen_at": at,
                }
            )
            score = rng.randint(0, 10)
            answers = {"score": score, "stars": rng.randint(1, 5)}
            if score < 9:
                answers.update(
                    why="because " * rng.randint(1, 20), plan=rng.choice(["free", "pro"])
                )
            rows_v.append(
                {
                    "project_id": "demo",
                    "view_id": f"v{pk:012d}",
                    "form_id": "demo-nps",
                    "contact_pk": pk,
                    "shown_at": at,
                    "received_at": at,
                }
            )
            rows_r.append(
                {
                    "project_id": "demo",
                    "response_id": f"r{pk:012d}",
                    "form_id": "demo-nps",
                    "contact_pk": pk,
                    "answers": answers,
                    "data": {"src": "bench"},
                    "completed": True,
                    "created_at": at,
                    "updated_at": at,
                    "completed_at": at,
                    "survey_version": 1,
                }
            )
            for key, value in (("plan", "pro"), ("team", "core")):
                rows_t.append(
                    {
                        "project_id": "demo",
                        "contact_pk": pk,
                        "key": key,
                        "type": "string",
                        "value_text": value,
                        "updated_at": at,
                    }
                )
        with engine.begin() as conn:
            for table, rows in (
                (contacts, rows_c),
                (views, rows_v),
                (responses, rows_r),
                (traits, rows_t),
            ):
                conn.execute(table.insert(), rows)


def timed(fn, runs: int) -> tuple[float, float]:  # noqa: ANN001
    """Median wall and CPU milliseconds of `fn()` (CPU of this process, all threads: the
    database runs in-process too, so CPU is the figure that other load does not inflate)."""
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def measure(db_url: str, n: int, runs: int) -> dict:
    app = create_app(db_url)
    engine = app.state.admin_engine
    ensure_demo(engine)
    fill(engine, n)
    _, raw = create_token(engine, "bench")
    summary_ms, summary_cpu = timed(lambda: survey_summary(engine, "demo", "demo-nps"), runs)
    tracemalloc.start()
    survey_summary(engine, "demo", "demo-nps")
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    with TestClient(app) as client:
        client.cookies.set("refiner_admin", raw, path="/admin")

        def page() -> None:
            r = client.get(PAGE)
            assert r.status_code == 200 and "NPS" in r.text

        page_ms, page_cpu = timed(page, runs)
    return {
        "responses": n,
        "summary_ms": summary_ms,
        "summary_cpu_ms": summary_cpu,
        "page_ms": page_ms,
        "page_cpu_ms": page_cpu,
        "peak_mb": peak_mb,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", help="an empty PostgreSQL database URL (one size only)")
    args = parser.parse_args(argv)
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as work:
            url = args.pg or f"sqlite:///{work}/bench.db"
            rows.append(dict(measure(url, n, args.runs), db="postgresql" if args.pg else "sqlite"))
    print("| db | responses | survey_summary ms (CPU) | survey page ms (CPU) | peak heap MB |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['db']} | {r['responses']:,} "
            f"| {r['summary_ms']:,.0f} ({r['summary_cpu_ms']:,.0f}) "
            f"| {r['page_ms']:,.0f} ({r['page_cpu_ms']:,.0f}) | {r['peak_mb']:.1f} |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
