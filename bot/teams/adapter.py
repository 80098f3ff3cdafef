"""botbuilder's CloudAdapter, its authentication, and our own route for POST /api/messages.

We do not use `CloudAdapter.process()`: in botbuilder-integration-aiohttp 4.17 it passes an invoke
response body that is already a dict through `serializer_helper`, which raises AttributeError, so
every `adaptiveCard/action`, `task/fetch`, `task/submit` and `expectReplies` turn answers 500.
Our route authenticates, runs `process_activity` and writes the invoke response itself.
"""

import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import ClaimsIdentity, ConnectorFactory
from msrest.serialization import Model

from bot.config import Settings

log = logging.getLogger(__name__)
ROUTE = "/api/messages"
CLIENTS = 64


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


class _CachedConnectors(ConnectorFactory):
    """Reuses connector clients: msrest spends ~8 ms of CPU building each one (its retry policy)."""

    def __init__(self, inner: ConnectorFactory, cache: "OrderedDict[tuple, Any]") -> None:
        self.inner, self.cache = inner, cache

    async def create(self, service_url: str, audience: str = None) -> Any:
        key = (getattr(self.inner, "_app_id", None), service_url, audience)
        client = self.cache.get(key)
        if client is None:
            client = self.cache[key] = await self.inner.create(service_url, audience)
            while len(self.cache) > CLIENTS:
                self.cache.popitem(last=False)
        return client


class CachingAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's configuration authentication, with connector and token clients reused per app."""

    def __init__(self, configuration: Any) -> None:
        super().__init__(configuration)
        self._connectors: OrderedDict[tuple, Any] = OrderedDict()
        self._token_clients: OrderedDict[tuple, Any] = OrderedDict()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _CachedConnectors(result.connector_factory, self._connectors)
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachedConnectors(super().create_connector_factory(claims_identity), self._connectors)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        claims = claims_identity.claims or {}
        key = tuple(str(claims.get(name)) for name in ("aud", "appid", "azp", "ver"))
        if key not in self._token_clients:
            self._token_clients[key] = await super().create_user_token_client(claims_identity)
            while len(self._token_clients) > CLIENTS:
                self._token_clients.popitem(last=False)
        return self._token_clients[key]


def announce(settings: Settings) -> None:
    """Where Teams is served and whether requests are checked: loudly when they are not."""
    log.info("Teams endpoint at POST %s (auth %s)", ROUTE, "on" if settings.microsoft_app_id else "OFF")
    if not settings.microsoft_app_id:
        log.warning("!!! Teams endpoint %s runs WITHOUT authentication because MicrosoftAppId is empty. "
                    "Fine for the Agents Playground or Bot Framework Emulator; never in production. !!!", ROUTE)


def make_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter whose auth is on whenever MicrosoftAppId is set."""
    adapter = CloudAdapter(CachingAuthentication(auth_config(settings)))
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
