"""The nudge scan and the weekly digest: who is nudged about what, and when.

Candidates come from storage in bulk (one query per kind); the policy in
`core.nudge_policy` decides per member; what is due becomes outbox rows with
unique keys, so two scans at once queue nothing twice.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import cache
from types import MappingProxyType
from zoneinfo import available_timezones

from core import directory
from core.errors import InvalidInput
from core.members import NUDGE_KINDS, Member
from core.nudge_policy import DEFAULT_QUIET, NudgeLimits, decide, next_waking_moment, zone
from core.ports import Context

# Scan order is priority order: a member hears about the most pressing item first.
KINDS = ("confirm", "proposal", "hold", "session", "refine", "help")
PREFERENCE = {"refine": "match", "help": "match"}  # the settings switch each kind obeys
SUBJECTS = ("need", "exchange")


@dataclass(frozen=True)
class NudgeSettings:
    """Every threshold is a setting: `bot.config` fills these from HEXITIME_NUDGE_* (spans in hours)."""

    need_open: timedelta = timedelta(days=7)
    proposal_unanswered: timedelta = timedelta(hours=48)
    session_unlogged: timedelta = timedelta(days=3)
    confirm_waiting: timedelta = timedelta(days=2)
    hold_expiring: timedelta = timedelta(days=3)
    reminder_after: timedelta = timedelta(days=3)
    snooze: timedelta = timedelta(days=3)
    helpers_per_need: int = 3
    per_member_per_scan: int = 1
    max_per_scan: int = 5_000  # a backlog spreads over a few scans (0: no limit)
    digest_from_hour: int = 8
    digest_until_hour: int = 12
    limits: NudgeLimits = field(default_factory=NudgeLimits)

    def cutoff(self, kind: str, now: datetime) -> datetime:
        """Items older than this are due; for holds, those expiring before it."""
        if kind == "hold":
            return now + self.hold_expiring
        span = {"refine": self.need_open, "help": self.need_open, "proposal": self.proposal_unanswered,
                "session": self.session_unlogged, "confirm": self.confirm_waiting}[kind]
        return now - span


@dataclass(frozen=True)
class Nudge:
    """One nudge for one member about one item; `n` is 1, or 2 for the one reminder."""

    kind: str
    subject: str
    subject_id: int
    member_id: int
    n: int
    title: str = ""
    minutes: int = 0

    @property
    def item(self) -> str:
        return f"{self.subject}-{self.subject_id}"

    @property
    def key(self) -> str:
        return f"nudge:{self.kind}:{self.item}:{self.member_id}:{self.n}"


@dataclass(frozen=True)
class CampaignWeek:
    """What happened in one campaign over the last seven days."""

    campaign_id: int
    title: str
    new_needs: int = 0
    minutes: int = 0
    thanks: int = 0


@dataclass(frozen=True, slots=True)
class Recipient:
    """The few member facts the policy reads; plain, so a scan over 100,000 stays cheap."""

    id: int
    timezone: str
    preferences: dict
    forgotten_at: datetime | None = None
    wants = Member.wants


@dataclass(frozen=True, slots=True)
class Queued:
    """One outbox row to write: `storage` inserts these in bulk, skipping keys already there."""

    key: str
    member_id: int
    kind: str
    payload: dict
    at: datetime


@dataclass
class Stats:
    """A member's recent nudges, as the policy needs them."""

    sent_this_week: int = 0
    ignored_in_a_row: int = 0
    last_sent_at: datetime | None = None


NO_NUDGES = Stats()
NO_PREFERENCES: Mapping = MappingProxyType({})
Render = Callable[[Nudge], dict]
RenderDigest = Callable[[tuple[CampaignWeek, ...]], dict]


def week_start(now: datetime) -> datetime:
    """Monday 00:00 UTC of this week: the weekly cap counts from here."""
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def member_stats(rows: Iterable[tuple[int, int, int, datetime]]) -> dict[int, Stats]:
    """From storage's (member, sent this week, ignored in a row, last sent) rows."""
    return {member_id: Stats(sent, ignored, last) for member_id, sent, ignored, last in rows}


