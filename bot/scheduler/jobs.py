"""The scheduled jobs. Each is keyed work, so two runs at once change and send nothing twice."""

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot import broadcasting
from bot.bootstrap import Services
from bot.delivery import worker
from bot.scheduler import notices, nudges
from core import exchange_flow, expiry
from core.errors import DomainError
from core.ports import Context
from storage import scheduler_store

log = logging.getLogger(__name__)

BATCH = 100


async def deliver(services: Services, owner: str, limit: int = 200) -> int:
    """Send what the outbox holds that is due; the delivery worker owns how."""
    return await worker.deliver_due(services, owner, limit)


async def broadcasts(services: Services) -> int:
    """Queued broadcasts fanned out to the outbox; progress cards of those being sent redrawn."""
    queued = await broadcasting.fan_out_queued(services)
    await broadcasting.refresh_active(services)
    return queued


async def expire_holds(services: Services, limit: int = BATCH) -> int:
    """Accepted exchanges whose hold ran out: hours released, both parties told."""
    ids = await scheduler_store.expired_hold_exchanges(services.db, services.clock.now(), limit)
    return await _each(services, "hold expiry", ids, exchange_flow.expire_hold, notices.hold_expired)


async def expire_needs(services: Services, limit: int = BATCH) -> int:
    """Open needs past their expiry: withdrawn, the owner told why."""
    ids = await services.bank.read(_expired_needs, limit)
    return await _each(services, "need expiry", ids, expiry.expire_need, notices.need_expired)


async def auto_confirm(services: Services, limit: int = BATCH) -> int:
    """Logs nobody answered by the deadline, or by just before their hold runs out, count as confirmed; both told."""
    ids = await scheduler_store.logs_due(services.db, services.clock.now(), services.bank.rules.confirm_deadline, limit)
    return await _each(services, "automatic confirmation", ids, exchange_flow.auto_confirm,
                       notices.auto_confirmed)


async def nudge_scan(services: Services) -> int:
    """Nudges for needs, proposals, sessions and logs that wait too long (bot.scheduler.nudges)."""
    return await nudges.scan(services)


async def digests(services: Services) -> int:
    """Weekly campaign digests on each member's local Monday morning (bot.scheduler.nudges)."""
    return await nudges.digest(services)


async def _expired_needs(ctx: Context, limit: int) -> list[int]:
    return [need.id for need in await ctx.uow.needs.expired(ctx.now, limit)]


async def _each(
    services: Services, what: str, ids: Sequence[int],
    use_case: Callable[[Context, int], Awaitable[Any]], then: Callable[[Context, Any], Awaitable[None]],
) -> int:
    """One transaction per item, the notices queued inside it; None means nothing was left to do."""
    done = 0
    for item_id in ids:
        try:
            if await services.bank.run(use_case, item_id, then=then) is not None:
                done += 1
        except DomainError as refused:
            log.warning("%s of #%s refused: %s", what, item_id, refused.message)
    return done
