"""Responses out of the database as JSON or CSV, streamed: rows are read in batches by
keyset pagination on (created_at, response_id), each batch in its own short read, so a
million responses never sit in memory and never hold a long transaction open.

CSV has one column per question (over every version of the surveys exported, with
`<id>_other` after a question that offers "other", and a matrix's rows as `<id>.<row id>`
columns; a ranking's order is its ids joined by `;`, first the best) and one per hidden
field (`data.<key>`) up to `HIDDEN_COLUMNS` per survey: hidden-field keys come from
strangers (`addToResponse`), so the keys most responses have get columns and the rest, like
answers to keys no question takes (stored before the server checked answers), go into one
JSON column, `extra_fields`, keyed as their columns would be. Then `notes`: what the server
left out of the response. Cells a spreadsheet would read as a formula (`= + - @`, tab,
carriage return) get a leading apostrophe, header cells too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from refiner_server.db import contacts, iso, responses, survey_versions

BATCH = 1000
Progress = Callable[[int], None]
FIXED_COLUMNS = (
    "response_id",
    "survey_id",
    "survey_version",
    "user_id",
    "email",
    "completed",
    "created_at",
    "updated_at",
    "completed_at",
    "locale",
    "page_url",
)
TAIL_COLUMNS = ("extra_fields", "notes")
#: hidden-field columns per survey in a CSV, whatever strangers send
HIDDEN_COLUMNS = 100
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: what a download's file name keeps of a project or survey id (the rest becomes `_`)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def responses_rows(
    engine: Engine,
    project_id: str,
    *,
    survey_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    completed: bool | None = None,
    columns: tuple[sa.ColumnElement[Any], ...] | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int | None = None,
    batch: int = BATCH,
) -> Iterator[dict[str, Any]]:
    """Responses of a project, oldest first, filtered by survey, `since <= created_at <
    until` and completion; `columns` narrows what is read (default: everything). Each row
    also has `_at` and `_id`, its place in the order: pass them as `after` to go on from
    there; `limit` caps the number of rows."""
    where = _where(project_id, survey_id, since, until, completed)
    selected = columns or (
        *responses.c,
        contacts.c.user_id,
        contacts.c.email,
    )
    query = (
        sa.select(
            *selected, responses.c.created_at.label("_at"), responses.c.response_id.label("_id")
        )
        .select_from(responses.join(contacts, contacts.c.pk == responses.c.contact_pk))
        .where(*where)
        .order_by(responses.c.created_at, responses.c.response_id)
    )
    left = limit
    while left is None or left > 0:
        size = batch if left is None else min(batch, left)
        page = query.limit(size)
        if after is not None:
            at, rid = after
            # the first term is a range the index seeks to; the OR alone would scan from
            # the start on every page (quadratic)
            page = page.where(
                responses.c.created_at >= at,
                sa.or_(responses.c.created_at > at, responses.c.response_id > rid),
            )
        with engine.connect().execution_options(readonly=True) as conn:
            rows = conn.execute(page).mappings().all()
        for row in rows:
            yield dict(row)
        if len(rows) < size:
            return
        if left is not None:
            left -= size
        after = (rows[-1]["_at"], rows[-1]["_id"])


def count_responses(engine: Engine, project_id: str, **filters: Any) -> int:
    """How many rows `responses_rows` gives with the same filters (a progress bar's total)."""
    where = _where(project_id, **filters)
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(responses).where(*where)
        ).scalar_one()


def responses_json(
    engine: Engine, project_id: str, progress: Progress | None = None, **filters: Any
) -> Iterator[bytes]:
    """A JSON array of responses, one object per line, produced batch by batch;
    `progress(n)` after each chunk of n rows."""
    yield b"["
    first = True
    chunk: list[str] = []
    for row in responses_rows(engine, project_id, **filters):
        chunk.append(("\n" if first else ",\n") + json.dumps(public_response(row)))
        first = False
        if len(chunk) >= BATCH:
            if progress is not None:
                progress(len(chunk))
            yield "".join(chunk).encode("utf-8")
            chunk = []
    if progress is not None:
        progress(len(chunk))
    chunk.append("\n]\n")
    yield "".join(chunk).encode("utf-8")


def responses_csv(
    engine: Engine, project_id: str, progress: Progress | None = None, **filters: Any
) -> Iterator[bytes]:
    """CSV with a header row (see the module docstring for the columns); `progress(n)`
    after each chunk of n rows."""
    cells, hidden = _columns(engine, project_id, filters)
    names = [name for name, _, _ in cells]
    header = [*FIXED_COLUMNS, *names, *(f"data.{k}" for k in hidden), *TAIL_COLUMNS]
    asked, shown = {qid for _, qid, _ in cells}, set(hidden)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(h) for h in header])
    n = 0
    for n, row in enumerate(responses_rows(engine, project_id, **filters), 1):
        out = public_response(row)
        answers, data = out.pop("answers"), out.pop("data")
        extra = {k: v for k, v in answers.items() if k not in asked}
        extra.update((f"data.{k}", v) for k, v in data.items() if k not in shown)
        writer.writerow(
            [_cell(out[c]) for c in FIXED_COLUMNS]
            + [_cell(_answer(answers, qid, row)) for _, qid, row in cells]
            + [_cell(data.get(k)) for k in hidden]
            + [_cell(extra or None), _cell(out["notes"] or None)]
        )
        if n % BATCH == 0:
            if progress is not None:
                progress(BATCH)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if progress is not None:
        progress(n % BATCH)
    yield buffer.getvalue().encode("utf-8")


