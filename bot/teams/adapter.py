"""botbuilder's CloudAdapter, its authentication, and our own route for POST /api/messages.

We do not use `CloudAdapter.process()`: in botbuilder-integration-aiohttp 4.17 it passes an invoke
response body that is already a dict through `serializer_helper`, which raises AttributeError, so
every `adaptiveCard/action`, `task/fetch`, `task/submit` and `expectReplies` turn answers 500.
Our route authenticates, runs `process_activity` and writes the invoke response itself.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot.config import Settings

log = logging.getLogger(__name__)
ROUTE = "/api/messages"


@dataclass(frozen=True)
class AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def auth_config(settings: Settings) -> AuthConfig:
    password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else ""
    return AuthConfig(APP_ID=settings.microsoft_app_id or "", APP_PASSWORD=password,
                      APP_TYPE=settings.microsoft_app_type or "MultiTenant",
                      APP_TENANTID=settings.microsoft_app_tenant_id or "")


def make_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter whose auth is on whenever MicrosoftAppId is set."""
    if not settings.microsoft_app_id:
        log.warning("!!! Teams endpoint %s runs WITHOUT authentication because MicrosoftAppId is empty. "
                    "Fine for the Agents Playground or Bot Framework Emulator; never in production. !!!", ROUTE)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(auth_config(settings)))
    adapter.on_turn_error = _on_turn_error
    return adapter


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    log.error("Teams turn failed (%s %s): %s", context.activity.type, context.activity.name or "",
              type(error).__name__, exc_info=error)


Logic = Callable[[TurnContext], Awaitable[None]]


def message_route(adapter: CloudAdapter, logic: Logic) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for POST /api/messages."""

    async def handle(request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            activity = Activity().deserialize(await request.json())
        except (ValueError, TypeError, AttributeError):
            return web.json_response({"error": "malformed activity"}, status=400)
        if not activity.type:
            return web.json_response({"error": "activity has no type"}, status=400)
        try:
            auth = await adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", ""))
        except Exception as refused:  # PermissionError, and jwt's errors for a malformed token
            log.warning("Teams request refused: %s", type(refused).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            invoke = await adapter.process_activity(auth, activity, logic)
        except PermissionError:
            return web.json_response({"error": "unauthorized"}, status=401)
        if invoke is None:
            return web.Response(status=201)
        return write_invoke(invoke.status, invoke.body)

    return handle


def write_invoke(status: int | None, body: Any) -> web.Response:
    """The invoke response as JSON, whether its body is a dict, a list or a botbuilder model."""
    if isinstance(body, Model):
        body = body.serialize()
    if body is None:
        return web.Response(status=int(status or 200))
    return web.Response(status=int(status or 200), text=json.dumps(body), content_type="application/json")
