"""survey_versions.author and .note: who made each version (the signed-in principal's
name, an admin token's today) and how it came to be when it was not an edit (made from a
template, restored from an older version, duplicated from another survey). Versions made
before this have neither; their `created_at` was always kept.

Revision ID: 0007
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_versions", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("author")
