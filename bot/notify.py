"""Delivering notices to members on the platform they use, through per-platform senders.

Notices are outbox rows first (queued with the change that caused them); the
dispatcher's `deliver` is the kick that sends a turn's rows at once, and the
worker (`bot.delivery.worker.deliver_due`) sends everything else that is due.
"""

import asyncio
import logging
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Any, Protocol

from bot.delivery.claim import identities_of
from bot.delivery.limits import DeliveryLimits, Limiter
from bot.delivery.recorder import Recorder
from bot.delivery.worker import deliver_keys, kick_owner
from bot.views import Message, Notice
from core.bank import Bank
from core.channels import ChannelLink
from core.members import Identity
from core.outbox import RetryPolicy

log = logging.getLogger(__name__)
background: ContextVar[bool] = ContextVar("deliver_in_background", default=False)
"""Set while a platform request is being answered, so the kick runs after it instead of delaying the ack."""


class Sender(Protocol):
    """One platform's way to message a member directly (a Slack DM, a Teams proactive message)."""

    platform: str

    async def send(self, identity: Identity, message: Message, *, refresh_home: bool = False) -> str | None:
        """Deliver and return the platform's message id; raise `DeliveryError` on failure.

        `refresh_home`: the message tells the member their own state changed (a notice), so also
        redraw what shows that state (Slack's App Home). Broadcasts, digests and nudges pass False:
        a broadcast to 5,000 members must not cost 5,000 Home rebuilds.
        """

    async def update(self, identity: Identity, message_id: str, message: Message) -> None:
        """Replace a message sent earlier (a progress card) in place."""

    async def post(self, link: ChannelLink, message: Message) -> str | None:
        """Post in a campaign's linked channel (Slack and Teams only); a channel that won't take it is
        `unreachable` (the bot is not in it, or it is gone)."""


class Dispatcher:
    """Routes to the member's newest reachable identity; holds the process's rate limiter and outcome recorder."""

    def __init__(self, bank: Bank, senders: dict[str, Sender] | None = None,
                 limits: DeliveryLimits | None = None, retry: RetryPolicy | None = None) -> None:
        self.bank = bank
        self.senders: dict[str, Sender] = senders if senders is not None else {}
        self.limits = limits or DeliveryLimits()
        self.retry = retry or RetryPolicy()
        self.limiter = Limiter()
        self.recorder = Recorder(bank, self.retry)
        self.pending: set[asyncio.Task] = set()
        self._configured = limits is not None
        self._sending: tuple[int, asyncio.Semaphore] | None = None

    @property
    def sending(self) -> asyncio.Semaphore:
        """Places for platform calls in flight, `limits.concurrency` for the whole process, however many
        delivery passes overlap: so are the database connections those sends may need."""
        size = max(1, self.limits.concurrency)
        if self._sending is None or self._sending[0] != size:
            self._sending = (size, asyncio.Semaphore(size))
        return self._sending[1]

    def configure(self, settings: Any) -> None:
        """Take the limits from settings once, unless they were given explicitly."""
        if not self._configured:
            self.limits, self._configured = DeliveryLimits.from_settings(settings), True

    async def deliver(self, notices: Sequence[Notice]) -> None:
        """Send these already-queued notices now; inside a platform request, just after it."""
        keys = [n.key for n in notices if n.key][: self.limits.kick_limit]
        if not keys:
            return
        if background.get():
            task = asyncio.create_task(self._kick(keys))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            return
        await self._kick(keys)

    async def _kick(self, keys: list[str]) -> None:
        token = background.set(False)
        try:
            await deliver_keys(self.bank, self, kick_owner(), keys)
        except Exception:  # the rows stay queued: the worker sends them on its next pass
            log.exception("immediate delivery failed; the outbox worker will retry")
        finally:
            background.reset(token)

    async def settle(self) -> None:
        """Wait for kicks running in the background (tests, shutdown)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)

    async def close(self) -> None:
        """At shutdown: finish the kicks, then release what senders keep open (Slack's kept-alive connections)."""
        await self.settle()
        for sender in self.senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                await close()

    async def route(self, member_id: int) -> Identity | None:
        return (await self.routes([member_id])).get(member_id)

    async def routes(self, member_ids: Iterable[int | None]) -> dict[int, Identity | None]:
        """Each member's newest identity on a platform with a sender, in one read (rows to a channel have no member)."""
        found = await self.bank.read(identities_of, sorted({m for m in member_ids if m is not None}))
        return {member_id: _newest(ids, self.senders) for member_id, ids in found.items()}


def _newest(identities: list[Identity], senders: dict[str, Sender]) -> Identity | None:
    reachable = [i for i in identities if i.platform in senders]
    return reachable[-1] if reachable else None

