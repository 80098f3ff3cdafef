"""The nudge scan and digest on a real database, with a clock the tests move by hand."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import campaign_flow, directory, exchange_flow, marketplace, nudges
from core.bank import Bank
from core.errors import InvalidInput
from core.nudge_policy import NudgeLimits
from core.nudges import NudgeSettings
from storage.outbox_store import outbox
from tests.support import join

SETTINGS = NudgeSettings()
MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # London = UTC in winter; Kolkata is 14:30


def render(nudge) -> dict:
    return {"key": nudge.key}


def render_digest(weeks) -> dict:
    return {"campaigns": [w.title for w in weeks], "needs": [w.new_needs for w in weeks]}


async def scan(bank, settings=SETTINGS) -> int:
    return await bank.run(nudges.scan, settings, render)


async def keys(db, kind: str = "nudge") -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.dedupe_key).where(outbox.c.kind == kind).order_by(outbox.c.id))
        return list(rows.scalars())


async def need(bank, owner, title="Theatre waste audit", **kw):
    return await bank.run(marketplace.post_need, owner.id, title, skills=["theatre waste"], **kw)


async def zone(bank, member, tz: str) -> None:
    await bank.run(directory.update_profile, member.id, timezone=tz)


@pytest.fixture
def monday(clock):
    clock.set(MONDAY_9)
    return clock


async def test_a_stale_need_nudges_its_owner_once_reminds_once_and_never_a_third_time(bank, db, monday):
    ada = await join(bank, "ada")
    posted = await need(bank, ada)
    monday.advance(timedelta(days=6))
    assert await scan(bank) == 0  # not stale yet
    monday.advance(timedelta(days=1))
    assert await scan(bank) == 1
    assert await scan(bank) == 0  # the same scan again queues nothing
    monday.advance(SETTINGS.reminder_after)
    assert await scan(bank) == 1
    for _ in range(3):
        monday.advance(SETTINGS.reminder_after)
        assert await scan(bank) == 0
    item = f"need-{posted.id}"
    assert await keys(db) == [f"nudge:refine:{item}:{ada.id}:1", f"nudge:refine:{item}:{ada.id}:2"]


async def exchange_between(bank, stage: str):
    """ada's need; bob offers help; then the exchange is taken to `stage`."""
    ada, bob = await join(bank, "ada"), await join(bank, "bob")
    posted = await need(bank, ada)
    exchange = await bank.run(exchange_flow.propose, bob.id, need_id=posted.id)
    if stage in ("accepted", "logged"):
        exchange = await bank.run(exchange_flow.accept, exchange.id, ada.id)
    if stage == "logged":
        exchange = await bank.run(exchange_flow.log, exchange.id, bob.id, 45)
    return ada, bob, exchange


@pytest.mark.parametrize(
    ("kind", "stage", "wait", "who", "settings"),
    [
        ("proposal", "proposed", timedelta(hours=48), ("ada",), SETTINGS),
        ("session", "accepted", timedelta(days=3), ("ada", "bob"), SETTINGS),
        ("confirm", "logged", timedelta(days=2), ("ada",), SETTINGS),
        ("hold", "accepted", timedelta(days=55), ("ada", "bob"),  # the hold lasts 60 days
         replace(SETTINGS, session_unlogged=timedelta(days=365), hold_expiring=timedelta(days=5))),
    ],
)
async def test_each_exchange_kind_reaches_the_right_member_once_then_one_reminder(
        bank, db, monday, kind, stage, wait, who, settings):
    ada, bob, exchange = await exchange_between(bank, stage)
    ids = {"ada": ada.id, "bob": bob.id}
    monday.advance(wait - timedelta(hours=1))
    assert await scan(bank, settings) == 0
    monday.advance(timedelta(hours=1))
    assert await scan(bank, settings) == len(who)
    monday.advance(settings.reminder_after)
    assert await scan(bank, settings) == len(who)
    monday.advance(settings.reminder_after)
    assert await scan(bank, settings) == 0
    expected = {f"nudge:{kind}:exchange-{exchange.id}:{ids[name]}:{n}" for name in who for n in (1, 2)}
    assert set(await keys(db)) == expected


