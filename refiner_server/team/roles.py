"""Roles in a project, from least to most: what each may do is in docs/dashboard.md.

- viewer: read surveys, answers, summaries; export.
- editor: a viewer who also creates, edits, launches, pauses, resumes and archives surveys.
- owner: an editor who also changes the project's settings, its people and invitations,
  server keys, webhooks, erases contacts, deletes surveys and reads the audit log.
"""

from __future__ import annotations

ROLES = ("viewer", "editor", "owner")


def at_least(role: str | None, needed: str) -> bool:
    """True when `role` (None: no role at all) may do what `needed` may."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_role(role: object) -> str:
    """`role` when it is one of `ROLES`; ValueError naming them otherwise."""
    if role not in ROLES:
        raise ValueError(f"role: one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]
