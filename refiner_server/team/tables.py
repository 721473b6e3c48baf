"""The team's tables, in the schema's one `metadata` (`db.py` imports this module)."""

from __future__ import annotations

import sqlalchemy as sa

from refiner_server.db import ID, LONG, TS, metadata

ROLE = sa.String(16)
#: SHA-256 hex of a secret (session id, invitation token): the secret itself is never kept
DIGEST = sa.String(64)

#: people who sign in to the dashboard; `email` is kept lower-cased, one account each
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("email", LONG, nullable=False, unique=True),
    sa.Column("password_hash", LONG, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

#: a person's role in a project
memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", ROLE, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "user_id"),
    sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="known_role"),
    sa.Index("ix_memberships_user_id", "user_id"),
)

#: an owner's invitation of an email to a project; the link's token is kept hashed
invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("email", LONG, nullable=False),
    sa.Column("role", ROLE, nullable=False),
    sa.Column("token_hash", DIGEST, nullable=False, unique=True),
    sa.Column("invited_by", LONG, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("accepted_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
    sa.CheckConstraint("role IN ('owner', 'editor', 'viewer')", name="known_role"),
    sa.Index("ix_invitations_project_id", "project_id"),
)

#: a signed-in browser: a person's, or one signed in with an admin token; the cookie holds
#: the id, the row its digest
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id_hash", DIGEST, primary_key=True),
    sa.Column("user_id", ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    sa.Column("token_id", ID, sa.ForeignKey("admin_tokens.id", ondelete="CASCADE"), nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="one_owner"),
    sa.Index("ix_sessions_user_id", "user_id"),
    sa.Index("ix_sessions_token_id", "token_id"),
)

#: who changed what, when; kept when its project or its actor goes (no foreign keys)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("project_id", ID, nullable=True),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_id", ID, nullable=False),
    sa.Column("actor_name", LONG, nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("subject", LONG, nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_project_pk", "project_id", "pk"),
    sa.Index("ix_audit_log_project_subject", "project_id", "subject"),
)
