"""The scan's memoised policy (`Gate`) answers exactly as `decide` does, for every member and history."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from zoneinfo import available_timezones

from core.nudge_policy import NudgeLimits, decide, next_waking_moment
from core.nudges import Gate, Recipient, Stats, asleep_zones


class Row(NamedTuple):
    member_id: int
    timezone: str
    preferences: dict
    forgotten_at: datetime | None = None


ZONES = ("Europe/London", "Asia/Kolkata", "America/New_York", "Australia/Sydney", "Not/AZone")
SHARED = {}  # storage hands most members one shared `{}`
PREFERENCES = (
    SHARED, SHARED, {},
    {"quiet_hours": ["09:00", "17:00"]},
    {"quiet_hours": ["22:00", "06:00"], "quiet_weekends": True},
    {"quiet_weekends": True},
    {"nudges": {"match": False}},
    {"nudges": {"proposal": False, "match": True}, "quiet_hours": ["00:00", "00:00"]},
)
HISTORIES = (
    None, Stats(), Stats(sent_this_week=1), Stats(sent_this_week=3),
    Stats(ignored_in_a_row=3, last_sent_at=datetime(2026, 1, 1, tzinfo=UTC)),
    Stats(sent_this_week=2, ignored_in_a_row=3),
)
MOMENTS = [datetime(2026, 1, 10, 0, 0, tzinfo=UTC) + timedelta(hours=h) for h in range(0, 72, 5)]  # Sat→Mon


def test_gate_agrees_with_decide_for_every_zone_setting_kind_and_history():
    limits = NudgeLimits(backoff=timedelta(days=14))
    rows = [Row(i, zone, prefs, forgotten) for i, (zone, prefs, forgotten) in enumerate(
        itertools.product(ZONES, PREFERENCES, (None, datetime(2025, 1, 1, tzinfo=UTC))))]
    checked = 0
    for now in MOMENTS:
        gate = Gate(now, limits)
        for row, kind, history in itertools.product(rows, ("match", "proposal"), HISTORIES):
            stats = history or Stats()
            member = Recipient(row.member_id, row.timezone, row.preferences, row.forgotten_at)
            expected = decide(member, kind, now, stats.sent_this_week, stats.ignored_in_a_row, stats.last_sent_at,
                              limits).send
            assert gate.allows(row, kind, history) is expected, (now, row, kind, history)
            checked += expected
    assert checked > 100  # the grid has members who may be nudged, not only refusals


def test_gate_works_each_shared_setting_out_once():
    now = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
    gate = Gate(now, NudgeLimits())
    for i in range(1_000):
        assert gate.allows(Row(i, ZONES[i % 2], SHARED), "match", None)
    assert len(gate.fresh) == 2


def test_asleep_zones_are_the_zones_whose_default_quiet_hours_hold_now():
    names = sorted(available_timezones())
    start = datetime(2026, 3, 28, 0, 10, tzinfo=UTC)  # across the European change to summer time
    for now in [start + timedelta(minutes=73 * i) for i in range(40)] + [datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]:
        expected = [name for name in names if next_waking_moment(Recipient(0, name, {}), now) > now]
        assert asleep_zones(now) == expected
    assert "Europe/London" in asleep_zones(datetime(2026, 1, 7, 21, 0, tzinfo=UTC))
    assert "Europe/London" not in asleep_zones(datetime(2026, 1, 7, 12, 0, tzinfo=UTC))
