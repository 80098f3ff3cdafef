"""Notifications to Slack members as direct messages; failures become `DeliveryError`s the outbox acts on.

A short 429 Retry-After is waited out once in the call; anything longer, 5xx and
network errors are retried later by the outbox; a member who is gone (or a
workspace that removed the app) is unreachable, and a rejected message permanent.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import notify
from bot.conversation import Conversation
from bot.delivery.errors import DeliveryError
from bot.slack import blockkit, home
from bot.slack.installations import Tokens
from bot.turns import Turn
from bot.views import Message
from core.channels import ChannelLink
from core.members import Identity

log = logging.getLogger(__name__)
ATTEMPTS, MAX_WAIT_SECONDS, CLIENT_SECONDS = 2, 2.0, 10.0
deferred = notify.background
"""Set while a Slack request is being answered, so notices go out after its ack."""

UNREACHABLE = {"user_not_found", "users_not_found", "account_inactive", "user_disabled", "cannot_dm_bot",
               "token_revoked", "team_not_found", "invalid_users", "is_archived", "not_in_channel",
               "channel_not_found"}
PERMANENT = {"invalid_auth", "not_authed", "missing_scope", "no_permission", "not_allowed_token_type",
             "invalid_blocks", "invalid_arguments", "msg_too_long", "too_many_attachments",
             "restricted_action", "message_not_found", "cant_update_message", "edit_window_closed",
             "team_access_not_granted", "ekm_access_denied"}


class SlackSender:
    """The notifier's way to reach a Slack member: conversations.open, then chat.postMessage."""

    platform = "slack"

    def __init__(self, tokens: Tokens, conversation: Conversation | None = None,
                 attempts: int = ATTEMPTS, max_wait: float = MAX_WAIT_SECONDS,
                 client_seconds: float = CLIENT_SECONDS) -> None:
        self.tokens, self.conversation = tokens, conversation
        self.attempts, self.max_wait = attempts, max_wait
        self.client_seconds = client_seconds
        self.clients: dict[str, tuple[float, asyncio.Task]] = {}
        self.http: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = None

    async def close(self) -> None:
        """Release the kept-alive connections to Slack (at shutdown)."""
        if self.http is not None and not self.http[1].closed:
            await self.http[1].close()
        self.http = None

    async def send(self, identity: Identity, message: Message, *, refresh_home: bool = False) -> str | None:
        """Deliver each page of the message to the member's DM, then redraw their Home if asked; returns the last ts."""
        client, channel = await self._dm(identity)
        sent = await self._pages(client, channel, message)
        if refresh_home and self.conversation is not None:
            await self._refresh_home(client, identity)
        return sent

    async def post(self, link: ChannelLink, message: Message) -> str | None:
        """chat.postMessage in the channel itself: public channels take it through `chat:write.public`,
        a private one only once the bot is invited."""
        client = await self._client(link.workspace_id)
        if client is None:
            raise DeliveryError(f"Slack is not installed for workspace {link.workspace_id}", unreachable=True)
        return await self._pages(client, link.channel_id, message)

    async def _pages(self, client: AsyncWebClient, channel: str, message: Message) -> str | None:
        """chat.postMessage for each page of the message (Slack takes 50 blocks a message); the last ts."""
        sent = None
        for page in blockkit.pages(message):
            sent = await self.call(client.chat_postMessage, channel=channel, mrkdwn=False,
                                   blocks=page, text=blockkit.fallback(message))
        return sent["ts"] if sent else None

    async def update(self, identity: Identity, message_id: str, message: Message) -> None:
        """chat.update on the member's DM: the message at `message_id` shows the first page of this one."""
        client, channel = await self._dm(identity)
        page = next(iter(blockkit.pages(message)), None)
        await self.call(client.chat_update, channel=channel, ts=message_id, blocks=page or [],
                        text=blockkit.fallback(message))

    async def _dm(self, identity: Identity) -> tuple[AsyncWebClient, str]:
        client = await self._client(identity.workspace_id)
        if client is None:
            raise DeliveryError(f"Slack is not installed for workspace {identity.workspace_id}", unreachable=True)
        try:
            opened = await self.call(client.conversations_open, users=identity.user_id)
        except DeliveryError as failed:
            if failed.permanent or failed.unreachable:  # perhaps the token: read it afresh next time
                self.clients.pop(identity.workspace_id, None)
            raise
        return client, opened["channel"]["id"]

    async def _client(self, workspace_id: str) -> AsyncWebClient | None:
        """The workspace's client, its installation read at most every `client_seconds` by concurrent sends
        together (a token is rotated hours before it expires); a workspace without one is asked again."""
        now = time.monotonic()
        expires, reading = self.clients.get(workspace_id, (0.0, None))
        if reading is None or expires <= now:
            reading = asyncio.create_task(self.tokens.client_for(workspace_id))
            self.clients[workspace_id] = (now + self.client_seconds, reading)
        try:
            client = await asyncio.shield(reading)
        except Exception:
            self._forget(workspace_id, reading)
            raise
        if client is None:
            self._forget(workspace_id, reading)
            return None
        client.session = self._session(client.timeout)
        return client

    def _session(self, timeout: float) -> aiohttp.ClientSession:
        """One HTTP session for all this sender's calls: connections are kept alive, not opened per call."""
        loop = asyncio.get_running_loop()
        if self.http is None or self.http[0] is not loop or self.http[1].closed:
            self.http = (loop, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)))
        return self.http[1]

    def _forget(self, workspace_id: str, reading: asyncio.Task) -> None:
        if self.clients.get(workspace_id, (0.0, None))[1] is reading:
            del self.clients[workspace_id]

    async def _refresh_home(self, client: AsyncWebClient, identity: Identity) -> None:
        """A courtesy after the message went: its failure must not make the outbox send it again."""
        turn = Turn(platform="slack", workspace_id=identity.workspace_id, user_id=identity.user_id, command="home")
        try:
            await home.publish(client, self.conversation, turn)
        except Exception:
            log.info("could not refresh Home for %s", identity.label, exc_info=True)

    async def call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """One Web API call; a short 429 is waited out in place, every other failure is a DeliveryError."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await method(**kwargs)
            except SlackApiError as failed:
                error = as_delivery_error(failed)
                wait = error.retry_after
                if wait is None or wait > self.max_wait or attempt == self.attempts:
                    raise error from failed
                log.info("Slack rate limit: waiting %.1f s (attempt %d)", wait, attempt)
                await asyncio.sleep(wait)
            except (TimeoutError, OSError) as failed:
                raise DeliveryError(f"Slack unreachable: {failed!r}") from failed
        raise AssertionError("unreachable")


def as_delivery_error(failed: SlackApiError) -> DeliveryError:
    """What the outbox should do about a Slack answer: wait, back off, or give up on the row."""
    response = failed.response
    status = response.status_code
    code = str(response.get("error", "") if hasattr(response, "get") else "") or f"http_{status}"
    if status == 429:
        return DeliveryError(f"Slack 429 {code}", retry_after=retry_after(response.headers))
    if code in UNREACHABLE:
        return DeliveryError(f"Slack {code}", unreachable=True)
    if code in PERMANENT:
        return DeliveryError(f"Slack {code}", permanent=True)
    return DeliveryError(f"Slack {status} {code}")


def retry_after(headers: Any) -> float:
    headers = headers or {}
    try:
        return max(0.0, float(headers.get("Retry-After", headers.get("retry-after", 1))))
    except (TypeError, ValueError):
        return 1.0
