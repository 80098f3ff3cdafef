"""When a nudge may reach a member: their time zone, quiet hours, caps and opt-outs.

Pure functions over plain values, so the scheduler and its tests agree exactly.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.members import Member

DEFAULT_QUIET = ("20:00", "08:00")


@dataclass(frozen=True)
class NudgeLimits:
    """Every threshold is a setting; these are the pilot's defaults."""

    weekly_cap: int = 3
    ignored_before_backoff: int = 3
    backoff: timedelta = timedelta(days=14)
    quiet_hours: tuple[str, str] = DEFAULT_QUIET
    """For members who did not choose their own (local "HH:MM" from and until)."""


@dataclass(frozen=True)
class Verdict:
    """Whether to send now; if not, when to look again (None: never for this item)."""

    send: bool
    retry_at: datetime | None = None
    reason: str = ""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def quiet_window(member: Member, default: tuple[str, str] = DEFAULT_QUIET) -> tuple[time, time]:
    start, end = member.preferences.get("quiet_hours") or default
    return time.fromisoformat(start), time.fromisoformat(end)


def next_waking_moment(member: Member, now: datetime, default: tuple[str, str] = DEFAULT_QUIET) -> datetime:
    """`now` if it is outside the member's quiet hours (`default` if they chose none), else when they end (UTC)."""
    local = now.astimezone(zone(member.timezone))
    start, end = quiet_window(member, default)
    for _ in range(8):
        if member.preferences.get("quiet_weekends") and local.weekday() >= 5:
            local = _at(local + timedelta(days=7 - local.weekday()), end)
            continue
        if not _is_quiet(local.time(), start, end):
            return local.astimezone(now.tzinfo)
        local = _at(local if local.time() < end else local + timedelta(days=1), end)
    return local.astimezone(now.tzinfo)


def _is_quiet(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _at(local: datetime, moment: time) -> datetime:
    return local.replace(hour=moment.hour, minute=moment.minute, second=0, microsecond=0)


def decide(
    member: Member, kind: str, now: datetime, sent_this_week: int, ignored_in_a_row: int,
    last_sent_at: datetime | None, limits: NudgeLimits,
) -> Verdict:
    """The whole policy in one place, in the order a member would want it applied."""
    if member.forgotten_at is not None:
        return Verdict(False, None, "member forgotten")
    if not member.wants(kind):
        return Verdict(False, None, f"{kind} nudges turned off")
    if ignored_in_a_row >= limits.ignored_before_backoff and last_sent_at is not None:
        resume = last_sent_at + limits.backoff
        if now < resume:
            return Verdict(False, resume, "backing off after ignored nudges")
    if sent_this_week >= limits.weekly_cap:
        return Verdict(False, now + timedelta(days=7 - now.weekday()), "weekly cap reached")
    waking = next_waking_moment(member, now, limits.quiet_hours)
    if waking > now:
        return Verdict(False, waking, "quiet hours")
    return Verdict(True)
