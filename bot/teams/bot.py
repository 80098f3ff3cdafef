"""The Teams bot: activities in, neutral turns to the conversation layer, replies out."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler

from bot.conversation import Conversation
from bot.teams import payloads
from bot.teams.forms import task_continue, task_message
from bot.teams.present import Presenter
from bot.teams.references import References
from bot.teams.turns import data_turn, invoke_data, is_personal, mentioned, message_turn
from bot.turns import Turn
from bot.views import Button, Card, say

log = logging.getLogger(__name__)
NOT_OURS = "That card is out of date. Type `help` to start again."
CHANNEL_WELCOME = Card(
    title="Hexitime is here",
    text=("A time bank for the NHS net-zero campaigns: one hour of help given earns one hour of credit. "
          "Mention me with a command, like “@Hexitime needs”, or chat with me personally to get started."),
    buttons=(Button("How it works", "help.topic", "start"),),
)


class HexitimeBot(TeamsActivityHandler):
    """Personal chat, channel @mentions, card actions, task modules and install events."""

    def __init__(self, conversation: Conversation, references: References, presenter: Presenter) -> None:
        self.conversation, self.references, self.presenter = conversation, references, presenter
        self._invokes: dict[str, Callable[[TurnContext], Awaitable[Any]]] = {
            "adaptiveCard/action": self._card_action,
            "task/fetch": self._task_fetch,
            "task/submit": self._task_submit,
            "fileConsent/invoke": self._file_consent,
        }

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self.references.remember(activity)
        turn = data_turn(activity, activity.value) if activity.value else None
        if turn is not None:  # an Action.Submit (or Action.Execute fallback) press
            reply = await self.conversation.handle(turn)
            await self.presenter.reply(turn_context, reply, replace_id=activity.reply_to_id,
                                       submitted=turn.form_id is not None)
            return
        if not (activity.text or "").strip() and activity.value:
            return
        await self.presenter.reply(turn_context, await self.conversation.handle(await self._typed(turn_context)))

    async def _typed(self, turn_context: TurnContext) -> Turn:
        activity = turn_context.activity
        bot = activity.recipient
        bot_id, bot_name = (bot.id, bot.name) if bot else ("", None)
        keys = await self.references.mention_keys(activity, mentioned(activity, bot_id))
        return message_turn(activity, bot_id, bot_name, keys)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        handler = self._invokes.get(turn_context.activity.name or "")
        if handler is None:
            return await super().on_invoke_activity(turn_context)
        await self.references.remember(turn_context.activity)
        return InvokeResponse(status=int(HTTPStatus.OK), body=await handler(turn_context))

    async def _card_action(self, turn_context: TurnContext) -> dict[str, Any]:
        data, verb = invoke_data(turn_context.activity)
        turn = data_turn(turn_context.activity, data, verb)
        if turn is None:
            return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": NOT_OURS}
        reply = await self.conversation.handle(turn)
        return await self.presenter.card_action(turn_context, reply, submitted=turn.form_id is not None)

    async def _task_fetch(self, turn_context: TurnContext) -> dict[str, Any]:
        data, _ = invoke_data(turn_context.activity)
        form = payloads.unpack_form(data.get("form")) if data.get(payloads.KEY) == payloads.OPEN else None
        return task_continue(form) if form is not None else task_message(NOT_OURS)

    async def _task_submit(self, turn_context: TurnContext) -> dict[str, Any] | None:
        data, _ = invoke_data(turn_context.activity)
        turn = data_turn(turn_context.activity, data)
        if turn is None or turn.form_id is None:
            return task_message(NOT_OURS)
        return await self.presenter.task_submitted(turn_context, await self.conversation.handle(turn))

    async def _file_consent(self, turn_context: TurnContext) -> None:
        await self.presenter.files.answer(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Bot added: welcome and remember the conversation; people added: remember them."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = activity.members_added or []
        people = [m for m in added if m.id != bot_id]
        await self.references.remember_members(activity, people)
        if any(m.id == bot_id for m in added):
            await self._welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self.references.remember(turn_context.activity)

    async def _welcome(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await self.references.remember(activity)
        if is_personal(activity) and activity.from_property and activity.from_property.id:
            turn = replace(message_turn(activity, "", None), command="help", text="start", request_key=None)
            await self.presenter.reply(turn_context, await self.conversation.handle(turn))
            return
        await self.presenter.reply(turn_context, say(CHANNEL_WELCOME, private=False))
