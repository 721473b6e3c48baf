"""What an offline visitor's writes cost the outbox as they pile up (CPython, in memory).

Two paths, each timed for N writes into an empty box (median of `--runs`):
- `add`: N calls of `Outbox.add`, each a new entry (what the survey layer and trackEvent do).
- `add + due`: each add followed by the `due()` a flush makes (the client schedules one after
  every write; offline, each finds the server gone). `due` reads every entry again only when
  another tab changed the box (its stamp) or every `FULL_READ_MS`; here no tab does.

    python bench/outbox.py                        # N = 100, 1,000, 5,000
    python bench/outbox.py --module /tmp/old.py   # the same table for another outbox.py
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.twin import MemoryStore  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "outbox.json"


def load_outbox(path: str | None) -> type:
    if path is None:
        from refiner_web.outbox import Outbox

        return Outbox
    spec = importlib.util.spec_from_file_location("outbox_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Outbox


def run(outbox_class: type, n: int, flush: bool) -> float:
    """Seconds for n writes (each followed by a flush's `due` when `flush`)."""
    box = outbox_class(MemoryStore())
    body = {"event_id": "x" * 32, "name": "clicked", "occurred_at": "2026-01-01T00:00:00Z"}
    started = time.perf_counter()
    for i in range(n):
        box.add("event:%d" % i, "POST", "/api/v1/client/p/events", body, i)
        if flush:
            box.due(-1)  # offline: nothing is due yet, the read is the cost
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--module", help="an outbox.py to measure instead of refiner_web's")
    args = parser.parse_args()
    outbox_class = load_outbox(args.module)
    rows = []
    print(f"{'N':>6} {'add: total ms':>14} {'µs/add':>8} {'add+due: total ms':>18} {'µs/write':>9}")
    for n in args.sizes:
        add = statistics.median(run(outbox_class, n, False) for _ in range(args.runs))
        both = statistics.median(run(outbox_class, n, True) for _ in range(args.runs))
        rows.append({"n": n, "add_s": add, "add_due_s": both})
        print(
            f"{n:>6} {add * 1e3:>14.1f} {add / n * 1e6:>8.1f} {both * 1e3:>18.1f} "
            f"{both / n * 1e6:>9.1f}"
        )
    if args.module is None:
        RESULTS.write_text(json.dumps({"python": sys.version.split()[0], "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
