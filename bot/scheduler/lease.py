"""This process's claim on the scheduler lease: renewed on a timer, trusted only while fresh."""

import logging
import time
from datetime import timedelta

from core.clock import Clock, SystemClock
from storage import scheduler_store
from storage.database import Database

log = logging.getLogger(__name__)

TRUSTED_SHARE = 2 / 3
"""We act on a renewal for this share of the TTL, so we stop before anyone else may start."""


class LeaseKeeper:
    """Takes and renews the named lease; `held` is False as soon as a renewal is overdue.

    Leases coordinate real processes, so they use the wall clock even when the
    jobs run on an injected one.
    """

    def __init__(self, db: Database, owner: str, ttl: timedelta, name: str = "scheduler",
                 clock: Clock | None = None) -> None:
        self.db, self.owner, self.ttl, self.name = db, owner, ttl, name
        self.clock = clock or SystemClock()
        self.holder: str | None = None
        self._trusted_until = 0.0

    @property
    def held(self) -> bool:
        return time.monotonic() < self._trusted_until

    async def renew(self) -> bool:
        """Take the lease if it is free or lapsed, keep it if ours; returns whether we hold it."""
        started, was_held = time.monotonic(), self.held
        try:
            lease = await scheduler_store.acquire(self.db, self.name, self.owner, self.clock.now(), self.ttl)
        except Exception as exc:  # the database may be briefly away; the lease then lapses by itself
            log.warning("scheduler lease not renewed: %s: %s", type(exc).__name__, exc)
            return self.held
        ours = lease is not None and lease.owner == self.owner
        self._trusted_until = started + self.ttl.total_seconds() * TRUSTED_SHARE if ours else 0.0
        self._report(was_held, ours, lease.owner if lease else None)
        return ours

    def _report(self, was_held: bool, ours: bool, holder: str | None) -> None:
        if ours and not was_held:
            log.info("scheduler lease won by %s; running jobs", self.owner)
        elif was_held and not ours:
            log.warning("scheduler lease lost to %s; jobs paused until it is won again", holder)
        elif not ours and holder != self.holder:
            log.info("scheduler standing by: the lease is held by %s", holder)
        self.holder = holder

    async def release(self) -> None:
        """At a clean stop: give the lease up so a standby takes over at its next renewal."""
        was_held, self._trusted_until = self.held, 0.0
        if was_held or self.holder == self.owner:
            try:
                await scheduler_store.release(self.db, self.name, self.owner)
            except Exception as exc:
                log.warning("scheduler lease not released (it will lapse): %s", type(exc).__name__)
            else:
                log.info("scheduler lease released by %s", self.owner)
