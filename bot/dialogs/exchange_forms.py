"""The small forms of an exchange: log hours, adjust them, dispute them, say thank you."""

from typing import Any

from bot.dialogs.fields import Reader
from bot.views import Form, Input
from core.minutes import format_minutes
from core.rules import Rules

LOG, ADJUST, DISPUTE, THANK = "exchange.log", "exchange.adjust", "exchange.dispute", "exchange.thank"
FORM_IDS = (LOG, ADJUST, DISPUTE, THANK)
MAX_REASON, MAX_NOTE = 1000, 500


def log_form(exchange_id: int, agreed: int, values: dict[str, Any] | None = None) -> Form:
    values = values or {}
    return Form(
        form_id=LOG, title="Log hours", ref=str(exchange_id), submit_label="Log hours",
        intro=f"How long was the session? You agreed {format_minutes(agreed)}; the other member confirms.",
        inputs=(Input("hours", "Time given", kind="hours", required=True,
                      value=values.get("hours") or _hours(agreed), hint="e.g. 1.5, 1h30, 90m, 1:30"),),
    )


def adjust_form(exchange_id: int, logged: int, values: dict[str, Any] | None = None) -> Form:
    values = values or {}
    return Form(
        form_id=ADJUST, title="Adjust hours", ref=str(exchange_id), submit_label="Adjust",
        intro=f"{format_minutes(logged)} was logged. Give the right time; the other member then confirms.",
        inputs=(Input("hours", "Time given", kind="hours", required=True,
                      value=values.get("hours"), hint="e.g. 45m, 1h15, 1:15"),),
    )


def dispute_form(exchange_id: int, values: dict[str, Any] | None = None) -> Form:
    values = values or {}
    return Form(
        form_id=DISPUTE, title="Dispute hours", ref=str(exchange_id), submit_label="Dispute",
        intro="A campaign lead or an admin will look at it. The hours stay held until then.",
        inputs=(Input("reason", "What's wrong?", kind="multiline", required=True, max_length=MAX_REASON,
                      value=values.get("reason"), hint=f"Up to {MAX_REASON} characters"),),
    )


def thank_form(exchange_id: int, values: dict[str, Any] | None = None) -> Form:
    values = values or {}
    return Form(
        form_id=THANK, title="Say thank you", ref=str(exchange_id), submit_label="Send",
        intro="A short note for the other member; it's sent to them.",
        inputs=(Input("note", "Your note", kind="multiline", required=True, max_length=MAX_NOTE,
                      value=values.get("note"), hint=f"Up to {MAX_NOTE} characters"),),
    )


def read_hours(values: dict[str, Any], rules: Rules) -> int:
    """Minutes from the hours field, within the session cap, or FieldErrors."""
    reader = Reader(values, rules)
    minutes = reader.minutes("hours")
    reader.done()
    return minutes


def read_text(values: dict[str, Any], rules: Rules, name: str, limit: int, what: str) -> str:
    reader = Reader(values, rules)
    value = reader.text(name, required=True, limit=limit, what=what)
    reader.done()
    return value


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"
