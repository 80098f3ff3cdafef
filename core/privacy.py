"""A member's own data: export everything held about them, or forget them.

Forgetting anonymises the person, never the ledger: every transfer stays,
so balances and `ledger verify` are exactly as before.
"""

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from core import directory, exchange_flow, statements
from core.exchanges import State
from core.ledger import AccountKind
from core.members import Member, Role, Sector
from core.ports import Context
from core.posts import NeedStatus, OfferStatus

EVERYTHING = 1_000_000


async def export_data(ctx: Context, member_id: int) -> dict:
    """Everything held about one member, as JSON-ready data (the `mydata` file)."""
    member = await directory.get(ctx, member_id)
    uow = ctx.uow
    account = await uow.accounts.of_owner(AccountKind.MEMBER, member_id)
    lines = (await statements.statement(ctx, member_id, 0, EVERYTHING)).lines
    return _plain({
        "profile": _record(member, exclude=("preferences",)),
        "preferences": member.preferences,
        "identities": [_record(i, exclude=("member_id",)) for i in await uow.members.identities(member_id)],
        "account": _record(account) if account else None,
        "statement": [_record(line) for line in lines],
        "needs": [_record(n) for n in await uow.needs.search(owner_id=member_id, status=None, limit=EVERYTHING)],
        "offers": [_record(o) for o in await uow.offers.search(owner_id=member_id, status=None, limit=EVERYTHING)],
        "exchanges": [_record(x) for x in await uow.exchanges.for_member(member_id, open_only=False)],
        "campaigns": [await _seat(ctx, p) for p in await uow.campaigns.of_member(member_id)],
        "exported_at": ctx.now,
    })


async def forget(ctx: Context, member_id: int) -> Member:
    """Anonymise a member: profile, preferences, identities and open posts; the ledger stays whole."""
    member = await directory.get(ctx, member_id)
    member.display_name = f"Former member #{member.id}"
    member.organisation = member.bio = ""
    member.skills, member.preferences = [], {}
    member.sector, member.role = Sector.OTHER, Role.MEMBER
    member.forgotten_at = ctx.now
    account = await ctx.uow.accounts.of_owner(AccountKind.MEMBER, member.id)
    if account is not None:
        account.name = member.display_name
    for identity in await ctx.uow.members.identities(member.id):
        await ctx.uow.members.remove_identity(identity)
    for seat in await ctx.uow.campaigns.of_member(member.id):
        await ctx.uow.campaigns.remove_participation(seat)
    await _close_posts(ctx, member.id)
    return member


async def _close_posts(ctx: Context, member_id: int) -> None:
    """Needs withdrawn, offers closed, unanswered proposals cancelled; agreed holds run their course."""
    uow = ctx.uow
    open_needs = [NeedStatus.OPEN, NeedStatus.MATCHED]
    for need in await uow.needs.search(owner_id=member_id, status=open_needs, limit=EVERYTHING):
        need.status, need.updated_at = NeedStatus.WITHDRAWN, ctx.now
    live = [OfferStatus.ACTIVE, OfferStatus.PAUSED]
    for offer in await uow.offers.search(owner_id=member_id, status=live, limit=EVERYTHING):
        offer.status, offer.updated_at = OfferStatus.CLOSED, ctx.now
    for exchange in await uow.exchanges.for_member(member_id, open_only=True):
        if exchange.state == State.PROPOSED:
            await exchange_flow.cancel(ctx, exchange.id, member_id)


async def _seat(ctx: Context, seat) -> dict:
    campaign = await ctx.uow.campaigns.get(seat.campaign_id)
    return {"campaign": campaign.slug if campaign else None, "role": seat.role, "joined_at": seat.joined_at}


def _record(entity: Any, exclude: tuple[str, ...] = ()) -> dict:
    """A dataclass's own fields (not the ORM's bookkeeping)."""
    return {f.name: getattr(entity, f.name) for f in fields(entity) if f.name not in exclude}


def _plain(value: Any) -> Any:
    """Dates as ISO text and enums as their values, so `json.dumps` takes it as is."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value
