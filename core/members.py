"""Members and the chat identities that lead to them."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Sector(StrEnum):
    """Where a member works; reports group by it."""

    NHS = "nhs"
    CHARITY = "charity"
    COMMERCIAL = "commercial"
    PUBLIC = "public"
    OTHER = "other"


class Role(StrEnum):
    """What a member may do beyond trading."""

    MEMBER = "member"
    LEAD = "lead"
    ADMIN = "admin"


class Platform(StrEnum):
    """The front ends a member can reach us from."""

    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"


NUDGE_KINDS = ("match", "proposal", "session", "confirm", "hold", "digest", "broadcast")


@dataclass(kw_only=True, eq=False)
class Member:
    """A person in the time bank, whichever platforms they use."""

    display_name: str
    organisation: str = ""
    sector: str = Sector.OTHER
    skills: list[str] = field(default_factory=list)
    bio: str = ""
    timezone: str = "Europe/London"
    role: str = Role.MEMBER
    preferences: dict = field(default_factory=dict)
    onboarded: bool = False
    created_at: datetime | None = None
    forgotten_at: datetime | None = None
    id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def wants(self, kind: str) -> bool:
        """Nudges and digests are on unless the member turned that kind off."""
        return self.preferences.get("nudges", {}).get(kind, True)


@dataclass(kw_only=True, eq=False)
class Identity:
    """One platform account: (platform, workspace or tenant, user) → member."""

    platform: str
    workspace_id: str
    user_id: str
    member_id: int
    created_at: datetime | None = None
    id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.workspace_id}:{self.user_id}"


def parse_identity(label: str) -> tuple[str, str, str]:
    """Read `slack:T123:U456` or `teams:TENANT:AADID` as used in HEXITIME_ADMINS."""
    parts = label.strip().split(":", 2)
    if len(parts) != 3 or not all(parts) or parts[0] not in set(Platform):
        raise ValueError(f"not a platform identity: {label!r} (expected e.g. slack:T123:U456)")
    return parts[0], parts[1], parts[2]


@dataclass(kw_only=True, eq=False)
class LinkCode:
    """A one-time code that joins an identity on one platform to a member on another."""

    code: str
    member_id: int
    expires_at: datetime
    used_at: datetime | None = None
    id: int | None = None
