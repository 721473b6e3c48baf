"""Admin API: admin_tokens, survey versions (surveys.version, survey_versions,
responses.survey_version), indexes for exports and contact search.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_tokens_token_hash")),
    )
    op.create_table(
        "survey_versions",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id", "survey_id"],
            ["surveys.project_id", "surveys.id"],
            name=op.f("fk_survey_versions_project_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "project_id", "survey_id", "version", name=op.f("pk_survey_versions")
        ),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_project_email", ["project_id", "email"], unique=False)

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("survey_version", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_responses_project_created",
            ["project_id", "created_at", "response_id"],
            unique=False,
        )

    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("traits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_traits_project_key_text", ["project_id", "key", "value_text"], unique=False
        )
    # surveys stored before versions existed: their current definition is version 1
    op.execute(
        "INSERT INTO survey_versions (project_id, survey_id, version, definition, created_at)"
        " SELECT project_id, id, 1, definition, updated_at FROM surveys"
    )


def downgrade() -> None:
    with op.batch_alter_table("traits", schema=None) as batch_op:
        batch_op.drop_index("ix_traits_project_key_text")

    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_project_created")
        batch_op.drop_column("survey_version")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_project_email")

    op.drop_table("survey_versions")
    op.drop_table("admin_tokens")
