"""Admin routes of contacts and accounts: search, one contact's whole history, and erasure
(GDPR): a contact and every row about it in every table that points at contacts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from sqlalchemy.engine import Connection

from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import (
    Account,
    AccountDetail,
    AccountPath,
    ContactAfter,
    ContactDetail,
    ContactPage,
    ContactPath,
    Erased,
    text_query,
)
from refiner_server.client.contacts import trait_value, typed
from refiner_server.client.rules import ProjectPath, stored_trait
from refiner_server.db import (
    accounts,
    contact_anonymous_ids,
    contacts,
    dismissals,
    events,
    iso,
    metadata,
    projects,
    responses,
    traits,
    views,
)
from refiner_server.deps import AdminEngine
from refiner_server.surveys.exports import public_response
from refiner_server.surveys.store import NotFound
from refiner_server.team.access import ApiOwner, ApiViewer
from refiner_server.team.audit import record

#: per contact and kind, the newest this many events, views, dismissals and responses
HISTORY = 1000
BASE = "/projects/{project_id}"
Limit = Annotated[int, Query(ge=1, le=500)]
TraitFilter = Annotated[
    str | None,
    Query(
        description="`key:value` as the client sent it: `plan:pro`, `seats:5` (an integer), "
        "`beta:true` (a boolean); on a key ending `_at`, an ISO 8601 date. A value no trait "
        "can hold (a date that is not one, an integer beyond 32 bits) matches nothing",
        pattern=r"^[^:\x00]+:[^\x00]*$",
        max_length=600,
    ),
]


router = APIRouter(tags=["admin: contacts"])


@router.get(BASE + "/contacts", response_model=ContactPage, summary="List or search contacts")
def contacts_list(
    project_id: ProjectPath,
    engine: AdminEngine,
    _who: ApiViewer,
    q: Annotated[str | None, text_query("part of a user id or email")] = None,
    user_id: Annotated[str | None, text_query()] = None,
    email: Annotated[str | None, text_query()] = None,
    trait: TraitFilter = None,
    after: ContactAfter = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    where = [contacts.c.project_id == project_id]
    if q:
        where.append(_containing(q, contacts.c.user_id, contacts.c.email))
    if user_id is not None:
        where.append(contacts.c.user_id == user_id)
    if email is not None:
        where.append(sa.func.lower(contacts.c.email) == email.lower())
    if trait is not None:
        where.append(contacts.c.pk.in_(_with_trait(project_id, trait)))
    if after is not None:
        where.append(contacts.c.pk > after)
    with refusals(), engine.connect() as conn:
        _project(conn, project_id)
        rows = conn.execute(
            sa.select(contacts).where(*where).order_by(contacts.c.pk).limit(limit)
        ).all()
        items = _contacts(conn, rows)
    return {"items": items, "next": items[-1]["id"] if len(items) == limit else None}


@router.get(
    BASE + "/contacts/{contact_id}",
    response_model=ContactDetail,
    summary="One contact: traits, anonymous ids, events, views, dismissals, responses",
)
def contact_read(
    project_id: ProjectPath, contact_id: ContactPath, engine: AdminEngine, _who: ApiViewer
) -> dict[str, Any]:
    with refusals(), engine.connect() as conn:
        row = _contact(conn, project_id, contact_id)
        (out,) = _contacts(conn, [row])
        out["anonymous_ids"] = list(
            conn.execute(
                sa.select(contact_anonymous_ids.c.anonymous_id)
                .where(contact_anonymous_ids.c.contact_pk == row.pk)
                .order_by(contact_anonymous_ids.c.created_at)
            ).scalars()
        )
        out["events"] = _history(conn, events, row.pk, events.c.event_id, events.c.occurred_at)
        out["views"] = _history(conn, views, row.pk, views.c.view_id, views.c.shown_at)
        out["dismissals"] = _history(
            conn, dismissals, row.pk, dismissals.c.dismissal_id, dismissals.c.dismissed_at
        )
        answered = conn.execute(
            sa.select(responses, contacts.c.user_id, contacts.c.email)
            .join(contacts, contacts.c.pk == responses.c.contact_pk)
            .where(responses.c.contact_pk == row.pk)
            .order_by(responses.c.created_at.desc())
            .limit(HISTORY)
        ).mappings()
        out["responses"] = [public_response(dict(r)) for r in answered]
    return out


@router.delete(
    BASE + "/contacts/{contact_id}",
    response_model=Erased,
    summary="Erase a contact and everything about it (GDPR)",
)
def contact_erase(
    project_id: ProjectPath, contact_id: ContactPath, engine: AdminEngine, who: ApiOwner
) -> dict[str, Any]:
    with refusals(), engine.begin() as conn:
        _contact(conn, project_id, contact_id)
        deleted = erase_contact(conn, contact_id)
        # the log keeps the counts, never who the contact was
        record(
            conn,
            project_id=project_id,
            actor=who,
            action="contact.erased",
            subject=f"contact:{contact_id}",
            detail={"deleted": deleted},
        )
        return {"deleted": deleted}


@router.get(BASE + "/accounts", response_model=list[Account], summary="List accounts")
def accounts_list(
    project_id: ProjectPath,
    engine: AdminEngine,
    _who: ApiViewer,
    q: Annotated[str | None, text_query("part of an account id or name")] = None,
    after: Annotated[str | None, text_query()] = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    where = [accounts.c.project_id == project_id]
    if q:
        where.append(_containing(q, accounts.c.account_id, accounts.c.name))
    if after is not None:
        where.append(accounts.c.account_id > after)
    with refusals(), engine.connect() as conn:
        _project(conn, project_id)
        rows = conn.execute(
            sa.select(accounts).where(*where).order_by(accounts.c.account_id).limit(limit)
        ).all()
        return _accounts(conn, rows)


@router.get(
    BASE + "/accounts/{account_id}",
    response_model=AccountDetail,
    summary="One account with its traits and members",
)
def account_read(
    project_id: ProjectPath, account_id: AccountPath, engine: AdminEngine, _who: ApiViewer
) -> dict[str, Any]:
    with refusals(), engine.connect() as conn:
        row = conn.execute(
            sa.select(accounts).where(
                accounts.c.project_id == project_id, accounts.c.account_id == account_id
            )
        ).first()
        if row is None:
            _project(conn, project_id)
            raise NotFound(f"account {account_id!r} does not exist in {project_id!r}")
        (out,) = _accounts(conn, [row])
        members = conn.execute(
            sa.select(contacts).where(contacts.c.account_pk == row.pk).order_by(contacts.c.pk)
        ).all()
        out["members"] = _contacts(conn, members)
    return out


def erase_contact(conn: Connection, contact_pk: int) -> dict[str, int]:
    """Delete every row that points at the contact, in every table (found from the schema,
    so a table added later is covered), then the contact; counts per table."""
    deleted = {}
    for table in metadata.sorted_tables:
        if "contact_pk" in table.c and table is not contacts:
            done = conn.execute(table.delete().where(table.c.contact_pk == contact_pk))
            deleted[table.name] = done.rowcount
    done = conn.execute(contacts.delete().where(contacts.c.pk == contact_pk))
    deleted["contacts"] = done.rowcount
    return deleted


def _containing(text: str, *columns: sa.Column[Any]) -> sa.ColumnElement[bool]:
    """Any of `columns` contains `text`, case-insensitively (`%` and `_` match literally)."""
    return sa.or_(*(c.icontains(text, autoescape=True) for c in columns))


def _with_trait(project_id: str, spec: str) -> sa.Select[Any]:
    """Contacts having trait `key:value`; the value is read as the client would have sent
    it (true/false, an integer, else text). A trait no ping can store matches no one."""
    key, _, text = spec.partition(":")
    value: Any = {"true": True, "false": False}.get(text, text)
    if isinstance(value, str) and text.lstrip("-").isdigit():
        value = int(text)
    found = sa.select(traits.c.contact_pk)
    try:
        columns = typed(key, stored_trait(key, value))
    except ValueError:
        return found.where(sa.false())
    kind = columns.pop("type")
    match = [traits.c[name] == v for name, v in columns.items() if v is not None]
    return found.where(
        traits.c.project_id == project_id, traits.c.key == key, traits.c.type == kind, *match
    )


def _project(conn: Connection, project_id: str) -> None:
    if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
        raise NotFound(f"project {project_id!r} does not exist")


def _contact(conn: Connection, project_id: str, contact_pk: int) -> sa.Row[Any]:
    row = conn.execute(
        sa.select(contacts).where(contacts.c.project_id == project_id, contacts.c.pk == contact_pk)
    ).first()
    if row is None:
        _project(conn, project_id)
        raise NotFound(f"contact {contact_pk} does not exist in {project_id!r}")
    return row


def _traits_of(conn: Connection, column: sa.Column[Any], pks: list[int]) -> dict[int, dict]:
    out: dict[int, dict[str, Any]] = {pk: {} for pk in pks}
    for t in conn.execute(sa.select(traits).where(column.in_(pks)).order_by(traits.c.key)):
        value = trait_value(t)
        out[getattr(t, column.name)][t.key] = iso(value) if t.type == "date" else value
    return out


def _contacts(conn: Connection, rows: Iterable[sa.Row[Any]]) -> list[dict[str, Any]]:
    rows = list(rows)
    found = _traits_of(conn, traits.c.contact_pk, [r.pk for r in rows])
    account_pks = {r.account_pk for r in rows if r.account_pk is not None}
    account_ids = dict(
        conn.execute(
            sa.select(accounts.c.pk, accounts.c.account_id).where(accounts.c.pk.in_(account_pks))
        ).all()
    )
    return [
        {
            "id": r.pk,
            "user_id": r.user_id,
            "email": r.email,
            "name": r.name,
            "account_id": account_ids.get(r.account_pk),
            "first_seen_at": iso(r.first_seen_at),
            "last_seen_at": iso(r.last_seen_at),
            "traits": found[r.pk],
        }
        for r in rows
    ]


def _accounts(conn: Connection, rows: Iterable[sa.Row[Any]]) -> list[dict[str, Any]]:
    rows = list(rows)
    pks = [r.pk for r in rows]
    found = _traits_of(conn, traits.c.account_pk, pks)
    members = dict(
        conn.execute(
            sa.select(contacts.c.account_pk, sa.func.count())
            .where(contacts.c.account_pk.in_(pks))
            .group_by(contacts.c.account_pk)
        ).all()
    )
    return [
        {
            "account_id": r.account_id,
            "name": r.name,
            "created_at": iso(r.created_at),
            "traits": found[r.pk],
            "contacts": members.get(r.pk, 0),
        }
        for r in rows
    ]


def _history(
    conn: Connection, table: sa.Table, contact_pk: int, id_col: sa.Column, at_col: sa.Column
) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(table)
        .where(table.c.contact_pk == contact_pk)
        .order_by(at_col.desc())
        .limit(HISTORY)
    ).mappings()
    return [
        {
            "id": r[id_col.name],
            "name": r.get("name"),
            "form_id": r.get("form_id"),
            "at": iso(r[at_col.name]),
        }
        for r in rows
    ]