async def scan(ctx: Context, settings: NudgeSettings, render: Render) -> int:
    """Queue every nudge that is due and allowed now; returns how many were queued."""
    await ctx.uow.nudges.lock()
    await ctx.uow.nudges.settle(ctx.now)
    snoozed = await ctx.uow.nudges.snoozed(ctx.now)
    since = ctx.now - settings.limits.backoff - timedelta(days=21)
    stats = member_stats(await ctx.uow.nudges.recent(since, week_start(ctx.now)))
    gate, room = Gate(ctx.now, settings.limits), settings.max_per_scan or None
    asleep = asleep_zones(ctx.now, settings.limits.quiet_hours)
    chosen: list[Nudge] = []
    per_member: dict[int, int] = {}
    for kind in KINDS:
        if room is not None and len(chosen) >= room:
            break  # the rest waits for the next scan, so there is no need to look for it
        reminder = ctx.now - settings.reminder_after if kind != "help" else None
        rows = await ctx.uow.nudges.due(kind, ctx.now, settings.cutoff(kind, ctx.now), reminder,
                                        settings.helpers_per_need, asleep)
        switch = PREFERENCE.get(kind, kind)
        for row in rows:
            member_id = row.member_id
            if room is not None and len(chosen) >= room:
                break
            if row.sent >= 2 or (member_id, kind, row.subject, row.subject_id) in snoozed:
                continue
            if per_member.get(member_id, 0) >= settings.per_member_per_scan:
                continue
            if not gate.allows(row, switch, stats.get(member_id)):
                continue
            chosen.append(Nudge(kind, row.subject, row.subject_id, member_id, row.sent + 1, row.title or "",
                                row.minutes or 0))
            per_member[member_id] = per_member.get(member_id, 0) + 1
            entry = stats.setdefault(member_id, Stats())
            entry.sent_this_week += 1
            entry.ignored_in_a_row += 1
            entry.last_sent_at = ctx.now
    items = [Queued(nudge.key, nudge.member_id, "nudge", render(nudge), ctx.now) for nudge in chosen]
    return await ctx.uow.nudges.queue(items, chosen)


class Gate:
    """`decide` for the candidates of one scan, worked out once per distinct member settings where it can be.

    What `decide` says for a member with no recent nudges depends only on their time zone
    and preferences (and `now`, fixed for the scan), and most members share the same few
    preference objects (storage hands out one per distinct setting), so that answer is
    kept per (time zone, kind, preferences object). A member with recent nudges gets a
    full `decide` when that answer is yes, kept per member and history, since one helper
    may be a candidate for hundreds of needs. The memo holds the preferences it was keyed
    by, so no key's object can be freed and its id reused.
    """

    def __init__(self, now: datetime, limits: NudgeLimits) -> None:
        self.now, self.limits = now, limits
        self.fresh: dict[tuple, tuple[Mapping, bool]] = {}
        self.known: dict[tuple, bool] = {}

    def allows(self, row, kind: str, entry: Stats | None) -> bool:
        """May `row`'s member get a `kind` nudge now, given their recent nudges (`entry`, None: none)?"""
        preferences = row.preferences or NO_PREFERENCES
        key = (row.timezone, kind, id(preferences), row.forgotten_at is None)
        known = self.fresh.get(key)
        if known is None:
            known = self.fresh[key] = (preferences, self._decide(row, preferences, kind, NO_NUDGES))
        if not known[1] or entry is None or entry == NO_NUDGES:
            return known[1]
        key = (*key, row.member_id, entry.sent_this_week, entry.ignored_in_a_row, entry.last_sent_at)
        verdict = self.known.get(key)
        if verdict is None:
            verdict = self.known[key] = self._decide(row, preferences, kind, entry)
        return verdict

    def _decide(self, row, preferences: Mapping, kind: str, entry: Stats) -> bool:
        member = Recipient(row.member_id, row.timezone, preferences, row.forgotten_at)
        return decide(member, kind, self.now, entry.sent_this_week, entry.ignored_in_a_row, entry.last_sent_at,
                      self.limits).send


def asleep_zones(now: datetime, quiet: tuple[str, str] = DEFAULT_QUIET) -> list[str]:
    """Time zones where the default quiet hours hold now: storage leaves out members there who kept them.

    Whether they hold depends only on the local time, so one zone per UTC offset is asked.
    """
    by_offset: dict = {}
    for name, place in _zones():
        by_offset.setdefault(place.utcoffset(now), []).append(name)
    return sorted(name for names in by_offset.values() if _asleep(names[0], now, quiet) for name in names)


def _asleep(name: str, now: datetime, quiet: tuple[str, str]) -> bool:
    return next_waking_moment(Recipient(0, name, NO_PREFERENCES), now, quiet) > now


@cache
def _zones() -> tuple[tuple[str, tzinfo], ...]:
    return tuple((name, zone(name)) for name in sorted(available_timezones()))


