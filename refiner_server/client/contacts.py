"""Contacts: who a request is about, and what we know of them (traits, account).

Resolution rules (one transaction, caller holds the write lock):
- identified (user id): the contact of (project, user_id); the anonymous id, if any, is
  attached to it. An anonymous-only contact that held that anonymous id is merged into it
  (or simply promoted when the user is new). An anonymous id last used by another user
  moves to this one: an anonymous id maps to one contact per project.
- anonymous: the contact of the anonymous id, created on first sight.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.client.models import User
from refiner_server.client.rules import parse_date
from refiner_server.db import (
    CONTACT_OWNED,
    accounts,
    as_utc,
    contact_anonymous_ids,
    contacts,
    traits,
)
from refiner_server.http.errors import ApiError


def resolve(
    conn: Connection,
    project_id: str,
    anonymous_id: str | None,
    user_id: str | None,
    now: datetime,
    touch: bool = False,
) -> sa.Row[Any]:
    """The contact row for this request, created or merged as needed; `touch` marks it seen."""
    anon_pk = _anon_contact_pk(conn, project_id, anonymous_id) if anonymous_id else None
    if user_id is None:
        if anon_pk is None:
            anon_pk = _insert_contact(conn, project_id, None, now)
            _map_anon(conn, project_id, anonymous_id, anon_pk, now, new=True)
        pk = anon_pk
    else:
        pk = _by_user(conn, project_id, user_id)
        anon_row = _get(conn, anon_pk) if anon_pk is not None else None
        if pk is None:
            if anon_row is not None and anon_row.user_id is None:
                pk = anon_pk  # promote the anonymous contact: same person, now known
                conn.execute(contacts.update().where(contacts.c.pk == pk).values(user_id=user_id))
            else:
                pk = _insert_contact(conn, project_id, user_id, now)
        if anonymous_id is not None and anon_pk != pk:
            if anon_row is not None and anon_row.user_id is None:
                _merge(conn, source=anon_row, target_pk=pk)
            _map_anon(conn, project_id, anonymous_id, pk, now, new=anon_pk is None)
    if touch:
        conn.execute(contacts.update().where(contacts.c.pk == pk).values(last_seen_at=now))
    return _get(conn, pk)


def settled(
    conn: Connection, project_id: str, anonymous_id: str | None, user_id: str | None
) -> sa.Row[Any] | None:
    """The contact row, with its account's `account_id` and `account_name`, when `resolve`
    would create, merge or move nothing for these ids (the usual request); None otherwise.
    One statement, no write: callers use it outside the write lock or before `resolve`."""
    if user_id is None:
        return conn.execute(
            _BY_ANON, {"project_id": project_id, "anonymous_id": anonymous_id}
        ).first()
    row = conn.execute(
        _BY_USER, {"project_id": project_id, "user_id": user_id, "anonymous_id": anonymous_id}
    ).first()
    if row is None or (anonymous_id is not None and row.anon_pk != row.pk):
        return None
    return row


def known_user(conn: Connection, project_id: str, user_id: str) -> bool:
    """True when the project has a contact with this user id."""
    return _by_user(conn, project_id, user_id) is not None


def _anon_contact_pk(conn: Connection, project_id: str, anonymous_id: str) -> int | None:
    return conn.execute(_ANON_PK, {"project_id": project_id, "anonymous_id": anonymous_id}).scalar()


def _by_user(conn: Connection, project_id: str, user_id: str) -> int | None:
    return conn.execute(_USER_PK, {"project_id": project_id, "user_id": user_id}).scalar()


def _get(conn: Connection, pk: int) -> sa.Row[Any]:
    return conn.execute(_GET, {"pk": pk}).one()


def _insert_contact(conn: Connection, project_id: str, user_id: str | None, now: datetime) -> int:
    params = {"project_id": project_id, "user_id": user_id, "first_seen_at": now}
    return conn.execute(_NEW_CONTACT, dict(params, last_seen_at=now)).inserted_primary_key[0]


def _map_anon(
    conn: Connection, project_id: str, anonymous_id: str, pk: int, now: datetime, new: bool
) -> None:
    if new:
        params = {"project_id": project_id, "anonymous_id": anonymous_id, "contact_pk": pk}
        conn.execute(contact_anonymous_ids.insert(), dict(params, created_at=now))
    else:
        params = {"in_project": project_id, "of_anon": anonymous_id, "to_pk": pk}
        conn.execute(_MOVE_ANON, params)


def _merge(conn: Connection, source: sa.Row[Any], target_pk: int) -> None:
    """Fold an anonymous contact into the identified one and delete it."""
    for table in (*CONTACT_OWNED, contact_anonymous_ids):
        conn.execute(
            table.update().where(table.c.contact_pk == source.pk).values(contact_pk=target_pk)
        )
    taken = sa.select(traits.c.key).where(traits.c.contact_pk == target_pk)
    conn.execute(
        traits.update()
        .where(traits.c.contact_pk == source.pk, traits.c.key.not_in(taken))
        .values(contact_pk=target_pk)
    )
    target = _get(conn, target_pk)
    conn.execute(
        contacts.update()
        .where(contacts.c.pk == target_pk)
        .values(
            first_seen_at=min(as_utc(target.first_seen_at), as_utc(source.first_seen_at)),
            last_seen_at=max(as_utc(target.last_seen_at), as_utc(source.last_seen_at)),
            email=target.email if target.email is not None else source.email,
            name=target.name if target.name is not None else source.name,
            account_pk=target.account_pk if target.account_pk is not None else source.account_pk,
        )
    )
    conn.execute(contacts.delete().where(contacts.c.pk == source.pk))


def check_owner(owner_pk: int, contact: sa.Row[Any], id_name: str, id_value: str) -> None:
    """An id, once stored, belongs to the contact that first wrote it: a write to it from
    anyone else changes nothing (raised inside the transaction, which rolls back)."""
    if owner_pk != contact.pk:
        raise ApiError(409, "id_taken", f"{id_name}: {id_value!r} belongs to someone else")


def unchanged(contact: sa.Row[Any], user: User, stored: Iterable[sa.Row[Any]]) -> bool:
    """Whether a ping from `user` would write nothing on `contact` (a `settled` row): the
    fields it sends, its account and every trait it sends are stored as they are. `stored`
    holds the contact's and its account's trait rows."""
    if user.email is not None and user.email != contact.email:
        return False
    if user.name is not None and user.name != contact.name:
        return False
    mine: dict[str, sa.Row[Any]] = {}
    theirs: dict[str, sa.Row[Any]] = {}
    for row in stored:
        (mine if row.contact_pk is not None else theirs)[row.key] = row
    if not _all_same(user.traits, mine):
        return False
    acc = user.account
    if acc is None:
        return True
    if acc.id != contact.account_id or (acc.name is not None and acc.name != contact.account_name):
        return False
    return _all_same(acc.traits, theirs)


def _all_same(values: dict[str, Any], stored: dict[str, sa.Row[Any]]) -> bool:
    for key, value in values.items():
        old = stored.get(key)
        if old is None or not _same(old, typed(key, value)):
            return False
    return True


VALUE_COLUMNS = (traits.c.value_text, traits.c.value_int, traits.c.value_bool, traits.c.value_date)


def _same(old: sa.Row[Any], new: dict[str, Any]) -> bool:
    if old.type != new["type"]:
        return False
    if new["type"] == "date":
        return as_utc(old.value_date) == new["value_date"]
    return all(getattr(old, c.name) == new[c.name] for c in VALUE_COLUMNS)


def typed(key: str, value: Any) -> dict[str, Any]:
    """Column values of one trait. bool is checked before int (bool is an int in Python);
    a string is a date only on a key ending `_at`; a quoted number stays a string."""
    row: dict[str, Any] = {
        "value_text": None,
        "value_int": None,
        "value_bool": None,
        "value_date": None,
    }
    if isinstance(value, bool):
        row.update(type="boolean", value_bool=value)
    elif isinstance(value, int):
        row.update(type="integer", value_int=value)
    elif key.endswith("_at"):
        row.update(type="date", value_date=parse_date(value))
    else:
        row.update(type="string", value_text=value)
    return row


def trait_value(row: sa.Row[Any]) -> Any:
    """The Python value of a stored trait row (the read side of `typed`)."""
    if row.type == "boolean":
        return row.value_bool
    if row.type == "integer":
        return row.value_int
    if row.type == "date":
        return as_utc(row.value_date)
    return row.value_text


def upsert_traits(
    conn: Connection,
    project_id: str,
    values: dict[str, Any],
    now: datetime,
    contact_pk: int | None = None,
    account_pk: int | None = None,
) -> None:
    """Set the given traits of one owner; traits not named are kept. Unchanged traits (the
    usual case: the client sends them on every ping) cost no write."""
    if not values:
        return
    owner_pk = contact_pk if contact_pk is not None else account_pk
    query = _CONTACT_TRAITS if contact_pk is not None else _ACCOUNT_TRAITS
    existing = {r.key: r for r in conn.execute(query, {"owner": owner_pk, "keys": list(values)})}
    inserts = []
    for key, value in values.items():
        row = typed(key, value)
        old = existing.get(key)
        if old is not None:
            if _same(old, row):
                continue
            conn.execute(_SET_TRAIT, dict(row, trait_pk=old.pk, updated_at=now))
        else:
            inserts.append(
                dict(
                    row,
                    project_id=project_id,
                    contact_pk=contact_pk,
                    account_pk=account_pk,
                    key=key,
                    updated_at=now,
                )
            )
    if inserts:
        conn.execute(traits.insert(), inserts)


def upsert_account(
    conn: Connection, project_id: str, account_id: str, name: str | None, now: datetime
) -> int:
    """The account's pk, created on first sight; a given name replaces the stored one."""
    params = {"project_id": project_id, "account_id": account_id}
    pk = conn.execute(_ACCOUNT_PK, params).scalar()
    if pk is None:
        params.update(name=name, created_at=now, updated_at=now)
        return conn.execute(accounts.insert(), params).inserted_primary_key[0]
    if name is not None:
        conn.execute(_NAME_ACCOUNT, {"account_pk": pk, "new_name": name, "now": now})
    return pk


