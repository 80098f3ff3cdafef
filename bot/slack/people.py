"""Who a Slack user is on first contact: name and time zone from `users.info`."""

import asyncio
import logging
from dataclasses import replace

from slack_sdk.web.async_client import AsyncWebClient

from bot.turns import Turn

log = logging.getLogger(__name__)
LOOKUP_SECONDS = 1.0


async def introduce(turn: Turn, client: AsyncWebClient) -> Turn:
    """A newcomer's turn gains their Slack name and time zone (called on first contact only).

    The lookup is bounded so that the ack still comes within Slack's 3 seconds;
    if it fails the member starts with the name from the payload.
    """
    if not turn.user_id:
        return turn
    try:
        async with asyncio.timeout(LOOKUP_SECONDS):
            found = await client.users_info(user=turn.user_id)
    except Exception as failed:
        log.info("users.info for a new member failed (%s); using the payload's name", failed)
        return turn
    user = found.get("user") or {}
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    return replace(turn, display_name=name or turn.display_name, timezone=user.get("tz") or turn.timezone)
