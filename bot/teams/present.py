"""Neutral replies → what Teams shows: new messages, in-place updates, invoke bodies, private answers."""

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.teams.cards import CONTENT_TYPE, render_one
from bot.teams.delivery import TeamsSender, activities_for
from bot.teams.files import TeamsFiles
from bot.teams.forms import form_card, in_task_module, launcher_card, task_continue
from bot.teams.turns import is_personal, tenant_of, user_key
from bot.views import Attachment as File
from bot.views import Card, Message, Reply

log = logging.getLogger(__name__)
CARD_BODY = "application/vnd.microsoft.card.adaptive"
MESSAGE_BODY = "application/vnd.microsoft.activity.message"
SENT_PRIVATELY = "I've sent you the answer in our personal chat."
NOT_PRIVATELY = "I couldn't message you personally. Open a chat with me, say hello, and try again."
FILE_SENT_PRIVATELY = "Teams only takes files in personal chat, so I've sent your file there."
FILE_FROM_CHANNEL = "Here is {name}, as you asked in another conversation. Teams only takes files here."


def card_activity(card: dict, summary: str = "") -> Activity:
    activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))
    activity.summary = summary[:150] or None
    return activity


class Presenter:
    """Writes replies into the conversation the turn came from."""

    def __init__(self, sender: TeamsSender, files: TeamsFiles) -> None:
        self.sender, self.files = sender, files

    async def reply(self, context: TurnContext, reply: Reply, replace_id: str | None = None,
                    submitted: bool = False) -> None:
        """The answer to a typed message or an Action.Submit press (`submitted`: from an inline form)."""
        personal = is_personal(context.activity)
        if submitted and replace_id:  # an inline form becomes its errors or its result, never sent twice
            card = form_card(reply.form, inline=True) if reply.form else render_one(reply.message)
            await self._put(context, card, reply.message.summary, replace_id)
        elif reply.form is not None:
            inline = not in_task_module(reply.form, personal)
            card = form_card(reply.form, inline=True) if inline else launcher_card(reply.form)
            await self._put(context, card, reply.form.title, replace_id if inline else None)
        elif replace_id and reply.replace:
            await self._put(context, render_one(reply.message), reply.message.summary, replace_id)
        elif reply.private and not personal:
            await self.privately(context, reply.message)
            return
        else:
            for activity in activities_for(_cards_only(reply.message)):
                await context.send_activity(activity)
        await self.send_file(context, reply.message.attachment)

    async def card_action(self, context: TurnContext, reply: Reply, submitted: bool = False) -> dict[str, Any]:
        """The adaptiveCard/action body: the clicked card updated in place, or a new message."""
        personal = is_personal(context.activity)
        if reply.form is not None and (submitted or not in_task_module(reply.form, personal)):
            return _card_body(form_card(reply.form, inline=True))
        if reply.form is None and (reply.replace or submitted):
            await self.send_file(context, reply.message.attachment)
            return _card_body(render_one(reply.message))
        await self.reply(context, reply)
        note = "Open the form below." if reply.form else reply.message.summary
        return {"statusCode": 200, "type": MESSAGE_BODY, "value": note}

    async def task_submitted(self, context: TurnContext, reply: Reply) -> dict[str, Any] | None:
        """The task/submit body: the form again (errors, confirmation), or close and show the result."""
        if reply.form is not None:
            return task_continue(reply.form)
        personal = is_personal(context.activity)
        launcher = context.activity.reply_to_id
        if launcher and (personal or not reply.private):
            await self._put(context, render_one(reply.message), reply.message.summary, launcher)
            await self.send_file(context, reply.message.attachment)
        else:
            await self.reply(context, reply)
        return None

    async def privately(self, context: TurnContext, message: Message) -> None:
        """In a channel, an answer for one person goes to their personal chat, with a note in the thread."""
        await self._in_personal_chat(context, _cards_only(message), message.attachment, SENT_PRIVATELY)

    async def send_file(self, context: TurnContext, file: File | None) -> None:
        """A file goes by consent card, which Teams allows only in personal chat: there, or sent there."""
        if file is None:
            return
        if is_personal(context.activity):
            await self.files.offer_here(context, file)
            return
        lead_in = Message(cards=(Card(text=FILE_FROM_CHANNEL.format(name=file.filename)),))
        await self._in_personal_chat(context, lead_in, file, FILE_SENT_PRIVATELY)

    async def _in_personal_chat(self, context: TurnContext, message: Message, file: File | None,
                                note: str) -> None:
        activity = context.activity
        tenant, key = tenant_of(activity), user_key(activity.from_property)
        try:
            await self.sender.send_to(tenant, key, message)  # opens the chat if there is none yet
            if file is not None:
                await self.files.offer_privately(tenant, key, file)
        except Exception as failed:
            log.info("private Teams reply failed (%s); told the member in the thread", type(failed).__name__)
            note = NOT_PRIVATELY
        await context.send_activity(MessageFactory.text(note))

    async def _put(self, context: TurnContext, card: dict, summary: str, replace_id: str | None) -> None:
        activity = card_activity(card, summary)
        if not replace_id:
            await context.send_activity(activity)
            return
        activity.id, activity.type = replace_id, ActivityTypes.message
        activity.conversation = context.activity.conversation
        await context.update_activity(activity)


def _card_body(card: dict) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD_BODY, "value": card}


def _cards_only(message: Message) -> Message:
    """The message without its file, which `send_file` offers separately."""
    return Message(cards=message.cards) if message.attachment is not None else message
