"""Alembic revisions against the real databases: they build exactly `db.metadata`, go down
and up again, bring a database made before migrations to head, and `migrate` is idempotent
and safe when several processes start at once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from refiner_server.db import BASELINE, MIGRATIONS, make_engine, metadata, migrate
from refiner_server.projects import create_project, import_surveys

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> str:
    """An empty database of the same kind as `db_url`."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres").new(empty=True)


def alembic(engine: sa.Engine, fn, *args) -> None:
    with engine.begin() as conn:
        fn(Config(MIGRATIONS / "alembic.ini", attributes={"connection": conn}), *args)


def revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_the_revisions_build_exactly_the_schema(empty_url):
    engine = make_engine(empty_url)
    alembic(engine, command.upgrade, "head")
    assert differences(engine) == []
    assert tables(engine) == set(metadata.tables)
    alembic(engine, command.downgrade, "base")
    assert tables(engine) == set()
    alembic(engine, command.upgrade, "head")
    assert differences(engine) == []
    engine.dispose()


def test_migrate_builds_the_same_schema_and_is_idempotent(empty_url):
    engine = make_engine(empty_url)
    migrate(engine)
    head = revision(engine)
    assert head is not None and differences(engine) == []
    create_project(engine, "p1")
    migrate(engine)
    assert revision(engine) == head
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id FROM projects")).scalars().all() == ["p1"]
    engine.dispose()


def test_a_database_made_before_migrations_is_brought_to_head(empty_url):
    """Session 1 made its tables with `create_all` and no version table: such a file is
    stamped at the baseline and upgraded, keeping its rows; its surveys get version 1."""
    engine = make_engine(empty_url)
    alembic(engine, command.upgrade, BASELINE)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
        now = datetime(2026, 1, 1, tzinfo=UTC)
        conn.execute(
            sa.text(
                "INSERT INTO projects (id, name, identity_verification, ping_interval_s,"
                " allowed_origins, created_at) VALUES ('old', 'Old', false, 300, '[]', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO surveys (project_id, id, definition, status, created_at, updated_at)"
                " VALUES ('old', 's1', :d, 'live', :now, :now)"
            ),
            {"d": '{"id": "s1", "status": "live", "questions": []}', "now": now},
        )
    migrate(engine)
    assert differences(engine) == []
    with engine.connect() as conn:
        versions = conn.execute(
            sa.text("SELECT survey_id, version, definition FROM survey_versions")
        ).all()
        assert conn.execute(sa.text("SELECT version FROM surveys")).scalar_one() == 1
    assert [(v.survey_id, v.version) for v in versions] == [("s1", 1)]
    import_surveys(engine, "old", {"id": "s1", "status": "paused", "questions": []})
    engine.dispose()


def test_processes_starting_at_once_migrate_once(empty_url):
    code = (
        "import sys; from refiner_server.db import make_engine, migrate; "
        "migrate(make_engine(sys.argv[1]))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, empty_url], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    engine = make_engine(empty_url)
    assert differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    engine.dispose()
