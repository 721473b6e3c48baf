"""Server fixtures: a real SQLite file per test, a built-like static folder, a TestClient."""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

with warnings.catch_warnings():  # starlette nags about httpx; TestClient is still fine
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from refiner_server.app import create_app
from refiner_server.projects import create_project, import_surveys

SECRET = "s3cret-for-tests"  # of project `sec`; the tests repeat it (no conftest imports)


def write_with_siblings(path: Path, data: bytes, gz: bool = True, br: bool = True) -> None:
    """What the build does: the file plus `.gz` and `.br` copies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if gz:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data))
    if br:
        path.with_name(path.name + ".br").write_bytes(brotli.compress(data))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'refiner.db'}"


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    root = tmp_path / "dist" / "static"
    write_with_siblings(root / "refiner.js", b"console.log('refiner');\n" * 50)
    write_with_siblings(root / "v" / "abc123" / "micropython.mjs", b"export default 1;\n" * 50)
    write_with_siblings(root / "v" / "abc123" / "micropython.wasm", b"\0asm\1\0\0\0" + bytes(4000))
    write_with_siblings(root / "v" / "abc123" / "refiner_web" / "boot.py", b"def start(): pass\n")
    write_with_siblings(root / "widget.css", b".x{color:red}\n" * 20, br=False)
    write_with_siblings(root / "pyodide-lock.json", b'{"packages": {}}')
    write_with_siblings(root / "v" / "abc123" / "python_stdlib.zip", b"PK\5\6" + bytes(18))
    (root / ".hidden").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside the static root")
    return root


@pytest.fixture
def index_html(tmp_path: Path) -> Path:
    path = tmp_path / "index.html"
    path.write_text("<!doctype html><title>demo</title>")
    return path


@pytest.fixture
def app(db_url: str, static_dir: Path, index_html: Path) -> Any:
    app = create_app(db_url, static_dir, index_html)
    create_project(app.state.engine, "p1", name="Open project")
    create_project(app.state.engine, "sec", identity_verification=True, secret=SECRET)
    import_surveys(
        app.state.engine,
        "p1",
        [
            {"id": "live-one", "status": "live", "questions": []},
            {"id": "draft-one", "status": "draft", "questions": []},
            {"id": "paused-one", "status": "paused", "questions": []},
        ],
    )
    return app


@pytest.fixture
def engine(app: Any) -> Engine:
    return app.state.engine


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class DB:
    """Reads for assertions: the tests check rows, not just answers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rows(self, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(table).where(*where)).mappings()]

    def count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


@pytest.fixture
def db(engine: Engine) -> DB:
    return DB(engine)
