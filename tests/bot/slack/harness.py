"""Drive the real Slack front end over HTTP with signed requests in Slack's payload shapes."""

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.signature import SignatureVerifier

from bot.bootstrap import Services
from bot.config import Settings
from bot.conversation import Conversation
from bot.notify import Dispatcher
from bot.server import build_web_app
from bot.slack import frontend
from tests.bot.slack.fake_slack import TOKEN, FakeSlack

SECRET = "test-signing-secret"


def signed_headers(body: str, secret: str = SECRET, at: float | None = None, content_type: str = "") -> dict:
    timestamp = str(int(at if at is not None else time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature,
            "Content-Type": content_type or "application/x-www-form-urlencoded"}


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b.get("type") == "actions" for e in b["elements"] if e["type"] == "button"]


def button(blocks: list[dict], action: str, ref: str | None = None) -> dict:
    for element in buttons(blocks):
        if element["action_id"].split("#")[0] == action and (ref is None or element.get("value") == ref):
            return element
    raise AssertionError(f"no {action} button in {[b['action_id'] for b in buttons(blocks)]}")


@dataclass
class User:
    id: str
    team: str = "T1"
    name: str = ""
    own_team: str = ""  # a Slack Connect user's own team


@dataclass
class Slack:
    """The service under test with a fake Slack behind it."""

    http: TestClient
    fake: FakeSlack
    services: Services
    counter: int = 0
    sent: list[dict] = field(default_factory=list)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    async def post(self, body: str, headers: dict | None = None, sign: bool = True, **sign_options: Any):
        headers = {**(signed_headers(body, **sign_options) if sign else {}), **(headers or {})}
        response = await self.http.post("/slack/events", data=body.encode(), headers=headers)
        text = await response.text()
        try:
            return response.status, json.loads(text) if text else {}
        except ValueError:
            return response.status, text

    async def command(self, user: User, text: str, channel: str = "C1") -> tuple[int, Any]:
        n = self._next()
        body = urlencode({
            "token": "verification_token", "team_id": user.own_team or user.team, "team_domain": "test", "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general", "user_id": user.id,
            "user_name": user.name or user.id.lower(), "command": "/hexitime", "text": text,
            "api_app_id": "A1", "is_enterprise_install": "false",
            "response_url": f"{self.fake.url}/respond/c{n}", "trigger_id": f"{n}.111.trigger",
        })
        return await self.post(body)

    def _user(self, user: User) -> dict:
        return {"id": user.id, "username": user.name or user.id.lower(), "name": user.name or user.id.lower(),
                "team_id": user.own_team or user.team}

    async def interact(self, payload: dict, headers: dict | None = None) -> tuple[int, Any]:
        return await self.post("payload=" + quote(json.dumps(payload)), headers=headers)

    def click_payload(self, user: User, element: dict, message_ts: str = "1700000000.000001",
                      channel: str = "C1", container: dict | None = None) -> dict:
        n = self._next()
        action = {"action_id": element["action_id"], "block_id": "b", "text": element["text"],
                  "type": "button", "action_ts": f"{1700000000 + n}.000{n}"}
        if "value" in element:
            action["value"] = element["value"]
        payload = {
            "type": "block_actions", "user": self._user(user), "api_app_id": "A1", "token": "verification_token",
            "container": container or {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                       "is_ephemeral": True},
            "trigger_id": f"{n}.222.trigger", "team": {"id": user.team, "domain": "test"},
            "enterprise": None, "is_enterprise_install": False, "actions": [action],
        }
        if (container or {}).get("type") == "view":
            payload["view"] = {"id": container["view_id"], "type": container.get("view_type", "home"),
                               "blocks": [], "private_metadata": "", "callback_id": "", "hash": "h"}
        else:
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = f"{self.fake.url}/respond/a{n}"
        return payload

    async def click(self, user: User, element: dict, **where: Any) -> tuple[int, Any]:
        return await self.interact(self.click_payload(user, element, **where))

    def submission_payload(self, user: User, view: dict, values: dict[str, Any], view_id: str = "") -> dict:
        n = self._next()
        state: dict[str, dict] = {}
        for block in view.get("blocks", []):
            if block["type"] != "input":
                continue
            element = block["element"]
            state[block["block_id"]] = {element["action_id"]: _state(element, values.get(block["block_id"]))}
        return {
            "type": "view_submission", "team": {"id": user.team, "domain": "test"}, "user": self._user(user),
            "api_app_id": "A1", "token": "verification_token", "trigger_id": f"{n}.333.trigger",
            "view": {**view, "id": view_id or f"VSUB{n}", "team_id": user.team, "state": {"values": state},
                     "hash": f"{n}.hash", "previous_view_id": None, "root_view_id": view_id or f"VSUB{n}",
                     "app_id": "A1", "external_id": "", "app_installed_team_id": "T1", "bot_id": "BBOT"},
            "response_urls": [], "is_enterprise_install": False, "enterprise": None,
        }

    async def submit(self, user: User, view: dict, values: dict[str, Any], view_id: str = "") -> tuple[int, Any]:
        return await self.interact(self.submission_payload(user, view, values, view_id))

    async def shortcut(self, user: User, callback_id: str, message: str | None = None) -> tuple[int, Any]:
        n = self._next()
        payload: dict[str, Any] = {"type": "shortcut", "token": "verification_token", "action_ts": f"{n}.1",
                                   "team": {"id": user.team, "domain": "test"}, "user": self._user(user),
                                   "callback_id": callback_id, "trigger_id": f"{n}.444.trigger",
                                   "is_enterprise_install": False, "enterprise": None}
        if message is not None:
            payload.update(type="message_action", channel={"id": "C1", "name": "general"},
                           message_ts="1583636382.000300", response_url=f"{self.fake.url}/respond/m{n}",
                           message={"type": "message", "text": message, "user": "UOTHER",
                                    "ts": "1583636382.000300", "team": user.team})
        return await self.interact(payload)

    async def event(self, event: dict, event_id: str, team: str = "T1", retry: int | None = None):
        body = json.dumps({"token": "verification_token", "team_id": team, "api_app_id": "A1", "event": event,
                           "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
                           "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": "UBOT",
                                               "is_bot": True, "is_enterprise_install": False}],
                           "is_ext_shared_channel": False})
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(body, headers={**signed_headers(body, content_type="application/json"), **headers},
                               sign=False)

    async def settle(self, quiet: float = 0.1, limit: float = 5.0) -> None:
        """Wait for the work Bolt does after the ack (modals, messages, Home) and the outbox kicks to finish."""
        started, seen = time.monotonic(), -1
        while time.monotonic() - started < limit:
            await self.services.notifier.settle()
            if len(self.fake.calls) == seen:
                return
            seen = len(self.fake.calls)
            await asyncio.sleep(quiet)

    def last_form(self) -> dict:
        """The modal most recently opened, pushed or updated."""
        for call in reversed(self.fake.calls):
            if call.method in ("views.open", "views.push", "views.update") and call.args["view"]["type"] == "modal":
                return call.args["view"]
        raise AssertionError("no modal was opened")

    def dms(self, user: User) -> list[list[dict]]:
        channel = "D" + user.id.lstrip("UW")
        return [c.args["blocks"] for c in self.fake.calls
                if c.method == "chat.postMessage" and c.args.get("channel") == channel]


def _state(element: dict, value: Any) -> dict:
    kind = element["type"]
    if kind == "static_select":
        option = next((o for o in element["options"] if o["value"] == value), None)
        return {"type": kind, "selected_option": option}
    if kind == "multi_static_select":
        return {"type": kind, "selected_options": [o for o in element["options"] if o["value"] in (value or [])]}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element["options"] if value else []}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    return {"type": kind, "value": value}


async def start(services_parts: dict, fake: FakeSlack, **settings: Any) -> Slack:
    """Our aiohttp app, with the Slack front end installed exactly as bootstrap does."""
    base = {"slack_signing_secret": SECRET, "slack_bot_token": TOKEN, "slack_api_url": fake.url + "/api/"}
    config = Settings(**{**base, **settings})
    bank = services_parts["bank"]
    notifier = Dispatcher(bank)
    services = Services(settings=config, db=services_parts["db"], bank=bank, clock=bank.clock,
                        conversation=Conversation(bank, notifier), notifier=notifier)
    frontend.install(services)
    http = TestClient(TestServer(build_web_app(services)))
    await http.start_server()
    return Slack(http=http, fake=fake, services=services)
