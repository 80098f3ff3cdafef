"""Admins: grant hours, reverse a transfer, appoint roles and leads, resolve disputed exchanges."""

import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.delivery.queue import keyed, queue
from bot.dialogs.fields import Reader
from bot.handlers import router
from bot.handlers.common import member_ref, names, ref_id
from bot.turns import Request
from bot.views import (
    PRIMARY,
    Button,
    Card,
    Field,
    Form,
    Input,
    Message,
    Notice,
    Reply,
    problem,
    say,
)
from core import admin, campaign_flow, directory, exchange_flow
from core.errors import NotAllowed
from core.exchanges import Exchange, State, missing
from core.ledger import AccountKind, Transfer
from core.members import Role
from core.minutes import format_minutes, parse_minutes
from core.ports import Context

GRANT_CAP = 200 * 60
RESOLVE_FORM = "exchange.resolve"
GRANT_USAGE = "grant <@member | #12 | name> <hours> <reason>"
APPOINT_USAGE = "appoint <@member | #12 | name> lead|admin|member [campaign]"
_NUMBERISH = re.compile(r"^\d")


def _split_at(tokens: list[str], found) -> int | None:
    """Where the member's name ends: the first later token that `found` recognises."""
    return next((i for i in range(1, len(tokens)) if found(tokens[i])), None)


async def _member(ctx: Context, req: Request, text: str) -> int:
    return await member_ref(ctx, req, text.lstrip("@"))


def _tell(member_id: int, title: str, body: str, key: str = "") -> Notice:
    return Notice(member_id, Message(cards=(Card(title=title, text=body),)), key)


Tell = Callable[[Context, Any], Awaitable[Sequence[Notice]]]


async def _changed(req: Request, tell: Tell, use_case: Callable[..., Awaitable[Any]], *args: Any):
    """Run the change and queue the notices it causes in its transaction: both commit, or neither.

    Notices without a key of their own get one from the request, so a retried request queues nothing twice.
    """
    told: list[tuple[Notice, ...]] = []

    async def then(ctx: Context, result: Any) -> None:
        told.append(tuple(keyed(await tell(ctx, result), req.turn.request_key)))
        await queue(ctx, told[-1])

    return await req.bank.run(use_case, *args, then=then), told[-1]


@router.command("grant", "Grant hours to a member from the time bank (admins)", usage=GRANT_USAGE,
                audience="admin", details="e.g. `grant #12 2h kick-start for the pond survey`. The reason "
                                          "shows in the member's statement.")
async def grant(req: Request) -> Reply:
    await req.bank.read(directory.require_admin, req.member.id)
    tokens = req.turn.text.split()
    cut = _split_at(tokens, _NUMBERISH.match)
    if cut is None or cut == len(tokens) - 1:
        return problem(f"Say who, how many hours and why. Usage: {GRANT_USAGE}")
    minutes = parse_minutes(tokens[cut], GRANT_CAP)
    who, reason = " ".join(tokens[:cut]), " ".join(tokens[cut + 1:])
    key = f"grant:{req.member.id}:{req.turn.request_key or secrets.token_hex(8)}"

    async def tell(ctx: Context, granted: tuple[int, Transfer]) -> list[Notice]:
        target_id, done = granted
        return [_tell(target_id, "You received hours", f"{format_minutes(minutes)} from the time bank: {reason}",
                      f"transfer:{done.id}:granted")]

    (target_id, done), notices = await _changed(req, tell, _grant, req, who, minutes, reason, key)
    name = (await req.bank.read(names, {target_id}))[target_id]
    return say(Card(title="Hours granted", text=f"{format_minutes(minutes)} to {name}: {reason}",
                    fields=(Field("Transfer", f"#{done.id}"),)), notices=notices)


async def _grant(ctx: Context, req: Request, who: str, minutes: int, reason: str, key: str):
    target_id = await _member(ctx, req, who)
    return target_id, await admin.grant(ctx, req.member.id, target_id, minutes, reason, key)


@router.command("reverse", "Reverse a transfer with a reason (admins)", audience="admin",
                usage="reverse <transfer number> <reason>",
                details="Writes a new transfer the other way; nothing is edited or deleted.")