async def test_helpers_in_the_campaign_are_asked_once_after_the_owner(bank, db, monday):
    ada, bob, cy, dee = [await join(bank, n) for n in ("ada", "bob", "cy", "dee")]
    campaign = await bank.run(campaign_flow.find, "greener-surgery")
    for member in (ada, bob, cy):
        await bank.run(campaign_flow.join, member.id, campaign.id)
    posted = await need(bank, ada, campaign_id=campaign.id)
    for helper in (bob, cy, dee):  # dee has the skill but is not in the campaign
        await bank.run(marketplace.post_offer, helper.id, "Waste audits", skills=["theatre waste"])
    await bank.run(marketplace.post_offer, cy.id, "Gardening", skills=["gardening"])
    monday.advance(timedelta(days=7))
    assert await scan(bank) == 1  # the owner first
    assert await scan(bank) == 2  # then the helpers in the campaign
    monday.advance(timedelta(days=3))
    await scan(bank)
    helpers = {k for k in await keys(db) if k.startswith("nudge:help:")}
    assert helpers == {f"nudge:help:need-{posted.id}:{m.id}:1" for m in (bob, cy)}


async def test_helpers_are_asked_even_when_the_owner_turned_need_nudges_off(bank, db, monday):
    ada, bob = [await join(bank, n) for n in ("ada", "bob")]
    campaign = await bank.run(campaign_flow.find, "greener-surgery")
    for member in (ada, bob):
        await bank.run(campaign_flow.join, member.id, campaign.id)
    await bank.run(directory.set_preferences, ada.id, nudges={"match": False})
    posted = await need(bank, ada, campaign_id=campaign.id)
    await bank.run(marketplace.post_offer, bob.id, "Waste audits", skills=["theatre waste"])
    monday.advance(timedelta(days=7))
    assert await scan(bank) == 0  # ada is not asked to refine it, so helpers wait a while longer
    monday.advance(timedelta(days=7))
    assert await scan(bank) == 1
    assert await scan(bank) == 0
    assert await keys(db) == [f"nudge:help:need-{posted.id}:{bob.id}:1"]


async def test_quiet_hours_follow_each_members_time_zone(bank, db, monday):
    ada, bob, exchange = await exchange_between(bank, "accepted")
    await zone(bank, ada, "Asia/Kolkata")
    monday.set(datetime(2026, 1, 8, 15, 0, tzinfo=UTC))  # 20:30 in Kolkata, 15:00 in London
    assert await scan(bank) == 1
    assert await keys(db) == [f"nudge:session:exchange-{exchange.id}:{bob.id}:1"]
    monday.set(datetime(2026, 1, 8, 23, 0, tzinfo=UTC))  # 04:30 in Kolkata
    assert await scan(bank) == 0
    monday.set(datetime(2026, 1, 9, 2, 30, tzinfo=UTC))  # 08:00 in Kolkata
    assert await scan(bank) == 1
    assert (await keys(db))[-1] == f"nudge:session:exchange-{exchange.id}:{ada.id}:1"


async def test_the_default_quiet_hours_are_a_setting(bank, db, monday):
    ada = await join(bank, "ada")
    await need(bank, ada)
    monday.advance(timedelta(days=7))  # Monday 09:00 in London
    late_risers = replace(SETTINGS, limits=NudgeLimits(quiet_hours=("20:00", "10:00")))
    assert await scan(bank, late_risers) == 0
    monday.advance(timedelta(hours=1))
    assert await scan(bank, late_risers) == 1


async def test_own_quiet_hours_count_where_the_default_ones_are_asleep(bank, db, monday):
    owl, lark = await join(bank, "owl"), await join(bank, "lark")
    await bank.run(directory.set_preferences, owl.id, quiet_hours=["03:00", "04:00"])
    await bank.run(directory.set_preferences, lark.id, quiet_weekends=False)  # preferences, but default hours
    owls, larks = await need(bank, owl), await need(bank, lark)
    monday.advance(timedelta(days=7))
    monday.set(monday.now().replace(hour=22))  # London's default quiet hours
    assert await scan(bank) == 1
    assert await keys(db) == [f"nudge:refine:need-{owls.id}:{owl.id}:1"]
    monday.set(monday.now().replace(hour=3, minute=30) + timedelta(days=1))  # owl's own quiet hours
    assert await scan(bank) == 0
    monday.set(monday.now().replace(hour=8))
    assert await scan(bank) == 1
    assert (await keys(db))[-1] == f"nudge:refine:need-{larks.id}:{lark.id}:1"


