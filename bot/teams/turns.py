"""Teams activities → neutral turns, as pure functions on botbuilder's Activity."""

import html
import re
from typing import Any

from botbuilder.schema import Activity

from bot.router import split_command
from bot.teams import payloads
from bot.turns import Turn

PLATFORM = "teams"
_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def tenant_of(activity: Activity) -> str:
    """The tenant: the conversation's, else channelData.tenant.id."""
    conversation = activity.conversation
    tenant = None
    if conversation is not None:  # msrest maps `tenantID`; Teams sends `tenantId`
        tenant = conversation.tenant_id or (conversation.additional_properties or {}).get("tenantId")
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return tenant or (data.get("tenant") or {}).get("id") or ""


def user_key(account: Any) -> str:
    """Members are keyed by AAD object id, or the Bot Framework user id when there is none."""
    if account is None:
        return ""
    return getattr(account, "aad_object_id", None) or account.id or ""


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    if conversation is None:
        return True
    kind = conversation.conversation_type
    return kind == "personal" if kind else not conversation.is_group


def channel_of(activity: Activity) -> str:
    """The conversation id without Teams' `;messageid=` thread suffix."""
    conversation_id = activity.conversation.id if activity.conversation else ""
    return (conversation_id or "").split(";")[0]


def channel_name(activity: Activity) -> str:
    """The Teams channel's name when channelData carries it (channel messages do; chats have none)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
    return str(channel.get("name") or "")[:80]


def timezone_of(activity: Activity) -> str | None:
    if activity.local_timezone:
        return activity.local_timezone
    for entity in activity.entities or ():
        props = entity.additional_properties or {}
        if getattr(entity, "type", None) == "clientInfo" and props.get("timezone"):
            return props["timezone"]
    return None


def _base(activity: Activity) -> dict[str, Any]:
    sender = activity.from_property
    return {
        "platform": PLATFORM,
        "workspace_id": tenant_of(activity),
        "user_id": user_key(sender),
        "display_name": (getattr(sender, "name", "") or "")[:80],
        "timezone": timezone_of(activity),
        "channel_id": channel_of(activity),
        "channel_name": channel_name(activity),
        "personal": is_personal(activity),
        "request_key": f"teams:{activity.id}" if activity.id else None,
    }


def mentioned(activity: Activity, bot_id: str) -> list[str]:
    """Bot Framework ids of the people mentioned, in order, not counting the bot itself."""
    found = []
    for entity in activity.entities or ():
        if getattr(entity, "type", None) != "mention":
            continue
        who = (entity.additional_properties or {}).get("mentioned") or {}
        if who.get("id") and who.get("id") != bot_id and who["id"] not in found:
            found.append(who["id"])
    return found


def clean_text(activity: Activity, bot_name: str | None) -> str:
    """The typed text with the bot's @mention removed and other mentions left as plain names."""
    raw = activity.text or ""

    def name(match: re.Match) -> str:
        inner = _TAGS.sub("", match.group(1)).strip()
        return "" if bot_name and inner.lower() == bot_name.lower() else inner

    text = _AT.sub(name, raw)
    text = html.unescape(_TAGS.sub(" ", text)).replace("\xa0", " ")
    return " ".join(text.split())


def message_turn(activity: Activity, bot_id: str, bot_name: str | None,
                 mention_keys: dict[str, str] | None = None) -> Turn:
    """A typed message: `need Compost bins` → command `need`, text `Compost bins`."""
    command, rest = split_command(clean_text(activity, bot_name))
    keys = mention_keys or {}
    mentions = tuple(keys.get(m, m) for m in mentioned(activity, bot_id))
    return Turn(**_base(activity), command=command, text=rest, mentions=mentions)


def data_turn(activity: Activity, data: Any, verb: str | None = None) -> Turn | None:
    """A button press or form submission from our own action data; None when it isn't ours."""
    if not isinstance(data, dict):
        return None
    kind = data.get(payloads.KEY)
    if kind == payloads.ACT:
        action = str(data.get("a") or verb or "")
        return Turn(**_base(activity), action=action, ref=str(data.get("r") or "")) if action else None
    if kind == payloads.FORM and data.get("f"):
        return Turn(**_base(activity), form_id=str(data["f"]), ref=str(data.get("r") or ""),
                    values=payloads.values(data))
    return None


def invoke_data(activity: Activity) -> tuple[dict, str | None]:
    """The action data of an invoke: adaptiveCard/action puts it under action, task/* under data."""
    value = activity.value if isinstance(activity.value, dict) else {}
    if activity.name == "adaptiveCard/action":
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        return data, action.get("verb")
    data = value.get("data") if isinstance(value.get("data"), dict) else {}
    return data, None
