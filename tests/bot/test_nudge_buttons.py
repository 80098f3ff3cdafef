"""Nudge cards as members see them, and their snooze and stop buttons, through the conversation."""

import itertools
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.conversation import Conversation
from bot.delivery.worker import deliver_due
from bot.scheduler import nudges as jobs
from bot.turns import Turn
from bot.viewcodec import decode, encode
from bot.views import Message
from core import directory, exchange_flow, marketplace
from core.nudges import KINDS, Nudge, NudgeSettings
from storage.nudge_store import nudge_snoozes
from storage.outbox_store import outbox
from tests.bot.delivery.stand_ins import slack_services
from tests.bot.slack.fake_slack import FakeSlack
from tests.support import join


def press(user: str, action: str, ref: str) -> Turn:
    return Turn(platform="slack", workspace_id="T1", user_id=f"U{user.upper()}", action=action, ref=ref)


async def queued(db) -> list:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.dedupe_key, outbox.c.payload).where(outbox.c.kind == "nudge")
                                  .order_by(outbox.c.id))
        return [(key, decode(payload)) for key, payload in rows]


async def stale_need(bank, clock):
    ada = await join(bank, "ada")
    need = await bank.run(marketplace.post_need, ada.id, "Compost bins", skills=["composting"])
    clock.advance(timedelta(days=7))
    return ada, need


async def test_every_nudge_card_carries_snooze_and_stop(bank, db, clock):
    services = SimpleNamespace(bank=bank, settings=None)
    ada, need = await stale_need(bank, clock)
    bob = await join(bank, "bob")
    other = await bank.run(marketplace.post_need, bob.id, "Hedge survey")
    exchange = await bank.run(exchange_flow.propose, ada.id, need_id=other.id)
    clock.advance(timedelta(days=2))
    assert await jobs.scan(services) == 2
    (_, first), (_, second) = await queued(db)
    cards = {card.title: card for message in (first, second) for card in message.cards}
    refine = cards["Your need is still looking for a helper"]
    assert "“Compost bins”" in refine.text
    assert [(b.action, b.ref) for b in refine.buttons] == [
        ("matches.need", str(need.id)), ("nudge.snooze", f"refine:need-{need.id}"), ("nudge.stop", "match")]
    proposal = cards["A proposal is waiting for your answer"]
    assert [b.action for b in proposal.buttons] == ["exchange.accept", "exchange.decline", "nudge.snooze",
                                                    "nudge.stop"]
    assert proposal.buttons[0].ref == str(exchange.id)
    for card in cards.values():  # the quick encoder writes what the outbox's codec reads
        assert decode(jobs.plain_encode(card)) == decode(encode(Message(cards=(card,)))) == Message(cards=(card,))


async def test_snooze_button_holds_back_the_reminder_for_three_days(bank, db, clock):
    services = SimpleNamespace(bank=bank, settings=None)
    convo = Conversation(bank)
    _, need = await stale_need(bank, clock)
    assert await jobs.scan(services) == 1
    (_, message), = await queued(db)
    snooze = next(b for b in message.cards[0].buttons if b.action == "nudge.snooze")
    clock.advance(timedelta(days=2))
    reply = await convo.handle(press("ada", snooze.action, snooze.ref))
    assert reply.cards[0].title == "Snoozed" and reply.replace
    again = await convo.handle(press("ada", snooze.action, snooze.ref))  # a double click
    assert again.cards[0].title == "Snoozed"
    clock.advance(timedelta(days=2))
    assert await jobs.scan(services) == 0
    clock.advance(timedelta(days=1, minutes=1))
    assert await jobs.scan(services) == 1
    assert [key.rsplit(":", 1)[1] for key, _ in await queued(db)] == ["1", "2"]


async def test_stop_button_turns_that_kind_off_in_settings(bank, db, clock):
    services = SimpleNamespace(bank=bank, settings=None)
    convo = Conversation(bank)
    ada, _ = await stale_need(bank, clock)
    assert await jobs.scan(services) == 1
    reply = await convo.handle(press("ada", "nudge.stop", "match"))
    assert reply.cards[0].title == "Nudges turned off"
    member = await bank.read(directory.get, ada.id)
    assert member.wants("match") is False and member.wants("proposal") is True
    clock.advance(timedelta(days=5))
    assert await jobs.scan(services) == 0


async def test_stop_digest_turns_both_digest_switches_off(bank, clock):
    convo = Conversation(bank)
    ada = await join(bank, "ada")
    await convo.handle(press("ada", "nudge.stop", "digest"))
    member = await bank.read(directory.get, ada.id)
    assert member.wants("digest") is False and member.preferences["digest"] is False


async def test_tampered_or_stale_buttons_get_a_friendly_answer(bank, clock):
    convo = Conversation(bank)
    await join(bank, "ada")
    for action, ref in (("nudge.snooze", "refine:need-abc"), ("nudge.snooze", "<!channel>"),
                        ("nudge.stop", "everything"), ("nudge.stop", "")):
        reply = await convo.handle(press("ada", action, ref))
        assert "out of date" in reply.cards[-1].text


def test_the_quick_nudge_renderer_writes_exactly_the_card_for_every_kind():
    for kind, n, title in itertools.product(KINDS, (1, 2), ("", "Compost <bins> & “more”")):
        nudge = Nudge(kind, "need" if kind in ("refine", "help") else "exchange", 42, 7, n, title, 90)
        card = jobs.nudge_card(nudge, timedelta(hours=12))
        assert jobs.render_nudge(nudge, timedelta(hours=12)) == jobs.plain_encode(card)
        assert decode(jobs.render_nudge(nudge, timedelta(hours=12))) == Message(cards=(card,))
    labels = [jobs.snooze_label(timedelta(hours=h)) for h in (1, 12, 24, 72)]
    assert labels == ["Snooze 1 hour", "Snooze 12 hours", "Snooze 1 day", "Snooze 3 days"]


@pytest.fixture
async def slack():
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_queued_nudge_reaches_slack_through_the_delivery_worker(bank, db, clock, slack):
    services = slack_services(db, bank, slack)
    _, need = await stale_need(bank, clock)
    assert await jobs.scan(services) == 1
    assert await deliver_due(services, "w1") == 1
    [post] = slack.of("chat.postMessage")
    assert post["channel"] == "DADA" and post["text"] == "Your need is still looking for a helper"
    assert f"refine:need-{need.id}" in json.dumps(post["blocks"])  # the snooze button's reference
    (key, _), = await queued(db)
    async with db.engine.connect() as conn:
        state = (await conn.execute(select(outbox.c.state).where(outbox.c.dedupe_key == key))).scalar_one()
    assert state == "sent" and await deliver_due(services, "w1") == 0


async def test_the_snooze_lasts_as_long_as_the_setting_says(bank, db, clock, monkeypatch):
    monkeypatch.setenv("HEXITIME_NUDGE_SNOOZE", "24")  # hours
    _, need = await stale_need(bank, clock)
    day = SimpleNamespace(nudges=NudgeSettings(snooze=timedelta(hours=24)))  # what bot.config reads from it
    assert await jobs.scan(SimpleNamespace(bank=bank, settings=day)) == 1
    (_, message), = await queued(db)
    assert "Snooze 1 day" in [b.label for b in message.cards[0].buttons]  # the button says what it does
    await Conversation(bank).handle(press("ada", "nudge.snooze", f"refine:need-{need.id}"))
    async with db.engine.connect() as conn:
        until = (await conn.execute(select(nudge_snoozes.c.until))).scalar_one()
    assert until == clock.now() + timedelta(hours=24)
