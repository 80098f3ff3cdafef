"""The migrations build exactly the tables storage/ maps: no drift between Alembic and the code."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import storage.scheduler_store  # noqa: F401  (maps scheduler_leases)
import storage.teams_files  # noqa: F401  (maps teams_file_offers)
import storage.teams_tables  # noqa: F401
from storage.tables import metadata


def _drift(connection) -> list:
    """Differences for the tables in our metadata; tables others own (slack_sdk's stores) are theirs to check."""
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [diff for diff in compare_metadata(context, metadata) if _table_of(diff) in metadata.tables]


def _table_of(diff) -> str | None:
    change = diff[0] if isinstance(diff, list) else diff
    subject = change[1] if change[0].endswith("_table") else None
    if subject is not None:
        return subject.name
    for part in change[1:]:
        if isinstance(part, str):
            return part
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
    return None


async def test_migrations_match_the_mapped_tables(db) -> None:
    async with db.engine.connect() as conn:
        drift = await conn.run_sync(_drift)
    assert drift == []