async def test_candidates_in_asleep_zones_are_left_out_only_when_they_kept_the_default_hours(bank, monday):
    owl, lark, kite = await join(bank, "owl"), await join(bank, "lark"), await join(bank, "kite")
    await bank.run(directory.set_preferences, owl.id, quiet_hours=["03:00", "04:00"])
    await bank.run(directory.set_preferences, lark.id, quiet_weekends=False)
    await zone(bank, kite, "Asia/Kolkata")
    for member in (owl, lark, kite):
        await need(bank, member)
    monday.advance(timedelta(days=7))

    async def candidates(ctx, asleep):
        rows = await ctx.uow.nudges.due("refine", ctx.now, SETTINGS.cutoff("refine", ctx.now), None, 3, asleep)
        return {row.member_id for row in rows}

    assert await bank.read(candidates, ["Europe/London"]) == {owl.id, kite.id}
    assert await bank.read(candidates, []) == {owl.id, lark.id, kite.id}


async def test_quiet_weekends_wait_for_monday(bank, db, monday):
    ada = await join(bank, "ada")
    await bank.run(directory.set_preferences, ada.id, quiet_weekends=True)
    await need(bank, ada)
    monday.set(datetime(2026, 1, 17, 12, 0, tzinfo=UTC))  # Saturday
    assert await scan(bank) == 0
    monday.set(datetime(2026, 1, 19, 7, 59, tzinfo=UTC))  # Monday, before 08:00
    assert await scan(bank) == 0
    monday.set(datetime(2026, 1, 19, 8, 0, tzinfo=UTC))
    assert await scan(bank) == 1


async def four_stale_needs(bank, monday):
    ada = await join(bank, "ada")
    for title in ("Compost", "Recycling", "Menus", "Hedges"):
        await need(bank, ada, title)
    monday.advance(timedelta(days=7))
    return ada


async def test_weekly_cap_per_member(bank, db, monday):
    settings = replace(SETTINGS, limits=NudgeLimits(weekly_cap=3, ignored_before_backoff=99))
    await four_stale_needs(bank, monday)  # now Monday 12 Jan
    sent = []
    for _ in range(4):
        sent.append(await scan(bank, settings))
        monday.advance(timedelta(hours=1))
    assert sent == [1, 1, 1, 0]  # one per scan, three a week
    monday.set(datetime(2026, 1, 19, 9, 0, tzinfo=UTC))  # the next week
    assert await scan(bank, settings) == 1


async def test_back_off_after_three_ignored_nudges_and_resume_after_an_answer(bank, db, monday):
    settings = replace(SETTINGS, limits=NudgeLimits(weekly_cap=99, ignored_before_backoff=3,
                                                    backoff=timedelta(days=14)))
    ada = await four_stale_needs(bank, monday)
    assert [await scan(bank, settings) for _ in range(4)] == [1, 1, 1, 0]
    monday.advance(timedelta(days=1))
    assert await scan(bank, settings) == 0  # still backing off
    await bank.run(nudges.acknowledge, ada.id)
    assert await scan(bank, settings) == 1


async def test_acting_on_the_item_is_not_ignoring_it(bank, db, monday):
    settings = replace(SETTINGS, limits=NudgeLimits(weekly_cap=99, ignored_before_backoff=3))
    ada = await four_stale_needs(bank, monday)
    assert [await scan(bank, settings) for _ in range(3)] == [1, 1, 1]
    first = int((await keys(db))[0].split(":")[2].removeprefix("need-"))
    monday.advance(timedelta(minutes=5))
    await bank.run(marketplace.withdraw_need, ada.id, first)
    assert await scan(bank, settings) == 1  # two ignored in a row, not three


