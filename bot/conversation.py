"""One turn in, one reply out: the same for the console, Slack and Teams."""

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.delivery.queue import keyed, queue
from bot.handlers import load
from bot.turns import Request, Turn
from bot.views import Button, Card, Message, Notice, Reply, problem
from core import directory, nudges
from core.bank import Bank
from core.errors import DomainError
from core.members import Member

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on our side and nothing was changed. Please try again in a minute."


Introduce = Callable[[Turn], Awaitable[Turn]]


class Notifier(Protocol):
    """Sends notices that are already queued in the outbox, without waiting for the worker."""

    async def deliver(self, notices: Sequence[Notice]) -> None: ...


class NoNotifier:
    """For tests and tools that send nothing now (the notices stay queued in the outbox)."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    async def deliver(self, notices: Sequence[Notice]) -> None:
        self.sent.extend(notices)


class Conversation:
    """Resolves the member, routes the turn, turns refusals into friendly replies."""

    def __init__(self, bank: Bank, notifier: Notifier | None = None) -> None:
        self.bank = bank
        self.router = load()
        self.notifier = notifier or NoNotifier()

    async def handle(self, turn: Turn, introduce: Introduce | None = None) -> Reply:
        """`introduce` asks the platform who a newcomer is (name, time zone), on first contact only."""
        try:
            member, created, answering = await self._member(turn, introduce)
            if answering:
                await self._answered(member)
            request = Request(turn=turn, member=member, bank=self.bank, first_contact=created)
            reply = await self._route(request)
        except DomainError as refusal:
            return problem(refusal.message)
        except Exception:
            log.exception("turn failed: %s %s", turn.command or turn.action or turn.form_id, turn.platform)
            return problem(SORRY)
        if created and turn.form_id is None:
            reply = _with_welcome(reply)
        await self._deliver(turn, reply.notices)
        return reply

    async def _member(self, turn: Turn, introduce: Introduce | None) -> tuple[Member, bool, bool]:
        """The member, whether they are new, and whether this turn answers nudges of theirs."""
        member, answering = await self.bank.read(nudges.turn_taker, turn.platform, turn.workspace_id, turn.user_id)
        if member is not None:
            return member, False, answering
        if introduce is not None:
            turn = await introduce(turn)
        member, created = await self.bank.run(
            directory.resolve, turn.platform, turn.workspace_id, turn.user_id, turn.display_name, turn.timezone
        )
        return member, created, False

    async def _answered(self, member: Member) -> None:
        """Any turn answers the member's nudges (their back-off ends); never a reason for a turn to fail."""
        try:
            await self.bank.run(nudges.acknowledge, member.id)
        except Exception:
            log.exception("could not record that member %s answered their nudges", member.id)

    async def _route(self, request: Request) -> Reply:
        turn = request.turn
        if turn.form_id is not None:
            handler = self.router.forms.get(turn.form_id)
        elif turn.action is not None:
            handler = self.router.actions.get(turn.action)
        else:
            entry = self.router.lookup(turn.command or "help")
            if entry is None:
                return self._unknown(turn.command or "")
            handler = entry.handler
        if handler is None:
            return problem("That button or form is no longer available. Type `help` to start again.")
        return await handler(request)

    def _unknown(self, word: str) -> Reply:
        nearest = self.router.nearest(word)
        hint = f" Did you mean `{nearest}`?" if nearest else ""
        return problem(f"I don't know the command “{word[:30]}”.{hint}")

    async def _deliver(self, turn: Turn, notices: Sequence[Notice]) -> None:
        """Queue the notices a handler did not queue with its change (a no-op for those it did), then kick."""
        if not notices:
            return
        notices = keyed(notices, turn.request_key)
        try:
            await self.bank.run(queue, notices)
            await self.notifier.deliver(notices)
        except Exception:
            log.exception("could not queue or send %d notices", len(notices))


def _with_welcome(reply: Reply) -> Reply:
    welcome = Card(
        title="Welcome to Hexitime",
        text=(
            "A time bank for the NHS net-zero campaigns: one hour of help given earns one hour "
            "of credit, whoever gives it. Tell us a little about yourself so we can match you."
        ),
        buttons=(Button("Set up my profile", "profile.edit", style="primary"),
                 Button("How it works", "help.topic", "start")),
    )
    if reply.form is not None:
        return reply
    message = Message(cards=(welcome, *reply.cards), attachment=reply.message.attachment)
    return dataclasses.replace(reply, message=message)
