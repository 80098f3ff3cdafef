"""Outcomes written a batch at a time: one short transaction per `size` rows or `interval` seconds.

Until its outcome is written a row keeps its lease: it is in flight, and if the
process dies it is sent again once the lease runs out. The interval is short so
that few rows are ever in flight.
"""

import asyncio
import logging

from bot.delivery.claim import Outcome, record_all
from core.bank import Bank
from core.outbox import RetryPolicy

log = logging.getLogger(__name__)
ATTEMPTS = 2


class Recorder:
    """Collects (row id, outcome) pairs from every send in the process and writes them together."""

    def __init__(self, bank: Bank, policy: RetryPolicy, size: int = 50, interval: float = 0.2) -> None:
        self.bank, self.policy = bank, policy
        self.size, self.interval = size, interval
        self.batch: list[tuple[int, Outcome, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.writing: set[asyncio.Task] = set()

    def add(self, job_id: int, outcome: Outcome) -> asyncio.Future:
        """Queue one outcome; the future is done when it is written (True) or could not be (False)."""
        written = asyncio.get_running_loop().create_future()
        self.batch.append((job_id, outcome, written))
        if len(self.batch) >= self.size:
            self.flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(self.interval, self.flush)
        return written

    def flush(self) -> None:
        """Start writing what is queued now."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.batch = self.batch, []
        if batch:
            task = asyncio.create_task(self._write(batch))
            self.writing.add(task)
            task.add_done_callback(self.writing.discard)

    async def _write(self, batch: list[tuple[int, Outcome, asyncio.Future]]) -> None:
        outcomes = [(job_id, outcome) for job_id, outcome, _ in batch]
        ok = False
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.bank.run(record_all, outcomes, self.policy)
                ok = True
                break
            except Exception:  # the rows keep their lease: sent again after it runs out, never lost
                log.exception("could not record %d outbox outcomes (attempt %d)", len(batch), attempt)
        for _, _, written in batch:
            if not written.done():
                written.set_result(ok)
