"""Remembering where each Teams member and channel can be reached, for proactive messages.

The rows live in our database (see `storage/teams_store.py`, wired in by `frontend.py`); a small
in-process memory only skips rewriting a row that has not changed.
"""

from collections.abc import Iterable
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationReference

from bot.teams.turns import channel_of, is_personal, tenant_of, user_key
from core.clock import Clock

MEMBER, CHANNEL = "member", "channel"


class ReferenceStore(Protocol):
    """What we need from storage: upsert, read, mention lookup and the unreachable mark."""

    async def save(self, kind: str, tenant_id: str, key: str, service_url: str, now: Any,
                   user_id: str | None = None, reference: dict | None = None) -> None: ...

    async def get(self, kind: str, tenant_id: str, key: str) -> Any: ...

    async def keys_for(self, tenant_id: str, user_ids: list[str]) -> dict[str, str]: ...

    async def mark_unreachable(self, tenant_id: str, key: str, now: Any) -> None: ...


class References:
    """Stores the conversation reference of every member and channel the bot hears from."""

    def __init__(self, store: ReferenceStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._seen: dict[tuple, tuple] = {}

    async def remember(self, activity: Activity) -> None:
        """The sender's personal chat, or the channel plus the sender's id for a 1:1 chat later."""
        tenant = tenant_of(activity)
        sender = activity.from_property
        if not tenant or sender is None or not activity.service_url:
            return
        reference = reference_of(activity)
        if is_personal(activity):
            await self._save(MEMBER, tenant, user_key(sender), activity.service_url, sender.id, reference)
            return
        await self._save(CHANNEL, tenant, channel_of(activity), activity.service_url, None, reference)
        await self._save(MEMBER, tenant, user_key(sender), activity.service_url, sender.id, None)

    async def remember_members(self, activity: Activity, members: Iterable[ChannelAccount]) -> None:
        """People added to a team or chat: enough to open a 1:1 chat with them later."""
        tenant = tenant_of(activity)
        for member in members:
            if tenant and member.id and activity.service_url:
                await self._save(MEMBER, tenant, user_key(member), activity.service_url, member.id, None)

    async def mention_keys(self, activity: Activity, user_ids: list[str]) -> dict[str, str]:
        return await self.store.keys_for(tenant_of(activity), user_ids) if user_ids else {}

    async def _save(self, kind: str, tenant: str, key: str, service_url: str, user_id: str | None,
                    reference: dict | None) -> None:
        signature = (service_url, user_id, (reference or {}).get("conversation", {}).get("id"))
        if not key or self._seen.get((kind, tenant, key)) == signature:
            return
        await self.store.save(kind, tenant, key, service_url, self.clock.now(), user_id=user_id,
                              reference=reference)
        self._seen[(kind, tenant, key)] = signature

    def forget(self, tenant: str, key: str) -> None:
        """After a delivery failure, so the next message from them is written again."""
        self._seen.pop((MEMBER, tenant, key), None)


def reference_of(activity: Activity) -> dict:
    """The activity's conversation reference as JSON, pointing at the channel rather than a thread."""
    reference = TurnContext.get_conversation_reference(activity).serialize()
    conversation = dict(reference.get("conversation") or {})
    conversation["id"] = channel_of(activity)
    reference["conversation"] = conversation
    reference.pop("activityId", None)
    return reference


def load_reference(raw: dict) -> ConversationReference:
    return ConversationReference().deserialize(raw)
