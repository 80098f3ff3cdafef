"""The "offer hours" form: what you can help with, in which campaigns, how many hours in all."""

from typing import Any

from bot.dialogs.fields import Reader
from bot.views import Form, Input, Option
from core.campaigns import Campaign
from core.minutes import EXAMPLE, format_minutes
from core.rules import Rules

FORM_ID = "offer.post"
MAX_OFFER_MINUTES = 200 * 60  # the core's ceiling for one offer's total


def form(campaigns: list[Campaign], rules: Rules, values: dict[str, Any] | None = None) -> Form:
    values = values or {}
    return Form(
        form_id=FORM_ID,
        title="Offer hours",
        intro="Say what you can help with. Members whose needs fit will be suggested to you.",
        submit_label="Offer hours",
        inputs=(
            Input("title", "What can you help with?", required=True, max_length=rules.max_title_chars,
                  value=values.get("title"), placeholder="e.g. Sustainable procurement advice",
                  hint=f"Up to {rules.max_title_chars} characters"),
            Input("description", "Details", kind="multiline", max_length=rules.max_description_chars,
                  value=values.get("description"), placeholder="Your experience, when you're free",
                  hint=f"Up to {rules.max_description_chars} characters"),
            Input("skills", "Skills (comma-separated)", value=values.get("skills"),
                  hint=f"Up to {rules.max_skills}, e.g. procurement, recycling"),
            Input("campaigns", "Campaigns", kind="multiselect", value=values.get("campaigns"),
                  options=tuple(Option(c.title, str(c.id)) for c in campaigns)),
            Input("hours", "Total hours you can give", kind="hours", required=True,
                  value=values.get("hours") or "4h", hint="e.g. 4h, 2.5, 90m; used up as exchanges are agreed"),
        ),
    )


def read(values: dict[str, Any], rules: Rules, campaign_ids: set[str]) -> dict[str, Any]:
    """The keyword arguments of `marketplace.post_offer`, or FieldErrors."""
    reader = Reader(values, rules)
    draft = {
        "title": reader.text("title", required=True, limit=rules.max_title_chars, what="a title"),
        "description": reader.text("description", limit=rules.max_description_chars),
        "skills": reader.skills("skills"),
        "campaign_ids": _campaigns(reader, campaign_ids),
        "minutes": _total(reader),
    }
    reader.done()
    return draft


def _campaigns(reader: Reader, allowed: set[str]) -> list[int]:
    """A multi-select arrives as a list, or as comma-separated text from a console."""
    raw = reader.values.get("campaigns") or []
    chosen = [str(v).strip() for v in (raw.split(",") if isinstance(raw, str) else raw) if str(v).strip()]
    if any(v not in allowed for v in chosen):
        reader.errors["campaigns"] = "Please choose campaigns from the list."
        return []
    return [int(v) for v in dict.fromkeys(chosen)]


def _total(reader: Reader) -> int | None:
    """An offer's total may exceed one session, up to the core's ceiling."""
    minutes = reader.minutes("hours", cap=10**9)
    if minutes is not None and minutes > MAX_OFFER_MINUTES:
        reader.errors["hours"] = (
            f"One offer can be at most {format_minutes(MAX_OFFER_MINUTES)} in total. {EXAMPLE}"
        )
        return None
    return minutes
