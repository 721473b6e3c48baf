"""Before/after of a server change, interleaved: bench/server.py of two source trees in turn.

On a shared machine the load of the other processes drifts by more than most changes
gain, so two runs minutes apart compare the machine, not the code. This runs the benchmark
of tree A (`--base`, e.g. `git archive main | tar -x -C /tmp/base`) and of tree B (this
one) alternately, `--rounds` times each (A B, then B A, ...: neither side always goes
first), against one PostgreSQL cluster, and prints every run and the medians per side.

    python bench/ab.py --base /tmp/base --rounds 3 -- --db postgresql --endpoints ping

The two sides may also be one tree with different options (`--a-args`, `--b-args`), e.g.
one server process against two over one PostgreSQL database:

    python bench/ab.py --base . --a-args=--workers=1 --b-args=--workers=2 -- --db postgresql
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.postgres import Cluster  # noqa: E402

KEYS = ("req_s", "p50_ms", "p99_ms", "server_cpu_ms_per_req")


def run(tree: Path, args: list[str], out: Path) -> dict[str, Any]:
    """One bench/server.py run of `tree` (its own code: the script puts its tree first)."""
    cmd = [sys.executable, str(tree / "bench" / "server.py"), "--runs", "1", "--json", str(out)]
    subprocess.run(cmd + args, check=True, cwd=tree, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["results"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--base", type=Path, required=True, help="tree A (before)")
    p.add_argument("--tree", type=Path, default=ROOT, help="tree B (after; default this one)")
    p.add_argument("--a-args", default="", help="options of side A only (space-separated)")
    p.add_argument("--b-args", default="", help="options of side B only (space-separated)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, help="write every run here")
    p.add_argument("server_args", nargs=argparse.REMAINDER, help="-- then bench/server.py's")
    args = p.parse_args()
    extra = [a for a in args.server_args if a != "--"]
    sides = {"A": args.base.resolve(), "B": args.tree.resolve()}
    own = {"A": args.a_args.split(), "B": args.b_args.split()}
    got: list[dict[str, Any]] = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if "--pg-url" not in extra and "sqlite" not in extra:
            extra += ["--pg-url", stack.enter_context(Cluster(durable=True)).url()]
        for i in range(args.rounds):
            for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                results = run(sides[side], extra + own[side], tmp / f"{side}{i}.json")
                for db, result in results.items():
                    for row in result["median"]:
                        got.append({"round": i + 1, "side": side, "db": db, **row})
                        print(line(got[-1]), flush=True)
    print("\nmedians (A = before, B = after)")
    for db in sorted({r["db"] for r in got}):
        for endpoint in sorted({r["endpoint"] for r in got if r["db"] == db}):
            for side in ("A", "B"):
                key = (db, endpoint, side)
                rows = [r for r in got if (r["db"], r["endpoint"], r["side"]) == key]
                med = {k: statistics.median(r[k] for r in rows) for k in KEYS}
                ok = all(r["errors"] == 0 and r["rows_match"] for r in rows)
                med.update(round="med", side=side, db=db, endpoint=endpoint)
                print(line({**med, "errors": 0 if ok else "!", "rows_match": ok}))
    if args.json:
        sides_of = {k: {"tree": str(v), "args": own[k]} for k, v in sides.items()}
        args.json.write_text(json.dumps({"sides": sides_of, "runs": got}, indent=2) + "\n")
    return 0


def line(r: dict[str, Any]) -> str:
    return (
        f"{r['round']!s:>5} {r['side']} {r['db']:<10} {r['endpoint']:<9} {r['req_s']:>7.0f} req/s "
        f"p50 {r['p50_ms']:>6.1f} ms  p99 {r['p99_ms']:>6.1f} ms  "
        f"CPU {r['server_cpu_ms_per_req']:>5.2f} ms/req  "
        f"{'ok' if r['errors'] == 0 and r['rows_match'] else 'ERRORS/MISMATCH'}"
    )


if __name__ == "__main__":
    sys.exit(main())
