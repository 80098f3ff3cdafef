"""Nudge tables and the set-based queries that find who is due a nudge."""

import json
from collections.abc import Sequence
from datetime import datetime
from itertools import islice
from typing import NamedTuple

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from core.exchanges import OPEN_STATES, State
from core.members import Member
from core.nudges import CampaignWeek, Queued
from core.outbox import Delivery
from storage.outbox_store import outbox
from storage.tables import (
    Json,
    UTCDateTime,
    campaigns,
    exchanges,
    identities,
    members,
    metadata,
    needs,
    offers,
    participations,
)
from storage.tables import post_terms as terms
from storage.tables import transfers as holds

nudge_log = Table(
    "nudge_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", ForeignKey("members.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(20), nullable=False),
    Column("subject_id", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("acted_at", UTCDateTime),
    UniqueConstraint("member_id", "kind", "subject", "subject_id", "n"),
    Index("ix_nudge_log_item", "kind", "subject", "subject_id"),
    Index("ix_nudge_log_at", "at"),
)
nudge_snoozes = Table(
    "nudge_snoozes", metadata,
    Column("member_id", ForeignKey("members.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("subject", String(20), primary_key=True),
    Column("subject_id", Integer, primary_key=True),
    Column("until", UTCDateTime, nullable=False),
)
nudge_acks = Table(
    "nudge_acks", metadata,
    Column("member_id", ForeignKey("members.id"), primary_key=True),
    Column("acted_at", UTCDateTime, nullable=False),
)
SCAN_LOCK = 7_240_801  # PostgreSQL advisory lock id: one scan at a time keeps caps exact
POOL = 20  # newest offers per skill and campaign that may be asked to help
HELPABLE = 5_000  # needs looked at for helpers per scan, newest first (bounded IN lists)
BULK = 5_000  # rows per bulk insert statement
ex = exchanges.c


class Candidate(NamedTuple):
    """A member who may be due a nudge about one item, with the few facts the policy reads."""

    member_id: int
    subject: str
    subject_id: int
    title: str
    minutes: int
    sent: int
    timezone: str
    preferences: dict
    forgotten_at: datetime | None = None


class Preferences:
    """Members' preferences JSON, parsed once per distinct text: most members share a handful of them.

    The parsed dicts are shared between members, so callers read them and never change them.
    """

    def __init__(self) -> None:
        self.parsed: dict[str, dict] = {}

    def __call__(self, raw: str | None) -> dict:
        found = self.parsed.get(raw)
        if found is None:
            found = self.parsed[raw] = json.loads(raw) if raw else {}
        return found


def _raw_preferences():
    """The preferences column as its JSON text, so only distinct texts are parsed (see `Preferences`)."""
    return cast(members.c.preferences, Text).label("preferences")


class NudgeRepo:
    """Candidates per kind in one query each; queued rows written in bulk, never twice."""

    def __init__(self, session, locking: bool) -> None:
        self.session = session
        self.locking = locking
        self.preferences = Preferences()

    def _insert(self, table):
        dialect = postgresql if self.session.bind.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def lock(self) -> None:
        """One scan at a time; on PostgreSQL also no JIT for this transaction.

        The candidate queries' correlated probes look costly to the planner, which then
        spends ~0.3 s compiling them with JIT to save a few milliseconds of running them.
        """
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCAN_LOCK})
            await self.session.execute(text("SET LOCAL jit = off"))

    async def settle(self, now: datetime) -> None:
        """A nudge whose item moved on after it was sent counts as answered, not ignored."""
        log = nudge_log.c
        moved = {
            "exchange": exists().where(ex.id == log.subject_id, ex.updated_at > log.at),
            "need": or_(exists().where(needs.c.id == log.subject_id, needs.c.updated_at > log.at),
                        exists().where(ex.need_id == log.subject_id, ex.helper_id == log.member_id,
                                       ex.created_at > log.at)),
        }
        for subject, moved_on in moved.items():
            await self.session.execute(
                update(nudge_log).where(log.acted_at.is_(None), log.subject == subject, moved_on)
                .values(acted_at=now).execution_options(synchronize_session=False))

    async def due(self, kind: str, now: datetime, cutoff: datetime, reminder_before: datetime | None,
                  top: int, asleep: Sequence[str] = ()) -> list:
        """Items of this kind due for (member, item), with how many nudges each already had.

        Members in an `asleep` time zone who kept the default quiet hours are left out: none
        of them may be nudged now. Helpers are not, as leaving them out would change who is
        asked first.
        """
        if kind == "help":
            return await self._helpers(now, cutoff, top)
        base = _BASES[kind](now, cutoff, top).subquery("base")
        log = nudge_log.c
        mine = and_(log.member_id == base.c.member_id, log.kind == kind, log.subject == base.c.subject,
                    log.subject_id == base.c.subject_id)  # one probe of the log's unique index per item
        counted = select(base, select(func.count()).where(mine).scalar_subquery().label("sent"),
                         select(func.max(log.at)).where(mine).scalar_subquery().label("last_at")).subquery("counted")
        again = and_(counted.c.sent < 2, counted.c.last_at <= reminder_before) if reminder_before else false()
        query = (
            select(counted.c.member_id, counted.c.subject, counted.c.subject_id, counted.c.title,
                   counted.c.minutes, counted.c.sent, members.c.timezone, _raw_preferences())
            .join(members, members.c.id == counted.c.member_id)
            .where(members.c.forgotten_at.is_(None), or_(counted.c.sent == 0, again))
            .order_by(counted.c.subject_id, counted.c.member_id)
        )
        if asleep:
            zones = self._rows(("zone", String), rows=[(name,) for name in asleep])
            query = query.where(~and_(members.c.timezone.in_(zones), self._default_quiet_hours()))
        parse = self.preferences
        return [Candidate(member_id, subject, subject_id, title, minutes, sent, timezone, parse(prefs))
                for member_id, subject, subject_id, title, minutes, sent, timezone, prefs
                in await self.session.execute(query)]

    async def _helpable(self, now: datetime, cutoff: datetime, top: int) -> list[int]:
        """Stale needs with fewer than `top` helpers asked yet: in the week after their owner was asked to
        refine them, or, for an owner who could not be asked (they turned these nudges off, or hit their
        cap), in the week after the need has been open twice as long."""
        log, helped = nudge_log.c, nudge_log.alias("helped")
        span = now - cutoff
        asked = (select(helped.c.subject_id).where(helped.c.kind == "help", helped.c.subject == "need")
                 .group_by(helped.c.subject_id).having(func.count() >= top))
        refined = (select(needs.c.id, log.at.label("since"))
                   .join(nudge_log, and_(log.member_id == needs.c.owner_id, log.kind == "refine",
                                         log.subject == "need", log.subject_id == needs.c.id, log.n == 1))
                   .where(*_stale_needs(cutoff), log.at >= cutoff, needs.c.id.not_in(asked)))
        overdue = (select(needs.c.id, needs.c.created_at.label("since"))
                   .where(*_stale_needs(cutoff - span), needs.c.created_at > cutoff - 2 * span,
                          needs.c.id.not_in(asked)))
        either = union(refined, overdue).subquery("helpable")
        query = (select(either.c.id).group_by(either.c.id)
                 .order_by(func.max(either.c.since).desc(), either.c.id).limit(HELPABLE))
        return list((await self.session.execute(query)).scalars())

    async def _helpers(self, now: datetime, cutoff: datetime, top: int) -> list:
        """Who may be asked to help with each stale need: a few queries, ranked here, never asked twice."""
        ids = await self._helpable(now, cutoff, top)
        if not ids:
            return []
        nt, log = terms.c, nudge_log.c
        chosen = self._rows(("id", Integer), rows=[(need_id,) for need_id in ids])
        wants = (await self.session.execute(
            select(needs.c.id, needs.c.owner_id, needs.c.campaign_id, nt.term, nt.weight, needs.c.title,
                   needs.c.minutes)
            .join(terms, and_(nt.kind == "need", nt.post_id == needs.c.id, nt.term.like("s:%")))
            .where(needs.c.id.in_(chosen)))).all()
        if not wants:
            return []
        pool = (await self.session.execute(_pool(sorted({row.term for row in wants})))).all()
        asked = {tuple(row) for row in await self.session.execute(
            select(log.member_id, log.subject_id).where(log.kind == "help", log.subject == "need",
                                                        log.subject_id.in_(chosen)))}
        facts = {row.owner_id: (row.timezone, row.preferences) for row in pool}
        about = {row.id: (row.title, row.minutes) for row in wants}
        parse = self.preferences
        return [Candidate(helper, "need", need_id, *about[need_id], 0, facts[helper][0], parse(facts[helper][1]))
                for need_id, helper in _rank_helpers(wants, pool, asked, top)]

    async def recent(self, since: datetime, week_start: datetime) -> list[tuple[int, int, int, datetime]]:
        """Per member nudged since `since`: (member, sent since `week_start`, ignored in a row, last sent).

        Ignored in a row: nudges sent after the member's latest answered one (acted on, or
        sent before their last acknowledgement).
        """
        log, ack = nudge_log.c, nudge_acks.c
        answered = or_(log.acted_at.is_not(None), log.at <= ack.acted_at)
        rows = (select(log.member_id, log.at,
                       func.max(case((answered, log.at))).over(partition_by=log.member_id).label("answered_at"))
                .select_from(nudge_log.outerjoin(nudge_acks, ack.member_id == log.member_id))
                .where(log.at >= since).subquery("rows"))
        ignored = or_(rows.c.answered_at.is_(None), rows.c.at > rows.c.answered_at)
        query = (select(rows.c.member_id, func.sum(case((rows.c.at >= week_start, 1), else_=0)),
                        func.sum(case((ignored, 1), else_=0)), func.max(rows.c.at))
                 .group_by(rows.c.member_id))
        return [tuple(row) for row in await self.session.execute(query)]

    async def snoozed(self, now: datetime) -> set[tuple[int, str, str, int]]:
        c = nudge_snoozes.c
        rows = await self.session.execute(select(c.member_id, c.kind, c.subject, c.subject_id).where(c.until > now))
        return {tuple(row) for row in rows}

    async def queue(self, items: Sequence[Queued], nudges: Sequence) -> int:
        """Outbox rows whose keys are new, and a log row for each nudge among them."""
        queued: set[str] = set()
        for start in range(0, len(items), BULK):
            batch = items[start:start + BULK]
            for (kind, at), group in _grouped(batch).items():
                queued |= await self._outbox(kind, at, group)
        logs = [(n.member_id, n.kind, n.subject, n.subject_id, n.n, item.at)
                for item, n in zip(items, nudges, strict=True) if n is not None and item.key in queued]
        for start in range(0, len(logs), BULK):
            batch = logs[start:start + BULK]
            for at, group in _by_at(batch).items():
                rows = self._rows(("member_id", Integer), ("kind", String), ("subject", String),
                                  ("subject_id", Integer), ("n", Integer), rows=group)
                columns = [*rows.selected_columns, literal(at, UTCDateTime()).label("at")]
                await self.session.execute(self._insert(nudge_log).from_select(
                    ["member_id", "kind", "subject", "subject_id", "n", "at"], select(*columns).where(true()))
                    .on_conflict_do_nothing())
        return len(queued)

    async def _outbox(self, kind: str, at: datetime, items: Sequence[Queued]) -> set[str]:
        """Insert one kind's rows queued at one moment; returns the keys that were new."""
        rows = self._rows(("dedupe_key", String), ("member_id", Integer), ("payload", Json),
                          rows=[(item.key[:200], item.member_id, item.payload) for item in items])
        moment = literal(at, UTCDateTime())
        constant = {"kind": literal(kind, String), "state": literal(Delivery.PENDING.value, String), "attempts": literal(0),
                    "next_attempt_at": moment, "last_error": literal(""), "created_at": moment}
        statement = (self._insert(outbox).from_select(
            ["dedupe_key", "member_id", "payload", *constant],
            select(*rows.selected_columns, *constant.values()).where(true()))
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(outbox.c.dedupe_key))
        return set((await self.session.execute(statement)).scalars())

    def _default_quiet_hours(self):
        """The member has no quiet hours of their own (a key that is there but null is not trusted here)."""
        if self.session.bind.dialect.name == "postgresql":
            return ~func.jsonb_exists(members.c.preferences, "quiet_hours")
        return func.json_type(members.c.preferences, "$.quiet_hours").is_(None)

    def _rows(self, *columns: tuple[str, object], rows: Sequence[tuple]):
        """A SELECT of `rows` passed in one parameter per column (PostgreSQL arrays) or one in all (SQLite JSON).

        Thousands of rows then cost one short statement, not an executemany of thousands of bound rows.
        """
        if self.session.bind.dialect.name == "postgresql":
            return select(*(_unnest(name, kind, [row[i] for row in rows]) for i, (name, kind) in enumerate(columns)))
        each = func.json_each(bindparam("bulk_rows", json.dumps(rows), type_=Text)).table_valued("value")
        return select(*(func.json_extract(each.c.value, f"$[{i}]").label(name)
                        for i, (name, _) in enumerate(columns)))

    async def snooze(self, member_id: int, kind: str, subject: str, subject_id: int, until: datetime) -> None:
        statement = self._insert(nudge_snoozes).values(member_id=member_id, kind=kind, subject=subject,
                                                       subject_id=subject_id, until=until)
        await self.session.execute(statement.on_conflict_do_update(
            index_elements=["member_id", "kind", "subject", "subject_id"], set_={"until": until}))

    async def acknowledge(self, member_id: int, now: datetime) -> None:
        statement = self._insert(nudge_acks).values(member_id=member_id, acted_at=now)
        await self.session.execute(statement.on_conflict_do_update(
            index_elements=["member_id"], set_={"acted_at": now}))

    async def member_for_turn(self, platform: str, workspace_id: str, user_id: str) -> tuple[Member | None, bool]:
        """The member behind a platform identity, and whether a nudge sent to them since their last
        acknowledgement is still unanswered: one query, as a turn starts."""
        found = (await self.session.execute(_MEMBER_FOR_TURN, {"platform": platform, "workspace_id": workspace_id,
                                                                "user_id": user_id})).one_or_none()
        return (found[0], bool(found[1])) if found else (None, False)

    async def time_zones(self) -> list[str]:
        query = select(members.c.timezone).where(members.c.forgotten_at.is_(None)).distinct()
        return list((await self.session.execute(query)).scalars())

    async def digest_recipients(self, zones: Sequence[str]) -> list:
        query = (
            select(participations.c.member_id, participations.c.campaign_id, members.c.timezone,
                   members.c.preferences, members.c.forgotten_at)
            .join(members, members.c.id == participations.c.member_id)
            .join(campaigns, campaigns.c.id == participations.c.campaign_id)
            .where(campaigns.c.status == "active", members.c.forgotten_at.is_(None), members.c.timezone.in_(zones))
        )
        return list(await self.session.execute(query))

    async def campaign_weeks(self, since: datetime) -> list[CampaignWeek]:
        """Per active campaign: needs posted, minutes confirmed and thank-you notes since `since`."""
        new = dict(tuple(row) for row in await self.session.execute(
            select(needs.c.campaign_id, func.count()).where(needs.c.created_at >= since)
            .group_by(needs.c.campaign_id)))
        thanked = case((or_(ex.requester_thanks != "", ex.helper_thanks != ""), 1), else_=0)
        done = {row[0]: (row[1] or 0, row[2] or 0) for row in await self.session.execute(
            select(ex.campaign_id, func.sum(ex.posted_minutes), func.sum(thanked))
            .where(ex.state == State.CONFIRMED, ex.closed_at >= since).group_by(ex.campaign_id))}
        rows = await self.session.execute(select(campaigns.c.id, campaigns.c.title)
                                          .where(campaigns.c.status == "active").order_by(campaigns.c.id))
        return [CampaignWeek(cid, title, new.get(cid, 0), *done.get(cid, (0, 0))) for cid, title in rows]


def _grouped(items: Sequence[Queued]) -> dict[tuple[str, datetime], list[Queued]]:
    groups: dict[tuple[str, datetime], list[Queued]] = {}
    for item in items:
        groups.setdefault((item.kind, item.at), []).append(item)
    return groups


def _by_at(logs: Sequence[tuple]) -> dict[datetime, list[tuple]]:
    groups: dict[datetime, list[tuple]] = {}
    for row in logs:
        groups.setdefault(row[-1], []).append(row[:-1])
    return groups


def _unnest(name: str, kind, values: list):
    """One PostgreSQL array parameter, unnested; JSON goes as text and is cast back."""
    if kind is Json:
        values, array = [json.dumps(value) for value in values], ARRAY(Text)
        return cast(func.unnest(bindparam(f"bulk_{name}", values, type_=array)), JSONB).label(name)
    return func.unnest(bindparam(f"bulk_{name}", values, type_=ARRAY(kind))).label(name)


def _stale_needs(cutoff: datetime):
    busy = exists().where(ex.need_id == needs.c.id, ex.state.in_(OPEN_STATES))
    return (needs.c.status == "open", needs.c.created_at <= cutoff, ~busy)


def _refine(now: datetime, cutoff: datetime, top: int):
    return select(needs.c.owner_id.label("member_id"), literal("need").label("subject"),
                  needs.c.id.label("subject_id"), needs.c.title, needs.c.minutes).where(*_stale_needs(cutoff))


def _pool(skills: list[str]):
    """The newest `POOL` active offers with hours left per skill and campaign, with their owners' facts."""
    ot = terms.alias("ot")
    fresh = func.row_number().over(partition_by=(ot.c.term, participations.c.campaign_id),
                                   order_by=offers.c.id.desc())
    ranked = (
        select(ot.c.term, participations.c.campaign_id, offers.c.owner_id, offers.c.id.label("offer_id"),
               fresh.label("fresh"))
        .select_from(ot.join(offers, offers.c.id == ot.c.post_id)
                     .join(participations, participations.c.member_id == offers.c.owner_id))
        .where(ot.c.kind == "offer", ot.c.term.in_(skills), offers.c.status == "active",
               offers.c.minutes > offers.c.minutes_committed)
        .subquery("ranked")
    )
    return (select(ranked.c.term, ranked.c.campaign_id, ranked.c.owner_id, ranked.c.offer_id, members.c.timezone,
                   _raw_preferences())
            .join(members, members.c.id == ranked.c.owner_id)
            .where(ranked.c.fresh <= POOL, members.c.forgotten_at.is_(None)))


def _rank_helpers(wants: list, pool: list, asked: set, top: int) -> list[tuple[int, int]]:
    """(need, helper) pairs: per need, the `top` helpers sharing most skill weight, newest offer first.

    Most needs ask for one skill, and then the order depends only on the skill's pool, so it is
    worked out once per skill, campaign and weight and each need skips its owner and those asked.
    """
    by_skill: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for term, campaign_id, owner_id, offer_id, *_ in pool:
        by_skill.setdefault((term, campaign_id), []).append((owner_id, offer_id))
    already: dict[int, set[int]] = {}
    for helper, need_id in asked:
        already.setdefault(need_id, set()).add(helper)
    skills_of: dict[int, tuple[int, list[tuple[str, int, int]]]] = {}
    for need_id, owner_id, campaign_id, term, weight, *_ in wants:
        if (term, campaign_id) in by_skill:
            skills_of.setdefault(need_id, (owner_id, []))[1].append((term, campaign_id, weight))
    orders: dict[tuple[str, int, int], list[int]] = {}
    pairs = []
    for need_id, (owner_id, skills) in skills_of.items():
        skip = already.get(need_id, ())
        if len(skills) == 1:
            order = orders.get(skills[0])
            if order is None:
                order = orders[skills[0]] = _best_first(skills, by_skill, None, ())
            found = islice((helper for helper in order if helper != owner_id and helper not in skip), top)
        else:
            found = _best_first(skills, by_skill, owner_id, skip)[:top]
        pairs += [(need_id, helper) for helper in found]
    return pairs


def _best_first(skills: list, by_skill: dict, owner_id: int | None, skip) -> list[int]:
    """Helpers for these (skill, campaign, weight) wants, most shared weight first, then newest offer."""
    scores: dict[int, list[int]] = {}
    for term, campaign_id, weight in skills:
        for helper, offer_id in by_skill[(term, campaign_id)]:
            if helper == owner_id or helper in skip:
                continue
            score = scores.get(helper)
            if score is None:
                scores[helper] = [weight, offer_id, helper]
            else:
                score[0] += weight
                score[1] = max(score[1], offer_id)
    return [helper for _, _, helper in sorted(scores.values(), reverse=True)]


def _exchange(member, *where, join=None):
    title = func.coalesce(needs.c.title, offers.c.title, "")
    source = exchanges.outerjoin(needs, needs.c.id == ex.need_id).outerjoin(offers, offers.c.id == ex.offer_id)
    if join is not None:
        source = source.join(*join)
    return (select(member.label("member_id"), literal("exchange").label("subject"), ex.id.label("subject_id"),
                   title.label("title"), ex.minutes).select_from(source).where(*where))


def _other(of):
    return case((of == ex.requester_id, ex.helper_id), else_=ex.requester_id)


def _proposal(now: datetime, cutoff: datetime, top: int):
    return _exchange(_other(ex.proposed_by), ex.state == State.PROPOSED, ex.created_at <= cutoff)


def _confirm(now: datetime, cutoff: datetime, top: int):
    return _exchange(_other(ex.logged_by), ex.state == State.LOGGED, ex.logged_at <= cutoff)


def _session(now: datetime, cutoff: datetime, top: int):
    where = (ex.state == State.ACCEPTED, func.coalesce(ex.session_on, ex.updated_at) <= cutoff)
    return union_all(_exchange(ex.requester_id, *where), _exchange(ex.helper_id, *where))


def _hold(now: datetime, cutoff: datetime, top: int):
    join = (holds, holds.c.id == ex.hold_transfer_id)
    where = (ex.state == State.ACCEPTED, holds.c.expires_at <= cutoff, holds.c.expires_at > now)
    return union_all(_exchange(ex.requester_id, *where, join=join), _exchange(ex.helper_id, *where, join=join))


def _member_for_turn():
    """Built once: it runs on every turn, so only its parameters change."""
    log, ack, who = nudge_log.c, nudge_acks.c, identities.c
    last = select(ack.acted_at).where(ack.member_id == Member.id).scalar_subquery()
    waiting = exists().where(log.member_id == Member.id, log.acted_at.is_(None), or_(last.is_(None), log.at > last))
    return (select(Member, waiting).join(identities, who.member_id == Member.id)
            .where(who.platform == bindparam("platform"), who.workspace_id == bindparam("workspace_id"),
                   who.user_id == bindparam("user_id")))


_MEMBER_FOR_TURN = _member_for_turn()
_BASES = {"refine": _refine, "proposal": _proposal, "confirm": _confirm, "session": _session,
          "hold": _hold}