async def reverse(req: Request) -> Reply:
    await req.bank.read(directory.require_admin, req.member.id)
    number, _, reason = req.turn.text.strip().partition(" ")
    transfer_id = ref_id(number, "transfer")
    if not reason.strip():
        return problem("Please give a reason; it shows in both statements. Usage: reverse 42 entered twice")
    earlier = await req.bank.read(_reversal_of, transfer_id)
    if earlier is not None:
        return problem(f"Transfer #{transfer_id} was already reversed by #{earlier}.")
    done, notices = await _changed(req, _reversal_notices, admin.reverse, req.member.id, transfer_id, reason.strip())
    return say(Card(title="Transfer reversed", text=f"#{transfer_id} is reversed by #{done.id}: "
                    f"{format_minutes(done.amount)} back. Reason: {done.reason}"), notices=notices)


async def _reversal_notices(ctx: Context, done: Transfer) -> list[Notice]:
    """Each member whose balance the reversal changes hears why; time bank and campaign accounts hear nothing."""
    told = []
    for account_id, way in ((done.debit_account_id, "taken back from"), (done.credit_account_id, "returned to")):
        account = await ctx.uow.accounts.get(account_id)
        if account is not None and account.kind == AccountKind.MEMBER:
            body = (f"Transfer #{done.reverses_id} was reversed: {format_minutes(done.amount)} {way} your "
                    f"balance. Reason: {done.reason}")
            told.append(_tell(account.owner_id, "A transfer was reversed", body,
                              f"transfer:{done.id}:reversal:{account.owner_id}"))
    return told


async def _reversal_of(ctx: Context, transfer_id: int) -> int | None:
    found = await ctx.uow.transfers.reversal_of(transfer_id)
    return found.id if found else None


@router.command("appoint", "Make a member a lead or admin, or a lead of a campaign (admins)",
                usage=APPOINT_USAGE, audience="admin",
                details="`appoint #12 lead` lets them create campaigns; `appoint #12 lead biodiversity` "
                        "makes them a lead of that campaign; `appoint #12 member` takes a role away.")
async def appoint(req: Request) -> Reply:
    if req.member.role not in (Role.ADMIN, Role.LEAD):
        raise NotAllowed("Only an admin can appoint, or a lead for their own campaign.")
    tokens = req.turn.text.split()
    cut = _split_at(tokens, lambda t: t.lower() in set(Role))
    if cut is None or len(tokens) > cut + 2:
        return problem(f"Usage: {APPOINT_USAGE}")
    role, slug = tokens[cut].lower(), (tokens[cut + 1] if len(tokens) > cut + 1 else None)
    if slug and role != Role.LEAD:
        return problem("Only leads are appointed to a campaign. Usage: appoint #12 lead biodiversity")

    async def tell(ctx: Context, appointed) -> list[Notice]:
        target, where = appointed
        return [_tell(target.id, "A new role", f"You are now {_role_words(role, where)}. "
                                                "Type `help` to see what you can do.")]

    (target, where), notices = await _changed(req, tell, _appoint, req, " ".join(tokens[:cut]), role, slug)
    return say(Card(title="Appointed", text=f"{target.display_name} is now {_role_words(role, where)}."),
               notices=notices)


def _role_words(role: str, where: str | None) -> str:
    return f"a lead of {where}" if where else f"{'an' if role == Role.ADMIN else 'a'} {role}"


async def _appoint(ctx: Context, req: Request, who: str, role: str, slug: str | None):
    """Permission first, so nobody learns who exists by being refused."""
    if slug is None:
        await directory.require_admin(ctx, req.member.id)
        return await directory.appoint(ctx, req.member.id, await _member(ctx, req, who), role), None
    await campaign_flow.require_lead(ctx, (await campaign_flow.find(ctx, slug)).id, req.member.id)
    target_id = await _member(ctx, req, who)
    campaign = await campaign_flow.appoint_lead(ctx, req.member.id, slug, target_id)
    target = await directory.get(ctx, target_id)
    if target.role == Role.MEMBER:
        target.role = Role.LEAD  # so `help` shows them the lead commands
    return target, campaign.title


@router.command("disputes", "Disputed exchanges waiting for a decision (admins and leads)",
                usage="disputes", audience="lead",
                details="Admins see every dispute; campaign leads see those in their campaigns. "
                        "Resolve sets the hours that move; 0 releases the hold and nothing moves.")
