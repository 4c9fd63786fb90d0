"""Callbacks remember which client address booked them, as a pseudonym.

``client`` is the channel's keyed hash of the client address (16 hex
characters, never the address itself), or NULL when the booking came
without one (older rows, a channel that gives none). The booking
transaction counts a client's active and recent bookings by it, hence the
index on (client, created).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("client", sa.Text))
    op.create_index("callbacks_client", "callbacks", ["client", "created"])


def downgrade() -> None:
    op.drop_index("callbacks_client", table_name="callbacks")
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("client")
