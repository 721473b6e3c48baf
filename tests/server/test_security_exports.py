"""What strangers can do to an owner's exports (issue 13, items 4, 5 and 7): formula
cells in the header row, column explosion (a budget of hidden-field columns), and the
`survey=` filter in a header."""

from __future__ import annotations

import csv
import io
import json
import string

import pytest

from refiner_server.projects import import_surveys
from refiner_server.surveys import exports
from refiner_server.tokens import create_token

from .admin_support import ADMIN, respond
from .admin_support import auth as make_auth

FORMULA = '=HYPERLINK("http://evil.example","x")'
EXPORT = f"{ADMIN}/projects/p1/responses/export"
DASHBOARD_CSV = "/admin/projects/p1/surveys/inj/responses.csv"


@pytest.fixture
def h(engine):
    return make_auth(engine)


def header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


def dashboard_get(client, engine, path: str):
    _token_id, raw = create_token(engine, "owner")
    signed = client.post(
        "/admin/login",
        data={"token": raw, "next": "/admin"},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    return client.get(path)


def test_header_cells_get_the_formula_guard_in_both_csvs(client, engine, h):
    """A key becomes a header cell; it gets the apostrophe a data cell gets, in the admin
    export and the dashboard download alike (one writer)."""
    survey = {
        "id": "inj",
        "status": "live",
        "questions": [{"id": FORMULA, "type": "text"}, {"id": "@SUM(A1)", "type": "text"}],
    }
    import_surveys(engine, "p1", [survey])
    respond(client, "resp-00000001", {FORMULA: "a", "@SUM(A1)": "b"}, form="inj")
    admin = client.get(EXPORT, params={"survey": "inj"}, headers=h)
    dashboard = dashboard_get(client, engine, DASHBOARD_CSV)
    for r in (admin, dashboard):
        assert r.status_code == 200
        cells = header(r.text)
        assert "'" + FORMULA in cells and "'@SUM(A1)" in cells
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize(
    "survey",
    [
        'nps"; filename="evil.exe',
        "nps\r\nSet-Cookie: a=b",
        "Umfrage-Ü-✓",
        "a" * 5000,
    ],
)
def test_export_filename_is_built_from_safe_characters(client, h, survey):
    """The `survey=` filter reaches Content-Disposition only as safe characters: no second
    `filename`, no broken connection on CR/LF, no 500 on text outside Latin-1."""
    for fmt in ("csv", "json"):
        r = client.get(EXPORT, params={"survey": survey, "format": fmt}, headers=h)
        assert r.status_code == 200
        value = r.headers["content-disposition"]
        assert value.count("filename=") == 1 and value.count("filename*=") == 1
        plain = value.split('filename="')[1].split('"')[0]
        assert plain.startswith("p1-") and plain.endswith(f"-responses.{fmt}")
        assert len(plain) < 100
        assert set(plain) <= set(string.ascii_letters + string.digits + "_.-")
        assert value.endswith(f"filename*=UTF-8''{plain}")


def test_export_filename_of_a_plain_survey(client, h):
    r = client.get(EXPORT, params={"survey": "nps-2026"}, headers=h)
    assert r.headers["content-disposition"] == (
        'attachment; filename="p1-nps-2026-responses.csv"; '
        "filename*=UTF-8''p1-nps-2026-responses.csv"
    )
    r = client.get(EXPORT, params={"format": "json"}, headers=h)
    assert 'filename="p1-all-responses.json"' in r.headers["content-disposition"]


def test_hidden_field_columns_have_a_budget_per_survey(client, engine, h, monkeypatch):
    """Strangers' made-up keys cannot widen the owner's CSV past the budget: the keys most
    responses have get columns, the rest is kept in `extra_fields` (nothing is lost)."""
    monkeypatch.setattr(exports, "HIDDEN_COLUMNS", 3)
    import_surveys(engine, "p1", [{"id": "wide", "status": "live", "questions": []}])
    for n in range(3):
        respond(client, f"resp-own-{n:04d}", {}, form="wide", data={"plan": "pro", "seat": n})
    for n in range(4):
        junk = {f"k{n}-{i:03d}": f"v{i}" for i in range(50)}
        respond(client, f"resp-bad-{n:04d}", {}, form="wide", data={"plan": "x", **junk})
    r = client.get(EXPORT, params={"survey": "wide"}, headers=h)
    cells = header(r.text)
    hidden = [c for c in cells if c.startswith("data.")]
    assert len(hidden) == 3 and {"data.plan", "data.seat"} < set(hidden)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    bad = [row for row in rows if row["response_id"].startswith("resp-bad")]
    for row in bad:
        kept = json.loads(row["extra_fields"]) if row["extra_fields"] else {}
        shown = {k[5:]: row[k] for k in hidden if row[k]}
        assert len(kept) + len(shown) == 51  # every hidden field is somewhere
    assert len(r.content) < 40_000


def test_an_export_over_the_default_budget_stays_narrow(client, engine, h):
    import_surveys(engine, "p1", [{"id": "wide", "status": "live", "questions": []}])
    for n in range(3):
        junk = {f"k{n}-{i:03d}": i for i in range(exports.HIDDEN_COLUMNS)}
        respond(client, f"resp-bad-{n:04d}", {}, form="wide", data=junk)
    cells = header(client.get(EXPORT, headers=h).text)
    assert len([c for c in cells if c.startswith("data.")]) == exports.HIDDEN_COLUMNS
