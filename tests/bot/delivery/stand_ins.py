"""The fake Slack Web API with what delivery tests need: send times, 5xx on demand, and a little latency."""

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from bot.bootstrap import Services
from bot.config import load_settings
from bot.conversation import Conversation
from bot.delivery.limits import DeliveryLimits
from bot.notify import Dispatcher
from bot.slack.delivery import SlackSender
from bot.slack.installations import Tokens
from core.bank import Bank
from tests.bot.slack.fake_slack import TOKEN, FakeSlack


@dataclass
class TimedSlack(FakeSlack):
    """Records (channel, monotonic time) of every chat.postMessage that succeeded, the most calls at once,
    and the client connections (address and port) the calls came on."""

    posts: list[tuple[str, float]] = field(default_factory=list)
    broken: dict[str, list[int]] = field(default_factory=dict)
    latency: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    connections: set = field(default_factory=set)

    def break_next(self, method: str, status: int = 503, times: int = 1) -> None:
        self.broken[method] = [status] * times

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.connections.add(request.transport.get_extra_info("peername") if request.transport else None)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._timed(request, method)
        finally:
            self.in_flight -= 1

    async def _timed(self, request: web.Request, method: str) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.broken.get(method):
            status = self.broken[method].pop(0)
            return web.json_response({"ok": False, "error": "internal_error"}, status=status)
        response = await super()._api(request)
        if method == "chat.postMessage" and response.status == 200 and self.calls[-1].method == method:
            self.posts.append((self.calls[-1].args.get("channel", ""), time.monotonic()))
        return response

    def per_channel(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for channel, at in self.posts:
            found.setdefault(channel, []).append(at)
        return found


def slack_services(db, bank: Bank, fake: FakeSlack, limits: DeliveryLimits | None = None,
                   home: bool = False) -> Services:
    """What `deliver_due` needs, with the real Slack sender talking to the stand-in (and drawing Home if `home`)."""
    sender = SlackSender(Tokens(fake.url + "/api/", TOKEN))
    notifier = Dispatcher(bank, {"slack": sender}, limits=limits or DeliveryLimits())
    conversation = Conversation(bank, notifier)
    sender.conversation = conversation if home else None
    return Services(settings=load_settings(database_url=db.url), db=db, bank=bank, clock=bank.clock,
                    conversation=conversation, notifier=notifier)
