"""A citizen may cancel a callback from anywhere with its reference and the
last four digits of the phone number it was booked with (issue 27).

``cancel_check`` is an HMAC of the reference and those four digits under
the server's cancel secret (never the digits themselves; NULL for older
bookings, which can then be cancelled only from their own conversation or
by phone). ``cancel_failures`` counts wrong attempts: at 5 the reference can
no longer be cancelled this way.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("cancel_check", sa.Text))
        batch.add_column(sa.Column("cancel_failures", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("cancel_failures")
        batch.drop_column("cancel_check")
