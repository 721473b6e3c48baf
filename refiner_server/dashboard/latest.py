"""The newest responses of one survey with who gave them: the contact's user id, email and
traits as stored now (the dashboard's "latest answers")."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.client.contacts import trait_value
from refiner_server.db import contacts, iso, responses, traits
from refiner_server.surveys.exports import public_response

LATEST = 10


def latest_responses(
    engine: Engine, project_id: str, survey_id: str, limit: int = LATEST
) -> list[dict[str, Any]]:
    """Up to `limit` responses, newest first, each in the export's shape plus `traits`
    (key -> value, dates as ISO 8601) of the contact who answered."""
    query = (
        sa.select(responses, contacts.c.user_id, contacts.c.email)
        .join(contacts, contacts.c.pk == responses.c.contact_pk)
        .where(responses.c.project_id == project_id, responses.c.form_id == survey_id)
        .order_by(responses.c.created_at.desc(), responses.c.response_id.desc())
        .limit(limit)
    )
    with engine.connect().execution_options(readonly=True) as conn:
        rows = conn.execute(query).mappings().all()
        owners = {r["contact_pk"] for r in rows}
        found: dict[int, dict[str, Any]] = {pk: {} for pk in owners}
        stored = sa.select(traits).where(traits.c.contact_pk.in_(owners)).order_by(traits.c.key)
        for trait in conn.execute(stored):
            value = trait_value(trait)
            found[trait.contact_pk][trait.key] = iso(value) if trait.type == "date" else value
    return [dict(public_response(dict(r)), traits=found[r["contact_pk"]]) for r in rows]
