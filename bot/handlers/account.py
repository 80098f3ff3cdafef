"""`balance`, `history` and `export`: a member's own hours."""

from bot.handlers import router
from bot.handlers.common import local_day, ref_id
from bot.turns import Request
from bot.views import Attachment, Button, Card, Field, Message, Reply, page_buttons, say
from core import statements
from core.minutes import format_minutes

PER_PAGE = 10


@router.command("balance", "Your hours: balance, available, held and credit limit", aliases=("bal",))
async def balance(req: Request) -> Reply:
    summary = await req.bank.read(statements.balance, req.member.id)
    fields = (
        Field("Balance", format_minutes(summary.balance)),
        Field("Available", format_minutes(summary.available)),
        Field("Held for agreed exchanges", format_minutes(summary.held)),
        Field("Credit limit", format_minutes(-summary.credit_limit)),
    )
    note = ""
    if summary.below_zero:
        note = "You're below zero, which is fine: give an hour of help to earn it back."
    return say(Card(title="Your hours", fields=fields, note=note,
                    buttons=(Button("History", "history.page", "0"), Button("Export CSV", "export.csv"))))


@router.command("history", "Your statement, newest first, with running balance",
                usage="history [page]", aliases=("statement",))
async def history(req: Request) -> Reply:
    page = ref_id(req.args[0], "page") - 1 if req.args else 0
    return await _page(req, max(page, 0), replace=False)


@router.action("history.page")
async def history_page(req: Request) -> Reply:
    return await _page(req, ref_id(req.turn.ref, "page"), replace=True)


async def _page(req: Request, page: int, replace: bool) -> Reply:
    shown = await req.bank.read(statements.statement, req.member.id, page, PER_PAGE)
    if not shown.lines and page == 0:
        return say(Card(title="Your statement", text="No hours have moved yet. Offer some with `offer`."))
    fields = tuple(
        Field(
            f"{local_day(line.at, req.member.timezone)} · {line.counterparty}",
            f"{'+' if line.amount > 0 else ''}{format_minutes(line.amount)} → {format_minutes(line.balance_after)}"
            + (f" ({line.reason})" if line.reason else ""),
        )
        for line in shown.lines
    )
    buttons = page_buttons("history.page", page, shown.has_more) + (Button("Export CSV", "export.csv"),)
    return say(Card(title=f"Your statement · page {page + 1}", fields=fields, buttons=buttons), replace=replace)


@router.command("export", "Your statement as a CSV file")
async def export(req: Request) -> Reply:
    content = await req.bank.read(statements.export_csv, req.member.id)
    file = Attachment("hexitime-statement.csv", content.encode("utf-8"), "text/csv")
    card = Card(title="Your statement", text="Here is your full statement as a CSV file.")
    return Reply(message=Message(cards=(card,), attachment=file))


@router.action("export.csv")
async def export_button(req: Request) -> Reply:
    return await export(req)
