"""Events API de-duplication by event id, in the database so several web processes agree."""

import logging
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.tables import events

log = logging.getLogger(__name__)
KEEP = timedelta(days=2)
PRUNE_CHANCE = 0.01


async def first_time(engine: AsyncEngine, event_id: str, now: datetime) -> bool:
    """True the first time an event id is seen; False for Slack's retries of it."""
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(events).values(event_id=event_id[:64], received_at=now))
            if random.random() < PRUNE_CHANCE:
                await conn.execute(sa.delete(events).where(events.c.received_at < now - KEEP))
    except IntegrityError:
        log.info("event %s already handled; ignoring the retry", event_id)
        return False
    return True
