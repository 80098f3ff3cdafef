"""The scheduled jobs on the real database with an injected clock: each changes once and tells once."""

import asyncio
from datetime import timedelta

from bot.scheduler import jobs
from core import exchange_flow, marketplace, statements
from core.exchanges import HOLD_MARGIN, State
from core.ledger import TransferKind
from core.posts import NeedStatus
from storage.verify import verify_ledger
from tests.bot.scheduler.world import agreed_exchange, messages, services_for, twin
from tests.support import join

MINUTE = timedelta(minutes=1)


async def exchange(bank, exchange_id):
    return await bank.read(lambda ctx: ctx.uow.exchanges.get(exchange_id))


async def status(bank, need_id):
    return (await bank.read(lambda ctx: ctx.uow.needs.get(need_id))).status


async def test_an_expired_hold_releases_the_hours_and_tells_both_parties(db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    agreed = await agreed_exchange(bank)
    assert (await bank.read(statements.balance, agreed.requester_id)).held == 90

    clock.advance(rules.hold_ttl - MINUTE)
    assert await jobs.expire_holds(services) == 0
    clock.advance(2 * MINUTE)
    assert await jobs.expire_holds(services) == 1

    assert (await exchange(bank, agreed.id)).state == State.EXPIRED
    for member_id in (agreed.requester_id, agreed.helper_id):
        summary = await bank.read(statements.balance, member_id)
        assert (summary.balance, summary.held) == (0, 0)
    told = await messages(db, f"exchange:{agreed.id}:hold-expired:")
    assert set(told) == {agreed.requester_id, agreed.helper_id}
    for message in told.values():
        assert message.cards[0].title == f"Exchange #{agreed.id} expired"
        assert "The 1 h 30 min held for it since 5 Jan 2026 was released" in message.cards[0].text
    assert await jobs.expire_holds(services) == 0
    assert len(await messages(db, f"exchange:{agreed.id}:")) == 2


async def test_a_log_nobody_answers_is_confirmed_at_the_deadline_and_both_are_told(db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    agreed = await agreed_exchange(bank)
    await bank.run(exchange_flow.log, agreed.id, agreed.helper_id, 60)

    clock.advance(rules.confirm_deadline - MINUTE)
    assert await jobs.auto_confirm(services) == 0
    assert await messages(db, f"exchange:{agreed.id}:auto-confirmed:") == {}
    clock.advance(MINUTE)
    assert await jobs.auto_confirm(services) == 1

    done = await exchange(bank, agreed.id)
    assert (done.state, done.posted_minutes) == (State.CONFIRMED, 60)
    assert (await bank.read(statements.balance, agreed.helper_id)).balance == 60
    assert (await bank.read(statements.balance, agreed.requester_id)).balance == -60
    told = await messages(db, f"exchange:{agreed.id}:auto-confirmed:")
    assert set(told) == {agreed.requester_id, agreed.helper_id}
    helper_card = told[agreed.helper_id].cards[0]
    assert helper_card.title == f"Exchange #{agreed.id} confirmed automatically"
    assert "balance is now 1 h." in helper_card.text
    assert [b.action for b in told[agreed.helper_id].cards[1].buttons] == ["exchange.thank"]
    assert await jobs.auto_confirm(services) == 0


async def test_an_answered_log_is_left_alone(db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    agreed = await agreed_exchange(bank)
    await bank.run(exchange_flow.log, agreed.id, agreed.helper_id, 60)
    await bank.run(exchange_flow.dispute, agreed.id, agreed.requester_id, "It was half that")
    clock.advance(rules.confirm_deadline * 2)
    assert await jobs.auto_confirm(services) == 0
    assert (await exchange(bank, agreed.id)).state == State.DISPUTED


async def test_open_needs_expire_once_and_the_owner_hears_why(db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    ann = await join(bank, "ann")
    stale = await bank.run(marketplace.post_need, ann.id, "Compost bins")
    matched = await agreed_exchange(bank, "m")
    clock.advance(timedelta(days=1))
    fresh = await bank.run(marketplace.post_need, ann.id, "Seed library")

    clock.advance(rules.need_ttl - timedelta(hours=1))
    assert await jobs.expire_needs(services) == 1

    assert await status(bank, stale.id) == NeedStatus.WITHDRAWN
    assert await status(bank, fresh.id) == NeedStatus.OPEN
    assert await status(bank, matched.need_id) == NeedStatus.MATCHED
    told = await messages(db, "need:")
    assert list(told) == [ann.id]
    card = told[ann.id].cards[0]
    assert card.title == f"Your need #{stale.id} was taken down"
    assert "open for 90 days" in card.text and [b.action for b in card.buttons] == ["need.new"]
    assert await jobs.expire_needs(services) == 0
    assert len(await messages(db, "need:")) == 1


async def test_two_schedulers_running_the_same_jobs_at_once_change_and_send_once(db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    other = twin(services)
    try:
        holds = [await agreed_exchange(bank, f"h{i}") for i in range(4)]
        logs = [await agreed_exchange(bank, f"l{i}") for i in range(4)]
        for agreed in logs:
            await bank.run(exchange_flow.log, agreed.id, agreed.requester_id, 30)
        owner = await join(bank, "owner")
        needs = [await bank.run(marketplace.post_need, owner.id, f"Need {i}") for i in range(4)]

        clock.advance(rules.confirm_deadline)
        confirmed = await asyncio.gather(jobs.auto_confirm(services), jobs.auto_confirm(other))
        clock.advance(rules.need_ttl)
        expired = await asyncio.gather(jobs.expire_needs(services), jobs.expire_needs(other))
        clock.advance(rules.hold_ttl)
        released = await asyncio.gather(jobs.expire_holds(services), jobs.expire_holds(other))
    finally:
        await other.db.dispose()

    assert (sum(confirmed), sum(expired), sum(released)) == (4, 4, 4)
    for agreed in logs:
        assert len(await messages(db, f"exchange:{agreed.id}:auto-confirmed:")) == 2
    for agreed in holds:
        assert len(await messages(db, f"exchange:{agreed.id}:hold-expired:")) == 2
    for need in needs:
        assert len(await messages(db, f"need:{need.id}:")) == 1


async def test_a_queued_broadcast_is_fanned_out_by_its_job_once(db, bank, clock, rules) -> None:
    from core import broadcasts, campaign_flow, directory

    services = services_for(db, bank)
    lead, ada, bob = await join(bank, "lead"), await join(bank, "ada"), await join(bank, "bob")
    await bank.run(directory.bootstrap_admin, "slack", "T1", "ULEAD")
    for member in (ada, bob):
        await bank.run(campaign_flow.join, member.id, "biodiversity")
    await bank.run(broadcasts.queue, lead.id, "biodiversity", "Pond day", "Bring boots", "", "k1")

    assert await jobs.broadcasts(services) == 2
    assert await jobs.broadcasts(services) == 0
    told = await messages(db, "broadcast:")
    assert {ada.id, bob.id} <= set(told) and lead.id in told  # the lead's progress card


async def transfer(bank, key):
    return await bank.read(lambda ctx: ctx.uow.transfers.by_key(key))


async def late_log(bank, clock, rules, tag: str = "", days_left: int = 3):
    """An exchange whose hours are logged in the last days of its hold, so the hold runs out before the deadline."""
    agreed = await agreed_exchange(bank, tag)
    clock.advance(rules.hold_ttl - timedelta(days=days_left))
    await bank.run(exchange_flow.log, agreed.id, agreed.helper_id, 60)
    return agreed


async def assert_settled_once(db, bank, agreed, first_words: str) -> None:
    done = await exchange(bank, agreed.id)
    assert (done.state, done.posted_minutes) == (State.CONFIRMED, 60)
    helper, requester = [await bank.read(statements.balance, m) for m in (agreed.helper_id, agreed.requester_id)]
    assert (helper.balance, requester.balance, requester.held) == (60, -60, 0)
    told = await messages(db, f"exchange:{agreed.id}:")
    assert set(told) == {agreed.requester_id, agreed.helper_id}
    for message in told.values():
        assert message.cards[0].title == f"Exchange #{agreed.id} confirmed automatically"
        assert message.cards[0].text.startswith(first_words), message.cards[0].text
    assert (await verify_ledger(db)).problems == []


async def test_a_log_in_the_last_days_of_its_hold_is_confirmed_just_before_the_hold_runs_out(
        db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    agreed = await late_log(bank, clock, rules)
    hold = await transfer(bank, f"hold:exchange:{agreed.id}")

    clock.set(hold.expires_at - HOLD_MARGIN - MINUTE)
    assert (await jobs.auto_confirm(services), await jobs.expire_holds(services)) == (0, 0)
    clock.advance(MINUTE)
    assert await jobs.auto_confirm(services) == 1

    assert (await transfer(bank, f"post:exchange:{agreed.id}")).kind == TransferKind.POST
    await assert_settled_once(db, bank, agreed, "The 1 h logged on 3 Mar 2026 wasn't answered, and hours can be "
                                                "held for at most 60 days (these since 5 Jan 2026), so it counts "
                                                "as confirmed: 1 h moved")
    clock.set(hold.expires_at + rules.confirm_deadline)
    assert (await jobs.auto_confirm(services), await jobs.expire_holds(services)) == (0, 0)
    await assert_settled_once(db, bank, agreed, "The 1 h logged")


async def test_the_expiry_job_leaves_a_waiting_log_alone_and_a_late_run_still_confirms_it(db, bank, clock, rules) -> None:
    """The worker was down past the hold's end: the log is still confirmed, never expired."""
    services = services_for(db, bank)
    agreed = await late_log(bank, clock, rules)
    clock.advance(rules.confirm_deadline)
    assert await jobs.expire_holds(services) == 0
    assert (await exchange(bank, agreed.id)).state == State.LOGGED
    assert (await bank.read(statements.balance, agreed.requester_id)).held == 90

    assert await jobs.auto_confirm(services) == 1
    assert await jobs.auto_confirm(services) == 0
    hold = await transfer(bank, f"hold:exchange:{agreed.id}")
    assert (await transfer(bank, f"expire:{hold.id}")).amount == 0
    moved = await transfer(bank, f"post:exchange:{agreed.id}")
    assert (moved.kind, moved.amount, moved.pending_id) == (TransferKind.SINGLE, 60, None)
    await assert_settled_once(db, bank, agreed, "The 1 h logged on 3 Mar 2026 wasn't answered within 7 days")


async def test_two_schedulers_confirm_logs_whose_hold_runs_out_once(db, bank, clock, rules) -> None:
    services = services_for(db, bank)
    other = twin(services)
    try:
        logs = [await late_log(bank, clock, rules, f"l{i}", days_left=1) for i in range(4)]
        clock.advance(timedelta(hours=23, minutes=30))  # the first runs out in 30 min, the last in under 1 h
        confirmed = await asyncio.gather(jobs.auto_confirm(services), jobs.auto_confirm(other))
        assert sum(confirmed) == 4, confirmed
        late = [await late_log(bank, clock, rules, f"k{i}", days_left=1) for i in range(3)]
        clock.advance(timedelta(days=2))  # past their holds' end: the worker was down
        together = await asyncio.gather(jobs.auto_confirm(services), jobs.auto_confirm(other),
                                        jobs.expire_holds(services), jobs.expire_holds(other))
    finally:
        await other.db.dispose()

    assert (sum(together[:2]), together[2:]) == (3, [0, 0]), together
    for agreed in logs + late:
        await assert_settled_once(db, bank, agreed, "The 1 h logged")
