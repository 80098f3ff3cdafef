"""The AsyncIOScheduler: the jobs, their intervals, and a clean start and stop around them."""

import asyncio
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.bootstrap import Services
from bot.scheduler import jobs
from bot.scheduler.lease import LeaseKeeper
from bot.scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)

QUIET = {"deliver"}
"""Jobs that run every second and log their work at DEBUG only."""


def default_owner() -> str:
    """Unique per process, and readable in logs: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Jobs:
    """Runs each job only while this process holds the lease, and one run of each job at a time."""

    def __init__(self, owner: str, keeper: LeaseKeeper) -> None:
        self.owner, self.keeper = owner, keeper
        self.runs: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.stopping = False
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task] = set()

    def guarded(self, name: str, job: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.stopping or name in self._busy or not self.keeper.held:
                return
            task = asyncio.current_task()
            self._busy.add(name)
            self._tasks.add(task)
            try:
                done = await job()
                self.runs[name] += 1
                self.done[name] += done
                if done:
                    log.log(logging.DEBUG if name in QUIET else logging.INFO, "%s: %d done by %s", name, done, self.owner)
            except Exception:
                log.exception("scheduled job %s failed; it runs again at its next time", name)
            finally:
                self._busy.discard(name)
                self._tasks.discard(task)

        return run

    async def drain(self, grace: float) -> None:
        """Let running jobs finish for up to `grace` seconds, then cancel the rest."""
        self.stopping = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        leftovers = [task for task in self._tasks if not task.done()]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)


def job_table(services: Services, owner: str, settings: SchedulerSettings) -> list[tuple[str, float, Callable]]:
    """(name, interval in seconds, job) for every scheduled job."""
    batch = settings.batch
    return [
        ("deliver", settings.deliver_every, partial(jobs.deliver, services, owner)),
        ("broadcasts", settings.broadcast_every, partial(jobs.broadcasts, services)),
        ("expire-holds", settings.expire_every, partial(jobs.expire_holds, services, batch)),
        ("expire-needs", settings.expire_every, partial(jobs.expire_needs, services, batch)),
        ("auto-confirm", settings.confirm_every, partial(jobs.auto_confirm, services, batch)),
        ("nudge-scan", settings.nudge_every, partial(jobs.nudge_scan, services)),
        ("digests", settings.digest_every, partial(jobs.digests, services)),
    ]


def build_scheduler(services: Services, runner: Jobs, settings: SchedulerSettings) -> AsyncIOScheduler:
    """Every job first runs at start, then at its interval; the lease renews on its own timer."""
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={
        "coalesce": True, "max_instances": 10, "misfire_grace_time": None})
    now = datetime.now(UTC)
    scheduler.add_job(runner.keeper.renew, "interval", seconds=settings.renew_every, id="lease", max_instances=1)
    for name, every, job in job_table(services, runner.owner, settings):
        scheduler.add_job(runner.guarded(name, job), "interval", seconds=every, id=name, next_run_time=now)
    return scheduler


@asynccontextmanager
async def running_scheduler(
    services: Services, owner: str | None = None, settings: SchedulerSettings | None = None,
) -> AsyncIterator[Jobs]:
    """Run the jobs while inside; on exit, finish or cancel running jobs and give the lease up.

    The intervals are `settings`, else the service's (HEXITIME_SCHEDULER_*, read by `bot.config`).
    """
    settings = settings or services.settings.scheduler
    owner = owner or default_owner()
    keeper = LeaseKeeper(services.db, owner, timedelta(seconds=settings.lease_ttl))
    runner = Jobs(owner, keeper)
    _quiet_apscheduler()
    scheduler = build_scheduler(services, runner, settings)
    await keeper.renew()
    scheduler.start()
    try:
        yield runner
    finally:
        scheduler.pause()
        await runner.drain(settings.stop_grace)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        await keeper.release()


def _quiet_apscheduler() -> None:
    """APScheduler logs every run at INFO; with a job each second that drowns everything else."""
    logger = logging.getLogger("apscheduler")
    if not logger.isEnabledFor(logging.DEBUG):
        logger.setLevel(logging.WARNING)
