"""`refiner-server` commands, run in-process against a real SQLite file."""

from __future__ import annotations

import json
import os
import pty
import shlex
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from refiner_server import cli
from refiner_server.db import make_engine, projects, surveys
from refiner_server.http import static
from refiner_server.projects import import_surveys
from refiner_server.tokens import verify_token

from .admin_support import NPS, insert_rows


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
    assert (args.static, args.index, args.demo) == (None, None, False)


def test_serve_defaults_to_the_build_the_package_carries(monkeypatch, tmp_path):
    """A wheel carries the client (setup.py); a checkout (no packaged build) serves its
    own `dist/static` and `index.html`, relative to the working directory."""
    monkeypatch.setattr(static, "PACKAGED", tmp_path / "built")
    assert static.default_site() == (Path("dist/static"), Path("index.html"))
    (tmp_path / "built" / "static").mkdir(parents=True)
    (tmp_path / "built" / "static" / "manifest.json").write_text("{}")
    assert static.default_site() == (tmp_path / "built/static", tmp_path / "built/index.html")


def test_demo_prints_where_to_go_and_a_token_command_that_works(url, tmp_path, monkeypatch, capsys):
    """`serve --demo` names the demo, /admin and /docs, and the command that makes a
    dashboard token for the database it serves, copyable as printed: run from another
    directory, where the CLI's default database (`refiner.db`) is not the demo's."""
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serve", "--demo", "--db", "sqlite:///demo.db", "--port", "8765"]) == 0
    out = capsys.readouterr().out
    for where in ("http://127.0.0.1:8765/ ", "http://127.0.0.1:8765/admin ", "8765/docs"):
        assert where in out, out
    command = shlex.split(out.split("sign in with a token: ")[1].split(")")[0])
    assert command[:3] == ["refiner-server", "token", "create"]
    monkeypatch.chdir(tmp_path.parent)
    assert cli.main(command[1:]) == 0
    raw = capsys.readouterr().out.splitlines()[-1]
    assert verify_token(make_engine(f"sqlite:///{tmp_path / 'demo.db'}"), raw)["name"] == "me"


def test_favicon(url, tmp_path):
    """Browsers ask every page of ours for it (demo, dashboard, /docs): no 404 on their
    consoles, with or without a build."""
    from fastapi.testclient import TestClient

    from refiner_server.app import create_app

    with TestClient(create_app(url, None, None)) as c:
        r = c.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.text.startswith("<svg")


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


# -- tokens, survey import/export, response export (issue 5) ---------------------------------


