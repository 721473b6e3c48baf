"""The build's Pyodide stdlib: what the interpreter imports at start comes as bytecode.

The stock `python_stdlib.zip` holds sources only, so each page compiled some 140 modules
before Python was up (README "Performance"). build.py swaps those for unchecked hash-based
`.pyc` files compiled by Pyodide itself; every other entry stays as it was. That Pyodide
starts from this zip is what every other Pyodide test here does."""

import io
import zipfile

import build
from tests.e2e.conftest import DIST_STATIC


def test_modules_of_the_start_are_bytecode_and_the_rest_is_kept(built_static: dict) -> None:
    shipped = DIST_STATIC / built_static["pyodide"] / build.STDLIB
    built = zipfile.ZipFile(io.BytesIO(shipped.read_bytes()))
    stock = zipfile.ZipFile(build.PYODIDE_DIR / build.STDLIB)
    names = set(built.namelist())
    compiled = {n for n in names if n.endswith(".pyc")}
    # asyncio and json come up with Pyodide (its event loop, its own modules' imports)
    assert {"asyncio/__init__.pyc", "asyncio/events.pyc", "json/__init__.pyc"} <= compiled
    assert "asyncio/__init__.py" not in names
    assert 100 < len(compiled) < 300
    assert {n + "c" if n + "c" in compiled else n for n in stock.namelist()} == names
    for name in sorted(names - compiled):
        assert built.read(name) == stock.read(name), name
    header = built.read("json/__init__.pyc")[:16]
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, never checked
    assert header[8:16] != bytes(8)  # the source's hash
