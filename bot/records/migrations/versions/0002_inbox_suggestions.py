"""The fallback inbox records the "Mente du …?" suggestions and the choice.

``suggestions`` is the JSON list of the answers offered ("topic/situation"),
``chosen`` the one the citizen picked, or "none" when they picked none of
them or wrote something else. Both stay empty for a message that got no
suggestion.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("suggestions", sa.Text))
        batch.add_column(sa.Column("chosen", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("chosen")
        batch.drop_column("suggestions")
