"""A turn: who spoke, where, and what they said, in no platform's terms."""

from dataclasses import dataclass, field
from typing import Any

from core.members import Member


@dataclass(frozen=True)
class Turn:
    """Exactly one of `command`, `action` or `form_id` is set.

    `request_key` is the platform's id for this request (a view id, an activity
    id); creations use it so a retried request makes nothing twice.
    `mentions` are the platform user ids the text mentioned, in order.
    """

    platform: str
    workspace_id: str
    user_id: str
    display_name: str = ""
    timezone: str | None = None
    channel_id: str = ""
    channel_name: str = ""
    personal: bool = True
    command: str | None = None
    text: str = ""
    action: str | None = None
    ref: str = ""
    form_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    request_key: str | None = None
    mentions: tuple[str, ...] = ()


@dataclass
class Request:
    """A turn with its member resolved: what every handler receives."""

    turn: Turn
    member: Member
    bank: Any
    first_contact: bool = False

    @property
    def args(self) -> list[str]:
        return self.turn.text.split()
