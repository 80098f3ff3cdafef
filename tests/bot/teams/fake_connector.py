"""A stand-in for the Bot Connector on 127.0.0.1: records replies, updates, proactive sends and new chats."""

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    """One call the bot made: its kind, conversation and body.

    Kinds: `reply` (to an activity the user sent), `send` (anything else: proactive), `update`, `create`.
    """

    kind: str
    conversation_id: str
    body: dict[str, Any]
    activity_id: str = ""

    @property
    def cards(self) -> list[dict]:
        return [a["content"] for a in self.attachments("application/vnd.microsoft.card.adaptive")]

    def attachments(self, content_type: str) -> list[dict]:
        """The activity's attachments of one content type (file consent and file info cards too)."""
        return [a for a in self.body.get("attachments") or () if a.get("contentType") == content_type]

    def blocks(self) -> list[dict]:
        return [item for card in self.cards for container in card["body"]
                for item in container.get("items", [container])]

    @property
    def titles(self) -> list[str]:
        """The bold headings of every card, unescaped enough to compare with the neutral titles."""
        return [b["text"].replace("\\", "") for b in self.blocks()
                if b.get("type") == "TextBlock" and b.get("weight") == "Bolder"]

    @property
    def texts(self) -> str:
        """Every TextBlock and message text, unescaped, in one string."""
        found = [b["text"] for b in self.blocks() if b.get("type") == "TextBlock"]
        return "\n".join(found + [self.body.get("text") or ""]).replace("\\", "")

    def buttons(self) -> list[tuple[str, dict]]:
        """(verb, data) of every Action.Execute, including those behind a confirm."""
        found = []

        def walk(node):
            if isinstance(node, dict):
                if node.get("type") == "Action.Execute":
                    found.append((node["verb"], node["data"]))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.cards)
        return found


@dataclass
class Failure:
    status: int
    code: str = ""
    retry_after: str | None = None


@dataclass
class FakeConnector:
    """Routes of the Bot Connector REST API (v3) that the bot calls."""

    calls: list[Sent] = field(default_factory=list)
    failures: deque = field(default_factory=deque)
    attempts: int = 0
    inbound: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    def fail_next(self, status: int, times: int = 1, code: str = "", retry_after: str | None = None) -> None:
        """The next `times` sends answer `status` (429 on demand, 502, 403 BotNotInConversationRoster…)."""
        self.failures.extend(Failure(status, code, retry_after) for _ in range(times))

    def to(self, conversation_id: str, kind: str | None = None) -> list[Sent]:
        return [c for c in self.calls if c.conversation_id == conversation_id and (kind is None or c.kind == kind)]

    def of(self, kind: str) -> list[Sent]:
        return [c for c in self.calls if c.kind == kind]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        return app

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        conversation_id = f"a:new-{next(self._ids)}"
        self.calls.append(Sent("create", conversation_id, body))
        return web.json_response({"id": conversation_id, "activityId": f"created-{next(self._ids)}"})

    async def _send(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.failures:
            failure = self.failures.popleft()
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            error = {"error": {"code": failure.code or "Throttled", "message": "from the fake connector"}}
            return web.json_response(error, status=failure.status, headers=headers)
        body = await request.json()
        kind = "reply" if request.match_info.get("aid") in self.inbound else "send"
        activity_id = f"m{next(self._ids)}"
        self.calls.append(Sent(kind, request.match_info["cid"], body, activity_id))
        return web.json_response({"id": activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Sent("update", request.match_info["cid"], body, request.match_info["aid"]))
        return web.json_response({"id": request.match_info["aid"]})
