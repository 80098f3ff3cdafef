"""Benchmark: Teams turn latency through Hexitime against a bare CloudAdapter echo bot, same run.

Both bots serve on loopback with a local stand-in Bot Connector (replies really go over HTTP).
For each scenario, ROUNDS waves of 50 concurrent requests are sent; we report p50/p99 per request:
- a `balance` message (Hexitime: member lookup, ledger read, Adaptive Card reply through the
  connector) vs an echo bot replying with the text;
- a card action, an `adaptiveCard/action` invoke (Hexitime: `needs.page`, a read and a card in
  the invoke body) vs the bare bot answering the invoke with an empty 200.

    .venv/bin/python -m bench.teams_turns                 # SQLite in a temp folder
    .venv/bin/python -m bench.teams_turns --rounds 20 --database-url postgresql://…
"""

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from http import HTTPStatus

import aiohttp
from aiohttp import web
from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.bootstrap import bootstrap, close
from bot.config import load_settings
from bot.server import build_web_app
from bot.teams.adapter import auth_config
from tests.bot.teams.fake_connector import FakeConnector

CONCURRENCY = 50
TENANT = "bench-tenant"


class EchoBot(ActivityHandler):
    """The baseline: says back what it heard, answers invokes with an empty 200."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(turn_context.activity.text)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        return InvokeResponse(status=int(HTTPStatus.OK))


def activity(n: int, service_url: str, **fields) -> dict:
    user = f"user-{n % CONCURRENCY}"
    return {"type": "message", "id": f"b{n}-{time.perf_counter_ns()}", "channelId": "msteams",
            "serviceUrl": service_url, "from": {"id": f"29:{user}", "name": user, "aadObjectId": user},
            "recipient": {"id": "28:bot", "name": "Hexitime"}, "text": "balance",
            "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": f"a:{user}"},
            "channelData": {"tenant": {"id": TENANT}}, "localTimezone": "Europe/London", **fields}


CARD_ACTION = {"type": "invoke", "name": "adaptiveCard/action", "replyToId": "m1",
               "value": {"action": {"type": "Action.Execute", "verb": "needs.page",
                                    "data": {"hx": "act", "a": "needs.page", "r": "0|"}}, "trigger": "manual"}}


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def measure(session: aiohttp.ClientSession, url: str, make, rounds: int) -> list[float]:
    """Latency of every request, fired in waves of 50 at once."""
    timings: list[float] = []

    async def one(n: int) -> None:
        started = time.perf_counter()
        async with session.post(url, json=make(n)) as response:
            await response.read()
            assert response.status in (200, 201), (response.status, await response.text())
        timings.append(time.perf_counter() - started)

    for wave in range(rounds):
        await asyncio.gather(*(one(wave * CONCURRENCY + i) for i in range(CONCURRENCY)))
    return timings


def summary(name: str, ours: list[float], bare: list[float]) -> str:
    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000

    return (f"{name:<12} hexitime p50 {pct(ours, 50):7.1f} ms  p99 {pct(ours, 99):7.1f} ms | "
            f"bare p50 {pct(bare, 50):7.1f} ms  p99 {pct(bare, 99):7.1f} ms | "
            f"p99 ratio {pct(ours, 99) / pct(bare, 99):.2f}x")


async def main(rounds: int, database_url: str | None) -> None:
    logging.disable(logging.WARNING)
    folder = tempfile.mkdtemp(prefix="hexitime-bench-")
    settings = load_settings(database_url=database_url or f"sqlite:///{folder}/bench.db")
    services = await bootstrap(settings)
    connector = FakeConnector()
    runners = []
    try:
        connector_runner, connector.url = await serve(connector.app())
        connector.url += "/"
        bare = CloudAdapter(ConfigurationBotFrameworkAuthentication(auth_config(settings)))
        bare_app = web.Application()
        echo = EchoBot()

        async def bare_route(request: web.Request) -> web.Response:
            return await bare.process(request, echo)

        bare_app.router.add_post("/api/messages", bare_route)
        runners = [connector_runner]
        for app in (build_web_app(services), bare_app):
            runner, base = await serve(app)
            runners.append(runner)
        ours_url, bare_url = (f"{r.addresses and f'http://127.0.0.1:{r.addresses[0][1]}'}/api/messages"
                              for r in runners[1:])
        connector_limit = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector_limit) as session:
            message = lambda n: activity(n, connector.url)  # noqa: E731
            action = lambda n: activity(n, connector.url, **CARD_ACTION)  # noqa: E731
            for url in (ours_url, bare_url):  # first contact, connections and caches: not measured
                await measure(session, url, message, 1)
                await measure(session, url, action, 1)
            ours_msg = await measure(session, ours_url, message, rounds)
            bare_msg = await measure(session, bare_url, message, rounds)
            ours_act = await measure(session, ours_url, action, rounds)
            bare_act = await measure(session, bare_url, action, rounds)
        print(f"Teams turn latency, {rounds} waves of {CONCURRENCY} concurrent requests over loopback "
              f"({settings.database_url_redacted.split(':')[0]})")
        print(summary("balance", ours_msg, bare_msg))
        print(summary("card action", ours_act, bare_act))
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        await close(services)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="waves of 50 concurrent requests (%(default)s)")
    parser.add_argument("--database-url", help="defaults to a SQLite file in a temp folder")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.database_url))
