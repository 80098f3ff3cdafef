"""`settings`: my time zone, which nudges I get, quiet hours and the weekly digest."""

from bot.dialogs import profile_forms
from bot.dialogs.fields import FieldErrors
from bot.handlers import router
from bot.scheduler.nudges import current_settings
from bot.turns import Request
from bot.views import Button, Card, Field, Reply, say
from core import directory
from core.members import Member
from core.ports import Context

DETAILS = ("Opens a form: your time zone, each kind of nudge on or off, quiet hours (no nudges "
           "between them, in your time zone; 20:00 to 08:00 unless you or the service change it), "
           "quiet weekends, and the weekly campaign digest.")


def settings_card(member: Member, default_quiet: tuple[str, str]) -> Card:
    prefs = member.preferences
    start, end = prefs.get("quiet_hours") or default_quiet
    on = [label for kind, label in profile_forms.NUDGE_LABELS.items() if member.wants(kind)]
    fields = (Field("Time zone", member.timezone),
              Field("Nudges on", "; ".join(on) or "none"),
              Field("Quiet hours", f"{start} to {end}"),
              Field("Quiet at weekends", _yes(prefs.get("quiet_weekends", False))),
              Field("Weekly digest", _yes(prefs.get("digest", True))))
    return Card(title="Your settings", fields=fields, buttons=(Button("Change settings", "settings.edit"),))


def default_quiet() -> tuple[str, str]:
    """The service's quiet hours for members who chose none (HEXITIME_NUDGE_QUIET_HOURS); read once a turn."""
    return current_settings().limits.quiet_hours


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@router.command("settings", "Time zone, nudges, quiet hours and digest", usage="settings",
                details=DETAILS)
async def settings(req: Request) -> Reply:
    member, quiet = await req.bank.read(directory.get, req.member.id), default_quiet()
    return Reply(message=say(settings_card(member, quiet)).message, form=profile_forms.settings_form(member, quiet))


@router.action("settings.edit")
async def settings_button(req: Request) -> Reply:
    return await settings(req)


@router.form(profile_forms.SETTINGS_FORM)
async def submit(req: Request) -> Reply:
    values, quiet = req.turn.values, default_quiet()
    try:
        timezone, prefs = profile_forms.read_settings(values, req.bank.rules, quiet)
    except FieldErrors as bad:
        form = profile_forms.settings_form(req.member, quiet).with_errors(bad.errors, values)
        return Reply(form=form, close_form=False)
    member = await req.bank.run(_save, req.member.id, timezone, prefs)
    return say(Card(title="Saved", text="Your settings are up to date."), settings_card(member, quiet))


async def _save(ctx: Context, member_id: int, timezone: str, prefs: dict) -> Member:
    """Time zone and preferences together, in one transaction."""
    member = await directory.get(ctx, member_id)
    if timezone != member.timezone:
        member = await directory.update_profile(ctx, member_id, timezone=timezone)
    return await directory.set_preferences(ctx, member_id, **prefs)
