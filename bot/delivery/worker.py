"""The delivery worker: claim due outbox rows, send each to the member's newest reachable identity, record it.

Outcomes are written within a fraction of a second, many rows to a transaction
(`bot.delivery.recorder`); a row sent but not yet recorded is still in flight
under its lease, so a crash can only repeat the sends in flight at that moment.
"""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot import viewcodec
from bot.delivery.claim import Channel, Job, Outcome, channels_of, claim_due, claim_keys
from bot.delivery.errors import DeliveryError
from bot.delivery.limits import Key
from bot.delivery.queue import NOTICE
from bot.handlers.channels import cannot_post
from bot.views import Message, Notice
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
    routes = await dispatcher.routes({job.member_id for job in jobs if job.channel_link_id is None})
    link_ids = [job.channel_link_id for job in jobs if job.channel_link_id is not None]
    links = await dispatcher.bank.read(channels_of, link_ids) if link_ids else {}

    async def one(job: Job) -> asyncio.Future:
        if job.channel_link_id is not None:
            outcome = await _post(dispatcher, job, links.get(job.channel_link_id))
        else:
            outcome = await _send(dispatcher, job, routes.get(job.member_id))
        return dispatcher.recorder.add(job.id, outcome)

    written = await asyncio.gather(*(one(job) for job in jobs))
    dispatcher.recorder.flush()  # this pass's last outcomes need not wait for the interval
    await asyncio.gather(*written)
    return len(jobs)


async def _send(dispatcher: "Dispatcher", job: Job, identity: Identity | None) -> Outcome:
    """A direct message to the member's identity."""
    if identity is None:
        return Outcome(skipped=True, error="no reachable identity")
    sender = dispatcher.senders[identity.platform]
    return await _attempt(dispatcher, job, identity.platform, dispatcher.limits.rates(identity),
                          lambda message: sender.send(identity, message, refresh_home=job.kind in REFRESHES_HOME),
                          f"member {job.member_id}")


async def _post(dispatcher: "Dispatcher", job: Job, channel: Channel | None) -> Outcome:
    """A post in a campaign's linked channel; if the channel won't take it, the lead who linked it is told."""
    if channel is None:
        return Outcome(skipped=True, error="the channel was unlinked")
    link = channel.link
    sender = dispatcher.senders.get(link.platform)
    if sender is None:
        return Outcome(skipped=True, error=f"no {link.platform} sender in this process")
    outcome = await _attempt(dispatcher, job, link.platform, dispatcher.limits.channel_rates(link),
                             lambda message: sender.post(link, message), f"channel {link.id}")
    if outcome.unreachable and link.linked_by is not None:
        day = dispatcher.bank.clock.now().date().isoformat()  # one word a day, however many needs fail there
        told = Notice(link.linked_by, cannot_post(channel.campaign, link, outcome.error),
                      f"channel-unreachable:{link.id}:{day}")
        outcome = replace(outcome, notice=told)
    return outcome


async def _attempt(dispatcher: "Dispatcher", job: Job, platform: str, rates: list[tuple[Key, float]],
                   deliver: Callable[[Message], Awaitable[str | None]], whom: str) -> Outcome:
    try:
        message = viewcodec.decode(job.payload)
    except Exception as bad:
        return Outcome(platform=platform, error=f"undecodable payload: {bad!r}", permanent=True)
    await dispatcher.limiter.acquire(rates)
    try:
        async with dispatcher.sending:
            message_id = await deliver(message)
    except DeliveryError as failed:
        if failed.retry_after:
            dispatcher.limiter.pause(dispatcher.limits.throttled(platform, rates), failed.retry_after)
        log.info("outbox %s to %s on %s: %s", job.id, whom, platform, failed)
        return Outcome(platform=platform, error=str(failed) or type(failed).__name__,
                       retry_after=failed.retry_after, permanent=failed.permanent, unreachable=failed.unreachable)
    except Exception as failed:  # an unexpected failure is retried with back-off, never lost
        log.exception("outbox %s to %s on %s failed", job.id, whom, platform)
        return Outcome(platform=platform, error=repr(failed))
    return Outcome(platform=platform, message_id=message_id)


def kick_owner() -> str:
    return f"kick-{os.getpid()}"
