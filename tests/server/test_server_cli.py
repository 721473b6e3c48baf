"""`refiner-server` commands, run in-process against a real SQLite file."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from refiner_server import cli
from refiner_server.db import make_engine, projects, surveys


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


def table_rows(url, table):
    with make_engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table)).mappings()]


def test_migrate_creates_tables(url, capsys):
    assert cli.main(["migrate", "--db", url]) == 0
    names = set(sa.inspect(make_engine(url)).get_table_names())
    assert {"projects", "surveys", "contacts", "events", "responses", "traits"} <= names
    assert cli.main(["migrate", "--db", url]) == 0  # idempotent


def test_project_create_and_list(url, capsys):
    assert cli.main(["project", "create", "acme", "--name", "Acme Inc.", "--db", url]) == 0
    assert (
        cli.main(
            ["project", "create", "vip", "--identity-verification", "--secret", "s", "--db", url]
        )
        == 0
    )
    capsys.readouterr()
    assert cli.main(["project", "list", "--db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("\t")[:3] == ["acme", "Acme Inc.", "open"]
    assert out[1].split("\t")[:3] == ["vip", "vip", "verified"]
    rows = {r["id"]: r for r in table_rows(url, projects)}
    assert rows["vip"]["identity_verification"] is True and rows["vip"]["secret"] == "s"
    assert rows["acme"]["ping_interval_s"] == 300


def test_project_create_generates_secret(url, capsys):
    assert cli.main(["project", "create", "vip", "--identity-verification", "--db", url]) == 0
    out = capsys.readouterr().out
    (row,) = table_rows(url, projects)
    assert len(row["secret"]) == 64 and row["secret"] in out


def test_project_create_refuses_duplicates_and_bad_ids(url, capsys):
    assert cli.main(["project", "create", "acme", "--db", url]) == 0
    assert cli.main(["project", "create", "acme", "--db", url]) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["project", "create", "no spaces", "--db", url]) == 1
    assert len(table_rows(url, projects)) == 1


def test_survey_import(url, tmp_path, capsys):
    cli.main(["project", "create", "acme", "--db", url])
    one = {"id": "nps-1", "status": "live", "questions": [{"id": "q", "type": "nps"}]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(one))
    assert cli.main(["survey", "import", str(path), "--project", "acme", "--db", url]) == 0
    # importing again replaces; a list imports several; status defaults to draft
    path.write_text(json.dumps([{**one, "name": "v2"}, {"id": "other", "questions": []}]))
    assert cli.main(["survey", "import", str(path), "--project", "acme", "--db", url]) == 0
    rows = {r["id"]: r for r in table_rows(url, surveys)}
    assert set(rows) == {"nps-1", "other"}
    assert rows["nps-1"]["definition"]["name"] == "v2" and rows["nps-1"]["status"] == "live"
    assert rows["other"]["status"] == "draft"


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps({"questions": []}), json.dumps({"id": "x"}), json.dumps([1])],
)
def test_survey_import_refuses_bad_files(url, tmp_path, capsys, content):
    cli.main(["project", "create", "acme", "--db", url])
    path = tmp_path / "s.json"
    path.write_text(content)
    assert cli.main(["survey", "import", str(path), "--project", "acme", "--db", url]) == 1
    assert capsys.readouterr().err.startswith("refiner-server:")
    assert table_rows(url, surveys) == []


def test_survey_import_needs_the_project(url, tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"id": "x", "questions": []}))
    assert cli.main(["survey", "import", str(path), "--project", "nope", "--db", url]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_serve_builds_the_app_and_runs_uvicorn(url, tmp_path, monkeypatch):
    """`serve` hands uvicorn the app with its options; uvicorn itself is not started."""
    import uvicorn
    from fastapi.testclient import TestClient

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "refiner.js").write_text("//")
    (tmp_path / "index.html").write_text("<p>demo</p>")
    argv = ["serve", "--db", url, "--port", "8123", "--demo", "--static"]
    argv += [str(tmp_path / "static"), "--index", str(tmp_path / "index.html")]
    assert cli.main(argv) == 0
    assert (seen["host"], seen["port"], seen["access_log"]) == ("127.0.0.1", 8123, False)
    with TestClient(seen["app"]) as c:
        assert c.get("/").text == "<p>demo</p>"
        assert c.get("/static/refiner.js").text == "//"
        ping = c.post("/api/v1/client/demo/ping", json={"anonymous_id": "a" * 16}).json()
        assert [f["id"] for f in ping["forms"]] == ["demo-nps"]
    assert cli.main([*argv, "--access-log"]) == 0 and seen["access_log"] is True


def test_defaults(monkeypatch, tmp_path):
    parser = cli._parser()
    args = parser.parse_args(["serve"])
    assert (args.db, args.host, args.port) == ("sqlite:///refiner.db", "127.0.0.1", 8000)
    assert (args.static, args.index, args.demo) == ("dist/static", "index.html", False)


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as exc:
        cli.main(["project"])
    assert exc.value.code == 2


def test_serve_with_workers_hands_uvicorn_a_factory(url, tmp_path, monkeypatch):
    """Several workers: tables made once here, each worker builds its app from the env."""
    import uvicorn

    from refiner_server.app import from_env

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    for name in ("REFINER_DB", "REFINER_STATIC", "REFINER_INDEX"):
        monkeypatch.setenv(name, "")  # so that the values `serve` sets are undone
    argv = ["serve", "--db", url, "--demo", "--workers", "2", "--static", str(tmp_path)]
    assert cli.main(argv) == 0
    assert (seen["app"], seen["factory"], seen["workers"]) == (
        "refiner_server.app:from_env",
        True,
        2,
    )
    with make_engine(url).connect() as conn:
        assert conn.execute(sa.select(projects.c.id)).scalars().all() == ["demo"]
    assert from_env().state.engine.url.database == url.removeprefix("sqlite:///")
