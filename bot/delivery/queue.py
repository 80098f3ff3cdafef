"""Notices become outbox rows in the caller's transaction, so a change and its messages commit together."""

from collections.abc import Sequence
from hashlib import sha1
from uuid import uuid4

from bot import viewcodec
from bot.views import Notice
from core import outbox
from core.ports import Context

NOTICE = "notice"


def keyed(notices: Sequence[Notice], request_key: str | None) -> list[Notice]:
    """Every notice with a dedupe key: its own, or one derived from the request so a retry queues nothing new."""
    base = f"notice:{sha1(request_key.encode()).hexdigest() if request_key else uuid4().hex}"
    return [n if n.key else Notice(n.member_id, n.message, f"{base}:{i}:{n.member_id}")
            for i, n in enumerate(notices)]


async def queue(ctx: Context, notices: Sequence[Notice]) -> int:
    """Write one outbox row per keyed notice; returns how many were new."""
    new = 0
    for notice in notices:
        new += await outbox.enqueue(ctx, notice.member_id, NOTICE, notice.key, viewcodec.encode(notice.message))
    return new
