"""The delivery worker: claim due outbox rows, send each to the member's newest reachable identity, record it.

Outcomes are written within a fraction of a second, many rows to a transaction
(`bot.delivery.recorder`); a row sent but not yet recorded is still in flight
under its lease, so a crash can only repeat the sends in flight at that moment.
"""

import asyncio
import logging
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot import viewcodec
from bot.delivery.claim import Job, Outcome, claim_due, claim_keys
from bot.delivery.errors import DeliveryError
from bot.delivery.queue import NOTICE
from core.bank import Bank
from core.members import Identity

if TYPE_CHECKING:
    from bot.notify import Dispatcher

log = logging.getLogger(__name__)
REFRESHES_HOME = frozenset({NOTICE})
"""Kinds that tell a member their own state changed; broadcasts, digests and nudges change nothing of it."""


async def deliver_due(services: Any, owner: str, limit: int = 200) -> int:
    """Claim up to `limit` due rows, send them, record outcomes; returns how many were finished or rescheduled."""
    dispatcher: Dispatcher = services.notifier
    dispatcher.configure(services.settings)
    lease = timedelta(seconds=dispatcher.limits.lease_seconds)
    jobs = await services.bank.run(claim_due, owner, lease, limit)
    return await send_all(dispatcher, jobs)


async def deliver_keys(bank: Bank, dispatcher: "Dispatcher", owner: str, keys: list[str]) -> int:
    """The kick after a turn: send just these rows now, if nobody else holds them."""
    if not keys:
        return 0
    lease = timedelta(seconds=dispatcher.limits.kick_lease_seconds)
    jobs = await bank.run(claim_keys, keys, owner, lease)
    return await send_all(dispatcher, jobs)


async def send_all(dispatcher: "Dispatcher", jobs: list[Job]) -> int:
    """Concurrently: each send waits for its slot under the rate limits, then for one of the process's
    `concurrency` places; returns once every outcome is written (in batches, by the dispatcher's recorder)."""
    if not jobs:
        return 0
    routes = await dispatcher.routes({job.member_id for job in jobs})

    async def one(job: Job) -> asyncio.Future:
        return dispatcher.recorder.add(job.id, await _send(dispatcher, job, routes.get(job.member_id)))

    written = await asyncio.gather(*(one(job) for job in jobs))
    dispatcher.recorder.flush()  # this pass's last outcomes need not wait for the interval
    await asyncio.gather(*written)
    return len(jobs)


async def _send(dispatcher: "Dispatcher", job: Job, identity: Identity | None) -> Outcome:
    if identity is None:
        return Outcome(skipped=True, error="no reachable identity")
    try:
        message = viewcodec.decode(job.payload)
    except Exception as bad:
        return Outcome(platform=identity.platform, error=f"undecodable payload: {bad!r}", permanent=True)
    await dispatcher.limiter.acquire(dispatcher.limits.rates(identity))
    try:
        async with dispatcher.sending:
            message_id = await dispatcher.senders[identity.platform].send(
                identity, message, refresh_home=job.kind in REFRESHES_HOME)
    except DeliveryError as failed:
        if failed.retry_after:
            dispatcher.limiter.pause(dispatcher.limits.throttled(identity), failed.retry_after)
        log.info("outbox %s to member %s on %s: %s", job.id, job.member_id, identity.platform, failed)
        return Outcome(platform=identity.platform, error=str(failed) or type(failed).__name__,
                       retry_after=failed.retry_after, permanent=failed.permanent, unreachable=failed.unreachable)
    except Exception as failed:  # an unexpected failure is retried with back-off, never lost
        log.exception("outbox %s to member %s on %s failed", job.id, job.member_id, identity.platform)
        return Outcome(platform=identity.platform, error=repr(failed))
    return Outcome(platform=identity.platform, message_id=message_id)


def kick_owner() -> str:
    return f"kick-{os.getpid()}"
