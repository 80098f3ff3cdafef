"""Campaign use cases: seeding, joining, leading, donating, and the numbers of impact."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from core import transfers
from core.campaigns import GREEN_CAMPAIGNS, Campaign, CampaignStatus, Organisation, Participation
from core.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from core.exchanges import Exchange, State
from core.ledger import AccountKind
from core.members import Role
from core.ports import Context
from core.posts import Need, NeedStatus, clean_skills, clean_text

MATCHED_STATES = (State.ACCEPTED, State.LOGGED, State.DISPUTED, State.CONFIRMED)


async def seed(ctx: Context) -> list[Campaign]:
    """The four NHS net-zero campaigns exist from the first start; seeding twice is harmless."""
    made = []
    for spec in GREEN_CAMPAIGNS:
        if await ctx.uow.campaigns.by_slug(spec["slug"]) is None:
            made.append(await _create(ctx, Campaign(**spec, created_at=ctx.now)))
    return made


async def _create(ctx: Context, campaign: Campaign) -> Campaign:
    campaign = await ctx.uow.campaigns.add(campaign)
    await transfers.open_account(ctx, AccountKind.CAMPAIGN, campaign.id, campaign.title)
    return campaign


async def find(ctx: Context, ref: str | int) -> Campaign:
    """By id or slug, as members type either."""
    campaign = None
    if isinstance(ref, int) or str(ref).isdigit():
        campaign = await ctx.uow.campaigns.get(int(ref))
    else:
        campaign = await ctx.uow.campaigns.by_slug(str(ref).strip().lower())
    if campaign is None:
        raise NotFound("I can't find that campaign. Try `campaigns` for the list.")
    return campaign


async def join(ctx: Context, member_id: int, ref: str | int) -> Campaign:
    campaign = await find(ctx, ref)
    if campaign.status == CampaignStatus.CLOSED:
        raise InvalidState("That campaign has closed.")
    if await ctx.uow.campaigns.participation(campaign.id, member_id):
        raise InvalidState(f"You're already in {campaign.title}.")
    await ctx.uow.campaigns.add_participation(
        Participation(campaign_id=campaign.id, member_id=member_id, joined_at=ctx.now)
    )
    return campaign


async def leave(ctx: Context, member_id: int, ref: str | int) -> Campaign:
    campaign = await find(ctx, ref)
    seat = await ctx.uow.campaigns.participation(campaign.id, member_id)
    if seat is None:
        raise InvalidState(f"You're not in {campaign.title}.")
    await ctx.uow.campaigns.remove_participation(seat)
    return campaign


async def is_lead(ctx: Context, campaign_id: int, member_id: int) -> bool:
    seat = await ctx.uow.campaigns.participation(campaign_id, member_id)
    return seat is not None and seat.role == "lead"


async def require_lead(ctx: Context, campaign_id: int | None, member_id: int) -> None:
    """Leads of the campaign and admins; for a new campaign, anyone with the lead role."""
    member = await ctx.uow.members.get(member_id)
    if member is not None and member.is_admin:
        return
    if campaign_id is None and member is not None and member.role == Role.LEAD:
        return
    if campaign_id is not None and await is_lead(ctx, campaign_id, member_id):
        return
    raise NotAllowed("Only a lead of this campaign (or an admin) can do that.")


async def create(ctx: Context, actor_id: int, slug: str, title: str, description: str, skills: list[str]) -> Campaign:
    await require_lead(ctx, None, actor_id)
    slug = slug.strip().lower()
    if not slug.replace("-", "").isalnum() or len(slug) > 40:
        raise InvalidInput("A campaign's short name is letters, digits and dashes, e.g. green-travel.")
    if await ctx.uow.campaigns.by_slug(slug):
        raise InvalidState(f"There is already a campaign called {slug}.")
    title, description = clean_text(title, description, ctx.rules)
    campaign = await _create(ctx, Campaign(slug=slug, title=title, description=description,
                                           skills=clean_skills(skills, ctx.rules), created_at=ctx.now))
    await ctx.uow.campaigns.add_participation(
        Participation(campaign_id=campaign.id, member_id=actor_id, role="lead", joined_at=ctx.now)
    )
    return campaign


async def edit(ctx: Context, actor_id: int, ref: str | int, **changes) -> Campaign:
    campaign = await find(ctx, ref)
    await require_lead(ctx, campaign.id, actor_id)
    title, description = clean_text(changes.get("title", campaign.title),
                                    changes.get("description", campaign.description), ctx.rules)
    campaign.title, campaign.description = title, description
    if "skills" in changes:
        campaign.skills = clean_skills(changes["skills"], ctx.rules)
    if "status" in changes:
        if changes["status"] not in set(CampaignStatus):
            raise InvalidInput("Status is active, paused or closed.")
        campaign.status = changes["status"]
    return campaign


async def appoint_lead(ctx: Context, actor_id: int, ref: str | int, member_id: int) -> Campaign:
    campaign = await find(ctx, ref)
    await require_lead(ctx, campaign.id, actor_id)
    seat = await ctx.uow.campaigns.participation(campaign.id, member_id)
    if seat is None:
        await ctx.uow.campaigns.add_participation(
            Participation(campaign_id=campaign.id, member_id=member_id, role="lead", joined_at=ctx.now))
    else:
        seat.role = "lead"
    return campaign


async def donate(ctx: Context, member_id: int, target: str, minutes: int, key: str, reason: str = "") -> str:
    """Give hours to a campaign (by slug) or an organisation (by `org:slug`)."""
    payer = await transfers.account_of(ctx, AccountKind.MEMBER, member_id)
    if target.startswith("org:"):
        org = await ctx.uow.organisations.by_slug(target[4:])
        if org is None:
            raise NotFound("I can't find that organisation.")
        account, name = await transfers.account_of(ctx, AccountKind.ORGANISATION, org.id), org.name
    else:
        campaign = await find(ctx, target)
        account, name = await transfers.account_of(ctx, AccountKind.CAMPAIGN, campaign.id), campaign.title
    why = (f"donation to {name}" + (f": {reason.strip()}" if reason.strip() else ""))[:300]
    await transfers.transfer(ctx, key, payer.id, account.id, minutes, why)
    return name


async def add_organisation(ctx: Context, actor_id: int, slug: str, name: str, sector: str) -> Organisation:
    from core.directory import require_admin

    await require_admin(ctx, actor_id)
    org = await ctx.uow.organisations.add(Organisation(slug=slug, name=name, sector=sector, created_at=ctx.now))
    await transfers.open_account(ctx, AccountKind.ORGANISATION, org.id, name)
    return org


@dataclass(frozen=True)
class Report:
    """A campaign's impact in numbers (None campaign: the whole bank)."""

    title: str
    minutes_exchanged: int
    exchanges_completed: int
    members_by_sector: dict[str, int]
    needs_met: int
    needs_open: int
    top_skills: list[tuple[str, int]]
    median_minutes_to_match: int | None = None


