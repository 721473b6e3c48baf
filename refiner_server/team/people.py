"""An owner's changes to a project's people, each with its audit row in the same
transaction: invite, withdraw an invitation, change a role, remove someone. The dashboard's
People page and the admin API call these, so both log alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine

from refiner_server.team import audit, invitations
from refiner_server.team.principal import Principal
from refiner_server.team.users import remove_member, set_role, user_by_id


def invite(
    engine: Engine, who: Principal, project_id: str, email: str, role: str, now: datetime
) -> tuple[dict[str, Any], str]:
    """`invitations.invite`, logged: (the invitation, its raw token)."""
    with engine.begin() as conn:
        made, raw = invitations.invite(conn, project_id, email, role, who.label, now)
        audit.record(
            conn,
            project_id=project_id,
            actor=who,
            action="invitation.created",
            subject="invitation:" + made["id"],
            detail={"email": made["email"], "role": made["role"]},
        )
    return made, raw


def withdraw(
    engine: Engine, who: Principal, project_id: str, invitation_id: str, now: datetime
) -> None:
    """`invitations.revoke`, logged."""
    with engine.begin() as conn:
        gone = invitations.revoke(conn, project_id, invitation_id, now)
        audit.record(
            conn,
            project_id=project_id,
            actor=who,
            action="invitation.revoked",
            subject="invitation:" + invitation_id,
            detail={"email": gone["email"], "role": gone["role"]},
        )


def change_role(engine: Engine, who: Principal, project_id: str, user_id: str, role: str) -> None:
    """`users.set_role`, logged with the role before and after."""
    with engine.begin() as conn:
        before = set_role(conn, project_id, user_id, role)
        _logged(conn, who, project_id, user_id, "member.role_changed", {"from": before, "to": role})


def remove(engine: Engine, who: Principal, project_id: str, user_id: str) -> None:
    """`users.remove_member`, logged with the role they had."""
    with engine.begin() as conn:
        before = remove_member(conn, project_id, user_id)
        _logged(conn, who, project_id, user_id, "member.removed", {"from": before})


def _logged(
    conn: Connection,
    who: Principal,
    project_id: str,
    user_id: str,
    action: str,
    detail: dict[str, Any],
) -> None:
    person = user_by_id(conn, user_id)
    audit.record(
        conn,
        project_id=project_id,
        actor=who,
        action=action,
        subject="member:" + user_id,
        detail={"email": person["email"] if person else user_id, **detail},
    )
