"""Slack ack latency: `/hexitime balance` and a button click, 50 at once, against a bare Bolt app.

    .venv/bin/python bench/slack_ack.py [--rounds 10] [--concurrency 50] [--database-url URL]

Both apps run on loopback in this process with the same aiohttp adapter and signing
secret; a stand-in Slack Web API answers the calls made after the ack (App Home).
The bare app only acks, so the ratio is what our turn (member lookup, handler,
rendering) adds before the ack. Goal: p99 <= 1.5x bare and <= 100 ms.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from slack_bolt.async_app import AsyncApp  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bot.bootstrap import Services  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.conversation import Conversation  # noqa: E402
from bot.notify import Dispatcher  # noqa: E402
from bot.server import build_web_app  # noqa: E402
from bot.slack import adapter, frontend  # noqa: E402
from core import campaign_flow  # noqa: E402
from core.bank import Bank  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from storage.database import Database  # noqa: E402

SECRET, TOKEN = "bench-secret", "xoxb-bench"


async def stub_slack() -> tuple[web.AppRunner, str]:
    """Answers every Web API method with ok, as fast as it can."""
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1",
                                  "channel": {"id": "D1"}, "ts": "1.1", "view": {"id": "V1"}})
    app = web.Application()
    app.router.add_route("*", "/api/{method}", ok)
    return await serve(app)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def bare_app(api: str) -> web.Application:
    bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api + "/api/"))

    async def just_ack(ack) -> None:
        await ack()
    bolt.command("/hexitime")(just_ack)
    bolt.action({"action_id": "history.page"})(just_ack)
    app = web.Application()
    app.router.add_routes(adapter.routes(bolt))
    return app


async def our_app(api: str, database_url: str) -> tuple[web.Application, Database]:
    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN, slack_api_url=api + "/api/",
                        database_url=database_url)
    db = Database(settings.database_url)
    await db.upgrade()
    bank = Bank(db.unit_of_work, SystemClock(), settings.rules())
    await bank.run(campaign_flow.seed)
    notifier = Dispatcher(bank)
    services = Services(settings=settings, db=db, bank=bank, clock=bank.clock,
                        conversation=Conversation(bank, notifier), notifier=notifier)
    frontend.install(services)
    return build_web_app(services), db


HOOK = ""


def command(user: str, n: int) -> str:
    return urlencode({"team_id": "T1", "user_id": user, "user_name": user, "command": "/hexitime",
                      "text": "balance", "channel_id": "C1", "trigger_id": f"{n}.1.t",
                      "response_url": HOOK})


def click(user: str, n: int) -> str:
    payload = {"type": "block_actions", "user": {"id": user, "name": user, "team_id": "T1"},
               "team": {"id": "T1"}, "api_app_id": "A1", "trigger_id": f"{n}.2.t",
               "container": {"type": "message", "message_ts": f"{n}.5", "channel_id": "C1"},
               "channel": {"id": "C1"}, "response_url": HOOK,
               "actions": [{"action_id": "history.page", "value": "0", "type": "button", "block_id": "b",
                            "text": {"type": "plain_text", "text": "History"}, "action_ts": f"{n}.6"}]}
    return "payload=" + quote(json.dumps(payload))


async def one(session: aiohttp.ClientSession, url: str, body: str) -> float:
    stamp = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": stamp, "Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)}
    started = time.perf_counter()
    async with session.post(url + "/slack/events", data=body.encode(), headers=headers) as response:
        await response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000


async def measure(url: str, build, users: list[str], rounds: int) -> list[float]:
    found: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for r in range(rounds):
            found += await asyncio.gather(*(one(session, url, build(u, r * 1000 + i)) for i, u in enumerate(users)))
            await asyncio.sleep(0.05)
    return found


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def main(rounds: int, concurrency: int, database_url: str | None) -> None:
    global HOOK
    stub, api = await stub_slack()
    HOOK = api + "/api/response_url"
    folder = tempfile.TemporaryDirectory()
    ours, db = await our_app(api, database_url or f"sqlite+aiosqlite:///{folder.name}/bench.db")
    ours_runner, ours_url = await serve(ours)
    bare_runner, bare_url = await serve(bare_app(api))
    users = [f"UB{i:04d}" for i in range(concurrency)]
    await measure(ours_url, command, users, 1)  # first contact: members exist before timing
    await measure(bare_url, command, users, 1)
    print(f"{concurrency} concurrent signed requests x {rounds} rounds, loopback, database {db.url.split(':')[0]}")
    print(f"{'request':<22}{'app':<8}{'p50 ms':>8}{'p99 ms':>8}")
    for name, build in (("/hexitime balance", command), ("button click", click)):
        bare = await measure(bare_url, build, users, rounds)
        mine = await measure(ours_url, build, users, rounds)
        print(f"{name:<22}{'bare':<8}{p(bare, 50):8.1f}{p(bare, 99):8.1f}")
        print(f"{name:<22}{'ours':<8}{p(mine, 50):8.1f}{p(mine, 99):8.1f}"
              f"   p99 ratio {p(mine, 99) / p(bare, 99):.2f}x")
    await asyncio.sleep(0.5)  # let post-ack work (App Home) finish before closing
    for runner in (ours_runner, bare_runner, stub):
        await runner.cleanup()
    await db.dispose()
    folder.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.concurrency, args.database_url))
