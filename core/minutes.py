"""Hours as people write them, and minutes as the ledger keeps them."""

import re

from core.errors import InvalidInput

EXAMPLE = "Try 1.5, 1h30, 1h 30m, 90m or 1:30."

_PATTERNS = (
    (re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:h|hr|hrs|hour|hours)?$"), "hours"),
    (re.compile(r"^(\d+)\s*(?:m|min|mins|minute|minutes)$"), "minutes"),
    (re.compile(r"^(\d+)\s*(?:h|hr|hrs|hours?)\s*(\d+)\s*(?:m|min|mins|minutes?)?$"), "h+m"),
    (re.compile(r"^(\d+):([0-5]\d)$"), "h+m"),
)


def parse_minutes(text: str, cap_minutes: int) -> int:
    """Read an amount of time; refuse zero, negatives, non-numbers and more than the cap."""
    cleaned = (text or "").strip().lower()
    if cleaned.startswith("-"):
        raise InvalidInput(f"Hours must be more than zero. {EXAMPLE}")
    minutes = _match(cleaned) if len(cleaned) <= 20 else None
    if minutes is None:
        raise InvalidInput(f"I couldn't read “{_clip(text)}” as hours. {EXAMPLE}")
    if minutes <= 0:
        raise InvalidInput(f"Hours must be more than zero. {EXAMPLE}")
    if minutes > cap_minutes:
        raise InvalidInput(
            f"One session can be at most {format_minutes(cap_minutes)}. "
            f"Split longer work into several sessions, e.g. 2h."
        )
    return minutes


def _match(cleaned: str) -> int | None:
    for pattern, kind in _PATTERNS:
        found = pattern.match(cleaned)
        if not found:
            continue
        if kind == "hours":
            return round(float(found.group(1).replace(",", ".")) * 60)
        if kind == "minutes":
            return int(found.group(1))
        return int(found.group(1)) * 60 + int(found.group(2))
    return None


def _clip(text: str, limit: int = 40) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_minutes(minutes: int) -> str:
    """Minutes as `1 h 30 min`, with a sign for debits."""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{rest} min"
