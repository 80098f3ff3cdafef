"""Teams file offers in the database: kept per member, claimed once, purged when old; migration matches."""

import asyncio
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.teams_files import FileOfferStore, purge_expired, teams_file_offers

DAY = timedelta(hours=24)
BYTES = bytes(range(256)) * 3  # not text: every byte value survives the round trip


async def _add(store: FileOfferStore, clock, offer_id: str = "off-1") -> None:
    await store.add(offer_id, "T", "aad-alice", "statement.csv", "text/csv", BYTES, clock.now(), clock.now() - DAY)


async def test_the_migration_builds_the_mapped_table(db) -> None:
    def drift(connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return [d for d in compare_metadata(context, teams_file_offers.metadata)
                if teams_file_offers.name in repr(d)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(drift) == []


async def test_only_the_member_reads_and_removes_their_offer(db, clock) -> None:
    store = FileOfferStore(db)
    await _add(store, clock)
    assert (await store.get("off-1", "T", "aad-alice")).content == BYTES
    assert await store.get("off-1", "T", "aad-bob") is None
    assert await store.get("off-1", "other-tenant", "aad-alice") is None
    assert await store.remove("off-1", "T", "aad-bob") is False
    assert await store.remove("off-1", "T", "aad-alice") is True
    assert await store.get("off-1", "T", "aad-alice") is None


async def test_a_claim_is_taken_once_until_released_or_stale(db, clock) -> None:
    store = FileOfferStore(db)
    await _add(store, clock)
    now = clock.now()
    claims = await asyncio.gather(*(store.claim("off-1", "T", "aad-alice", now, now - DAY, now - timedelta(minutes=5))
                                    for _ in range(5)))
    assert sum(c is not None for c in claims) == 1
    assert await store.claim("off-1", "T", "aad-alice", now, now - DAY, now - timedelta(minutes=5)) is None
    await store.release("off-1")
    assert await store.claim("off-1", "T", "aad-alice", now, now - DAY, now - timedelta(minutes=5)) is not None
    later = clock.advance(timedelta(minutes=10))
    stale = await store.claim("off-1", "T", "aad-alice", later, later - DAY, later - timedelta(minutes=5))
    assert stale is not None and stale.content == BYTES


async def test_an_expired_offer_cannot_be_claimed_and_is_purged(db, clock) -> None:
    store = FileOfferStore(db)
    await _add(store, clock, "old")
    later = clock.advance(DAY + timedelta(minutes=1))
    await _add(store, clock, "new")  # a new offer clears the old ones on the way
    assert await store.get("old", "T", "aad-alice") is None
    assert await store.get("new", "T", "aad-alice") is not None
    assert await store.claim("new", "T", "aad-alice", later, later + timedelta(seconds=1), later) is None
    assert await purge_expired(db, clock.now() + timedelta(seconds=1)) == 1
    assert await store.get("new", "T", "aad-alice") is None
