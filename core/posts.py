"""Needs and offers: what members ask for and what they give."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.errors import InvalidInput
from core.rules import Rules


class NeedStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class OfferStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(kw_only=True, eq=False)
class Need:
    """A request for help, usually within a campaign."""

    owner_id: int
    title: str
    description: str = ""
    skills: list[str] = field(default_factory=list)
    campaign_id: int | None = None
    minutes: int = 60
    status: str = NeedStatus.OPEN
    expires_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    client_key: str | None = None
    id: int | None = None


@dataclass(kw_only=True, eq=False)
class Offer:
    """Hours a member is willing to give; agreed exchanges use up its capacity."""

    owner_id: int
    title: str
    description: str = ""
    skills: list[str] = field(default_factory=list)
    campaign_ids: list[int] = field(default_factory=list)
    minutes: int = 60
    minutes_committed: int = 0
    status: str = OfferStatus.ACTIVE
    created_at: datetime | None = None
    updated_at: datetime | None = None
    client_key: str | None = None
    id: int | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.minutes - self.minutes_committed)


def clean_text(title: str, description: str, rules: Rules) -> tuple[str, str]:
    """Trim and check the lengths people are told about in the forms."""
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise InvalidInput("Please give a short title, e.g. “Help with a theatre waste audit”.")
    if len(title) > rules.max_title_chars:
        raise InvalidInput(
            f"The title is {len(title)} characters; keep it to {rules.max_title_chars} "
            "and put the detail in the description."
        )
    if len(description) > rules.max_description_chars:
        raise InvalidInput(
            f"The description is {len(description)} characters; the limit is "
            f"{rules.max_description_chars}."
        )
    return title, description


def clean_skills(skills: list[str], rules: Rules) -> list[str]:
    """Skills are short tags; duplicates dropped, at most `max_skills`."""
    seen: list[str] = []
    for skill in skills:
        tag = " ".join(skill.strip().lower().split())
        if tag and tag not in seen:
            if len(tag) > 50:
                raise InvalidInput(f"“{tag[:20]}…” is too long for a skill; use a few words.")
            seen.append(tag)
    if len(seen) > rules.max_skills:
        raise InvalidInput(f"Please list at most {rules.max_skills} skills; you gave {len(seen)}.")
    return seen


def split_skills(text: str) -> list[str]:
    """Skills typed as one line, separated by commas or semicolons."""
    return [part for part in text.replace(";", ",").split(",") if part.strip()]
