"""Baseline: the schema of the first release (projects, surveys, contacts, traits,
events, views, dismissals, responses). A database made before migrations existed is
stamped at this revision, then upgraded.

Revision ID: 0001
Revises: None
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), server_default="", nullable=False),
        sa.Column("identity_verification", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=True),
        sa.Column("ping_interval_s", sa.Integer(), server_default="300", nullable=False),
        sa.Column("allowed_origins", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_table(
        "accounts",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_accounts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "project_id", "account_id", name=op.f("uq_accounts_project_id_account_id")
        ),
    )
    op.create_table(
        "surveys",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="draft", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_surveys_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "id", name=op.f("pk_surveys")),
    )
    op.create_table(
        "contacts",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("account_pk", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_pk"],
            ["accounts.pk"],
            name=op.f("fk_contacts_account_pk_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_contacts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_contacts")),
        sa.UniqueConstraint("project_id", "user_id", name=op.f("uq_contacts_project_id_user_id")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_account_pk"), ["account_pk"], unique=False)

    op.create_table(
        "contact_anonymous_ids",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("anonymous_id", sa.String(length=64), nullable=False),
        sa.Column("contact_pk", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.pk"],
            name=op.f("fk_contact_anonymous_ids_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_contact_anonymous_ids_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "anonymous_id", name=op.f("pk_contact_anonymous_ids")
        ),
    )
    with op.batch_alter_table("contact_anonymous_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_anonymous_ids_contact_pk"), ["contact_pk"], unique=False
        )

    op.create_table(
        "dismissals",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("dismissal_id", sa.String(length=64), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("contact_pk", sa.Integer(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.pk"],
            name=op.f("fk_dismissals_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_dismissals_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "dismissal_id", name=op.f("pk_dismissals")),
    )
    with op.batch_alter_table("dismissals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dismissals_contact_pk"), ["contact_pk"], unique=False)

    op.create_table(
        "events",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("contact_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.pk"],
            name=op.f("fk_events_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "event_id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_contact_pk"), ["contact_pk"], unique=False)

    op.create_table(
        "responses",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("contact_pk", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=64), nullable=True),
        sa.Column("page_url", sa.String(length=2048), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.pk"],
            name=op.f("fk_responses_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_responses_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "response_id", name=op.f("pk_responses")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responses_contact_pk"), ["contact_pk"], unique=False)
        batch_op.create_index("ix_responses_project_form", ["project_id", "form_id"], unique=False)

    op.create_table(
        "traits",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("contact_pk", sa.Integer(), nullable=True),
        sa.Column("account_pk", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value_text", sa.String(length=255), nullable=True),
        sa.Column("value_int", sa.BigInteger(), nullable=True),
        sa.Column("value_bool", sa.Boolean(), nullable=True),
        sa.Column("value_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('string', 'integer', 'boolean', 'date')", name=op.f("ck_traits_known_type")
        ),
        sa.CheckConstraint(
            "(contact_pk IS NULL) <> (account_pk IS NULL)", name=op.f("ck_traits_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["account_pk"],
            ["accounts.pk"],
            name=op.f("fk_traits_account_pk_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.pk"],
            name=op.f("fk_traits_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_traits_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_traits")),
        sa.UniqueConstraint("account_pk", "key", name=op.f("uq_traits_account_pk_key")),
        sa.UniqueConstraint("contact_pk", "key", name=op.f("uq_traits_contact_pk_key")),
    )
    with op.batch_alter_table("traits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_traits_account_pk"), ["account_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_traits_contact_pk"), ["contact_pk"], unique=False)

    op.create_table(
        "views",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("view_id", sa.String(length=64), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("contact_pk", sa.Integer(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.pk"],
            name=op.f("fk_views_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_views_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "view_id", name=op.f("pk_views")),
    )
    with op.batch_alter_table("views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_views_contact_pk"), ["contact_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_views_contact_pk"))

    op.drop_table("views")
    with op.batch_alter_table("traits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traits_contact_pk"))
        batch_op.drop_index(batch_op.f("ix_traits_account_pk"))

    op.drop_table("traits")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_project_form")
        batch_op.drop_index(batch_op.f("ix_responses_contact_pk"))

    op.drop_table("responses")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_contact_pk"))

    op.drop_table("events")
    with op.batch_alter_table("dismissals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dismissals_contact_pk"))

    op.drop_table("dismissals")
    with op.batch_alter_table("contact_anonymous_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_anonymous_ids_contact_pk"))

    op.drop_table("contact_anonymous_ids")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_account_pk"))

    op.drop_table("contacts")
    op.drop_table("surveys")
    op.drop_table("accounts")
    op.drop_table("projects")
