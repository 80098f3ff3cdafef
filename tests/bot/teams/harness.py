"""A real aiohttp server running the Teams front end, a fake Bot Connector, and Teams-shaped activities."""

import copy
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.bootstrap import Services
from bot.config import load_settings
from bot.conversation import Conversation
from bot.notify import Dispatcher
from bot.server import build_web_app
from bot.teams.frontend import TeamsFrontEnd, install
from tests.bot.teams.fake_connector import FakeConnector

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference"
FIXTURES = REFERENCE / "fixtures" / "teams"
CARD_SCHEMA = REFERENCE / "schemas" / "adaptive-card-1.5.schema.json"
TENANT = "a0e78124-8cd4-4887-a704-1d4c829cf888"
BOT = {"id": "28:5353a86e-52fb-4979-8a69-c7efcd1b0bd3", "name": "Hexitime"}
_ids = itertools.count(1000)


def fixture(name: str) -> dict:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"reference fixture {path} is absent (clone /work/shared next to the repo)")
    return json.loads(path.read_text())


@dataclass(frozen=True)
class User:
    """A Teams user: AAD object id (our member key), Bot Framework id, and their 1:1 chat with the bot."""

    name: str

    @property
    def aad(self) -> str:
        return f"aad-{self.name.lower()}"

    @property
    def bf_id(self) -> str:
        return f"29:{self.name.lower()}"

    @property
    def chat(self) -> str:
        return f"a:chat-{self.name.lower()}"

    def account(self) -> dict:
        return {"id": self.bf_id, "name": self.name, "aadObjectId": self.aad}


class CardValidator:
    """Adaptive Card 1.5 schema check, with the Teams-only root `msteams` key removed first."""

    def __init__(self) -> None:
        if not CARD_SCHEMA.exists():
            pytest.skip(f"Adaptive Card schema {CARD_SCHEMA} is absent")
        from jsonschema import Draft6Validator
        self.validator = Draft6Validator(json.loads(CARD_SCHEMA.read_text()))

    def check(self, card: dict) -> None:
        from jsonschema.exceptions import best_match
        bare = {k: v for k, v in card.items() if k != "msteams"}
        error = best_match(self.validator.iter_errors(bare))
        assert error is None, f"invalid card at {list(error.absolute_path)}: {error.message}"
        assert len(json.dumps(card).encode()) < 28 * 1024, "card over 28 KB"


class Harness:
    """POSTs activities to /api/messages and reads what the bot did at the fake connector."""

    def __init__(self, base: str, connector: FakeConnector, front: TeamsFrontEnd, services: Services,
                 cards: CardValidator) -> None:
        self.base, self.connector, self.front, self.services, self.cards = base, connector, front, services, cards
        self.session = aiohttp.ClientSession()

    def envelope(self, user: User, **fields: Any) -> dict:
        activity = copy.deepcopy(fixture("opsdroid_teams_direct_message.json"))
        activity.update(id=f"act-{next(_ids)}", serviceUrl=self.connector.url, recipient=dict(BOT))
        activity["from"] = user.account()
        activity["conversation"] = {"conversationType": "personal", "tenantId": TENANT, "id": user.chat}
        activity["channelData"] = {"tenant": {"id": TENANT}}
        activity.update(fields)
        return activity

    async def post(self, activity: dict, headers: dict | None = None) -> tuple[int, Any]:
        self.connector.inbound.add(activity.get("id", ""))
        async with self.session.post(f"{self.base}/api/messages", json=activity, headers=headers or {}) as resp:
            text = await resp.text()
            body = json.loads(text) if text else None
        self._check_cards(body)
        return resp.status, body

    async def say(self, user: User, text: str, **fields: Any) -> tuple[int, Any]:
        return await self.post(self.envelope(user, text=text, **fields))

    async def execute(self, user: User, verb: str, data: dict, reply_to: str = "m1", **fields) -> dict:
        """An adaptiveCard/action invoke, as SOURCES.md describes it; returns the 200 body."""
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
        status, body = await self.post(self.envelope(user, type="invoke", name="adaptiveCard/action",
                                                     value=value, replyToId=reply_to, **fields))
        assert status == 200, body
        return body

    async def task(self, user: User, name: str, data: dict, reply_to: str = "m1", **fields) -> Any:
        status, body = await self.post(self.envelope(user, type="invoke", name=name, replyToId=reply_to,
                                                     value={"data": data, "context": {"theme": "default"}},
                                                     **fields))
        assert status == 200, body
        return body

    def _check_cards(self, body: Any) -> None:
        if isinstance(body, dict) and body.get("type") == "application/vnd.microsoft.card.adaptive":
            self.cards.check(body["value"])
        task = body.get("task") if isinstance(body, dict) else None
        if task and task.get("type") == "continue":
            self.cards.check(task["value"]["card"]["content"])

    def check_sent_cards(self) -> None:
        for call in self.connector.calls:
            for card in call.cards:
                self.cards.check(card)

    async def close(self) -> None:
        await self.session.close()


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def open_harness(db, bank, clock, **settings: Any):
    """The bot and the fake connector, both serving; returns the harness and a closer."""
    cards = CardValidator()
    connector = FakeConnector()
    connector_runner, connector.url = await start(connector.app())
    connector.url += "/"
    config = load_settings(database_url=db.url, **settings)
    notifier = Dispatcher(bank)
    services = Services(settings=config, db=db, bank=bank, clock=clock,
                        conversation=Conversation(bank, notifier), notifier=notifier)
    front = install(services)
    front.sender.sleep = _no_sleep(front.sender)
    bot_runner, base = await start(build_web_app(services))
    harness = Harness(base, connector, front, services, cards)

    async def close() -> None:
        await harness.close()
        await bot_runner.cleanup()
        await connector_runner.cleanup()

    return harness, close


def _no_sleep(sender):
    sender.slept = []

    async def sleep(seconds: float) -> None:
        sender.slept.append(seconds)

    return sleep


@pytest.fixture
async def teams(db, bank, clock):
    """The Teams front end on a real aiohttp server, auth off; every card it sent is schema-checked."""
    harness, close = await open_harness(db, bank, clock)
    try:
        yield harness
        harness.check_sent_cards()
    finally:
        await close()
