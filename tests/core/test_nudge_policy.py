"""Nudge policy: time zones, quiet hours, weekends, caps, back-off and opt-out."""

from datetime import UTC, datetime, timedelta

import pytest

from core.members import Member
from core.nudge_policy import NudgeLimits, decide, next_waking_moment

LIMITS = NudgeLimits()


def member(tz="Europe/London", **prefs) -> Member:
    return Member(display_name="Ada", timezone=tz, preferences=prefs)


@pytest.mark.parametrize(
    ("tz", "utc_hour", "quiet"),
    [
        ("Europe/London", 12, False),   # winter: London = UTC
        ("Europe/London", 21, True),
        ("Europe/London", 7, True),
        ("Asia/Kolkata", 3, False),     # 08:30 local
        ("Asia/Kolkata", 15, True),     # 20:30 local
        ("America/New_York", 12, True),  # 07:00 local, before the quiet hours end
        ("America/New_York", 14, False),  # 09:00 local
    ],
)
def test_quiet_hours_follow_the_members_own_clock(tz, utc_hour, quiet):
    now = datetime(2026, 1, 7, utc_hour, 0, tzinfo=UTC)  # a Wednesday
    assert (next_waking_moment(member(tz), now) > now) is quiet


def test_a_quiet_evening_waits_until_eight_next_morning_local():
    now = datetime(2026, 1, 7, 21, 30, tzinfo=UTC)
    assert next_waking_moment(member(), now) == datetime(2026, 1, 8, 8, 0, tzinfo=UTC)


def test_quiet_weekends_wait_for_monday_morning():
    saturday_noon = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert next_waking_moment(member(quiet_weekends=True), saturday_noon) == datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    assert next_waking_moment(member(), saturday_noon) == saturday_noon


def test_custom_quiet_hours_in_the_daytime():
    now = datetime(2026, 1, 7, 13, 0, tzinfo=UTC)
    lunch = member(quiet_hours=["12:30", "14:00"])
    assert next_waking_moment(lunch, now) == datetime(2026, 1, 7, 14, 0, tzinfo=UTC)


def test_opt_out_per_kind_is_final():
    verdict = decide(member(nudges={"confirm": False}), "confirm", datetime(2026, 1, 7, 12, tzinfo=UTC),
                     0, 0, None, LIMITS)
    assert not verdict.send and verdict.retry_at is None


def test_weekly_cap_defers_to_next_week():
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    verdict = decide(member(), "match", now, LIMITS.weekly_cap, 0, None, LIMITS)
    assert not verdict.send and verdict.retry_at.date() == datetime(2026, 1, 12).date()


def test_three_ignored_nudges_back_off_then_resume():
    now = datetime(2026, 1, 7, 12, tzinfo=UTC)
    last = now - timedelta(days=1)
    held = decide(member(), "match", now, 0, 3, last, LIMITS)
    assert not held.send and held.retry_at == last + LIMITS.backoff
    later = decide(member(), "match", last + LIMITS.backoff, 0, 3, last, LIMITS)
    assert later.send


def test_a_daytime_nudge_goes_now():
    assert decide(member(), "match", datetime(2026, 1, 7, 12, tzinfo=UTC), 0, 0, None, LIMITS).send