async def disputes(req: Request) -> Reply:
    found = await req.bank.read(_open_disputes, req.member.id)
    if not found:
        return say(Card(title="Disputes", text="No disputed exchanges need you. Good news."))
    cards = [await req.bank.read(_dispute_card, x) for x in found[:20]]
    return say(Card(title="Disputes", text=f"{len(found)} waiting for a decision."), *cards)


async def _open_disputes(ctx: Context, member_id: int) -> list[Exchange]:
    actor = await ctx.uow.members.get(member_id)
    if actor is not None and actor.is_admin:
        pool = await ctx.uow.exchanges.for_campaign(None)
    else:
        led = [s.campaign_id for s in await ctx.uow.campaigns.of_member(member_id) if s.role == "lead"]
        if not led:
            raise NotAllowed("Only an admin, or a lead of a campaign, can see disputes.")
        pool = [x for cid in led for x in await ctx.uow.exchanges.for_campaign(cid) if not x.is_party(member_id)]
    return [x for x in pool if x.state == State.DISPUTED]


async def _dispute_card(ctx: Context, x: Exchange) -> Card:
    who = await names(ctx, {x.requester_id, x.helper_id, x.logged_by or x.helper_id})
    fields = (Field("Helper", who[x.helper_id]), Field("Helped", who[x.requester_id]),
              Field("Agreed", format_minutes(x.minutes)),
              Field("Logged", f"{format_minutes(x.logged_minutes or 0)} by {who[x.logged_by or x.helper_id]}"),
              Field("Dispute", x.dispute_reason or "no reason given"))
    return Card(title=f"Exchange #{x.id}", fields=fields,
                buttons=(Button("Resolve", "dispute.resolve", str(x.id), PRIMARY),))


@router.action("dispute.resolve")
async def resolve_button(req: Request) -> Reply:
    exchange_id = ref_id(req.turn.ref, "exchange")
    x = await req.bank.read(_disputed, exchange_id, req.member.id)
    intro = (f"Agreed {format_minutes(x.minutes)}, logged {format_minutes(x.logged_minutes or 0)}. "
             f"Dispute: {x.dispute_reason}")
    return Reply(form=_resolve_form(x.id, f"{x.logged_minutes or 0}m", intro=intro))


def _resolve_form(exchange_id: int, value: str, intro: str = "", error: str | None = None) -> Form:
    hours = Input("hours", "Hours that move to the helper", kind="hours", required=True, value=value,
                  hint="0 releases the hold: nothing moves", error=error)
    return Form(RESOLVE_FORM, f"Resolve exchange #{exchange_id}", (hours,), submit_label="Resolve",
                ref=str(exchange_id), intro=intro)


async def _disputed(ctx: Context, exchange_id: int, actor_id: int) -> Exchange:
    x = await ctx.uow.exchanges.get(exchange_id)
    if x is None:
        raise missing("exchange")
    await exchange_flow.require_resolver(ctx, x, actor_id)
    return x


@router.form(RESOLVE_FORM)
async def resolve(req: Request) -> Reply:
    exchange_id = ref_id(req.turn.ref, "exchange")
    raw = str(req.turn.values.get("hours") or "").strip().lower()
    reader = Reader(req.turn.values, req.bank.rules)
    minutes = 0 if _is_zero(raw) else reader.minutes("hours")
    if reader.errors:
        return Reply(form=_resolve_form(exchange_id, raw, error=reader.errors["hours"]), close_form=False)
    x, notices = await _changed(req, _resolved_notices, exchange_flow.resolve, exchange_id, req.member.id, minutes)
    return say(Card(title="Dispute resolved", text=_resolution(x)), notices=notices)


def _resolution(x: Exchange) -> str:
    outcome = (f"{format_minutes(x.posted_minutes)} moved to the helper" if x.state == State.CONFIRMED
               else "the hold is released and no hours moved")
    return f"Exchange #{x.id} is resolved: {outcome}."


async def _resolved_notices(ctx: Context, x: Exchange) -> list[Notice]:
    return [_tell(m, "Your dispute is resolved", _resolution(x), f"exchange:{x.id}:resolved:{m}")
            for m in (x.requester_id, x.helper_id)]


def _is_zero(raw: str) -> bool:
    """`0`, `0h`, `0m`, `0:00`: release the hold (hours parsing refuses zero elsewhere)."""
    return raw[:1] == "0" and raw.strip("hm:0. ") == ""