_CONTACT_COLUMNS = (
    *contacts.c,
    accounts.c.account_id,
    accounts.c.name.label("account_name"),
)
_WITH_ACCOUNT = contacts.outerjoin(accounts, accounts.c.pk == contacts.c.account_pk)
_BY_ANON = (
    sa.select(*_CONTACT_COLUMNS)
    .select_from(
        contact_anonymous_ids.join(
            _WITH_ACCOUNT, contacts.c.pk == contact_anonymous_ids.c.contact_pk
        )
    )
    .where(
        contact_anonymous_ids.c.project_id == sa.bindparam("project_id"),
        contact_anonymous_ids.c.anonymous_id == sa.bindparam("anonymous_id"),
    )
)
_BY_USER = (
    sa.select(
        *_CONTACT_COLUMNS,
        sa.select(contact_anonymous_ids.c.contact_pk)
        .where(
            contact_anonymous_ids.c.project_id == sa.bindparam("project_id"),
            contact_anonymous_ids.c.anonymous_id == sa.bindparam("anonymous_id"),  # NULL: none
        )
        .scalar_subquery()
        .label("anon_pk"),
    )
    .select_from(_WITH_ACCOUNT)
    .where(
        contacts.c.project_id == sa.bindparam("project_id"),
        contacts.c.user_id == sa.bindparam("user_id"),
    )
)

