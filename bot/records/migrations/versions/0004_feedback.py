"""The citizens' "Fik du svar?" answers (issue 27): yes or no and a reason
from a fixed list, per errand and municipality, with no text or anything
else that could identify the citizen.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Time = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", Time, nullable=False),
        sa.Column("municipality", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("situation", sa.Text),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("feedback_at", "feedback", ["at"])
    conn = op.get_bind()
    app_role = context.config.attributes.get("app_role")
    if conn.dialect.name == "postgresql" and app_role:
        # The widget server stores answers and the console reads them; nobody changes them.
        role = conn.dialect.identifier_preparer.quote(app_role)
        op.execute(f"GRANT SELECT, INSERT ON feedback TO {role}")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE feedback_id_seq TO {role}")


def downgrade() -> None:
    op.drop_index("feedback_at", table_name="feedback")
    op.drop_table("feedback")
