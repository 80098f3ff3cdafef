"""The `profile.edit` and `settings.edit` forms: a member's own details and preferences."""

import re
from typing import Any

from bot.dialogs.fields import Reader
from bot.views import Form, Input, Option
from core.directory import check_timezone
from core.errors import InvalidInput
from core.members import NUDGE_KINDS, Member, Sector
from core.rules import Rules

PROFILE_FORM = "profile.edit"
SETTINGS_FORM = "settings.edit"
NUDGE_LABELS = {
    "match": "New matches for my needs and offers",
    "proposal": "Proposals waiting for my answer",
    "session": "Reminders before agreed sessions",
    "confirm": "Hours waiting for my confirmation",
    "hold": "Agreed hours about to expire",
    "broadcast": "Broadcasts from my campaigns",
}
SECTOR_LABELS = {"nhs": "NHS", "charity": "Charity", "commercial": "Commercial", "public": "Public sector",
                 "other": "Other"}


def profile_form(member: Member, rules: Rules) -> Form:
    return Form(
        form_id=PROFILE_FORM, title="Your profile", submit_label="Save profile", ref=str(member.id),
        intro="This helps others find you and lets me suggest good matches.",
        inputs=(
            Input("name", "Name", required=True, value=member.display_name, max_length=80),
            Input("organisation", "Organisation", value=member.organisation, max_length=120,
                  placeholder="e.g. St Elsewhere NHS Trust"),
            Input("sector", "Sector", kind="select", required=True, value=str(member.sector),
                  options=tuple(Option(SECTOR_LABELS.get(s.value, s.value), s.value) for s in Sector)),
            Input("skills", "Skills (comma-separated)", value=", ".join(member.skills),
                  hint=f"Up to {rules.max_skills}, e.g. procurement, recycling"),
            Input("timezone", "Time zone", required=True, value=member.timezone,
                  hint="e.g. Europe/London", max_length=64),
            Input("bio", "About you", kind="multiline", value=member.bio, max_length=1000),
        ),
    )


def read_profile(values: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """The keyword arguments of `directory.update_profile`, or FieldErrors."""
    reader = Reader(values, rules)
    changes = {
        "display_name": reader.text("name", required=True, limit=80, what="your name"),
        "organisation": reader.text("organisation", limit=120),
        "sector": reader.choice("sector", {s.value for s in Sector}, required=True),
        "skills": reader.skills("skills"),
        "timezone": _timezone(reader),
        "bio": reader.text("bio", limit=1000),
    }
    reader.done()
    return changes


def settings_form(member: Member, default_quiet: tuple[str, str]) -> Form:
    prefs = member.preferences
    start, end = prefs.get("quiet_hours") or default_quiet
    nudges = tuple(Input(f"nudge_{kind}", label, kind="checkbox", value=member.wants(kind))
                   for kind, label in NUDGE_LABELS.items())
    return Form(
        form_id=SETTINGS_FORM, title="Your settings", submit_label="Save settings", ref=str(member.id),
        intro="When and about what I may nudge you. Quiet hours are in your own time zone.",
        inputs=(
            Input("timezone", "Time zone", required=True, value=member.timezone, hint="e.g. Europe/London"),
            *nudges,
            Input("quiet_start", "Quiet from", required=True, value=start, hint="24-hour time, e.g. 20:00"),
            Input("quiet_end", "Quiet until", required=True, value=end, hint="e.g. 08:00"),
            Input("quiet_weekends", "Quiet at weekends", kind="checkbox",
                  value=prefs.get("quiet_weekends", False)),
            Input("digest", "Weekly campaign digest", kind="checkbox", value=prefs.get("digest", True)),
        ),
    )


def read_settings(values: dict[str, Any], rules: Rules,
                  default_quiet: tuple[str, str]) -> tuple[str, dict[str, Any]]:
    """The time zone and the preferences dict for `directory.set_preferences`, or FieldErrors.

    Quiet hours equal to the default are kept as "no hours of my own" (None), so the member
    follows the default if the service changes it."""
    reader = Reader(values, rules)
    timezone = _timezone(reader)
    digest = reader.flag("digest")
    nudges = {kind: reader.flag(f"nudge_{kind}") for kind in NUDGE_KINDS if kind != "digest"}
    prefs = {
        "nudges": {**nudges, "digest": digest},
        "quiet_hours": _own([_clock(reader, "quiet_start"), _clock(reader, "quiet_end")], default_quiet),
        "quiet_weekends": reader.flag("quiet_weekends"),
        "digest": digest,
    }
    reader.done()
    return timezone, prefs


def _own(hours: list, default: tuple[str, str]) -> list | None:
    return None if tuple(hours) == tuple(default) else hours


def _timezone(reader: Reader) -> str:
    raw = reader.text("timezone", required=True, limit=64, what="a time zone, e.g. Europe/London")
    if raw and "timezone" not in reader.errors:
        try:
            return check_timezone(raw)
        except InvalidInput as bad:
            reader.errors["timezone"] = bad.message
    return raw


_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)$")


def _clock(reader: Reader, name: str) -> str:
    """A local time of day as HH:MM, from `20:00`, `8:00`, `0800` or `20.30`."""
    raw = reader.text(name, required=True, what="a time such as 20:00")
    found = _CLOCK.match(raw)
    if raw and not found:
        reader.errors[name] = f"“{raw[:20]}” isn't a time of day. Use 24-hour time, e.g. 20:00 or 08:00."
        return raw
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else raw
