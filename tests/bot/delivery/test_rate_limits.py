"""Per-key rates, measured where the messages land: each DM channel and workspace keeps to its rate,
while different channels are sent at the same time."""

import asyncio
import time

from bot.delivery.limits import DeliveryLimits, Limiter
from bot.delivery.queue import queue
from bot.delivery.worker import deliver_due
from bot.views import Card, Message, Notice
from core.members import Identity
from tests.bot.delivery.stand_ins import slack_services
from tests.support import join

SLACK = Identity(platform="slack", workspace_id="T1", user_id="UBOB", member_id=1)


async def fan_out(bank, names: list[str], each: int, workspace: str = "T1") -> None:
    notices = []
    for name in names:
        member = await join(bank, name, workspace=workspace)
        notices += [Notice(member.id, Message(cards=(Card(title=f"{name} {n}"),)), f"{name}:{n}")
                    for n in range(each)]
    await bank.run(queue, notices)


def spans(stamps: list[float]) -> list[float]:
    """Time taken by every three sends in a row: the limiter paces when sends start, so the
    network may bunch two arrivals, but never three within two intervals."""
    return [c - a for a, c in zip(stamps, stamps[2:], strict=False)]


async def test_each_dm_channel_keeps_its_rate_and_channels_go_in_parallel(db, bank, fake):
    rate, each = 10.0, 6
    services = slack_services(db, bank, fake, DeliveryLimits(slack_channel_per_second=rate,
                                                             slack_workspace_per_second=1000))
    await fan_out(bank, ["bob", "carol", "dan"], each)
    started = time.monotonic()
    assert await deliver_due(services, "w1") == 3 * each
    elapsed = time.monotonic() - started
    channels = fake.per_channel()
    assert sorted(channels) == ["DBOB", "DCAROL", "DDAN"]
    for stamps in channels.values():
        assert len(stamps) == each
        # the limiter spaces send starts; network jitter may bunch one pair of arrivals, never more
        assert stamps[-1] - stamps[0] >= (each - 2) / rate
        assert min(spans(stamps)) >= 0.9 / rate
    serial = 3 * (each - 1) / rate
    assert elapsed < serial * 0.8, f"channels were not sent concurrently: {elapsed:.2f}s vs {serial:.2f}s serial"


async def test_a_workspace_rate_spans_all_its_channels(db, bank, fake):
    rate, each = 10.0, 5
    services = slack_services(db, bank, fake, DeliveryLimits(slack_channel_per_second=1000,
                                                             slack_workspace_per_second=rate))
    await fan_out(bank, ["bob", "carol"], each)
    await fan_out(bank, ["erin"], each, workspace="T2")
    await deliver_due(services, "w1")
    t1 = sorted(at for channel, at in fake.posts if channel in ("DBOB", "DCAROL"))
    t2 = [at for channel, at in fake.posts if channel == "DERIN"]
    assert len(t1) == 2 * each and t1[-1] - t1[0] >= (2 * each - 1) / rate - 0.02
    assert min(spans(t1)) >= 0.9 / rate
    assert t2[-1] - t2[0] < (2 * each - 1) / rate * 0.7  # another workspace is not held back by T1


def test_a_send_waits_for_its_busiest_key_and_a_429_pauses_the_keys():
    now = [100.0]
    limiter = Limiter(clock=lambda: now[0])
    limits = DeliveryLimits(slack_channel_per_second=1, slack_workspace_per_second=4)
    bob = limits.rates(SLACK)
    carol = limits.rates(Identity(platform="slack", workspace_id="T1", user_id="UCAROL", member_id=2))
    assert limiter.take(bob) == 0.0
    assert limiter.take(bob) == 1.0  # Bob's channel: one a second
    assert limiter.take(carol) == 0.25  # the workspace: four a second
    now[0] += 0.25
    assert limiter.take(carol) == 0.0 and limiter.take(bob) == 0.75  # Carol went while Bob's channel was busy
    limiter.pause(limits.throttled("slack", limits.rates(SLACK)), 30)
    now[0] += 1
    assert limiter.take(carol) == 29.0  # Slack's 429 pauses the whole workspace
    console = Identity(platform="console", workspace_id="local", user_id="bob", member_id=3)
    assert limits.rates(console) == [] and limiter.take([]) == 0.0


def test_defaults_are_design_md_numbers_and_settings_override_them():
    limits = DeliveryLimits()
    assert (limits.slack_channel_per_second, limits.teams_conversation_per_second,
            limits.teams_tenant_per_second) == (1.0, 7.0, 50.0)

    class Settings:
        delivery_teams_tenant_per_second = 20.0
        delivery_concurrency = None

    tuned = DeliveryLimits.from_settings(Settings())
    assert tuned.teams_tenant_per_second == 20.0 and tuned.concurrency == limits.concurrency


class CountingLimiter(Limiter):
    """The real limiter, counting how often a waiting send woke to try again."""

    tries = 0

    def take(self, rates):
        self.tries += 1
        return super().take(rates)


async def test_sends_queued_on_one_key_wake_in_turn_not_all_at_every_slot():
    limiter, rate, sends = CountingLimiter(), 100.0, 40
    key = [(("slack", "T1"), rate)]
    went: list[float] = []

    async def send() -> None:
        await limiter.acquire(key)
        went.append(time.monotonic())

    await asyncio.gather(*(send() for _ in range(sends)))
    gaps = [b - a for a, b in zip(went, went[1:], strict=False)]
    assert min(gaps) >= 0.9 / rate and went[-1] - went[0] < (sends - 1) / rate * 1.5
    assert limiter.tries < 3 * sends, f"{limiter.tries} tries for {sends} sends"  # every slot woke them all: ~800
    assert limiter.waiting == {}


async def test_overlapping_passes_share_the_processs_places_for_sends_in_flight(db, bank, fake):
    fake.latency = 0.02
    services = slack_services(db, bank, fake, DeliveryLimits(slack_channel_per_second=1000,
                                                             slack_workspace_per_second=1000, concurrency=4))
    await fan_out(bank, [f"m{n}" for n in range(60)], 1)
    done = await asyncio.gather(*(deliver_due(services, f"pass-{n}", limit=12) for n in range(5)))
    assert sum(done) == 60 and len(fake.posts) == 60
    assert fake.most_in_flight <= 4, f"{fake.most_in_flight} calls at once from 5 passes"  # per pass it was 4 each
