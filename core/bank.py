"""The entry point to the core: runs a use case in one transaction, retrying on conflicts.

Usage::

    bank = Bank(db.unit_of_work, SystemClock(), Rules())
    exchange = await bank.run(exchange_flow.accept, exchange_id=7, actor_id=3)
    summary = await bank.read(statements.balance, member_id=3)
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from core.clock import Clock
from core.errors import TransientConflict
from core.ports import Context, UnitOfWork
from core.rules import Rules

T = TypeVar("T")
UowFactory = Callable[..., AbstractAsyncContextManager[UnitOfWork]]
MAX_ATTEMPTS = 8


class Bank:
    """Use cases with their transaction, clock and rules."""

    def __init__(self, uow_factory: UowFactory, clock: Clock, rules: Rules) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules

    async def run(
        self, use_case: Callable[..., Awaitable[T]], *args: Any,
        then: Callable[[Context, T], Awaitable[None]] | None = None, **kwargs: Any,
    ) -> T:
        """Write: commit on success, roll back on any error, retry on a lost race.

        `then` runs in the same transaction after the use case, e.g. to queue
        the notifications the change causes, so both happen or neither does.
        """
        for attempt in range(MAX_ATTEMPTS):
            try:
                async with self.uow_factory() as uow:
                    ctx = Context(uow, self.clock.now(), self.rules)
                    result = await use_case(ctx, *args, **kwargs)
                    if then is not None:
                        await then(ctx, result)
                    await uow.commit()
                    return result
            except TransientConflict:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    async def read(self, use_case: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Read-only: never commits, so it cannot change anything."""
        async with self.uow_factory(readonly=True) as uow:
            return await use_case(Context(uow, self.clock.now(), self.rules), *args, **kwargs)