async def report(ctx: Context, actor_id: int, ref: str | int | None) -> Report:
    campaign = await find(ctx, ref) if ref is not None else None
    await require_lead(ctx, campaign.id if campaign else None, actor_id)
    campaign_id = campaign.id if campaign else None
    exchanges = await ctx.uow.exchanges.for_campaign(campaign_id)
    done = [x for x in exchanges if x.state == State.CONFIRMED]
    needs = await ctx.uow.needs.search(campaign_id=campaign_id, status=None, limit=100_000)
    member_ids = None
    if campaign is not None:
        member_ids = [p.member_id for p in await ctx.uow.campaigns.participants(campaign.id)]
    skills = Counter(skill for need in needs for skill in need.skills)
    return Report(
        title=campaign.title if campaign else "All campaigns",
        minutes_exchanged=sum(x.posted_minutes or 0 for x in done),
        exchanges_completed=len(done),
        members_by_sector=await ctx.uow.members.count_by_sector(member_ids),
        needs_met=sum(1 for n in needs if n.status == NeedStatus.CLOSED),
        needs_open=sum(1 for n in needs if n.status in (NeedStatus.OPEN, NeedStatus.MATCHED)),
        top_skills=skills.most_common(5),
        median_minutes_to_match=_median_to_match(needs, exchanges),
    )


def _median_to_match(needs: list[Need], exchanges: list[Exchange]) -> int | None:
    """Minutes from a need being posted to the proposal of its first exchange that went ahead."""
    posted = {n.id: n.created_at for n in needs if n.created_at is not None}
    matched: dict[int, datetime] = {}
    for x in exchanges:
        if x.need_id in posted and x.state in MATCHED_STATES and x.created_at is not None:
            matched[x.need_id] = min(matched.get(x.need_id, x.created_at), x.created_at)
    waits = sorted(max(0, round((at - posted[need_id]).total_seconds() / 60)) for need_id, at in matched.items())
    return round(median(waits)) if waits else None
