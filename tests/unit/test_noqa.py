"""What ruff cannot check of our `noqa` comments: a blind `except Exception` says why it must
catch everything (`# noqa: BLE001 - why`), so the next reader need not guess."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("refiner_web", "refiner_server", "bench", "tools", "tests", "build.py", "setup.py")
BLIND = re.compile(r"#\s*noqa:\s*BLE001\b(.*)$")


def reasonless(text: str) -> list:
    """Line numbers of `noqa: BLE001` comments in `text` that give no reason after a dash."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        found = BLIND.search(line)
        if found and not re.match(r"\s*-\s*\S", found.group(1)):
            out.append(number)
    return out


def test_the_reader_tells_a_reason_from_none():
    comment = "# noqa: " + "BLE001"  # not spelled out: this file is read too
    lines = [comment, comment + " - why", comment + " -", "# noqa: E402"]
    assert reasonless("\n".join("x  " + line for line in lines)) == [1, 3]


def test_every_blind_except_says_why():
    paths = []
    for name in SOURCES:
        path = ROOT / name
        paths += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found = [
        "%s:%d" % (path.relative_to(ROOT), number)
        for path in paths
        for number in reasonless(path.read_text("utf-8"))
    ]
    assert found == []
