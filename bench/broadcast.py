"""bench/broadcast: one broadcast to 10,000 members against Slack and Teams stand-ins that enforce rate limits.

Half the recipients are on Slack across 3 workspaces, half on Teams across 2 tenants.
The stand-ins answer 429 with Retry-After whenever a limit is exceeded: Slack 1 message a
second per channel plus a per-workspace rate, Teams 7 a second per conversation plus a
per-tenant rate (token buckets holding one second's worth). Each direct message is its
own channel or conversation, so the binding limits are the workspace and tenant rates,
and the ideal time is the busiest workspace's or tenant's messages divided by its rate.

The worker is the real one (`bot.delivery.worker.deliver_due`, with the real Slack and
Teams senders and the real database), driven back to back as the scheduler would.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--slack-rate 10] [--teams-rate 50]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/hx_bench] [--limit 200] [--overlap 10]
        [--profile broadcast.prof]

`cpu_seconds` is this process's CPU time during the broadcast (worker and stand-ins alike):
on a loaded machine the worker keeps up only while that stays well under the ideal time.
"""

import argparse
import asyncio
import json
import logging
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.delivery.limits import DeliveryLimits  # noqa: E402
from core import broadcast_delivery, broadcasts, campaign_flow  # noqa: E402
from core.bank import Bank  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from core.rules import Rules  # noqa: E402
from storage.database import Database  # noqa: E402
from tests.bot.broadcasting.population import Crowd, install_slack, make_lead, populate  # noqa: E402
from tests.bot.broadcasting.stage import CountingConnector, CountingSlack, Stage, pending_rows  # noqa: E402

SLUG = "sustainable-food"
WORKSPACES, TENANTS = ("W1", "W2", "W3"), ("tenant-a", "tenant-b")


