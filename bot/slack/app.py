"""The Bolt AsyncApp: each Slack surface becomes a turn; its reply is acked, then shown.

The turn runs *before* the ack, so anything that changes the ledger is done (and
idempotent on the request key) by the time Slack hears back; only showing the
result (modals, follow-up messages, Home) happens after it.
"""

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import Conversation
from bot.slack import dedupe, delivery, home, people, replies, turns
from bot.turns import Turn
from bot.views import Card, Message, Reply

log = logging.getLogger(__name__)
COMMAND = "/hexitime"
SHORTCUTS = {"hexitime_post_need": "need", "hexitime_offer_hours": "offer"}
MESSAGE_SHORTCUTS = {"hexitime_turn_into_need": "need"}
EVENTS = ("app_home_opened", "message", "app_mention")


class Listeners:
    """One method per Slack surface, over the one conversation."""

    def __init__(self, conversation: Conversation, engine: AsyncEngine) -> None:
        self.conversation = conversation
        self.engine = engine

    async def _turn(self, turn: Turn, client: AsyncWebClient) -> Reply:
        token = delivery.deferred.set(True)
        try:
            return await self.conversation.handle(turn, lambda newcomer: people.introduce(newcomer, client))
        finally:
            delivery.deferred.reset(token)

    async def _after(self, turn: Turn, reply: Reply, client: AsyncWebClient, redraw_home: bool = False) -> None:
        """The file, if any; and Home redrawn when the change was made from it or by a form.

        Slack sends app_home_opened every time Home is shown, so a change made
        elsewhere appears the next time it is opened; redrawing after every turn
        would double the work behind each ack under load (see docs/benchmarks.md).
        """
        if reply.message.attachment is not None:
            await replies.send_file(client, turn.user_id, reply.message)
        if redraw_home and reply.form is None:
            await home.publish(client, self.conversation, turn)

    async def command(self, ack: Any, body: dict, client: AsyncWebClient, respond: Any) -> None:
        turn = turns.from_command(body)
        reply = await self._turn(turn, client)
        await ack(**replies.command_ack(reply))
        if reply.form is not None:
            await replies.open_form(client, body.get("trigger_id", ""), reply.form, turn.channel_id, False)
        await replies.more_pages(reply, respond)
        await self._after(turn, reply, client)

    async def shortcut(self, ack: Any, body: dict, client: AsyncWebClient) -> None:
        callback = body.get("callback_id", "")
        command = SHORTCUTS.get(callback) or MESSAGE_SHORTCUTS.get(callback, "help")
        turn = turns.from_shortcut(body, command)
        reply = prefill(await self._turn(turn, client), turn.text if callback in MESSAGE_SHORTCUTS else "")
        await ack()
        if reply.form is not None:
            await replies.open_form(client, body.get("trigger_id", ""), reply.form, turn.channel_id, False)
        elif reply.cards:
            await client.views_open(trigger_id=body.get("trigger_id", ""), view=replies.info_view(reply.message))
        await self._after(turn, reply, client)

    async def action(self, ack: Any, body: dict, client: AsyncWebClient, respond: Any) -> None:
        turn = turns.from_action(body)
        reply = await self._turn(turn, client)
        await ack()
        view = body.get("view") or {}
        in_modal = view.get("type") == "modal"
        trigger = body.get("trigger_id", "")
        if reply.form is not None:
            await replies.open_form(client, trigger, reply.form, turn.channel_id, in_modal)
        elif reply.cards and body.get("response_url"):
            await replies.to_response_url(reply, respond)
        elif reply.cards:
            info = replies.info_view(reply.message)
            await (client.views_push if in_modal else client.views_open)(trigger_id=trigger, view=info)
        await self._after(turn, reply, client, redraw_home=view.get("type") == "home")

    async def submission(self, ack: Any, body: dict, client: AsyncWebClient) -> None:
        turn = turns.from_submission(body)
        reply = await self._turn(turn, client)
        await ack(**replies.submission_ack(reply, body.get("view") or {}))
        if reply.form is None and reply.cards:
            await replies.post_private(client, turn.user_id, turn.channel_id, reply.message)
        await self._after(turn, reply, client, redraw_home=True)

    async def home_opened(self, body: dict, event: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            await home.publish(client, self.conversation, turns.home_turn(body))

    async def message(self, body: dict, event: dict, client: AsyncWebClient) -> None:
        """A direct message to the bot, or a mention of it: the words are a command."""
        if event.get("bot_id") or event.get("subtype"):
            return
        if event.get("type") == "message" and event.get("channel_type") != "im":
            return
        turn = turns.from_message(body)
        reply = await self._turn(turn, client)
        if reply.form is not None:
            reply = Reply(message=Message(cards=(*reply.cards, Card(
                text=f"That needs a form: type /hexitime {turn.command} {turn.text}".strip()),)))
        if turn.personal:
            await replies.post_dm(client, turn.user_id, reply.message)
        else:
            await replies.post_private(client, turn.user_id, turn.channel_id, reply.message)
        await self._after(turn, reply, client)

    async def once_per_event(self, body: dict, next: Any) -> BoltResponse | None:
        """Global middleware: an event id seen before (a retry) is acked and dropped."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await dedupe.first_time(self.engine, event_id, self.conversation.bank.clock.now()):
            return BoltResponse(status=200, body="")
        return await next()


def prefill(reply: Reply, text: str) -> Reply:
    """A message shortcut: the whole message goes into the form's first empty long-text field."""
    form = reply.form
    if form is None or not text:
        return reply
    inputs = list(form.inputs)
    for index, item in enumerate(inputs):
        if item.kind == "multiline" and not item.value:
            limit = item.max_length or 3000
            inputs[index] = replace(item, value=text[:limit])
            break
    return replace(reply, form=replace(form, inputs=tuple(inputs)))


def register(app: AsyncApp, listeners: Listeners) -> AsyncApp:
    """Wire every listener; one per surface, matching every action and form generically."""
    app.use(listeners.once_per_event)
    app.command(COMMAND)(listeners.command)
    for callback in SHORTCUTS:
        app.shortcut(callback)(listeners.shortcut)
    for callback in MESSAGE_SHORTCUTS:
        app.shortcut(callback)(listeners.shortcut)
    app.action(re.compile(".*"))(listeners.action)
    app.view(re.compile(".*"))(listeners.submission)
    app.event("app_home_opened")(listeners.home_opened)
    app.event("message")(listeners.message)
    app.event("app_mention")(listeners.message)
    app.error(_failed)
    return app


async def _failed(error: Exception, body: dict) -> None:
    """Logged, never shown: a turn's own errors are already friendly replies; this is delivery failing."""
    log.error("Slack listener failed after or outside a turn: %s", error, exc_info=error)
