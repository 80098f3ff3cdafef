"""Where a reply goes in Slack: the ack, the original message, an ephemeral, a modal or a DM."""

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blockkit, forms
from bot.views import Card, Form, Message, Reply

log = logging.getLogger(__name__)
FILE_FALLBACK_BLOCKS = 20


def message_kwargs(blocks: list[dict], message: Message) -> dict[str, Any]:
    return {"blocks": blocks, "text": blockkit.fallback(message)}


def command_ack(reply: Reply) -> dict[str, Any]:
    """The slash command's immediate answer: the first page, ephemeral unless meant for the channel."""
    if not reply.cards:
        return {}
    first = blockkit.pages(reply.message)[0]
    return {**message_kwargs(first, reply.message), "response_type": "ephemeral" if reply.private else "in_channel"}


async def more_pages(reply: Reply, respond: Any) -> None:
    """Messages longer than 50 blocks continue in follow-up messages."""
    for page in blockkit.pages(reply.message)[1:]:
        await respond(response_type="ephemeral" if reply.private else "in_channel", replace_original=False,
                      **message_kwargs(page, reply.message))


async def to_response_url(reply: Reply, respond: Any) -> None:
    """A click on a message: replace it (so it can't be clicked twice) or answer beside it."""
    pages = blockkit.pages(reply.message)
    kind = "ephemeral" if reply.private else "in_channel"
    await respond(response_type=kind, replace_original=reply.replace, **message_kwargs(pages[0], reply.message))
    for page in pages[1:]:
        await respond(response_type=kind, replace_original=False, **message_kwargs(page, reply.message))


def info_view(message: Message) -> dict:
    """A reply shown as a modal, for clicks on App Home or inside another modal."""
    title = message.cards[0].title if message.cards and message.cards[0].title else "Hexitime"
    return {"type": "modal", "title": blockkit.plain(title, forms.TITLE_CHARS),
            "close": blockkit.plain("Close", forms.TITLE_CHARS),
            "blocks": blockkit.fit(blockkit.message_blocks(message) or [{"type": "section", "text": blockkit.plain("Done.")}])}


async def open_form(client: AsyncWebClient, trigger_id: str, form: Form, channel_id: str, stacked: bool) -> None:
    """Right after the ack, while the trigger id is still alive."""
    view = forms.modal(form, channel_id)
    if stacked:
        await client.views_push(trigger_id=trigger_id, view=view)
    else:
        await client.views_open(trigger_id=trigger_id, view=view)


def submission_ack(reply: Reply, view: dict) -> dict[str, Any]:
    """A modal's answer: errors beside fields, the next step, or close everything."""
    form = reply.form
    if form is None:
        return {"response_action": "clear"}
    if form.errors:
        return forms.errors(form, view)
    channel = forms.metadata(view).get("c", "")
    return {"response_action": "push" if form.confirm else "update", "view": forms.modal(form, channel)}


async def dm_channel(client: AsyncWebClient, user_id: str) -> str:
    opened = await client.conversations_open(users=user_id)
    return opened["channel"]["id"]


async def post_private(client: AsyncWebClient, user_id: str, channel_id: str, message: Message) -> None:
    """An ephemeral in the channel the member acted in; a DM when there is none or we can't post there."""
    pages = blockkit.pages(message)
    if channel_id and not channel_id.startswith("D"):
        try:
            for page in pages:
                await client.chat_postEphemeral(channel=channel_id, user=user_id, **message_kwargs(page, message))
            return
        except Exception as failed:
            log.info("ephemeral in %s failed (%s); sending a direct message", channel_id, failed)
    await post_dm(client, user_id, message)


async def post_dm(client: AsyncWebClient, user_id: str, message: Message) -> str | None:
    channel = await dm_channel(client, user_id)
    sent = None
    for page in blockkit.pages(message):
        sent = await client.chat_postMessage(channel=channel, mrkdwn=False, **message_kwargs(page, message))
    return sent["ts"] if sent else None


async def send_file(client: AsyncWebClient, user_id: str, message: Message) -> None:
    """The attachment goes to the member's DM with the bot; if uploading fails, its text does."""
    file = message.attachment
    if file is None:
        return
    channel = await dm_channel(client, user_id)
    try:
        await client.files_upload_v2(channel=channel, content=file.content, filename=file.filename,
                                     title=file.filename)
        return
    except Exception as failed:
        log.warning("file upload failed (%s); sending %s as text", failed, file.filename)
    if file.mime.startswith("text/") or file.mime.endswith("json"):
        card = Card(title=file.filename, text=file.content.decode("utf-8", errors="replace"))
    else:  # a chart's bytes as text would be gibberish
        card = Card(title=file.filename, text="I couldn't upload this file just now; please try again later.")
    shown = Message(cards=(card,))
    for page in blockkit.pages(shown)[:1]:
        blocks = page[:FILE_FALLBACK_BLOCKS]
        await client.chat_postMessage(channel=channel, mrkdwn=False, **message_kwargs(blocks, shown))
