"""Delivering notices to members on the platform they use, through per-platform senders."""

import logging
from collections.abc import Sequence
from typing import Protocol

from bot.views import Message, Notice
from core.bank import Bank
from core.members import Identity
from core.ports import Context

log = logging.getLogger(__name__)


class Sender(Protocol):
    """One platform's way to message a member directly (a Slack DM, a Teams proactive message)."""

    platform: str

    async def send(self, identity: Identity, message: Message) -> str | None:
        """Deliver and return the platform's message id; raise on failure."""


class Dispatcher:
    """Sends each notice to the member's newest identity on a platform we can reach."""

    def __init__(self, bank: Bank, senders: dict[str, Sender] | None = None) -> None:
        self.bank = bank
        self.senders: dict[str, Sender] = senders if senders is not None else {}

    async def deliver(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            identity = await self.route(notice.member_id)
            if identity is None:
                log.info("member %s has no reachable platform; notice kept only in the bank", notice.member_id)
                continue
            try:
                await self.senders[identity.platform].send(identity, notice.message)
            except Exception:
                log.exception("could not notify member %s on %s", notice.member_id, identity.platform)

    async def route(self, member_id: int) -> Identity | None:
        identities = await self.bank.read(_identities, member_id)
        reachable = [i for i in identities if i.platform in self.senders]
        return reachable[-1] if reachable else None


async def _identities(ctx: Context, member_id: int) -> list[Identity]:
    return await ctx.uow.members.identities(member_id)
