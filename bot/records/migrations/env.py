"""Alembic's environment: migrations run on the connection (and inside the
transaction) that ``bot.records.migrations.upgrade`` passes in, never on
one of their own, so the caller's lock covers the whole upgrade."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