async def test_opt_out_per_kind(bank, db, monday):
    ada, bob, exchange = await exchange_between(bank, "proposed")
    await need(bank, ada, "Second need, no offers yet")
    await need(bank, bob, "Bob's own need")
    await bank.run(nudges.stop, ada.id, "proposal")
    await bank.run(directory.set_preferences, bob.id, nudges={"match": False})
    monday.advance(timedelta(days=7))
    assert await scan(bank) == 1  # ada's stale need ("match" kind) still nudges her; bob hears nothing
    monday.advance(timedelta(days=3))
    assert await scan(bank) == 1  # her reminder; still nothing about the proposal
    found = await keys(db)
    assert [k.split(":")[1] for k in found] == ["refine", "refine"]
    assert all(k.endswith(f":{ada.id}:1") or k.endswith(f":{ada.id}:2") for k in found)


async def test_snooze_holds_back_the_reminder(bank, db, monday):
    ada = await join(bank, "ada")
    posted = await need(bank, ada)
    monday.advance(timedelta(days=7))
    assert await scan(bank) == 1
    monday.advance(timedelta(days=2))
    until = await bank.run(nudges.snooze, ada.id, f"refine:need-{posted.id}", SETTINGS)
    assert until == monday.now() + SETTINGS.snooze
    monday.advance(timedelta(days=2))
    assert await scan(bank) == 0  # reminder due, but snoozed
    monday.advance(timedelta(days=1))
    assert await scan(bank) == 1


async def test_a_bad_snooze_reference_changes_nothing(bank, monday):
    ada = await join(bank, "ada")
    for ref in ("", "refine", "refine:need-x", "party:need-1", "refine:member-1", "refine:need-" + "9" * 20):
        with pytest.raises(InvalidInput):
            await bank.run(nudges.snooze, ada.id, ref, SETTINGS)


async def digest(bank) -> int:
    return await bank.run(nudges.digest, SETTINGS, render_digest)


async def test_digest_on_local_monday_morning_only_once_a_week(bank, db, monday):
    ada, ravi = await join(bank, "ada"), await join(bank, "ravi")
    await zone(bank, ravi, "Asia/Kolkata")
    campaign = await bank.run(campaign_flow.find, "biodiversity")
    for member in (ada, ravi):
        await bank.run(campaign_flow.join, member.id, campaign.id)
    await need(bank, ada, campaign_id=campaign.id)
    monday.set(datetime(2026, 1, 12, 3, 0, tzinfo=UTC))  # 08:30 Monday in Kolkata, 03:00 in London
    assert await digest(bank) == 1
    monday.set(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))  # 09:00 in London, 14:30 in Kolkata
    assert await digest(bank) == 1
    assert await digest(bank) == 0
    monday.set(datetime(2026, 1, 13, 9, 0, tzinfo=UTC))  # Tuesday
    assert await digest(bank) == 0
    await need(bank, ada, "Bat boxes", campaign_id=campaign.id)
    monday.set(datetime(2026, 1, 19, 9, 30, tzinfo=UTC))
    assert await digest(bank) == 1
    monday.set(datetime(2026, 1, 26, 9, 30, tzinfo=UTC))
    assert await digest(bank) == 0  # nothing happened that week: no digest at all
    assert await keys(db, "digest") == [f"digest:{ravi.id}:2026-W03", f"digest:{ada.id}:2026-W03",
                                        f"digest:{ada.id}:2026-W04"]


async def test_digest_respects_its_switch(bank, db, monday):
    ada = await join(bank, "ada")
    await bank.run(campaign_flow.join, ada.id, "biodiversity")
    await bank.run(nudges.stop, ada.id, "digest")
    assert await digest(bank) == 0


async def test_a_backlog_spreads_over_scans_and_nothing_is_lost(bank, db, monday):
    for i in range(12):
        await need(bank, await join(bank, f"m{i}"))
    monday.advance(timedelta(days=7))
    settings = replace(SETTINGS, max_per_scan=5)
    assert [await scan(bank, settings) for _ in range(4)] == [5, 5, 2, 0]
    assert len(set(await keys(db))) == 12


async def test_two_scans_at_once_queue_nothing_twice(bank, db, clock, rules, monday):
    members = [await join(bank, f"m{i}") for i in range(12)]
    for member in members:
        await need(bank, member)
    monday.advance(timedelta(days=7))
    twin = Bank(db.unit_of_work, clock, rules)
    results = await asyncio.gather(scan(bank), scan(twin), scan(bank), scan(twin))
    assert sum(results) == 12
    found = await keys(db)
    assert len(found) == len(set(found)) == 12
