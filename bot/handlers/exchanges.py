"""`exchanges`: my exchanges, each with its next step and the buttons for it."""

import dataclasses

from bot.delivery.queue import queue
from bot.dialogs import exchange_forms as forms
from bot.dialogs.fields import FieldErrors
from bot.handlers import router
from bot.handlers.common import first_arg_id, local_day, names, ref_id
from bot.turns import Request
from bot.views import (
    DANGER,
    PRIMARY,
    Button,
    Card,
    Field,
    Message,
    Notice,
    Reply,
    page_buttons,
    say,
    text,
)
from core import exchange_flow
from core.exchanges import Exchange, State, require_counterpart, require_party, require_state
from core.minutes import format_minutes, parse_minutes
from core.ports import Context
from core.statements import balance

PER_PAGE = 5

# event → (title and text for the member who acted, title and text for the other party)
EVENTS = {
    "proposed": ("Proposal sent", "I've asked {other} to accept. You'll hear when they answer.",
                 "{actor} proposes an exchange", "{actor} would like to exchange {m} with you. Accept or decline below."),
    "accepted": ("Accepted", "{m} is held until the session is confirmed. Afterwards, log the time: `log {id} 1h30`.",
                 "{actor} accepted exchange #{id}", "{m} is held. After the session, either of you logs the time."),
    "declined": ("Declined", "I've told {other}. Nothing was held.",
                 "{actor} declined exchange #{id}", "Nothing was held. Try `matches` for other suggestions."),
    "cancelled": ("Cancelled", "Any held hours were released. I've told {other}.",
                  "{actor} cancelled exchange #{id}", "Any held hours were released."),
    "logged": ("Hours logged", "I've asked {other} to confirm {m}.",
               "{actor} logged {m} for exchange #{id}", "Please confirm, adjust or dispute the time."),
    "adjusted": ("Hours adjusted", "I've asked {other} to confirm {m}.",
                 "{actor} adjusted exchange #{id} to {m}", "Please confirm the new time, or adjust it again."),
    "confirmed": ("Confirmed", "{posted} moved between you and {other}. Your balance is now {bal}.",
                  "{actor} confirmed exchange #{id}", "{posted} moved between you. Your balance is now {bal}."),
    "disputed": ("Disputed", "A campaign lead or an admin will resolve it. I've told {other}.",
                 "{actor} disputed exchange #{id}", "Reason: {reason}\nA campaign lead or an admin will resolve it."),
    "thanked": ("Thank-you sent", "I've passed your note to {other}.",
                "{actor} says thank you", "{note}"),
}


async def exchange_card(ctx: Context, exchange: Exchange, viewer_id: int, timezone: str = "UTC") -> Card:
    """An exchange as one of its parties sees it, with the buttons for their next step."""
    who = await names(ctx, {exchange.requester_id, exchange.helper_id})
    who[viewer_id] = "You"
    fields = [Field("Helper", who[exchange.helper_id]), Field("Receiving help", who[exchange.requester_id]),
              Field("Agreed", format_minutes(exchange.minutes)), Field("Status", str(exchange.state)),
              Field("Proposed", local_day(exchange.created_at, timezone))]
    if exchange.logged_minutes is not None and exchange.state in (State.LOGGED, State.DISPUTED):
        fields.append(Field("Logged", f"{format_minutes(exchange.logged_minutes)} by {who[exchange.logged_by]}"))
    confirms = await exchange_flow.confirms_on(ctx, exchange)
    if confirms is not None:
        fields.append(Field("Confirmed automatically", f"on {local_day(confirms, timezone)} unless answered"))
    if exchange.posted_minutes is not None:
        fields.append(Field("Hours moved", format_minutes(exchange.posted_minutes)))
    if exchange.dispute_reason:
        fields.append(Field("Dispute", exchange.dispute_reason))
    for member_id, note in ((exchange.requester_id, exchange.requester_thanks),
                            (exchange.helper_id, exchange.helper_thanks)):
        if note:
            fields.append(Field(f"Thanks from {who[member_id]}", note))
    other = who[exchange.other_party(viewer_id)]
    return Card(title=f"Exchange #{exchange.id}: {await _subject(ctx, exchange)}", text=exchange.note,
                fields=tuple(fields), buttons=step_buttons(exchange, viewer_id),
                note=f"Next: {next_step(exchange, viewer_id, other)}")


