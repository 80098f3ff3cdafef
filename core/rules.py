"""The time bank's tunable rules, as plain values that the configuration fills in."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Rules:
    """Product settings that the core consults; defaults are the pilot's choices."""

    credit_limit_minutes: int = 10 * 60
    session_cap_minutes: int = 8 * 60
    welcome_grant_minutes: int = 0
    confirm_deadline: timedelta = timedelta(days=7)
    hold_ttl: timedelta = timedelta(days=60)
    need_ttl: timedelta = timedelta(days=90)
    max_title_chars: int = 150
    max_description_chars: int = 3000
    max_skills: int = 10