class Bucket:
    """A token bucket: `rate` a second, holding at most one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate, self.tokens, self.at = rate, max(rate, 1.0), time.monotonic()

    def take(self) -> float | None:
        """None when allowed; otherwise the seconds until a token is free."""
        now = time.monotonic()
        self.tokens = min(max(self.rate, 1.0), self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate


class Limits:
    """Buckets per key, made on first use."""

    def __init__(self, rate: float) -> None:
        self.buckets: dict[str, Bucket] = defaultdict(lambda: Bucket(rate))

    def take(self, key: str) -> float | None:
        return self.buckets[key].take()


def too_many(wait: float, body: dict) -> web.Response:
    return web.json_response(body, status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})


class LimitedSlack(CountingSlack):
    """chat.postMessage and chat.update: 1 a second per channel, `workspace_rate` per workspace (by token)."""

    workspace_rate = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.channels, self.workspaces = Limits(1.0), Limits(self.workspace_rate)
        self.last_at = 0.0

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] in ("chat.postMessage", "chat.update"):
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            args = await self._args(request)
            wait = self.workspaces.take(token) or self.channels.take(str(args.get("channel")))
            if wait is not None:
                self.refused += 1
                return too_many(wait, {"ok": False, "error": "ratelimited"})
            self.last_at = time.monotonic()
        return await super()._api(request)


class LimitedConnector(CountingConnector):
    """Proactive sends: 7 a second per conversation, `tenant_rate` per tenant."""

    tenant_rate = 50.0

    def __init__(self) -> None:
        super().__init__()
        self.conversations, self.tenants = Limits(7.0), Limits(self.tenant_rate)
        self.refused, self.last_at = 0, 0.0

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["cid"]
        tenant = conversation.removeprefix("a:chat-aad-").rsplit("-", 1)[0]
        wait = self.tenants.take(tenant) or self.conversations.take(conversation)
        if wait is not None:
            self.refused += 1
            return too_many(wait, {"error": {"code": "Throttled", "message": "rate limited by the stand-in"}})
        self.last_at = time.monotonic()
        return await super()._send(request)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def tally(stage: Stage, crowd: Crowd) -> dict[str, int]:
    got = [stage.slack.delivered[c] for c in crowd.slack.values()] + \
          [stage.teams.delivered[c] for c in crowd.teams.values()]
    return {"lost": sum(1 for n in got if n == 0), "duplicated": sum(max(0, n - 1) for n in got)}


async def run(args: argparse.Namespace) -> dict:
    LimitedSlack.workspace_rate, LimitedConnector.tenant_rate = args.slack_rate, args.teams_rate
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.postgres_url or f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.upgrade()
        if args.postgres_url:
            await _empty(db)
        bank = Bank(db.unit_of_work, SystemClock(), Rules())
        await bank.run(campaign_flow.seed)
        try:
            async with Stage(db, LimitedSlack(), LimitedConnector()) as stage:
                return await _broadcast(args, db, bank, stage)
        finally:
            await db.dispose()


async def _broadcast(args: argparse.Namespace, db: Database, bank: Bank, stage: Stage) -> dict:
    slack_n = dict(zip(WORKSPACES, split(args.recipients // 2, len(WORKSPACES)), strict=True))
    teams_n = dict(zip(TENANTS, split(args.recipients - args.recipients // 2, len(TENANTS)), strict=True))
    stage.slack.tokens |= set((await install_slack(db, list(WORKSPACES))).values())
    lead = await make_lead(bank, SLUG, workspace="W1")
    crowd = await populate(bank, Crowd(lead, SLUG), slack_n, teams_n, stage.teams.url)
    limits = DeliveryLimits(slack_workspace_per_second=args.slack_rate, teams_tenant_per_second=args.teams_rate,
                            concurrency=args.concurrency)
    services = stage.services(bank, limits)
    draft = await bank.run(broadcasts.queue, lead.id, SLUG, "Menus", "Plant-forward menus from Monday", "offer")
    # the lead's progress card and its in-place updates share workspace W1 with 1/3 of the Slack messages
    ideal = max(max(slack_n.values()) / args.slack_rate, max(teams_n.values()) / args.teams_rate)
    started, cpu = time.monotonic(), time.process_time()
    try:
        passes = await scheduled(services, args.every, args.overlap, args.limit)
    finally:
        await services.notifier.close()
    took, cpu = time.monotonic() - started, time.process_time() - cpu
    progress = await bank.read(broadcast_delivery.progress, draft.broadcast.id)
    return {"recipients": args.recipients, "slack_workspaces": slack_n, "teams_tenants": teams_n,
            "slack_rate": args.slack_rate, "teams_rate": args.teams_rate,
            "seconds": round(took, 1), "cpu_seconds": round(cpu, 1), "ideal_seconds": round(ideal, 1), "ratio": round(took / ideal, 3),
            "slack_done_s": round(stage.slack.last_at - started, 1),
            "teams_done_s": round(stage.teams.last_at - started, 1),
            **tally(stage, crowd), "429s": {"slack": stage.slack.refused, "teams": stage.teams.refused},
            "progress_updates": sum(stage.slack.updated.values()), "passes": passes,
            "home_publishes": sum(1 for c in stage.slack.calls if c.method == "views.publish"),
            "progress": progress.__dict__, "database": "postgresql" if args.postgres_url else "sqlite"}


async def scheduled(services, every: float, overlap: int, limit: int) -> int:
    """As `hexitime worker` runs it: a delivery pass every `every` s, at most `overlap` at once;
    fan-out and progress cards on the same beat. Returns the passes started."""
    from bot.broadcasting import fan_out_queued, refresh_active
    from bot.delivery.worker import deliver_due

    running: set[asyncio.Task] = set()
    passes = 0
    while True:
        await fan_out_queued(services)
        if len(running) < overlap:
            passes += 1
            task = asyncio.create_task(deliver_due(services, "bench", limit))
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.sleep(every)
        await refresh_active(services)
        if not running and not await services.bank.read(pending_rows):
            return passes


async def _empty(db: Database) -> None:
    from sqlalchemy import text

    from storage.tables import metadata
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} "
                                "RESTART IDENTITY CASCADE"))


def profiled(path: str, work) -> dict:
    """Run `work`, under cProfile when `path` is given (the worker, senders and stand-ins share one thread)."""
    if not path:
        return asyncio.run(work)
    import cProfile

    profile = cProfile.Profile()
    try:
        return profile.runcall(asyncio.run, work)
    finally:
        profile.dump_stats(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--slack-rate", type=float, default=DeliveryLimits.slack_workspace_per_second,
                        help="messages a second per Slack workspace (stand-in and worker alike)")
    parser.add_argument("--teams-rate", type=float, default=DeliveryLimits.teams_tenant_per_second,
                        help="messages a second per Teams tenant (stand-in and worker alike)")
    parser.add_argument("--concurrency", type=int, default=DeliveryLimits.concurrency)
    parser.add_argument("--limit", type=int, default=200, help="rows claimed per deliver_due pass")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between delivery passes (scheduler)")
    parser.add_argument("--overlap", type=int, default=10, help="delivery passes running at once at most")
    parser.add_argument("--postgres-url", default="", help="run on this (emptied!) PostgreSQL database")
    parser.add_argument("--profile", default="", help="write a cProfile of the whole run to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = profiled(args.profile, run(args))
    print(json.dumps(result, indent=2))
    verdict = "met" if result["ratio"] <= 1.15 and not result["lost"] and not result["duplicated"] else "NOT met"
    print(f"completion {result['seconds']} s, ideal {result['ideal_seconds']} s, ratio {result['ratio']} "
          f"(goal <= 1.15), lost {result['lost']}, duplicated {result['duplicated']} (goal 0 and 0): goal {verdict}")


if __name__ == "__main__":
    main()
