"""Real `hexitime` processes on one database: one scheduler at a time, takeover after a SIGKILL, clean stops."""

import asyncio
import re
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest

from core import marketplace
from core.bank import Bank
from core.clock import ManualClock, SystemClock
from core.rules import Rules
from storage import scheduler_store
from storage.database import Database
from tests.bot import test_server
from tests.bot.scheduler.world import messages
from tests.bot.test_server import Process, healthz, processes  # noqa: F401
from tests.support import BACKENDS, join, open_database

TTL, RENEW = 3.0, 0.5
FAST_ENV = {"HEXITIME_SCHEDULER_LEASE_TTL": str(TTL), "HEXITIME_SCHEDULER_RENEW_EVERY": str(RENEW),
            "HEXITIME_SCHEDULER_EXPIRE_EVERY": "0.3", "HEXITIME_SCHEDULER_STOP_GRACE": "2"}


@pytest.fixture
def fast_lease(monkeypatch) -> dict[str, str]:
    """Processes started from here renew every half second and lose a lease in three.

    A process's environment leaves out every Hexitime variable of ours (these are settings
    too), so the fast ones are added back to it; a test may change them before it starts one.
    """
    everyone_else, ours = test_server.clean_env, dict(FAST_ENV)
    monkeypatch.setattr(test_server, "clean_env", lambda url: {**everyone_else(url), **ours})
    return ours


@pytest.fixture(params=BACKENDS)
async def database(request, tmp_path, fast_lease) -> Database:
    """A migrated, empty database that the worker processes share."""
    db = await open_database(request.param, tmp_path)
    yield db
    await db.dispose()


async def expired_need(db: Database, name: str) -> int:
    """A need posted long enough ago that it is past its expiry now."""
    rules = Rules()
    bank = Bank(db.unit_of_work, ManualClock(SystemClock().now() - rules.need_ttl - timedelta(hours=1)), rules)
    member = await join(bank, name)
    return (await bank.run(marketplace.post_need, member.id, f"{name}'s old need")).id


def worker(tmp_path: Path, name: str, url: str, started: list) -> Process:
    (tmp_path / name).mkdir()
    process = Process(["worker"], tmp_path / name, url)
    started.append(process)
    return process


def owner_in(log: str) -> str:
    return re.search(r"worker started: scheduler (\S+)", log).group(1)


@pytest.mark.slow
async def test_two_workers_run_jobs_one_at_a_time_and_the_standby_takes_over_a_killed_holder(
    database: Database, tmp_path: Path, processes: list[Process],  # noqa: F811
) -> None:
    first_need = await expired_need(database, "ann")
    first = worker(tmp_path, "first", database.url, processes)
    first.wait_for(lambda: "scheduler lease won" in first.log, "first worker to win the lease")
    second = worker(tmp_path, "second", database.url, processes)
    second.wait_for(lambda: "standing by" in second.log, "second worker to stand by")
    holder = owner_in(first.log)

    deadline = time.monotonic() + 2 * TTL
    while time.monotonic() < deadline:
        assert (await scheduler_store.holder(database, "scheduler")).owner == holder
        await asyncio.sleep(0.1)
    assert "lease won" not in second.log and "done by" not in second.log
    assert f"expire-needs: 1 done by {holder}" in first.log
    assert len(await messages(database, f"need:{first_need}:")) == 1

    first.popen.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    second.wait_for(lambda: "scheduler lease won" in second.log, "the standby to take over")
    took = time.monotonic() - killed
    assert TTL / 2 <= took <= TTL + RENEW + 1.5, f"took over after {took:.1f} s"
    print(f"takeover after SIGKILL: {took:.2f} s (TTL {TTL} s, renewal every {RENEW} s)")

    second_need = await expired_need(database, "bob")
    successor = owner_in(second.log)
    second.wait_for(lambda: f"expire-needs: 1 done by {successor}" in second.log, "the new holder to work")
    assert len(await messages(database, f"need:{second_need}:")) == 1
    assert len(await messages(database, f"need:{first_need}:")) == 1

    assert second.stop() == 0, second.log
    assert "Traceback" not in second.log
    assert await scheduler_store.holder(database, "scheduler") is None


def test_serve_without_the_scheduler_starts_and_stops_cleanly(
    tmp_path: Path, free_port: int, sqlite_url: str, processes: list[Process],  # noqa: F811
) -> None:
    server = Process(["serve", "--host", "127.0.0.1", "--port", str(free_port), "--no-scheduler"],
                     tmp_path, sqlite_url)
    processes.append(server)
    server.wait_for(lambda: healthz(free_port) == 200, "healthy /healthz")
    assert server.stop(signal.SIGINT) == 0, server.log
    assert "scheduler off" in server.log
    assert "scheduler lease" not in server.log and "Traceback" not in server.log


@pytest.mark.slow
def test_serve_and_worker_share_the_scheduler_and_stop_cleanly(
    tmp_path: Path, free_port: int, sqlite_url: str, processes: list[Process], fast_lease: dict,  # noqa: F811
) -> None:
    fast_lease["HEXITIME_SCHEDULER_LEASE_TTL"] = "30"  # so only a release explains a quick takeover
    server = Process(["serve", "--host", "127.0.0.1", "--port", str(free_port)], tmp_path, sqlite_url)
    processes.append(server)
    server.wait_for(lambda: "scheduler lease won" in server.log, "the service's scheduler to start")
    assert "scheduler in-process" in server.log
    background = worker(tmp_path, "background", sqlite_url, processes)
    background.wait_for(lambda: "standing by" in background.log, "the worker to stand by")

    assert server.stop() == 0, server.log
    assert "scheduler lease released" in server.log
    stopped = time.monotonic()
    background.wait_for(lambda: "scheduler lease won" in background.log, "the worker to take over")
    assert time.monotonic() - stopped < 10, "a released lease is taken at the next renewal, not after the TTL"
    assert background.stop(signal.SIGINT) == 0, background.log
    for log in (server.log, background.log):
        assert "Traceback" not in log
