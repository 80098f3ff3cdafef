"""Demonstration members, needs and offers, so a newcomer can trade hours within a minute.

Seeding is idempotent: members are found by their console identity, posts by a
fixed client key, so `--demo` can be given on every start.
"""

from dataclasses import dataclass

from core import campaign_flow, directory, marketplace
from core.bank import Bank
from core.members import Member
from core.ports import Context

PLATFORM, WORKSPACE = "console", "local"

MEMBERS = {
    "alice": dict(display_name="Alice", organisation="Riverside NHS Foundation Trust", sector="nhs",
                  timezone="Europe/London", skills=["theatre waste", "anaesthetic gases", "nutrition"]),
    "bob": dict(display_name="Bob", organisation="Green Wards (charity)", sector="charity",
                timezone="Europe/London", skills=["recycling", "clinical waste", "gardening"]),
    "chen": dict(display_name="Chen", organisation="Loop Catering Ltd", sector="commercial",
                 timezone="Europe/London", skills=["catering", "food waste", "energy"]),
}

# (who, campaign slug, title, description, skills, minutes); each has a helper among the offers.
NEEDS = (
    ("alice", "waste-management", "Review our theatre waste audit",
     "We weighed a week of theatre waste. We'd like a second pair of eyes on segregation "
     "and which streams could be recycled.", ["recycling", "clinical waste"], 90),
    ("alice", "greener-surgery", "Power down theatres safely out of hours",
     "Which ventilation and lighting can go into setback at night, and how to check it.",
     ["energy"], 60),
    ("alice", "biodiversity", "Habitat survey of the staff garden",
     "A walk round with someone who can tell us what lives there and what would help.",
     ["habitat surveys", "ecology"], 60),
    ("bob", "biodiversity", "Plan a wildflower meadow on hospital grounds",
     "We have volunteers and a patch of lawn; we need a planting plan.", ["green space", "ecology"], 120),
    ("bob", "sustainable-food", "Set up food waste tracking in our café",
     "How to weigh and record plate waste without slowing the queue.", ["food waste"], 60),
    ("chen", "sustainable-food", "Nutrition check of a low-carbon patient menu",
     "A dietitian's view on a plant-forward menu for wards.", ["nutrition", "menu planning"], 60),
    ("chen", "greener-surgery", "Lower-carbon anaesthetic gases, explained",
     "A short talk for our hospital clients on moving off desflurane.", ["anaesthetic gases"], 60),
    ("chen", "waste-management", "Cut single-use plastics in catering",
     "Ideas and suppliers for reusable trays and cutlery.", ["plastics", "recycling"], 60),
)

# (who, campaign slugs, title, description, skills, minutes)
OFFERS = (
    ("bob", ["waste-management"], "Waste audits and recycling advice",
     "I run waste audits for small hospitals and charities.",
     ["recycling", "clinical waste", "plastics"], 240),
    ("bob", ["biodiversity"], "Volunteer gardening days and habitat surveys",
     "Our volunteers plant, weed, build bug hotels and survey wildlife.",
     ["gardening", "volunteering", "habitat surveys"], 360),
    ("alice", ["sustainable-food"], "Dietitian advice on menus",
     "NHS dietitian; happy to review menus for nutrition.", ["nutrition", "menu planning"], 180),
    ("alice", ["greener-surgery"], "Anaesthetic gas reduction know-how",
     "Our theatres moved off desflurane last year.", ["anaesthetic gases"], 120),
    ("chen", ["sustainable-food", "waste-management"], "Food waste tracking and local sourcing",
     "We track food waste in 40 kitchens.", ["food waste", "local sourcing", "catering"], 240),
    ("chen", ["greener-surgery"], "Energy monitoring for buildings",
     "Building energy dashboards and out-of-hours shutdown plans.", ["energy"], 180),
    ("chen", ["biodiversity"], "Green roofs and planting schemes",
     "We design planting for roofs, courtyards and verges.", ["green space", "ecology"], 120),
)


@dataclass(frozen=True)
class Seeded:
    members: int
    needs: int
    offers: int


async def seed(bank: Bank) -> Seeded:
    """Make whatever of the demonstration is missing; running it again changes nothing."""
    return await bank.run(_seed)


async def _seed(ctx: Context) -> Seeded:
    members = {key: await _member(ctx, key, profile) for key, profile in MEMBERS.items()}
    slugs = {c.slug: c.id for c in await ctx.uow.campaigns.all()}
    for n, (who, slug, title, description, skills, minutes) in enumerate(NEEDS, 1):
        await marketplace.post_need(ctx, members[who].id, title, description, skills, slugs.get(slug),
                                    minutes, client_key=f"demo:need:{n}")
        await _join(ctx, members[who], slugs.get(slug))
    for n, (who, campaigns, title, description, skills, minutes) in enumerate(OFFERS, 1):
        ids = [slugs[s] for s in campaigns if s in slugs]
        await marketplace.post_offer(ctx, members[who].id, title, description, skills, ids, minutes,
                                     client_key=f"demo:offer:{n}")
        for campaign_id in ids:
            await _join(ctx, members[who], campaign_id)
    return Seeded(len(members), len(NEEDS), len(OFFERS))


async def _member(ctx: Context, key: str, profile: dict) -> Member:
    member, _ = await directory.resolve(ctx, PLATFORM, WORKSPACE, key, profile["display_name"],
                                        profile["timezone"])
    if not member.onboarded:
        member = await directory.update_profile(ctx, member.id, **profile)
    return member


async def _join(ctx: Context, member: Member, campaign_id: int | None) -> None:
    if campaign_id is not None and not await ctx.uow.campaigns.participation(campaign_id, member.id):
        await campaign_flow.join(ctx, member.id, campaign_id)
