"""aiohttp ↔ Bolt: the request in, Bolt's response out (signatures are checked by Bolt)."""

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH = "/slack/events", "/slack/install", "/slack/oauth_redirect"


def routes(bolt: AsyncApp) -> list[web.RouteDef]:
    """POST /slack/events always; the OAuth pages when installing into many workspaces."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    found = [web.post(EVENTS_PATH, events)]
    flow = bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        found += [web.get(INSTALL_PATH, install), web.get(REDIRECT_PATH, redirect)]
    return found
