"""Organisations and campaigns, as data the rest of the bank refers to."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(kw_only=True, eq=False)
class Organisation:
    """An NHS trust, charity or company whose members trade; may receive donations."""

    slug: str
    name: str
    sector: str = "other"
    created_at: datetime | None = None
    id: int | None = None


@dataclass(kw_only=True, eq=False)
class Campaign:
    """A themed drive (greener surgery, biodiversity…) with leads and participants."""

    slug: str
    title: str
    description: str = ""
    skills: list[str] = field(default_factory=list)
    status: str = CampaignStatus.ACTIVE
    starts_on: date | None = None
    ends_on: date | None = None
    created_at: datetime | None = None
    id: int | None = None


@dataclass(kw_only=True, eq=False)
class Participation:
    """A member's place in a campaign: participant or lead."""

    campaign_id: int
    member_id: int
    role: str = "participant"
    joined_at: datetime | None = None
    id: int | None = None


# Specs, not entities: instances are made fresh when the campaigns are seeded.
GREEN_CAMPAIGNS: tuple[dict, ...] = (
    dict(
        slug="greener-surgery",
        title="Greener surgery",
        description="Cut the carbon of operating theatres: anaesthetic gases, reusable "
        "instruments, theatre waste and energy.",
        skills=["anaesthetic gases", "reusables", "theatre waste", "energy", "procurement"],
    ),
    dict(
        slug="biodiversity",
        title="Biodiversity",
        description="Wilder hospital grounds: green spaces, planting, habitats and "
        "nature for patients and staff.",
        skills=["ecology", "gardening", "habitat surveys", "green space", "volunteering"],
    ),
    dict(
        slug="waste-management",
        title="Waste management",
        description="Less waste and better segregation: recycling, clinical waste "
        "streams, single-use plastics and circular procurement.",
        skills=["recycling", "clinical waste", "procurement", "circular economy", "plastics"],
    ),
    dict(
        slug="sustainable-food",
        title="Sustainable food and nutrition",
        description="Healthier, lower-carbon food for patients and staff: menus, "
        "local sourcing, food waste and nutrition.",
        skills=["nutrition", "catering", "food waste", "local sourcing", "menu planning"],
    ),
)
