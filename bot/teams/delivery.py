"""Proactive messages to Teams members: on the stored conversation, or a new 1:1 chat in their tenant.

Failures become `DeliveryError`s for the outbox: 429, 412, 5xx and network errors are
retried a couple of times in the call when the wait is short (Retry-After honoured,
otherwise exponential backoff with full jitter), then left to the outbox with the wait;
`403 BotNotInConversationRoster` marks the member unreachable on Teams, so we stop trying
until they talk to the bot again; other 4xx are permanent. Every outcome is counted in `report`.
"""

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable

from botbuilder.core import CloudAdapterBase, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)

from bot.delivery.errors import DeliveryError
from bot.teams.cards import CONTENT_TYPE, render_message
from bot.teams.references import CHANNEL, MEMBER, References, load_reference
from bot.views import Message
from core.channels import ChannelLink
from core.members import Identity

log = logging.getLogger(__name__)
RETRYABLE = {408, 412, 429, 500, 502, 503, 504}
NOT_IN_ROSTER = "BotNotInConversationRoster"


class Unreachable(DeliveryError):
    """The member can't be messaged on Teams (removed the bot, or never met it); permanent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, unreachable=True)


class TeamsSender:
    """The notifier's Sender for platform "teams"."""

    platform = "teams"

    def __init__(self, adapter: CloudAdapterBase, app_id: str, references: References,
                 attempts: int = 3, base_delay: float = 0.5, max_delay: float = 5.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.adapter, self.app_id, self.references = adapter, app_id, references
        self.attempts, self.base_delay, self.max_delay, self.sleep = attempts, base_delay, max_delay, sleep
        self.report: Counter[str] = Counter()

    async def send(self, identity: Identity, message: Message, *, refresh_home: bool = False) -> str | None:
        """Deliver each card of the message; returns the last activity id. Teams has no Home to redraw."""
        return await self.send_to(identity.workspace_id, identity.user_id, message)

    async def send_to(self, tenant: str, key: str, message: Message) -> str | None:
        return await self._send_row(await self._row(tenant, key), message)

    async def post(self, link: ChannelLink, message: Message) -> str | None:
        """A new thread in the linked channel, on the reference kept when the bot last heard from it."""
        row = await self.references.store.get(CHANNEL, link.workspace_id, link.channel_id)
        if row is None or not row.reference:
            self.report["no_reference"] += 1
            raise Unreachable(f"no Teams conversation known for channel {link.channel_id}")
        return await self._send_row(row, message)

    async def _send_row(self, row, message: Message) -> str | None:
        """Each card of the message on the row's conversation; the last activity id."""
        sent = None
        for activity in activities_for(message):
            sent = await self._with_retries(row, activity)
        self.report["sent"] += 1
        return sent

    async def _row(self, tenant: str, key: str):
        row = await self.references.store.get(MEMBER, tenant, key)
        if row is None:
            self.report["no_reference"] += 1
            raise Unreachable(f"no Teams conversation known for {tenant}:{key}")
        if row.unreachable_at is not None:
            self.report["skipped_unreachable"] += 1
            raise Unreachable(f"{tenant}:{key} removed the bot; waiting for them to come back")
        return row

    async def update(self, identity: Identity, message_id: str, message: Message) -> None:
        """update_activity on the stored conversation: the message at `message_id` shows this one's first card."""
        row = await self._row(identity.workspace_id, identity.user_id)
        if not row.reference:
            raise Unreachable(f"no stored Teams conversation for {identity.label}")
        activity = activities_for(message)[0]
        activity.id, activity.type = message_id, ActivityTypes.message
        await self._with_retries(row, activity, update=True)

    async def _with_retries(self, row, activity: Activity, update: bool = False) -> str | None:
        for attempt in range(self.attempts):
            try:
                return await self._deliver(row, activity, update)
            except ErrorResponseException as failure:
                status, code = _status(failure), _code(failure)
                if status == 403 and code == NOT_IN_ROSTER:
                    await self._unreachable(row)  # raises
                wait = self._delay(attempt, failure)
                if status not in RETRYABLE or attempt == self.attempts - 1 or wait > self.max_delay:
                    self.report["failed"] += 1
                    raise _as_delivery_error(failure, status, code, _retry_after(failure)) from failure
                self.report["retried"] += 1
                await self.sleep(wait)
            except (TimeoutError, OSError) as failure:
                self.report["failed"] += 1
                raise DeliveryError(f"Teams connector unreachable: {failure!r}") from failure
        raise AssertionError("unreachable")

    async def _unreachable(self, row) -> None:
        """A member who removed the bot is marked until they come back; a channel's team is left to its lead."""
        self.report["unreachable"] += 1
        if row.kind == MEMBER:
            await self.references.store.mark_unreachable(row.tenant_id, row.key, self.references.clock.now())
            self.references.forget(row.tenant_id, row.key)
        raise Unreachable(f"{row.tenant_id}:{row.key} is not in the conversation roster")

    def _delay(self, attempt: int, failure: ErrorResponseException) -> float:
        """Full-jitter backoff, or Retry-After when Teams says how long (a long one goes back to the outbox)."""
        retry_after = _retry_after(failure)
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2 ** attempt))
        return max(backoff, retry_after) if retry_after is not None else backoff

    async def _deliver(self, row, activity: Activity, update: bool = False) -> str | None:
        sent: list[str | None] = []
        failed: list[Exception] = []

        async def send(context: TurnContext) -> None:
            try:  # the adapter's pipeline would swallow it; we need it to retry or give up
                if update:
                    activity.conversation = context.activity.conversation
                    await context.update_activity(activity)
                    sent.append(activity.id)
                    return
                response = await context.send_activity(activity)
                sent.append(response.id if response else None)
            except Exception as failure:
                failed.append(failure)

        if row.reference:
            await self.adapter.continue_conversation(load_reference(row.reference), send, self.app_id)
        else:
            await self._open_chat(row, send)
        if failed:
            raise failed[0]
        return sent[-1] if sent else None

    async def _open_chat(self, row, send) -> None:
        """A new 1:1 chat with the member in their tenant; its reference is kept for next time."""

        async def remember_then_send(context: TurnContext) -> None:
            context.activity.from_property = ChannelAccount(id=row.user_id)
            reference = TurnContext.get_conversation_reference(context.activity).serialize()
            reference.pop("activityId", None)
            await self.references.store.save(MEMBER, row.tenant_id, row.key, row.service_url,
                                             self.references.clock.now(), user_id=row.user_id,
                                             reference=reference)
            await send(context)

        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=self.app_id or "bot"),
            members=[ChannelAccount(id=row.user_id)], tenant_id=row.tenant_id,
            channel_data={"tenant": {"id": row.tenant_id}})
        await self.adapter.create_conversation(self.app_id, remember_then_send, parameters,
                                               channel_id="msteams", service_url=row.service_url)


