"""Fan-out and progress of broadcasts on the real database: once per participant, opted-out skipped."""

import time
from datetime import timedelta

import pytest

from bot import broadcasting
from bot.viewcodec import decode
from core import broadcast_delivery as delivery
from core import broadcasts, outbox
from core.broadcast_delivery import Progress
from core.errors import NotFound
from core.outbox import Delivery
from tests.bot.broadcasting.population import Crowd, make_lead, populate

SLUG = "biodiversity"


async def rows_of(bank, broadcast_id: int) -> list:
    async def query(ctx):
        from sqlalchemy import select

        from core.outbox import OutboxItem
        found = select(OutboxItem).where(OutboxItem.dedupe_key.like(f"broadcast:{broadcast_id}:%"))
        return list((await ctx.uow.session.execute(found.order_by(OutboxItem.id))).scalars())
    return await bank.read(query)


async def queued_broadcast(bank, crowd: Crowd, text: str = "Pond survey on Saturday", cta: str = "needs") -> int:
    draft = await bank.run(broadcasts.queue, crowd.lead.id, SLUG, "Pond day", text, cta, client_key="k1")
    return draft.broadcast.id


async def crowd_of(bank, slack: dict, teams: dict, opt_out_every: int = 0) -> Crowd:
    lead = await make_lead(bank, SLUG)
    return await populate(bank, Crowd(lead, SLUG), slack, teams, "http://127.0.0.1:9/", opt_out_every)


async def test_one_row_per_participant_opted_out_skipped_author_never_and_only_once(services, bank):
    crowd = await crowd_of(bank, {"T1": 6}, {"tenant-a": 4}, opt_out_every=5)
    broadcast_id = await queued_broadcast(bank, crowd, "Survey <!channel> @here <@U123>")
    assert await broadcasting.fan_out_queued(services) == 8
    assert await broadcasting.fan_out_queued(services) == 0
    assert await bank.run(broadcasting.fan_out_now, broadcast_id) == 0
    rows = await rows_of(bank, broadcast_id)
    recipients = [r for r in rows if r.kind == "broadcast"]
    assert sorted(r.member_id for r in recipients) == sorted([*crowd.slack, *crowd.teams])
    assert crowd.lead.id not in {r.member_id for r in recipients}
    assert {r.member_id for r in recipients if r.state == Delivery.SKIPPED} == crowd.opted_out
    assert all(r.dedupe_key == f"broadcast:{broadcast_id}:{r.member_id}" and r.broadcast_id == broadcast_id
               for r in recipients)
    card = decode(recipients[0].payload).cards[0]
    assert (card.title, card.text) == ("Pond day", "Survey <!channel> @here <@U123>")
    assert [(b.label, b.action, b.ref) for b in card.buttons] == [("See open needs", "needs.page",
                                                                   "0|campaign biodiversity")]
    [progress_row] = [r for r in rows if r.kind == "notice"]
    assert (progress_row.member_id, progress_row.dedupe_key, progress_row.broadcast_id) == (
        crowd.lead.id, f"broadcast:{broadcast_id}:progress", None)
    shown = {f.label: f.value for f in decode(progress_row.payload).cards[0].fields}
    assert shown == {"Sent": "0", "Failed": "0", "Unreachable": "0", "Remaining": "8",
                     "Skipped": "2"}
    assert await bank.read(delivery.progress, broadcast_id) == Progress(skipped=2, remaining=8)
    assert (await bank.read(lambda ctx: ctx.uow.broadcasts.get(broadcast_id))).status == "sending"


async def test_offer_hours_button_and_an_unknown_broadcast(bank):
    crowd = await crowd_of(bank, {"T1": 1}, {})
    draft = await bank.run(broadcasts.queue, crowd.lead.id, SLUG, "Help", "Offer an hour", "offer")
    await bank.run(broadcasting.fan_out_now, draft.broadcast.id)
    [row] = [r for r in await rows_of(bank, draft.broadcast.id) if r.kind == "broadcast"]
    assert [(b.label, b.action) for b in decode(row.payload).cards[0].buttons] == [("Offer hours", "offer.new")]
    with pytest.raises(NotFound, match="doesn't exist"):
        await bank.run(broadcasting.fan_out_now, 9999)