async def _subject(ctx: Context, exchange: Exchange) -> str:
    post = None
    if exchange.need_id is not None:
        post = await ctx.uow.needs.get(exchange.need_id)
    elif exchange.offer_id is not None:
        post = await ctx.uow.offers.get(exchange.offer_id)
    return post.title if post else "an hour of help"


def next_step(exchange: Exchange, viewer_id: int, other: str) -> str:
    """What happens next, from the viewer's side."""
    mine = exchange.awaiting() == viewer_id
    logged = format_minutes(exchange.logged_minutes or 0)
    return {
        State.PROPOSED: "accept or decline it." if mine else f"waiting for {other} to accept.",
        State.ACCEPTED: f"{format_minutes(exchange.minutes)} is held; after the session, log the time.",
        State.LOGGED: f"{other} logged {logged}: confirm, adjust or dispute." if mine
        else f"waiting for {other} to confirm {logged}.",
        State.DISPUTED: "a campaign lead or an admin will resolve the dispute.",
        State.CONFIRMED: "nothing; it's done." + ("" if _thanks(exchange, viewer_id) else " You can say thank you."),
    }.get(State(exchange.state), f"nothing; it was {exchange.state}.")


def step_buttons(exchange: Exchange, viewer_id: int) -> tuple[Button, ...]:
    """Only the buttons this viewer may press now; the core checks again on every press."""
    ref, mine, state = str(exchange.id), exchange.awaiting() == viewer_id, exchange.state
    cancel = Button("Cancel", "exchange.cancel", ref, DANGER, confirm="Cancel this exchange? Any held hours are released.")
    if state == State.PROPOSED:
        return (Button("Accept", "exchange.accept", ref, PRIMARY), Button("Decline", "exchange.decline", ref, DANGER),
                ) if mine else (cancel,)
    if state == State.ACCEPTED:
        return Button("Log hours", "exchange.log", ref, PRIMARY), cancel
    if state == State.LOGGED:
        return (Button("Confirm", "exchange.confirm", ref, PRIMARY), Button("Adjust", "exchange.adjust", ref),
                Button("Dispute", "exchange.dispute", ref, DANGER)) if mine else (
                Button("Change hours", "exchange.log", ref),)
    if state == State.CONFIRMED and not _thanks(exchange, viewer_id):
        return (Button("Say thank you", "exchange.thank", ref, PRIMARY),)
    return ()


def notice_key(exchange: Exchange, event: str, actor_id: int) -> str:
    """Stable per event, so a later outbox delivers each once; re-logging the same time is one event."""
    if event in ("logged", "adjusted"):
        return f"exchange:{exchange.id}:logged:{exchange.logged_by}:{exchange.logged_minutes}"
    if event == "thanked":
        return f"exchange:{exchange.id}:thanks:{actor_id}"
    return f"exchange:{exchange.id}:{exchange.state}"


async def outcome(ctx: Context, exchange: Exchange, actor_id: int, event: str, timezone: str) -> Reply:
    """The actor's updated card, and a notice with the other party's card and buttons."""
    other_id = exchange.other_party(actor_id)
    who = await names(ctx, {actor_id, other_id})
    other = await ctx.uow.members.get(other_id)
    mine_title, mine_text, their_title, their_text = EVENTS[event]
    words = dict(actor=who[actor_id], other=who[other_id], id=exchange.id, reason=exchange.dispute_reason,
                 m=format_minutes(exchange.logged_minutes or exchange.minutes),
                 posted=format_minutes(exchange.posted_minutes or 0), note=_thanks(exchange, actor_id))
    mine = Card(title=mine_title, text=mine_text.format(**words, bal=await _balance(ctx, actor_id)))
    theirs = Card(title=their_title.format(**words), text=their_text.format(**words, bal=await _balance(ctx, other_id)))
    their_card = await exchange_card(ctx, exchange, other_id, other.timezone if other else "UTC")
    notice = Notice(other_id, Message(cards=(theirs, their_card)), notice_key(exchange, event, actor_id))
    return say(mine, await exchange_card(ctx, exchange, actor_id, timezone), notices=(notice,))