def test_token_create_list_revoke(url, capsys):
    assert cli.main(["token", "create", "ci bot", "--db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    raw = out[-1]
    token_id = out[0].split()[2]
    assert raw.startswith("rft_") and "shown only this once" in out[0]
    engine = make_engine(url)
    assert verify_token(engine, raw)["name"] == "ci bot"
    assert cli.main(["token", "list", "--db", url]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith(f"{token_id}\tci bot\t") and "live" in listed and raw not in listed
    assert cli.main(["token", "revoke", token_id, "--db", url]) == 0
    assert verify_token(engine, raw) is None
    assert cli.main(["token", "revoke", token_id, "--db", url]) == 1
    assert "no live token" in capsys.readouterr().err
    cli.main(["token", "list", "--db", url])
    assert "revoked 20" in capsys.readouterr().out


YAML_SURVEYS = """\
- id: nps-yaml
  status: live
  schedule: {start_at: 2026-01-01, end_at: null}
  questions:
    - {id: score, type: nps, title: "How likely?"}
- id: plain
  questions: []
"""


def test_survey_import_yaml_keeps_dates_as_text(url, tmp_path, capsys):
    cli.main(["project", "create", "acme", "--db", url])
    path = tmp_path / "surveys.yaml"
    path.write_text(YAML_SURVEYS)
    assert cli.main(["survey", "import", str(path), "--project", "acme", "--db", url]) == 0
    assert "imported nps-yaml, plain into acme" in capsys.readouterr().out
    rows = {r["id"]: r for r in table_rows(url, surveys)}
    assert rows["nps-yaml"]["definition"]["schedule"]["start_at"] == "2026-01-01"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("s.yaml", "- id: a\n  questions: [\n", "s.yaml: while parsing a flow node"),
        ("s.json", '{"id": "a",', "s.json: Expecting property name"),
        (
            "s.yml",
            "- {id: a, questions: []}\n- {id: b, questions: [{id: q, type: slider}]}\n",
            "s.yml: [1] survey 'b': questions[0].type: must be one of nps",
        ),
        (
            "s.json",
            json.dumps({"id": "a", "questions": [], "logic": [{"if": {}, "goto": "end"}]}),
            "s.json: survey 'a': logic[0].if.question: no question with id None",
        ),
    ],
)
def test_survey_import_errors_name_file_item_and_path(
    url, tmp_path, capsys, name, content, message
):
    cli.main(["project", "create", "acme", "--db", url])
    path = tmp_path / name
    path.write_text(content)
    assert cli.main(["survey", "import", str(path), "--project", "acme", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"refiner-server: {tmp_path / message.split(':')[0]}"), err
    assert message.split(": ", 1)[1] in err, err
    assert table_rows(url, surveys) == []  # nothing stored when any item is refused


def test_survey_import_lists_every_fault_the_schema_finds(url, tmp_path, capsys):
    """One run names every broken place (the validator alone stops at the first), each
    with its path and in the validator's words, the validator's own fault first."""
    cli.main(["project", "create", "acme", "--db", url])
    path = tmp_path / "s.yaml"
    path.write_text(
        "id: a\n"
        "questions:\n"
        "  - {id: q, type: slider}\n"
        "  - {id: r, type: rating, scale: 11}\n"
        "trigger: {type: scroll, percent: 150}\n"
        "appearance: {position: middle}\n"
    )
    assert cli.main(["survey", "import", str(path), "--project", "acme", "--db", url]) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].startswith(f"refiner-server: {path}: survey 'a': questions[0].type: must be")
    assert sorted(line.strip() for line in lines[1:]) == [
        "appearance.position: 'middle' is not understood by the client",
        "questions[1].scale: must be an integer from 3 to 10",
        "trigger.percent: must be between 0 and 100",
    ], err
    assert table_rows(url, surveys) == []


def test_survey_export_round_trips(url, tmp_path, capsys):
    cli.main(["project", "create", "acme", "--db", url])
    path = tmp_path / "in.yaml"
    path.write_text(YAML_SURVEYS)
    cli.main(["survey", "import", str(path), "--project", "acme", "--db", url])
    capsys.readouterr()
    assert cli.main(["survey", "export", "--project", "acme", "--db", url]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in exported] == ["nps-yaml", "plain"]
    assert cli.main(["survey", "export", "plain", "--project", "acme", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "id": "plain",
        "questions": [],
        "status": "draft",
    }
    out = tmp_path / "out.yaml"
    argv = ["survey", "export", "--project", "acme", "-o", str(out), "--db", url]
    assert cli.main(argv) == 0
    cli.main(["project", "create", "copy", "--db", url])
    assert cli.main(["survey", "import", str(out), "--project", "copy", "--db", url]) == 0
    copied = [r["definition"] for r in table_rows(url, surveys) if r["project_id"] == "copy"]
    assert sorted(copied, key=lambda d: d["id"]) == exported
    assert cli.main(["survey", "export", "nope", "--project", "acme", "--db", url]) == 1


@pytest.fixture
def answered(url, capsys):
    """Project acme with survey nps and 2500 responses (even ones completed)."""
    cli.main(["project", "create", "acme", "--db", url])
    engine = make_engine(url)
    import_surveys(engine, "acme", NPS)
    insert_rows(engine, 2500, project="acme")
    capsys.readouterr()
    return engine


def test_responses_export_csv_to_a_file_and_json_to_stdout(url, tmp_path, capsys, answered):
    out = tmp_path / "r.csv"
    argv = ["responses", "export", "--project", "acme", "--format", "csv", "-o", str(out)]
    assert cli.main([*argv, "--db", url]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 2501 and lines[0].startswith("response_id,survey_id,survey_version")
    assert capsys.readouterr().err == ""  # no progress bar when stderr is not a terminal
    argv = ["responses", "export", "--project", "acme", "--format", "json", "--completed"]
    assert cli.main([*argv, "--survey", "nps", "--since", "2026-03-01T00:10:00Z", "--db", url]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1250 - 300 and all(r["completed"] for r in rows)
    argv = ["responses", "export", "--project", "nope", "--db", url]
    assert cli.main(argv) == 1 and "nope" in capsys.readouterr().err


def on_a_terminal(monkeypatch, run) -> str:
    """What `run()` draws on stderr when stderr is a real terminal (a pty)."""
    leader, follower = pty.openpty()
    terminal = os.fdopen(follower, "w")
    try:
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stderr", terminal)
            run()
        terminal.close()  # then the leader reads what is left, and EIO at the end
        drawn = b""
        while True:  # one read may give only part of it (a CI run under load got 40 %)
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        return drawn.decode()
    finally:
        terminal.close()
        os.close(leader)


def test_migrate_counts_the_revisions_it_applies(url, monkeypatch, capsys):
    from alembic import command
    from alembic.config import Config

    from refiner_server.db import BASELINE, MIGRATIONS

    engine = make_engine(url)
    with engine.begin() as conn:  # a database of the first release
        config = Config(MIGRATIONS / "alembic.ini", attributes={"connection": conn})
        command.upgrade(config, BASELINE)
    drawn = on_a_terminal(monkeypatch, lambda: cli.main(["migrate", "--db", url]))
    assert drawn.strip().startswith("migrate (revisions applied) ") and drawn.strip()[-1] != "0"
    assert "admin_tokens" in sa.inspect(make_engine(url)).get_table_names()
    capsys.readouterr()
    assert cli.main(["migrate", "--db", url]) == 0  # nothing left: no bar, no error
    assert capsys.readouterr().err == ""


def test_long_operations_draw_a_progress_bar_on_a_terminal(url, tmp_path, monkeypatch, answered):
    out = tmp_path / "r.json"
    argv = ["responses", "export", "--project", "acme", "--format", "json", "-o", str(out)]
    drawn = on_a_terminal(monkeypatch, lambda: cli.main([*argv, "--db", url]))
    assert "\rexport [" in drawn and drawn.rstrip().endswith("2500/2500 100%")
    assert len(json.loads(out.read_text())) == 2500
