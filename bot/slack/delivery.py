"""Notifications to Slack members as direct messages, honouring 429 Retry-After a few times."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation import Conversation
from bot.slack import blockkit, home
from bot.slack.installations import Tokens
from bot.turns import Turn
from bot.views import Message
from core.members import Identity

log = logging.getLogger(__name__)
ATTEMPTS, MAX_WAIT_SECONDS = 4, 30.0
deferred: ContextVar[bool] = ContextVar("slack_deferred_sends", default=False)
"""Set while a Slack request is being answered, so notices don't delay its ack."""


class SlackSender:
    """The notifier's way to reach a Slack member: conversations.open, then chat.postMessage."""

    platform = "slack"

    def __init__(self, tokens: Tokens, conversation: Conversation | None = None,
                 attempts: int = ATTEMPTS, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.tokens, self.conversation = tokens, conversation
        self.attempts, self.max_wait = attempts, max_wait
        self.pending: set[asyncio.Task] = set()

    async def send(self, identity: Identity, message: Message) -> str | None:
        """Deliver now; inside a Slack request, deliver just after it (the ack can't wait on 429s)."""
        if deferred.get():
            task = asyncio.create_task(self._logged(identity, message))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            return None
        return await self.deliver(identity, message)

    async def _logged(self, identity: Identity, message: Message) -> None:
        token = deferred.set(False)
        try:
            await self.deliver(identity, message)
        except Exception:
            log.exception("could not notify a Slack member")
        finally:
            deferred.reset(token)

    async def deliver(self, identity: Identity, message: Message) -> str | None:
        client = await self.tokens.client_for(identity.workspace_id)
        if client is None:
            raise LookupError(f"Slack is not installed for workspace {identity.workspace_id}")
        opened = await self.call(client.conversations_open, users=identity.user_id)
        sent = None
        for page in blockkit.pages(message):
            sent = await self.call(client.chat_postMessage, channel=opened["channel"]["id"], mrkdwn=False,
                                   blocks=page, text=blockkit.fallback(message))
        if self.conversation is not None:
            await self._refresh_home(client, identity)
        return sent["ts"] if sent else None

    async def _refresh_home(self, client: AsyncWebClient, identity: Identity) -> None:
        turn = Turn(platform="slack", workspace_id=identity.workspace_id, user_id=identity.user_id, command="home")
        await home.publish(client, self.conversation, turn)

    async def call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """One Web API call; a 429 waits Retry-After (if not absurd) and tries again, a few times."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await method(**kwargs)
            except SlackApiError as failed:
                if failed.response.status_code != 429 or attempt == self.attempts:
                    raise
                wait = float(failed.response.headers.get("Retry-After", failed.response.headers.get("retry-after", 1)))
                if wait > self.max_wait:
                    raise
                log.info("Slack rate limit: waiting %.0f s (attempt %d)", wait, attempt)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")
