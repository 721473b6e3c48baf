"""build.py keeps what a cached loader still needs: the previous builds' versioned files."""

import os
import time

import build


def test_clean_keeps_recent_versioned_dirs_only(tmp_path, monkeypatch) -> None:
    dist = tmp_path / "dist"
    out = dist / "static"
    monkeypatch.setattr(build, "DIST", dist)
    monkeypatch.setattr(build, "OUT", out)
    now = time.time()
    for rel in ("refiner.js", "bench-pages/a.html", "v/recent/x.js", "v/old/x.js", "../other"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x")
    os.utime(out / "v/recent", (now - build.KEEP_OLD_S + 60,) * 2)
    os.utime(out / "v/old", (now - build.KEEP_OLD_S - 60,) * 2)
    build.clean(now)
    assert sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*")) == [
        "static",
        "static/v",
        "static/v/recent",
        "static/v/recent/x.js",
    ]


def test_write_group_marks_when_it_was_written(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(build, "OUT", tmp_path)
    group = build.Group("g", {"a/b.js": b"1"})
    prefix = build.write_group(group, 1234.0)
    assert (tmp_path / prefix / "a/b.js").read_bytes() == b"1"
    assert (tmp_path / prefix).stat().st_mtime == 1234.0


def test_compression_reports_large_files_as_it_goes(tmp_path, monkeypatch) -> None:
    """The brotli pass took minutes in silence on a cold cache: now each large file is named
    once it is done, with the share of the bytes behind."""
    monkeypatch.setattr(build, "OUT", tmp_path)
    monkeypatch.setattr(build, "CACHE", tmp_path / "cache")
    big, small = tmp_path / "v/a/big.wasm", tmp_path / "v/a/small.js"
    big.parent.mkdir(parents=True)
    big.write_bytes(os.urandom(64) * (build.PROGRESS_MIN // 64 + 1))
    small.write_bytes(b"x = 1;\n" * 100)
    said: list[str] = []
    rows = build.compress_all([small, big], 1, said.append)
    assert [row[0] for row in rows] == [str(big), str(small)]
    assert said[0].startswith("compressing 2 files")
    assert len(said) == 2 and said[1].endswith(": v/a/big.wasm") and "1/2 files" in said[1]