def _thanks(exchange: Exchange, actor_id: int) -> str:
    return exchange.requester_thanks if actor_id == exchange.requester_id else exchange.helper_thanks


async def _balance(ctx: Context, member_id: int) -> str:
    return format_minutes((await balance(ctx, member_id)).balance)


@router.command("exchanges", "Your exchanges, each with its next step", usage="exchanges [all]",
                details="Open exchanges, the ones waiting for you first. `exchanges all` includes finished ones.\n"
                        "Steps by text: accept, decline, cancel, log, confirm, adjust, dispute, thank "
                        "(e.g. `log 12 1h30`).", aliases=("exchange", "trades"))
async def exchanges(req: Request) -> Reply:
    return await _list(req, 0, req.turn.text.strip().lower() == "all")


@router.action("exchanges.page")
async def exchanges_page(req: Request) -> Reply:
    page, _, scope = req.turn.ref.partition("|")
    return await _list(req, ref_id(page or "0", "page"), scope == "all", replace=True)


async def _list(req: Request, page: int, everything: bool, replace: bool = False) -> Reply:
    total, cards = await req.bank.read(_page, req.member.id, req.member.timezone, everything, page)
    if not total:
        none = "You have no open exchanges." if not everything else "You have no exchanges yet."
        return text(f"{none} Find someone with `matches`.", title="Your exchanges", replace=replace)
    more = page_buttons("exchanges.page", page, total > (page + 1) * PER_PAGE, "|all" if everything else "|")
    header = Card(title="Your exchanges" + (", all" if everything else ""),
                  text=f"{total} in all · page {page + 1}", buttons=more)
    return say(header, *cards, replace=replace)


async def _page(ctx: Context, member_id: int, timezone: str, everything: bool, page: int) -> tuple[int, list[Card]]:
    """Those waiting for this member first; cards only for the page shown."""
    found = await ctx.uow.exchanges.for_member(member_id, open_only=not everything)
    found.sort(key=lambda e: e.awaiting() != member_id)
    shown = found[page * PER_PAGE:(page + 1) * PER_PAGE]
    return len(found), [await exchange_card(ctx, e, member_id, timezone) for e in shown]


# Steps: the same use case behind a button, a text command and a form.

STEPS = {
    "accept": (exchange_flow.accept, "accepted"), "decline": (exchange_flow.decline, "declined"),
    "cancel": (exchange_flow.cancel, "cancelled"), "confirm": (exchange_flow.confirm, "confirmed"),
    "log": (exchange_flow.log, "logged"), "adjust": (exchange_flow.adjust, "adjusted"),
    "dispute": (exchange_flow.dispute, "disputed"), "thank": (exchange_flow.thank, "thanked"),
}


async def step(req: Request, name: str, exchange_id: int, *args: object, replace: bool = False) -> Reply:
    """Run one step as this member; the core refuses anyone else's exchange or a wrong state."""
    use_case, event = STEPS[name]
    reply = await told(req, event, use_case, exchange_id, req.member.id, *args)
    return dataclasses.replace(reply, replace=replace)


async def told(req: Request, event: str, use_case, *args: object, **kwargs: object) -> Reply:
    """Run an exchange use case and queue the other party's notice in the same transaction."""
    replies: list[Reply] = []

    async def tell(ctx: Context, exchange: Exchange) -> None:
        replies.append(await outcome(ctx, exchange, req.member.id, event, req.member.timezone))
        await queue(ctx, replies[-1].notices)

    await req.bank.run(use_case, *args, then=tell, **kwargs)
    return replies[-1]


async def _mine(ctx: Context, exchange_id: int, member_id: int) -> Exchange:
    return require_party(await ctx.uow.exchanges.get(exchange_id), member_id)


@router.action("exchange.accept", "exchange.decline", "exchange.cancel", "exchange.confirm")
async def step_button(req: Request) -> Reply:
    name = req.turn.action.removeprefix("exchange.")
    return await step(req, name, ref_id(req.turn.ref, "exchange"), replace=True)