def _member(row) -> Recipient:
    return Recipient(row.member_id, row.timezone, row.preferences or {}, row.forgotten_at)


async def digest(ctx: Context, settings: NudgeSettings, render: RenderDigest) -> int:
    """On each member's local Monday morning, one digest of their campaigns' week (those where something happened)."""
    windows = _digest_windows(ctx.now, set(await ctx.uow.nudges.time_zones()), settings)
    if not windows:
        return 0
    weeks = {week.campaign_id: week for week in await ctx.uow.nudges.campaign_weeks(ctx.now - timedelta(days=7))
             if week.new_needs or week.minutes or week.thanks}  # a quiet week is not worth a message
    campaigns: dict[int, list[int]] = {}
    members: dict[int, Recipient] = {}
    for row in await ctx.uow.nudges.digest_recipients(sorted(windows)):
        if row.campaign_id in weeks:
            campaigns.setdefault(row.member_id, []).append(row.campaign_id)
            members[row.member_id] = _member(row)
    payloads: dict[tuple[int, ...], dict] = {}
    items = []
    for member_id, ids in campaigns.items():
        member = members[member_id]
        if not _wants_digest(member) or next_waking_moment(member, ctx.now, settings.limits.quiet_hours) > ctx.now:
            continue
        key = tuple(sorted(ids))
        if key not in payloads:
            payloads[key] = render(tuple(weeks[cid] for cid in key))
        items.append(Queued(f"digest:{member_id}:{windows[member.timezone]}", member_id, "digest", payloads[key],
                            ctx.now))
    return await ctx.uow.nudges.queue(items, [None] * len(items))


def _digest_windows(now: datetime, zones: set[str], settings: NudgeSettings) -> dict[str, str]:
    """Time zones where it is Monday morning now, each with its local ISO week."""
    found = {}
    for name in zones:
        local = now.astimezone(zone(name))
        if local.weekday() == 0 and settings.digest_from_hour <= local.hour < settings.digest_until_hour:
            year, week, _ = local.isocalendar()
            found[name] = f"{year}-W{week:02d}"
    return found


def _wants_digest(member: Recipient) -> bool:
    return member.forgotten_at is None and member.wants("digest") and member.preferences.get("digest", True)


def parse_item(ref: str) -> tuple[str, str, int]:
    """`refine:need-5` from a snooze button → ("refine", "need", 5); anything else is refused."""
    kind, _, item = (ref or "").partition(":")
    subject, _, number = item.partition("-")
    if kind not in KINDS or subject not in SUBJECTS or not number.isdigit() or len(number) > 12:
        raise InvalidInput("That snooze button is out of date; nothing was changed.")
    return kind, subject, int(number)


async def snooze(ctx: Context, member_id: int, ref: str, settings: NudgeSettings) -> datetime:
    """No more nudges about this item for this member for a while; returns until when."""
    kind, subject, subject_id = parse_item(ref)
    until = ctx.now + settings.snooze
    await ctx.uow.nudges.snooze(member_id, kind, subject, subject_id, until)
    await ctx.uow.nudges.acknowledge(member_id, ctx.now)
    return until


async def stop(ctx: Context, member_id: int, kind: str) -> Member:
    """Turn one kind of nudge off (`match`, `proposal`, …, `digest`) in the member's settings."""
    kind = PREFERENCE.get(kind, kind)
    if kind not in NUDGE_KINDS:
        raise InvalidInput("That stop button is out of date; change nudges in `settings` instead.")
    member = await directory.get(ctx, member_id)
    prefs: dict = {"nudges": {**member.preferences.get("nudges", {}), kind: False}}
    if kind == "digest":
        prefs["digest"] = False
    await ctx.uow.nudges.acknowledge(member_id, ctx.now)
    return await directory.set_preferences(ctx, member_id, **prefs)


async def acknowledge(ctx: Context, member_id: int) -> None:
    """The member answered us: their run of ignored nudges ends (call on any turn of theirs)."""
    await ctx.uow.nudges.acknowledge(member_id, ctx.now)


async def turn_taker(ctx: Context, platform: str, workspace_id: str, user_id: str) -> tuple[Member | None, bool]:
    """Who is taking a turn (None: not met yet), and whether it answers nudges of theirs, in one read.

    Nudges are answered when the member does anything at all; only those sent since their
    last acknowledgement and not yet settled by a change to their item wait for it, so
    `acknowledge` is written once per run of nudges, not on every turn.
    """
    return await ctx.uow.nudges.member_for_turn(platform, workspace_id, user_id)
