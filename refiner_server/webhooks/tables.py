"""The webhook tables, in the schema's one `metadata` (`db.py` imports this module)."""

from __future__ import annotations

import sqlalchemy as sa

from refiner_server.db import ID, LONG, TS, URL, metadata

#: an owner's receiving URL and what it wants; `lease_*` say which process delivers it now
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("url", URL, nullable=False),
    sa.Column("format", sa.String(16), nullable=False, server_default="standard"),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("description", LONG, nullable=False, server_default=""),
    sa.Column("secret", LONG, nullable=False),
    # the secret before the latest rotation, still signing until `previous_until`
    sa.Column("previous_secret", LONG, nullable=True),
    sa.Column("previous_until", TS, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("disabled_reason", LONG, nullable=True),
    sa.Column("disabled_at", TS, nullable=True),
    sa.Column("lease_owner", ID, nullable=True),
    sa.Column("lease_until", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_webhook_endpoints_project", "project_id"),
)

#: the outbox and the delivery log at once: one row per message and endpoint, delivered in
#: `pk` order per endpoint; `body` is the exact JSON sent on every attempt
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "endpoint_id",
        ID,
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("message_id", ID, nullable=False, unique=True),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending, delivered, failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),  # retries stop here
    sa.Column("finished_at", TS, nullable=True),
    sa.Column("last_attempt_at", TS, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_latency_ms", sa.Integer, nullable=True),
    sa.Column("last_error", LONG, nullable=True),
    sa.Column("response_excerpt", sa.String(512), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="known_status"),
    sa.Index("ix_webhook_deliveries_endpoint_status", "endpoint_id", "status", "pk"),
    sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
)
