"""`home`: one dashboard message; the Slack App Home renders the same `home_message`."""

from bot.handlers import router
from bot.handlers.exchanges import exchange_card
from bot.turns import Request
from bot.views import PRIMARY, Button, Card, Field, Message, Reply
from core.exchanges import State
from core.minutes import format_minutes
from core.ports import Context
from core.posts import NeedStatus, OfferStatus
from core.statements import balance

SHOWN = 5


@router.command("home", "Your dashboard: hours, posts, and what's waiting for you",
                details="Your balance, open needs, active offers, the exchanges waiting for you "
                        "(with their buttons) and your campaigns, in one message.",
                aliases=("dashboard",))
async def home(req: Request) -> Reply:
    return Reply(message=await home_message(req))


@router.action("home.show")
async def home_button(req: Request) -> Reply:
    return Reply(message=await home_message(req), replace=True)


async def home_message(req: Request) -> Message:
    """The whole dashboard for the member who asked, in their time zone."""
    return Message(cards=tuple(await req.bank.read(_cards, req.member.id, req.member.timezone)))


async def _cards(ctx: Context, member_id: int, timezone: str) -> list[Card]:
    return [await _hours(ctx, member_id), *await _waiting(ctx, member_id, timezone),
            await _needs(ctx, member_id), await _offers(ctx, member_id), await _campaigns(ctx, member_id)]


async def _hours(ctx: Context, member_id: int) -> Card:
    summary = await balance(ctx, member_id)
    return Card(
        title="Your hours",
        fields=(Field("Balance", format_minutes(summary.balance)),
                Field("Available", format_minutes(summary.available)),
                Field("Held for agreed exchanges", format_minutes(summary.held))),
        buttons=(Button("Matches", "matches.all", style=PRIMARY), Button("Exchanges", "exchanges.page", "0|"),
                 Button("History", "history.page", "0"), Button("Refresh", "home.show")),
    )


async def _waiting(ctx: Context, member_id: int, timezone: str) -> list[Card]:
    """Exchanges whose next move is this member's: answer, confirm, or log an agreed session."""
    open_ones = await ctx.uow.exchanges.for_member(member_id, open_only=True)
    mine = [e for e in open_ones if e.awaiting() == member_id or e.state == State.ACCEPTED]
    if not mine:
        return [Card(title="Waiting for you", text="Nothing right now.")]
    count = "1 exchange needs" if len(mine) == 1 else f"{len(mine)} exchanges need"
    head = Card(title="Waiting for you", text=f"{count} a step from you.")
    return [head] + [await exchange_card(ctx, e, member_id, timezone) for e in mine[:SHOWN]]


async def _needs(ctx: Context, member_id: int) -> Card:
    found = await ctx.uow.needs.search(owner_id=member_id, status=[NeedStatus.OPEN, NeedStatus.MATCHED],
                                       limit=SHOWN)
    fields = tuple(Field(f"#{n.id} {n.title}", f"{n.status} · {format_minutes(n.minutes)}") for n in found)
    return Card(title="Your open needs", text="" if found else "None. Ask for help with `need`.",
                fields=fields, buttons=(Button("Post a need", "need.new"), Button("All my needs", "needs.page", "0|mine")))


async def _offers(ctx: Context, member_id: int) -> Card:
    found = await ctx.uow.offers.search(owner_id=member_id, status=[OfferStatus.ACTIVE, OfferStatus.PAUSED],
                                        limit=SHOWN)
    fields = tuple(Field(f"#{o.id} {o.title}", f"{o.status} · {format_minutes(o.remaining)} left") for o in found)
    return Card(title="Your offers", text="" if found else "None. Offer some hours with `offer`.",
                fields=fields, buttons=(Button("Offer hours", "offer.new"), Button("All my offers", "offers.page", "0|mine")))


async def _campaigns(ctx: Context, member_id: int) -> Card:
    seats = await ctx.uow.campaigns.of_member(member_id)
    titles = {c.id: c.title for c in await ctx.uow.campaigns.all()}
    fields = tuple(Field(titles.get(s.campaign_id, "?"), s.role) for s in seats)
    return Card(title="Your campaigns", text="" if seats else "You haven't joined one yet. See `campaigns`.",
                fields=fields)
