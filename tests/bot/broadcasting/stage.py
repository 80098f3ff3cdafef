"""The Slack and Teams stand-ins serving on 127.0.0.1, counting what each recipient actually received."""

import json
from collections import Counter
from typing import Any

from aiohttp import web

from bot.bootstrap import Services
from bot.config import load_settings
from bot.conversation import Conversation
from bot.notify import Dispatcher
from core.bank import Bank
from storage.database import Database
from tests.bot.broadcasting.population import CLIENT_ID
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.teams.fake_connector import FakeConnector

SIGNING_SECRET = "test-signing-secret"


class CountingSlack(FakeSlack):
    """The Slack stand-in, counting only the messages it accepted (a 429 delivers nothing)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.delivered: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.refused = 0

    async def _api(self, request: web.Request) -> web.Response:
        response = await super()._api(request)
        method = request.match_info["method"]
        if method in ("chat.postMessage", "chat.update"):
            body = json.loads(response.body)
            if body.get("ok"):
                (self.delivered if method == "chat.postMessage" else self.updated)[body["channel"]] += 1
            elif response.status == 429:
                self.refused += 1
        return response


class CountingConnector(FakeConnector):
    """The Bot Connector stand-in; `delivered` counts accepted proactive sends per conversation."""

    @property
    def delivered(self) -> Counter[str]:
        return Counter(c.conversation_id for c in self.calls if c.kind == "send")

    @property
    def updated(self) -> Counter[str]:
        return Counter(c.conversation_id for c in self.calls if c.kind == "update")


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


class Stage:
    """Both stand-ins running; `env` is what a worker process needs to reach them and the database."""

    def __init__(self, db: Database, slack: CountingSlack | None = None,
                 teams: CountingConnector | None = None) -> None:
        self.db = db
        self.slack = slack or CountingSlack()
        self.teams = teams or CountingConnector()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> "Stage":
        await self.slack.start()
        self._runner, self.teams.url = await serve(self.teams.app())
        self.teams.url += "/"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.slack.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.db.url, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "test-client-secret",
                "SLACK_API_URL": self.slack.url + "/api/"}

    def services(self, bank: Bank, limits: Any = None) -> Services:
        """This process's services with both front ends installed, as bootstrap would."""
        from bot.bootstrap import install_front_ends

        settings = load_settings(**{"database_url": self.db.url, "slack_signing_secret": SIGNING_SECRET,
                                    "slack_client_id": CLIENT_ID, "slack_client_secret": "test-client-secret",
                                    "slack_api_url": self.slack.url + "/api/"})
        notifier = Dispatcher(bank, limits=limits)
        services = Services(settings=settings, db=self.db, bank=bank, clock=bank.clock,
                            conversation=Conversation(bank, notifier), notifier=notifier)
        install_front_ends(services)
        return services


async def pending_rows(ctx) -> int:
    from sqlalchemy import func, select

    from core.outbox import Delivery, OutboxItem
    query = select(func.count()).select_from(OutboxItem).where(OutboxItem.state == Delivery.PENDING)
    return (await ctx.uow.session.execute(query)).scalar_one()


async def drain(services: Services, owner: str, idle, limit: int = 200) -> int:
    """What the scheduler's jobs do, back to back, until no outbox row is pending; returns passes made."""
    from bot.broadcasting import fan_out_queued, refresh_active
    from bot.delivery.worker import deliver_due

    passes = 0
    while True:
        passes += 1
        await fan_out_queued(services)
        done = await deliver_due(services, owner, limit)
        await refresh_active(services)
        if not done:
            if not await services.bank.read(pending_rows):
                return passes
            await idle()