# Built once: constructing a statement costs more than running it on SQLite.
_ANON_PK = sa.select(contact_anonymous_ids.c.contact_pk).where(
    contact_anonymous_ids.c.project_id == sa.bindparam("project_id"),
    contact_anonymous_ids.c.anonymous_id == sa.bindparam("anonymous_id"),
)
_MOVE_ANON = (  # bind names differ from the columns': an UPDATE reserves those
    contact_anonymous_ids.update()
    .where(
        contact_anonymous_ids.c.project_id == sa.bindparam("in_project"),
        contact_anonymous_ids.c.anonymous_id == sa.bindparam("of_anon"),
    )
    .values(contact_pk=sa.bindparam("to_pk"))
)
_USER_PK = sa.select(contacts.c.pk).where(
    contacts.c.project_id == sa.bindparam("project_id"),
    contacts.c.user_id == sa.bindparam("user_id"),
)
_GET = sa.select(contacts).where(contacts.c.pk == sa.bindparam("pk"))
_NEW_CONTACT = contacts.insert()


def _traits_of(owner: sa.Column[Any]) -> sa.Select[Any]:
    return sa.select(traits.c.pk, traits.c.key, traits.c.type, *VALUE_COLUMNS).where(
        owner == sa.bindparam("owner"), traits.c.key.in_(sa.bindparam("keys", expanding=True))
    )


_CONTACT_TRAITS = _traits_of(traits.c.contact_pk)
_ACCOUNT_TRAITS = _traits_of(traits.c.account_pk)
_SET_TRAIT = traits.update().where(traits.c.pk == sa.bindparam("trait_pk"))
_ACCOUNT_PK = sa.select(accounts.c.pk).where(
    accounts.c.project_id == sa.bindparam("project_id"),
    accounts.c.account_id == sa.bindparam("account_id"),
)
_NAME_ACCOUNT = (
    accounts.update()
    .where(accounts.c.pk == sa.bindparam("account_pk"))
    .values(name=sa.bindparam("new_name"), updated_at=sa.bindparam("now"))
)
