"""Server fixtures: a real database per test (SQLite and PostgreSQL), a built-like static
folder, a TestClient."""

from __future__ import annotations

import gzip
import itertools
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import Engine

with warnings.catch_warnings():  # starlette nags about httpx; TestClient is still fine
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bench.postgres import Cluster, Unavailable
from refiner_server.app import create_app
from refiner_server.db import make_engine, migrate
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


class PostgresDatabases:
    """Fresh PostgreSQL databases, one per test, copied from a migrated template (a file
    copy: much faster than building the schema each time). The server is
    $REFINER_TEST_POSTGRES_URL when set (its user may create databases), else a throwaway
    cluster (`bench/postgres.py`)."""

    TEMPLATE = "refiner_test_template"

    def __init__(self) -> None:
        self.cluster: Cluster | None = None
        base = os.environ.get("REFINER_TEST_POSTGRES_URL")
        if not base:
            self.cluster = Cluster()
            base = self.cluster.url()
        self.base = sa.make_url(base)
        self.admin = make_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.prefix = f"refiner_test_{os.getpid()}_"
        self.made: list[str] = []
        self.numbers = itertools.count()
        self._drop(self.TEMPLATE)
        self._sql(f"CREATE DATABASE {self.TEMPLATE}")
        template = make_engine(self.url(self.TEMPLATE), poolclass=sa.NullPool)
        migrate(template)
        template.dispose()

    def url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def new(self, empty: bool = False) -> str:
        """A new database with the current schema, or with nothing in it."""
        name = f"{self.prefix}{next(self.numbers)}"
        self.made.append(name)
        self._sql(f"CREATE DATABASE {name} TEMPLATE {'template0' if empty else self.TEMPLATE}")
        return self.url(name)

    def discard(self, url: str) -> None:
        """Drops a database that `new` made, once its test is over."""
        name = sa.make_url(url).database
        self.made.remove(name)
        self._drop(name)

    def _sql(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(statement))

    def _drop(self, name: str) -> None:
        self._sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()  # the databases go with it
        else:
            for name in [*self.made, self.TEMPLATE]:
                self._drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    """Skips the PostgreSQL variants when no server can be had, saying what is missing;
    `REFINER_REQUIRE_POSTGRES=1` (set by `./dev test`, so CI runs both) fails instead."""
    try:
        dbs = PostgresDatabases()
    except Unavailable as exc:
        if os.environ.get("REFINER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REFINER_REQUIRE_POSTGRES=1 but {exc}")
        pytest.skip(str(exc))
    yield dbs
    dbs.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every server test runs on a fresh SQLite file and on a fresh PostgreSQL database;
    a test about one of them overrides this with
    `@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'refiner.db'}"
        return
    postgres = request.getfixturevalue("postgres")
    url = postgres.new()
    yield url
    postgres.discard(url)  # hundreds of copies would fill the disk, and take minutes to delete


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
def live(app: Any) -> Iterator[str]:
    """The app under a real uvicorn on 127.0.0.1 (a free port): its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a loaded machine starts it slowly
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


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
