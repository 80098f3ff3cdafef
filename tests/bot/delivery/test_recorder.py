"""Outcomes are written in batches: a few transactions for many sends, and until its batch is written a
row keeps its lease, so a crash can only send it again, never lose it."""

import asyncio
from datetime import timedelta

from sqlalchemy import event, select

from bot.delivery.claim import Outcome, claim_due
from bot.delivery.limits import DeliveryLimits
from bot.delivery.queue import queue
from bot.delivery.recorder import Recorder
from bot.delivery.worker import deliver_due
from bot.views import Card, Message, Notice
from core.outbox import Delivery, OutboxItem, RetryPolicy
from core.ports import Context
from tests.bot.delivery.stand_ins import slack_services
from tests.support import join

LEASE = timedelta(minutes=5)


async def notices(bank, names: list[str]) -> None:
    found = [(await join(bank, name)).id for name in names]
    await bank.run(queue, [Notice(m, Message(cards=(Card(title=f"news {m}"),)), f"news:{m}") for m in found])


async def rows(bank) -> list[OutboxItem]:
    async def everything(ctx: Context) -> list[OutboxItem]:
        return await ctx.uow.outbox._list(select(OutboxItem).order_by(OutboxItem.id))
    return await bank.read(everything)


def counting_commits(db) -> list[int]:
    commits = [0]

    @event.listens_for(db.engine.sync_engine, "commit")
    def _counted(_conn) -> None:
        commits[0] += 1
    return commits


async def test_a_hundred_and_twenty_sends_are_recorded_in_a_handful_of_transactions(db, bank, fake):
    services = slack_services(db, bank, fake, DeliveryLimits(slack_workspace_per_second=2000))
    await notices(bank, [f"m{n}" for n in range(120)])
    commits = counting_commits(db)
    assert await deliver_due(services, "w1", limit=200) == 120
    assert len(fake.of("chat.postMessage")) == 120
    assert all(row.state == Delivery.SENT and row.lease_owner is None for row in await rows(bank))
    assert commits[0] <= 1 + 10, f"{commits[0]} transactions for 120 outcomes"  # the claim, then batches


async def test_until_its_batch_is_written_a_row_keeps_its_lease(bank):
    await notices(bank, ["bob", "carol"])
    jobs = await bank.run(claim_due, "w1", LEASE, 10)
    recorder = Recorder(bank, RetryPolicy(), size=50, interval=60)
    written = [recorder.add(job.id, Outcome(platform="slack", message_id=f"ts-{job.id}")) for job in jobs]
    in_flight = await rows(bank)
    assert [(r.state, r.lease_owner) for r in in_flight] == [(Delivery.PENDING, "w1")] * 2
    recorder.flush()
    assert [await done for done in written] == [True, True]
    after = await rows(bank)
    assert [(r.state, r.lease_owner, r.platform_message_id) for r in after] == [
        (Delivery.SENT, None, f"ts-{jobs[0].id}"), (Delivery.SENT, None, f"ts-{jobs[1].id}")]


async def test_a_full_batch_is_written_at_once_and_a_row_finished_elsewhere_is_left_alone(bank, clock):
    await notices(bank, ["bob", "carol", "dan"])
    jobs = await bank.run(claim_due, "w1", LEASE, 10)
    clock.advance(LEASE * 2)  # our lease ran out: another worker sent Bob's row
    [again] = (await bank.run(claim_due, "w2", LEASE, 1))
    await (Recorder(bank, RetryPolicy(), size=1).add(again.id, Outcome(platform="slack", message_id="theirs")))
    recorder = Recorder(bank, RetryPolicy(), size=3, interval=60)
    outcomes = [Outcome(platform="slack", message_id="ours"), Outcome(platform="slack", error="Slack 503"),
                Outcome(skipped=True, error="no reachable identity")]
    written = [recorder.add(job.id, outcome) for job, outcome in zip(jobs, outcomes, strict=True)]
    assert recorder.timer is None and recorder.batch == []  # the third filled the batch: no waiting
    assert [await done for done in written] == [True] * 3
    bob, carol, dan = await rows(bank)
    assert (bob.state, bob.platform_message_id) == (Delivery.SENT, "theirs")
    assert (carol.state, carol.attempts, carol.lease_owner) == (Delivery.PENDING, 1, None)
    assert carol.next_attempt_at > clock.now() and "503" in carol.last_error
    assert dan.state == Delivery.SKIPPED


async def test_a_pass_writes_its_last_outcomes_when_it_ends_not_after_the_interval(db, bank, fake):
    services = slack_services(db, bank, fake)
    await notices(bank, ["bob"])
    services.notifier.recorder.interval = 30.0
    assert await asyncio.wait_for(deliver_due(services, "w1"), 5) == 1
    [sent] = await rows(bank)
    assert sent.state == Delivery.SENT
