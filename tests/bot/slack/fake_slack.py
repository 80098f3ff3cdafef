"""A local stand-in for the Slack Web API: checks tokens, records calls, validates every view.

It answers as Slack does (`ok`, errors, 429 with Retry-After on demand) and rejects
blocks or views that slack_sdk's models or Slack's limits would refuse, recording why.
"""

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

TOKEN = "xoxb-test-token"
ELEMENTS = {"button", "overflow", "static_select", "multi_static_select", "datepicker", "checkboxes",
            "plain_text_input", "number_input"}
LIMITS = {"header": 150, "button": 75, "option": 75}


@dataclass
class Call:
    method: str
    args: dict
    token: str | None


@dataclass
class FakeSlack:
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    calls: list[Call] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    users: dict[str, dict] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    limited: dict[str, list[int]] = field(default_factory=dict)
    oauth_reply: dict = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # --- driving it -------------------------------------------------------------------
    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer 429 with this Retry-After."""
        self.limited[method] = [retry_after] * times

    def of(self, method: str) -> list[dict]:
        return [c.args for c in self.calls if c.method == method]

    def last(self, method: str) -> dict:
        found = self.of(method)
        assert found, f"no {method} call; calls were {[c.method for c in self.calls]}"
        return found[-1]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_post("/upload/{file}", self._upload)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the API ----------------------------------------------------------------------
    async def _args(self, request: web.Request) -> dict:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        for name in ("blocks", "view"):
            if isinstance(args.get(name), str):
                args[name] = json.loads(args[name])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else args.get("token")
        self.calls.append(Call(method, args, token))
        if self.limited.get(method):
            wait = self.limited[method].pop(0)
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(wait)})
        if not method.startswith("oauth.") and token not in self.tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        failure = self.failures.get(f"{method}:{args.get('channel')}") or self.failures.get(method)
        if failure:  # "chat.postMessage" fails every call; "chat.postMessage:C1" only those to C1
            return web.json_response({"ok": False, "error": failure})
        problems = self.validate(method, args)
        if problems:
            self.invalid.extend(f"{method}: {p}" for p in problems)
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": problems})
        return web.json_response({"ok": True, **self._answer(method, args)})

    def _answer(self, method: str, args: dict) -> dict:
        n = next(self._ids)
        if method == "auth.test":
            return {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "team": "Test", "url": self.url}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            return {"user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "conversations.open":
            return {"channel": {"id": "D" + str(args.get("users", "")).lstrip("UW")}}
        if method in ("chat.postMessage", "chat.update"):
            return {"channel": args.get("channel"), "ts": f"1700000000.{n:06d}"}
        if method == "chat.postEphemeral":
            return {"message_ts": f"1700000000.{n:06d}"}
        if method.startswith("views."):
            return {"view": {**args.get("view", {}), "id": f"V{n:04d}", "hash": f"h{n}"}}
        if method == "files.getUploadURLExternal":
            return {"upload_url": f"{self.url}/upload/F{n}", "file_id": f"F{n}"}
        if method == "files.completeUploadExternal":
            return {"files": [{"id": f["id"], "title": f.get("title", "")} for f in _files(args)]}
        if method == "files.info":
            return {"file": {"id": args.get("file")}}
        if method == "oauth.v2.access":
            return self.oauth_reply
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: web.Request) -> web.Response:
        args = await request.json()
        self.calls.append(Call("response_url", args, None))
        problems = self.validate("response_url", args)
        self.invalid.extend(f"response_url: {p}" for p in problems)
        return web.Response(text="ok" if not problems else "invalid_blocks", status=200 if not problems else 400)

    async def _upload(self, request: web.Request) -> web.Response:
        self.calls.append(Call("upload", {"size": len(await request.read())}, None))
        return web.Response(text="OK - uploaded")

    # --- validation -------------------------------------------------------------------
    def validate(self, method: str, args: dict) -> list[str]:
        problems: list[str] = []
        if "blocks" in args:
            problems += check_blocks(args["blocks"], 50)
        if "view" in args:
            problems += check_view(args["view"])
        return problems


def _files(args: dict) -> list[dict]:
    files = args.get("files")
    return json.loads(files) if isinstance(files, str) else (files or [])


def check_view(view: dict) -> list[str]:
    problems = []
    try:
        View(**view).validate_json()
    except Exception as bad:
        problems.append(f"view: {bad}")
    limit = 100
    problems += check_blocks(view.get("blocks", []), limit)
    for name in ("title", "submit", "close"):
        if name in view and len(view[name]["text"]) > 24:
            problems.append(f"view {name} longer than 24")
    if len(view.get("private_metadata", "")) > 3000:
        problems.append("private_metadata longer than 3000")
    if view.get("type") == "modal" and any(b["type"] == "input" for b in view.get("blocks", [])) \
            and "submit" not in view:
        problems.append("modal with inputs but no submit")
    return problems


def check_blocks(blocks: list, limit: int) -> list[str]:
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= limit:
        return [f"between 1 and {limit} blocks expected, got {len(blocks) if isinstance(blocks, list) else blocks}"]
    problems = []
    for block in blocks:
        try:
            parsed = Block.parse(block)
            if parsed is None:
                problems.append(f"unknown block {block.get('type')}")
                continue
            parsed.validate_json()
        except Exception as bad:
            problems.append(f"{block.get('type')}: {bad}")
        problems += _limits(block)
    return problems


def _limits(block: dict) -> list[str]:
    problems = []
    if block["type"] == "header" and len(block["text"]["text"]) > LIMITS["header"]:
        problems.append("header text over 150")
    if block["type"] == "section":
        if len(block.get("fields", [])) > 10:
            problems.append("more than 10 fields")
        problems += ["field over 2000" for f in block.get("fields", []) if len(f["text"]) > 2000]
    if block["type"] == "actions":
        ids = [e.get("action_id") for e in block["elements"]]
        if len(ids) != len(set(ids)):
            problems.append(f"duplicate action ids {ids}")
        if len(ids) > 25:
            problems.append("more than 25 elements")
    if block["type"] == "context" and len(block["elements"]) > 10:
        problems.append("more than 10 context elements")
    for element in _elements(block):
        try:
            BlockElement.parse(element).validate_json()
        except Exception as bad:
            problems.append(f"{element['type']}: {bad}")
        if element["type"] == "button":
            if len(element["text"]["text"]) > LIMITS["button"]:
                problems.append("button text over 75")
            if len(element.get("value", "")) > 2000:
                problems.append("button value over 2000")
        for option in element.get("options", []):
            if len(option["text"]["text"]) > LIMITS["option"] or len(option["value"]) > 150:
                problems.append("option over its limits")
        if len(element.get("options", [])) > 100:
            problems.append("more than 100 options")
        if len(element.get("action_id", "")) > 255:
            problems.append("action_id over 255")
    for text in texts(block):
        if len(text) > 3000:
            problems.append("text over 3000")
    return problems


def _elements(block: dict) -> list[dict]:
    found = list(block.get("elements", [])) if block["type"] == "actions" else []
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            found.append(block[key])
    return [e for e in found if e.get("type") in ELEMENTS]


def texts(node: Any) -> list[str]:
    """Every text string inside blocks or a view, for inertness checks."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") in ("plain_text", "mrkdwn") and "text" in node else []
        for value in node.values():
            if isinstance(value, dict | list):
                found += texts(value)
        return found
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []
