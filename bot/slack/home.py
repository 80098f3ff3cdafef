"""App Home: the member's own page, drawn from the handlers' home view (or their balance)."""

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from slack_sdk.web.async_client import AsyncWebClient

from bot import views
from bot.conversation import Conversation
from bot.slack import blockkit
from bot.turns import Request, Turn
from bot.views import Button, Card, Message
from core import directory

log = logging.getLogger(__name__)
START = Card(title="Get started", buttons=(Button("Post a need", "need.new", style=views.PRIMARY),
                                           Button("How it works", "help.topic", "start")))


def _home_builder() -> Callable[[Request], Awaitable[Message]] | None:
    """`bot.handlers.home.home_message` once that module exists."""
    try:
        module = importlib.import_module("bot.handlers.home")
    except ModuleNotFoundError as missing:
        if missing.name != "bot.handlers.home":
            raise
        return None
    return getattr(module, "home_message", None)


async def home_message(conversation: Conversation, turn: Turn) -> Message:
    """What the member's Home shows; never raises."""
    build = _home_builder()
    try:
        if build is None:
            reply = await conversation.handle(replace(turn, command="balance", text="", action=None, form_id=None))
            return Message(cards=(*reply.cards, START))
        member, created = await conversation.bank.run(
            directory.resolve, turn.platform, turn.workspace_id, turn.user_id, turn.display_name, turn.timezone)
        return await build(Request(turn=turn, member=member, bank=conversation.bank, first_contact=created))
    except Exception:
        log.exception("could not build the App Home")
        return Message(cards=(Card(title="Hexitime", text="Your home page could not be drawn just now. "
                                                          "Try /hexitime help."),))


def home_view(message: Message) -> dict:
    """A Home tab: at most 100 blocks."""
    blocks = blockkit.message_blocks(message) or [{"type": "section", "text": blockkit.plain("Welcome to Hexitime.")}]
    return {"type": "home", "blocks": blockkit.fit(blocks)}


async def publish(client: AsyncWebClient, conversation: Conversation, turn: Turn) -> None:
    """Redraw the member's Home; failures are logged, never shown to anyone."""
    try:
        message = await home_message(conversation, turn)
        await client.views_publish(user_id=turn.user_id, view=home_view(message))
    except Exception as failed:
        log.warning("could not publish App Home for a member: %s", failed)
