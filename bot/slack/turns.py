"""Slack payloads → neutral turns: who (team or enterprise, user), where, and what."""

import hashlib
import html
import re
from typing import Any

from bot.router import split_command
from bot.slack import forms
from bot.slack.blockkit import action_name
from bot.turns import Turn

PLATFORM = "slack"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def key(*parts: Any) -> str:
    """A short stable request key: the same request (or click) always gives the same one."""
    return "slack:" + hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def plain_text(text: str) -> tuple[str, tuple[str, ...]]:
    """Slack's wire text → what the member typed, plus the users it mentioned."""
    mentions = tuple(m.group(1) for m in MENTION.finditer(text or ""))
    text = MENTION.sub(lambda m: "@" + (m.group(2) or m.group(1)), text or "")
    text = SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    return html.unescape(text), mentions


def workspace(is_enterprise_install: bool, enterprise_id: str | None, team_id: str | None,
              user_team: str | None = None) -> str:
    """Members are keyed by enterprise for org-wide installs, otherwise by the user's own team.

    A Slack Connect user from another organisation carries their own team id,
    so they are the same member whichever shared channel they act in.
    """
    if is_enterprise_install and enterprise_id:
        return enterprise_id
    return user_team or team_id or enterprise_id or "unknown"


def _payload_workspace(body: dict) -> str:
    team = body.get("team") or {}
    enterprise = body.get("enterprise") or {}
    enterprise_id = enterprise.get("id") or team.get("enterprise_id")
    user_team = (body.get("user") or {}).get("team_id")
    return workspace(bool(body.get("is_enterprise_install")), enterprise_id, team.get("id"), user_team)


def _user(body: dict) -> tuple[str, str]:
    user = body.get("user") or {}
    return user.get("id", ""), user.get("name") or user.get("username") or ""


def _personal(channel_id: str) -> bool:
    return not channel_id or channel_id.startswith("D")


def _channel_name(name: object) -> str:
    """A channel's name as slash commands give it; Slack's stand-ins for private ones are not names."""
    text = str(name or "")
    return "" if text in ("directmessage", "privategroup") or text.startswith("mpdm-") else text[:80]


def from_command(body: dict) -> Turn:
    """`/hexitime need Compost bins` → command `need`, text `Compost bins`; alone → help."""
    text, mentions = plain_text(body.get("text", ""))
    word, rest = split_command(text)
    channel = body.get("channel_id", "")
    return Turn(
        platform=PLATFORM,
        workspace_id=workspace(str(body.get("is_enterprise_install")).lower() == "true",
                               body.get("enterprise_id"), body.get("team_id")),
        user_id=body.get("user_id", ""), display_name=body.get("user_name", ""),
        channel_id=channel, channel_name=_channel_name(body.get("channel_name")),
        personal=_personal(channel) or body.get("channel_name") == "directmessage",
        command=word, text=rest, mentions=mentions,
        request_key=key("command", body.get("trigger_id") or body.get("response_url", "")),
    )


def from_shortcut(body: dict, command: str) -> Turn:
    """A global or message shortcut runs a command; a message shortcut passes the message's text."""
    user_id, name = _user(body)
    text, mentions = plain_text((body.get("message") or {}).get("text", ""))
    channel = (body.get("channel") or {}).get("id", "")
    return Turn(platform=PLATFORM, workspace_id=_payload_workspace(body), user_id=user_id,
                display_name=name, channel_id=channel, personal=_personal(channel), command=command,
                text=text.strip(), mentions=mentions, request_key=key("shortcut", body.get("trigger_id", "")))


def action_of(element: dict) -> tuple[str, str]:
    """A button → (action, ref); an overflow option carries `action|ref` in its value."""
    if element.get("type") == "overflow":
        action, _, ref = ((element.get("selected_option") or {}).get("value") or "").partition("|")
        return action, ref
    return action_name(element.get("action_id", "")), element.get("value") or ""


def from_action(body: dict) -> Turn:
    """A click; its key is the same for a retry and a double click of the same button."""
    user_id, name = _user(body)
    element = (body.get("actions") or [{}])[0]
    action, ref = action_of(element)
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    where = container.get("message_ts") or container.get("view_id") or (body.get("view") or {}).get("id", "")
    return Turn(platform=PLATFORM, workspace_id=_payload_workspace(body), user_id=user_id,
                display_name=name, channel_id=channel, personal=_personal(channel), action=action, ref=ref,
                request_key=key("action", where, element.get("action_id", ""), action, ref))


def from_submission(body: dict) -> Turn:
    """A modal submitted: values by field name; the key is the view and its version (hash)."""
    user_id, name = _user(body)
    view = body.get("view") or {}
    values, ref, channel = forms.submitted(view)
    form_id = forms.metadata(view).get("f") or view.get("callback_id", "")
    return Turn(platform=PLATFORM, workspace_id=_payload_workspace(body), user_id=user_id,
                display_name=name, channel_id=channel, personal=_personal(channel), form_id=form_id,
                ref=ref, values=values, request_key=key("view", view.get("id", ""), view.get("hash", "")))


def from_message(body: dict) -> Turn:
    """A direct message or a mention of the bot: its words are a command."""
    event = body.get("event") or {}
    text, mentions = plain_text(event.get("text", ""))
    if event.get("type") == "app_mention" and mentions:
        text = re.sub(r"^@\S+\s*", "", text)
        mentions = mentions[1:]
    word, rest = split_command(text)
    authorization = (body.get("authorizations") or [{}])[0]
    is_org = bool(authorization.get("is_enterprise_install"))
    channel = event.get("channel", "")
    return Turn(platform=PLATFORM,
                workspace_id=workspace(is_org, body.get("enterprise_id"), body.get("team_id"),
                                       _team_only(event.get("user_team") or event.get("team"))),
                user_id=event.get("user", ""), channel_id=channel,
                personal=event.get("channel_type") == "im" or _personal(channel),
                command=word, text=rest, mentions=mentions, request_key=key("event", body.get("event_id", "")))


def _team_only(team: str | None) -> str | None:
    return team if team and team.startswith("T") else None


def home_turn(body: dict) -> Turn:
    """app_home_opened: the member whose Home to draw."""
    event = body.get("event") or {}
    authorization = (body.get("authorizations") or [{}])[0]
    return Turn(platform=PLATFORM,
                workspace_id=workspace(bool(authorization.get("is_enterprise_install")),
                                       body.get("enterprise_id"), body.get("team_id")),
                user_id=event.get("user", ""), channel_id=event.get("channel", ""), command="home")