# word: (summary, usage, example, details, form opened when the value is left out)
TYPED = {
    "accept": ("Accept an exchange proposed to you", "accept <exchange>", "accept 12",
               "Holds the hours until the session is confirmed. Same as the Accept button.", None),
    "decline": ("Decline an exchange proposed to you", "decline <exchange>", "decline 12",
                "Nothing is held; the other member is told.", None),
    "cancel": ("Call off an exchange before hours are logged", "cancel <exchange>", "cancel 12",
               "Either of you may cancel; held hours are released and the other member is told.", None),
    "log": ("Log the time a session took", "log <exchange> <hours>", "log 12 1h30",
            "Hours: 1.5, 1h30, 1h 30m, 90m or 1:30, up to the agreed time. The other member then confirms.",
            forms.LOG),
    "confirm": ("Confirm the hours the other member logged", "confirm <exchange>", "confirm 12",
                "The hours move: the helper earns them, the other member spends them.", None),
    "adjust": ("Correct the hours the other member logged", "adjust <exchange> <hours>", "adjust 12 45m",
               "The other member then confirms the new time.", forms.ADJUST),
    "dispute": ("Dispute logged hours", "dispute <exchange> <reason>", "dispute 12 we met for 30 minutes",
                "A campaign lead or an admin resolves it; the hours stay held until then.", forms.DISPUTE),
    "thank": ("Send a thank-you note after a confirmed exchange", "thank <exchange> <note>",
              "thank 12 That was so useful!", f"Up to {forms.MAX_NOTE} characters, sent to the other member.",
              forms.THANK),
}


def _typed(word: str):
    """`log 12 1h30` and friends: the same step as the button; no value opens the form."""
    _, usage, example, _, form_id = TYPED[word]

    async def typed(req: Request) -> Reply:
        exchange_id = first_arg_id(req, "exchange", example)
        value = req.turn.text.strip().partition(" ")[2].strip()
        if form_id is None:
            return await step(req, word, exchange_id)
        if not value:
            return await open_form(req, form_id, exchange_id)
        if word in ("log", "adjust"):
            return await step(req, word, exchange_id, parse_minutes(value, req.bank.rules.session_cap_minutes))
        return await step(req, word, exchange_id, value[:forms.MAX_REASON])
    return typed


for _word, (_summary, _usage, _example, _details, _) in TYPED.items():
    router.command(_word, _summary, usage=_usage, details=f"e.g. `{_example}`. {_details}",
                   aliases=("thanks",) if _word == "thank" else ())(_typed(_word))


@router.action(*forms.FORM_IDS)
async def form_button(req: Request) -> Reply:
    return await open_form(req, req.turn.action, ref_id(req.turn.ref, "exchange"))


async def open_form(req: Request, form_id: str, exchange_id: int) -> Reply:
    """Only offered when the step applies, so nobody fills in a form that will be refused."""
    exchange = await req.bank.read(_mine, exchange_id, req.member.id)
    if form_id == forms.LOG:
        require_state(exchange, State.ACCEPTED, State.LOGGED)
        return Reply(form=forms.log_form(exchange.id, exchange.minutes))
    if form_id == forms.THANK:
        require_state(exchange, State.CONFIRMED)
        return Reply(form=forms.thank_form(exchange.id))
    require_state(exchange, State.LOGGED)
    verb = form_id.removeprefix("exchange.")
    require_counterpart(exchange, req.member.id, exchange.logged_by, verb)
    if form_id == forms.ADJUST:
        return Reply(form=forms.adjust_form(exchange.id, exchange.logged_minutes or 0))
    return Reply(form=forms.dispute_form(exchange.id))


@router.form(*forms.FORM_IDS)
async def submit_form(req: Request) -> Reply:
    form_id, values, exchange_id = req.turn.form_id, req.turn.values, ref_id(req.turn.ref, "exchange")
    rules = req.bank.rules
    try:
        if form_id in (forms.LOG, forms.ADJUST):
            value: object = forms.read_hours(values, rules)
        elif form_id == forms.DISPUTE:
            value = forms.read_text(values, rules, "reason", forms.MAX_REASON, "what's wrong")
        else:
            value = forms.read_text(values, rules, "note", forms.MAX_NOTE, "a note")
    except FieldErrors as bad:
        shown = (await open_form(req, form_id, exchange_id)).form
        return Reply(form=shown.with_errors(bad.errors, values), close_form=False)
    return await step(req, form_id.removeprefix("exchange."), exchange_id, value)
