"""Alembic environment: migrations run on the connection that `Database.upgrade` passes in."""

from alembic import context
from sqlalchemy import text

from storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `hexitime db upgrade`, which supplies the connection.")

if connection.dialect.name == "postgresql":
    # Several web processes may start at once; only one migrates at a time.
    connection.execute(text("SELECT pg_advisory_xact_lock(7355608)"))

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
