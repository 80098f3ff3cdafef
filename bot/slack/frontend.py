"""Slack's entry point for bootstrap: mount the Bolt app and register the Slack sender, or say it's off."""

import logging

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import Services
from bot.config import Settings
from bot.slack import adapter, app, installations
from bot.slack.delivery import SlackSender

log = logging.getLogger(__name__)
OFF = ("Slack is off: set SLACK_SIGNING_SECRET plus SLACK_BOT_TOKEN (one workspace) or "
       "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (many workspaces) to turn it on")


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None


def build(services: Services) -> AsyncApp:
    """The Bolt app for these settings: one workspace by bot token, or many by OAuth."""
    settings = services.settings
    token = _secret(settings.slack_bot_token)
    options = {}
    if token is None:
        options["oauth_settings"] = installations.oauth_settings(
            settings.slack_client_id, _secret(settings.slack_client_secret), services.db.engine)
    bolt = AsyncApp(
        signing_secret=_secret(settings.slack_signing_secret),
        client=AsyncWebClient(token=token, base_url=settings.slack_api_url),
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        **options,
    )
    return app.register(bolt, app.Listeners(services.conversation, services.db.engine))


def tokens(settings: Settings, services: Services) -> installations.Tokens:
    return installations.Tokens(settings.slack_api_url, _secret(settings.slack_bot_token), settings.slack_client_id,
                                _secret(settings.slack_client_secret), services.db.engine)


def install(services: Services) -> None:
    """Called by bootstrap: adds POST /slack/events (and the OAuth pages) and the Slack sender."""
    settings = services.settings
    if not settings.slack_enabled:
        log.info(OFF)
        return
    bolt = build(services)

    def mount(web_app: web.Application) -> None:
        web_app.router.add_routes(adapter.routes(bolt))
        if settings.slack_app_token is not None:
            _socket_mode(web_app, bolt, _secret(settings.slack_app_token))

    services.mounts.append(mount)
    services.notifier.senders["slack"] = SlackSender(tokens(settings, services), services.conversation)
    mode = "one workspace" if settings.slack_bot_token else "OAuth, many workspaces"
    log.info("Slack is on (%s) at POST %s", mode, adapter.EVENTS_PATH)


def _socket_mode(web_app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    """Local development without a public URL: Slack connects to us over a WebSocket."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)

    async def start(_: web.Application) -> None:
        await handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def stop(_: web.Application) -> None:
        await handler.close_async()

    web_app.on_startup.append(start)
    web_app.on_cleanup.append(stop)
