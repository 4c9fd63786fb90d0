"""Callbacks remember why the chat offered them (issue 27): ``reason`` is
one of bot.callbacks.store.REASONS (the citizen's own case, a sensitive
matter, help with the digital, or the citizen asked), beside ``category``
(which sensitive kind). NULL for older rows and staff's own bookings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("reason", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("reason")