def activities_for(message: Message) -> list[Activity]:
    """One activity per card (each under 28 KB), with the summary for notifications."""
    found = []
    for card in render_message(message):
        activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))
        activity.summary = message.summary
        found.append(activity)
    if message.attachment is not None:
        found.append(MessageFactory.text(file_note(message.attachment.filename)))
    return found


def file_note(filename: str) -> str:
    """A proactive message can't ask for file consent; a reply in personal chat can (`bot.teams.files`)."""
    return f"Your file {filename} is ready: ask me for it again here in our personal chat and Teams will offer it."


def _as_delivery_error(failure: ErrorResponseException, status: int | None, code: str | None,
                       retry_after: float | None) -> DeliveryError:
    reason = f"Teams {status} {code or ''}".strip()
    if status in RETRYABLE or status is None or status == 401:
        return DeliveryError(reason, retry_after=retry_after)
    return DeliveryError(reason, permanent=True)


def _status(failure: ErrorResponseException) -> int | None:
    return getattr(failure.response, "status_code", None)


def _code(failure: ErrorResponseException) -> str | None:
    error = getattr(failure, "error", None)
    inner = getattr(error, "error", None)
    return getattr(inner, "code", None)


def _retry_after(failure: ErrorResponseException) -> float | None:
    headers = getattr(failure.response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After")) if headers.get("Retry-After") else None
    except ValueError:
        return None
