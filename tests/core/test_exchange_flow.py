"""The exchange lifecycle end to end on a real database, every step and its misuse."""

from datetime import UTC, datetime, timedelta

import pytest

from core import directory, marketplace, statements
from core import exchange_flow as flow
from core.errors import InvalidInput, InvalidState, NotAllowed, NotFound
from core.exchanges import HOLD_MARGIN, Exchange, State, confirm_due
from storage.verify import verify_ledger
from tests.support import join


async def _agreed(bank, minutes=90):
    alice, bob = await join(bank, "alice"), await join(bank, "bob")
    need = await bank.run(marketplace.post_need, alice.id, "Theatre waste audit", "help", ["recycling"], minutes=120)
    ex = await bank.run(flow.propose, bob.id, need_id=need.id, minutes=minutes)
    ex = await bank.run(flow.accept, ex.id, alice.id)
    return alice, bob, need, ex


async def test_whole_exchange_moves_hours_from_requester_to_helper(bank):
    alice, bob, need, ex = await _agreed(bank)
    assert ex.state == State.ACCEPTED
    held = await bank.read(statements.balance, alice.id)
    assert (held.balance, held.held, held.available) == (0, 90, -90)
    await bank.run(flow.log, ex.id, bob.id, 60)
    done = await bank.run(flow.confirm, ex.id, alice.id)
    assert done.state == State.CONFIRMED and done.posted_minutes == 60
    a, b = await bank.read(statements.balance, alice.id), await bank.read(statements.balance, bob.id)
    assert (a.balance, a.held, b.balance) == (-60, 0, 60)


async def test_the_proposer_cannot_accept_their_own_proposal(bank):
    alice, bob = await join(bank, "alice"), await join(bank, "bob")
    need = await bank.run(marketplace.post_need, alice.id, "Compost scheme")
    ex = await bank.run(flow.propose, bob.id, need_id=need.id)
    with pytest.raises(NotAllowed):
        await bank.run(flow.accept, ex.id, bob.id)


async def test_someone_elses_exchange_looks_unknown(bank):
    _, _, _, ex = await _agreed(bank)
    carol = await join(bank, "carol")
    with pytest.raises(NotFound):
        await bank.run(flow.cancel, ex.id, carol.id)
    with pytest.raises(NotFound):
        await bank.run(flow.cancel, 9999, carol.id)


async def test_double_confirm_says_already_confirmed_and_moves_nothing_twice(bank):
    alice, bob, _, ex = await _agreed(bank)
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.confirm, ex.id, alice.id)
    with pytest.raises(InvalidState, match="already confirmed on"):
        await bank.run(flow.confirm, ex.id, alice.id)
    assert (await bank.read(statements.balance, bob.id)).balance == 90


async def test_confirm_after_cancel_is_refused(bank):
    alice, bob, _, ex = await _agreed(bank)
    await bank.run(flow.cancel, ex.id, alice.id)
    with pytest.raises(InvalidState, match="already cancelled"):
        await bank.run(flow.log, ex.id, bob.id, 30)
    assert (await bank.read(statements.balance, alice.id)).held == 0


@pytest.mark.parametrize("minutes", [0, -30, 91, 10**9])
async def test_logging_impossible_minutes_is_refused(bank, minutes):
    _, bob, _, ex = await _agreed(bank)
    with pytest.raises(InvalidInput):
        await bank.run(flow.log, ex.id, bob.id, minutes)


async def test_logger_cannot_confirm_their_own_log(bank):
    _, bob, _, ex = await _agreed(bank)
    await bank.run(flow.log, ex.id, bob.id, 30)
    with pytest.raises(NotAllowed):
        await bank.run(flow.confirm, ex.id, bob.id)


async def test_adjust_then_confirm_posts_the_adjusted_minutes(bank):
    alice, bob, _, ex = await _agreed(bank)
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.adjust, ex.id, alice.id, 45)
    with pytest.raises(NotAllowed):
        await bank.run(flow.confirm, ex.id, alice.id)
    await bank.run(flow.confirm, ex.id, bob.id)
    assert (await bank.read(statements.balance, bob.id)).balance == 45


async def test_dispute_is_resolved_by_an_admin_not_by_a_party(bank):
    alice, bob, _, ex = await _agreed(bank)
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.dispute, ex.id, alice.id, "We only met for half an hour")
    with pytest.raises(NotAllowed):
        await bank.run(flow.resolve, ex.id, bob.id, 90)
    admin = await bank.run(directory.bootstrap_admin, "slack", "T1", "UADMIN")
    await bank.run(flow.resolve, ex.id, admin.id, 30)
    assert (await bank.read(statements.balance, bob.id)).balance == 30


async def test_unanswered_log_is_confirmed_after_the_deadline(bank, clock, rules):
    _, bob, _, ex = await _agreed(bank)
    await bank.run(flow.log, ex.id, bob.id, 60)
    assert await bank.run(flow.auto_confirm, ex.id) is None
    clock.advance(rules.confirm_deadline + timedelta(minutes=1))
    done = await bank.run(flow.auto_confirm, ex.id)
    assert done.state == State.CONFIRMED and done.posted_minutes == 60