def _answer(answers: dict[str, Any], qid: str, row: str | None) -> Any:
    """The answer to `qid`, or to one `row` of it (a matrix)."""
    value = answers.get(qid)
    if row is None:
        return value
    return value.get(row) if isinstance(value, dict) else None


def attachment(project_id: str, survey_id: str | None, fmt: str) -> str:
    """`Content-Disposition` of an export (RFC 6266): the file name is built from safe
    characters only, so a `survey=` filter with quotes, CR/LF or non-Latin-1 text can
    neither break the header nor add a parameter; `filename*` (RFC 5987) says the same."""
    parts = (project_id, (survey_id or "all")[:64], "responses")
    name = _UNSAFE_NAME.sub("_", "-".join(parts)) + "." + fmt
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name, safe='')}"


def public_response(row: dict[str, Any]) -> dict[str, Any]:
    """The wire shape of one stored response (the API's list and both exports)."""
    return {
        "response_id": row["response_id"],
        "survey_id": row["form_id"],
        "survey_version": row["survey_version"],
        "user_id": row["user_id"],
        "email": row["email"],
        "completed": bool(row["completed"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "completed_at": iso(row["completed_at"]),
        "locale": row["locale"],
        "page_url": row["page_url"],
        "answers": row["answers"] or {},
        "data": row["data"] or {},
        "notes": row["notes"] or [],
    }


def _where(
    project_id: str,
    survey_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    completed: bool | None = None,
) -> list[sa.ColumnElement[bool]]:
    where = [responses.c.project_id == project_id]
    if survey_id is not None:
        where.append(responses.c.form_id == survey_id)
    if since is not None:
        where.append(responses.c.created_at >= since)
    if until is not None:
        where.append(responses.c.created_at < until)
    if completed is not None:
        where.append(responses.c.completed == completed)
    return where


Column = tuple[str, str, str | None]  # name, question id, matrix row id


def _columns(
    engine: Engine, project_id: str, filters: dict[str, Any]
) -> tuple[list[Column], list[str]]:
    """Question columns in definition order (latest version first, then what older
    versions had), `<id>_other` after a question with "other", a matrix's rows; hidden
    fields sorted (up to `HIDDEN_COLUMNS` per survey, see `_hidden`)."""
    questions: list[Column] = []

    def add(name: str, qid: str, row: str | None = None) -> None:
        if name not in [c[0] for c in questions]:
            questions.append((name, qid, row))

    where = [survey_versions.c.project_id == project_id]
    if filters.get("survey_id") is not None:
        where.append(survey_versions.c.survey_id == filters["survey_id"])
    with engine.connect() as conn:
        definitions = conn.execute(
            sa.select(survey_versions.c.definition)
            .where(*where)
            .order_by(survey_versions.c.survey_id, survey_versions.c.version.desc())
        ).scalars()
        for definition in definitions:
            for question in definition.get("questions") or []:
                qid = question["id"]
                if question.get("type") == "matrix":
                    for row in question.get("rows") or []:
                        add(f"{qid}.{row['id']}", qid, row["id"])
                elif question.get("type") != "statement":
                    add(qid, qid)
                    if question.get("other"):
                        add(qid + "_other", qid + "_other")
        hidden = _hidden(conn, _where(project_id, **filters))
    return questions, sorted(hidden)


def _hidden(conn: Connection, where: list[sa.ColumnElement[bool]]) -> set[str]:
    """Per survey, the `HIDDEN_COLUMNS` hidden-field keys most of its responses (among
    those `where` selects) have, ties by key: the owner's own fields are in every
    response, a stranger's made-up ones in his few. One query on the database's JSON
    functions, the ranking included."""
    if conn.dialect.name == "sqlite":
        each = sa.func.json_each(responses.c.data).table_valued("key")
    else:
        each = sa.func.json_object_keys(responses.c.data).table_valued("key").render_derived()
    key = each.c.key
    source = responses.join(each, sa.true())
    rank = sa.func.row_number().over(
        partition_by=responses.c.form_id, order_by=(sa.func.count().desc(), key)
    )
    ranked = (
        sa.select(key.label("key"), rank.label("rank"))
        .select_from(source)
        .where(*where)
        .group_by(responses.c.form_id, key)
        .subquery()
    )
    query = sa.select(ranked.c.key).where(ranked.c.rank <= HIDDEN_COLUMNS).distinct()
    return set(conn.execute(query).scalars())


def _cell(value: Any) -> Any:
    """One CSV cell; the common cases (text, numbers, empty) first, it runs per cell."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value)
    elif not isinstance(value, str):
        return value  # a number: the csv module writes it
    return "'" + value if value.startswith(FORMULA_STARTS) else value
