"""bench/boot.py keeps working: one load of each kind on each runtime, sane figures.

Run as the script it is, in its own process: its Playwright cannot start inside the one
pytest-playwright keeps running for the other e2e tests of the session.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: a bench that waits for a state that never comes fails the test instead of the whole CI run
#: (a click the widget took for the keyboard's once left bench/boot.py waiting for good)
BENCH_TIMEOUT_S = 900


def run_bench(script: str, args: list[str]) -> str:
    """`bench/<script>` as the script it is; its table (stdout) once it exited 0."""
    run = subprocess.run(
        [sys.executable, "bench/" + script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT_S,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_boot_benchmark_runs(runtime: str, built_static: dict, tmp_path: Path) -> None:
    out = tmp_path / "boot.json"
    args = ["--runs", "1", "--runtimes", runtime, "--ways", "script", "--out", str(out)]
    table = run_bench("boot.py", args)
    assert "| budget (issue 6) |" in table
    results = json.loads(out.read_text())
    assert sorted(results) == sorted(
        f"{runtime}/{way}/{cache}"
        for way in ("floor", "paint", "script")
        for cache in ("cold", "warm")
    )
    cold = results[f"{runtime}/script/cold"][0]
    assert 0 < cold["live_ms"] <= cold["visible_ms"]
    assert cold["bytes"] > 100_000 and cold["requests"] >= 4
    assert results[f"{runtime}/script/warm"][0]["bytes"] < cold["bytes"] / 10  # the cache works
    assert cold["showform_ms"] > 0 and cold["answer_next_ms"] > 0
    assert cold["wasm_mb"] >= 1 and cold["heap_mb"] > 0  # the runtime's memory was found
    assert cold["longest_task_after_up_ms"] is not None  # the loader's interpreter mark
    floor = results[f"{runtime}/floor/cold"][0]
    assert floor["wasm_mb"] >= 1 and floor["longest_task_after_up_ms"] is not None
    paint = results[f"{runtime}/paint/cold"][0]  # its title was seen painted
    assert paint["visible_ms"] > 0 and paint["live_ms"] is None


def test_security_benchmark_runs(runtime: str, built_static: dict, tmp_path: Path) -> None:
    """bench/security.py --quick: the middleware table and, on this runtime, every case of
    the issue measured on the host page (no timing asserted: figures are the table's)."""
    out = tmp_path / "security.json"
    args = ["--quick", "--runtimes", runtime, "--out", str(out)]
    table = run_bench("security.py", args)
    assert f"| {runtime}: case | longest task ms |" in table
    assert "| **worst of" in table
    results = json.loads(out.read_text())
    assert results["middleware"]["best"]["with"] > 0
    cases = results["main_thread"][runtime]
    assert sorted(cases) == sorted(results["main_thread"]["bare"])
    assert len(cases) >= 16 and all(c["error"] is None for c in cases.values())
    # each call reached the client: its own warning, or the loader's, was heard
    assert cases["trackEvent, a 8 MB name"]["warnings"] == [
        "[refiner] trackEvent: the event name must be a non-empty string,"
        " not a string over 4096 characters"
    ]
    shared = cases["addToResponse, {l: a, r: a} shared 20 deep"]["warnings"]
    assert shared == ["[refiner] addToResponse: arguments could not be read: more than 256 values"]


def test_race_runs(built_static: dict, tmp_path: Path) -> None:
    """bench/race.py --quick: every target shows its survey on both profiles (the script
    fails otherwise), nothing leaves loopback, and each figure was measured."""
    out = tmp_path / "race.json"
    table = run_bench("race.py", ["--quick", "--out", str(out)])
    assert "| budget (issue 17) |" in table
    assert "| survey visible, mobile |" in table
    results = json.loads(out.read_text())
    assert (
        results["meta"]["posthog_js"]
        == json.loads((ROOT / "package.json").read_text())["devDependencies"]["posthog-js"]
    )
    loads = results["loads"]
    targets = ("posthog", "micropython", "pyodide")
    assert sorted(loads) == sorted(
        [f"{p}/race/{t}" for p in ("desktop", "mobile") for t in targets]
        + [f"{p}/host/{t}" for p in ("desktop", "mobile") for t in ("none", *targets)]
    )
    for profile in ("desktop", "mobile"):
        for target in targets:
            [race] = loads[f"{profile}/race/{target}"]
            assert race["visible_ms"] > 0 and race["heap_mib"] > 0 and race["requests"] >= 3
            assert race["bytes"] > 100_000
            # the interpreter's WebAssembly is ours alone; PostHog's SDK is all JavaScript
            assert (race["bytes_besides_wasm"] == race["bytes"]) == (target == "posthog")
            assert (race["longest_task_after_up_ms"] is None) == (target == "posthog")
            [host] = loads[f"{profile}/host/{target}"]
            assert host["visible_ms"] > 0 and host["clicks"] >= 3
        for target in ("none", *targets):
            [host] = loads[f"{profile}/host/{target}"]
            assert host["lcp_element"] == "hero.png" and host["lcp_ms"] > 0
    # the mobile profile's slow network and CPU were applied
    assert loads["mobile/host/none"][0]["lcp_ms"] > 2 * loads["desktop/host/none"][0]["lcp_ms"]
