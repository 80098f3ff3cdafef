"""The snooze and stop buttons every nudge carries."""

from bot.dialogs.profile_forms import NUDGE_LABELS
from bot.handlers import router
from bot.handlers.common import local_day
from bot.scheduler.nudges import current_settings
from bot.turns import Request
from bot.views import Button, Card, Reply, say
from core import nudges


@router.action("nudge.snooze")
async def snooze(req: Request) -> Reply:
    """No more nudges about this one item for a few days; everything else carries on."""
    until = await req.bank.run(nudges.snooze, req.member.id, req.turn.ref, current_settings())
    day = local_day(until, req.member.timezone)
    return say(Card(title="Snoozed", text=f"I won't nudge you about this again before {day}."), replace=True)


@router.action("nudge.stop")
async def stop(req: Request) -> Reply:
    """Turn this kind of nudge off; `settings` turns it back on."""
    kind = req.turn.ref
    await req.bank.run(nudges.stop, req.member.id, kind)
    what = "the weekly digest" if kind == "digest" else NUDGE_LABELS.get(kind, "these nudges").lower()
    return say(Card(title="Nudges turned off", text=f"Done: no more nudges about {what}.",
                    buttons=(Button("Change settings", "settings.edit"),)), replace=True)