async def test_hold_expires_and_releases_the_hours(bank, clock, rules):
    alice, bob, _, ex = await _agreed(bank)
    clock.advance(rules.hold_ttl + timedelta(seconds=1))
    with pytest.raises(InvalidState, match="expired"):
        await bank.run(flow.cancel, ex.id, alice.id)
    expired = await bank.run(flow.expire_hold, ex.id)
    assert expired.state == State.EXPIRED
    assert (await bank.read(statements.balance, alice.id)).held == 0


async def test_cannot_propose_on_own_need(bank):
    alice = await join(bank, "alice")
    need = await bank.run(marketplace.post_need, alice.id, "Solar panels survey")
    with pytest.raises(NotAllowed):
        await bank.run(flow.propose, alice.id, need_id=need.id)


async def test_offer_capacity_is_used_and_given_back(bank):
    alice, bob = await join(bank, "alice"), await join(bank, "bob")
    offer = await bank.run(marketplace.post_offer, bob.id, "Procurement advice", minutes=120)
    ex = await bank.run(flow.propose, alice.id, offer_id=offer.id, minutes=90)
    await bank.run(flow.accept, ex.id, bob.id)
    with pytest.raises(InvalidInput, match="30 min left"):
        await bank.run(flow.propose, alice.id, offer_id=offer.id, minutes=60)
    await bank.run(flow.log, ex.id, alice.id, 60)
    await bank.run(flow.confirm, ex.id, bob.id)
    refreshed = await bank.read(marketplace.own_offer, bob.id, offer.id, False)
    assert refreshed.remaining == 60


async def test_thanks_after_confirmation(bank):
    alice, bob, _, ex = await _agreed(bank)
    with pytest.raises(InvalidState):
        await bank.run(flow.thank, ex.id, alice.id, "Thanks!")
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.confirm, ex.id, alice.id)
    done = await bank.run(flow.thank, ex.id, alice.id, "Thank you, that was brilliant")
    assert done.requester_thanks == "Thank you, that was brilliant"


def test_a_log_is_due_at_the_deadline_or_just_before_its_hold_runs_out():
    logged = Exchange(requester_id=1, helper_id=2, proposed_by=1, minutes=60, logged_at=datetime(2026, 3, 1, tzinfo=UTC))
    week = timedelta(days=7)
    assert confirm_due(logged, week, None) == datetime(2026, 3, 8, tzinfo=UTC)
    assert confirm_due(logged, week, datetime(2026, 4, 1, tzinfo=UTC)) == datetime(2026, 3, 8, tzinfo=UTC)
    assert confirm_due(logged, week, datetime(2026, 3, 4, tzinfo=UTC)) == datetime(2026, 3, 4, tzinfo=UTC) - HOLD_MARGIN


async def test_no_new_time_is_logged_or_adjusted_on_a_hold_that_ran_out(bank, clock, rules):
    alice, bob, _, ex = await _agreed(bank)
    clock.advance(rules.hold_ttl - timedelta(hours=2))
    await bank.run(flow.log, ex.id, bob.id, 60)
    clock.advance(timedelta(hours=2))
    for step, who in ((flow.log, bob), (flow.adjust, alice)):
        with pytest.raises(InvalidState, match="held for this exchange expired on 6 Mar"):
            await bank.run(step, ex.id, who.id, 30)
    assert (await bank.run(flow.auto_confirm, ex.id)).posted_minutes == 60


async def test_a_late_decision_on_logged_time_still_settles_after_the_hold_ran_out(bank, db, clock, rules):
    """Confirming, or resolving a dispute, after the hold's end: the hold expires and the minutes move directly."""
    alice, bob, _, ex = await _agreed(bank)
    carol, dan = await join(bank, "carol"), await join(bank, "dan")
    need = await bank.run(marketplace.post_need, carol.id, "Seed swap", minutes=60)
    other = await bank.run(flow.propose, dan.id, need_id=need.id)
    await bank.run(flow.accept, other.id, carol.id)
    admin = await bank.run(directory.bootstrap_admin, "slack", "T1", "UADMIN")
    await bank.run(flow.log, ex.id, bob.id, 90)
    await bank.run(flow.dispute, ex.id, alice.id, "It was one hour")
    await bank.run(flow.log, other.id, dan.id, 45)
    await bank.run(flow.dispute, other.id, carol.id, "We never met")
    clock.advance(rules.hold_ttl + timedelta(days=1))

    assert (await bank.run(flow.resolve, ex.id, admin.id, 60)).state == State.CONFIRMED
    assert (await bank.run(flow.resolve, other.id, admin.id, 0)).state == State.CANCELLED
    with pytest.raises(InvalidState, match="already confirmed"):
        await bank.run(flow.resolve, ex.id, admin.id, 60)
    summaries = [await bank.read(statements.balance, m.id) for m in (alice, bob, carol, dan)]
    assert [(s.balance, s.held) for s in summaries] == [(-60, 0), (60, 0), (0, 0), (0, 0)]
    assert (await verify_ledger(db)).problems == []
