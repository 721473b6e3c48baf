"""bench/boot.py keeps working: one load of each kind on each runtime, sane figures."""

import json
from pathlib import Path

from bench import boot


def test_boot_benchmark_runs(runtime: str, built_static: dict, tmp_path: Path) -> None:
    out = tmp_path / "boot.json"
    assert (
        boot.main(["--runs", "1", "--runtimes", runtime, "--ways", "script", "--out", str(out)])
        == 0
    )
    results = json.loads(out.read_text())
    assert sorted(results) == sorted(
        f"{runtime}/{way}/{cache}" for way in ("floor", "script") for cache in ("cold", "warm")
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