class RecordingSender:
    """A platform port that records what it was asked to do (the Slack/Teams stand-ins do the same over HTTP)."""

    platform = "slack"

    def __init__(self) -> None:
        self.updates: list[tuple[str, str, dict]] = []

    async def send(self, identity, message, *, refresh_home=False) -> str:
        return "1700000000.000001"

    async def update(self, identity, message_id, message) -> None:
        self.updates.append((identity.user_id, message_id, {f.label: f.value for f in message.cards[0].fields}))


async def finish_rows(bank, clock, states: list[str], kind: str = "broadcast") -> None:
    """What a delivery worker records: claim due rows, mark the first few's outcomes, let the rest go."""
    async def work(ctx):
        claimed = await ctx.uow.outbox.claim(ctx.now, "test", timedelta(minutes=1), 5000)
        for row in claimed:
            row.lease_owner = row.lease_until = None
        for row, state in zip([r for r in claimed if r.kind == kind], states, strict=False):
            if state == Delivery.SENT:
                outbox.sent(row, ctx.now, "slack", "1700000000.000001")
            else:
                outbox.failed(row, ctx.now, "gone", outbox.RetryPolicy(), permanent=True,
                              unreachable=state == Delivery.UNREACHABLE)
    await bank.run(work)
    clock.advance(timedelta(seconds=1))


async def test_progress_card_is_redrawn_in_place_only_when_it_changes_and_the_broadcast_ends_sent(
        services, bank, clock):
    sender = RecordingSender()
    services.notifier.senders["slack"] = sender
    crowd = await crowd_of(bank, {"T1": 3}, {})
    broadcast_id = await queued_broadcast(bank, crowd)
    await broadcasting.fan_out_queued(services)
    await broadcasting.refresh_progress(services, broadcast_id)
    assert sender.updates == []  # the card itself is not out yet
    await finish_rows(bank, clock, [Delivery.SENT], kind="notice")
    await finish_rows(bank, clock, [Delivery.SENT, Delivery.UNREACHABLE])
    assert await broadcasting.refresh_active(services) == 1
    await broadcasting.refresh_progress(services, broadcast_id)
    assert sender.updates == [("ULEAD", "1700000000.000001", {"Sent": "1", "Failed": "0", "Unreachable": "1",
                                                                "Remaining": "1"})]
    await finish_rows(bank, clock, [Delivery.FAILED])
    done = await broadcasting.refresh_progress(services, broadcast_id)
    assert done == Progress(sent=1, failed=1, unreachable=1) and done.done
    assert sender.updates[-1][2] == {"Sent": "1", "Failed": "1", "Unreachable": "1", "Remaining": "0"}
    assert (await bank.read(lambda ctx: ctx.uow.broadcasts.get(broadcast_id))).status == "sent"
    assert await broadcasting.refresh_active(services) == 0 and len(sender.updates) == 2


async def test_two_thousand_recipients_fan_out_in_one_short_transaction(services, bank):
    crowd = await crowd_of(bank, {"T1": 500, "T2": 500}, {"tenant-a": 1000}, opt_out_every=100)
    broadcast_id = await queued_broadcast(bank, crowd)
    started = time.perf_counter()
    assert await broadcasting.fan_out_queued(services) == 2000 - 20
    took = time.perf_counter() - started
    print(f"fan-out of 2,000: {took:.2f} s")
    assert await bank.read(delivery.progress, broadcast_id) == Progress(skipped=20, remaining=1980)
    assert took < 10, f"fan-out of 2,000 took {took:.1f} s"
