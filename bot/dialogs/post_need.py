"""The "post a need" form."""

from typing import Any

from bot.dialogs.fields import Reader
from bot.views import Form, Input, Option
from core.campaigns import Campaign
from core.rules import Rules

FORM_ID = "need.post"


def form(campaigns: list[Campaign], rules: Rules, values: dict[str, Any] | None = None) -> Form:
    values = values or {}
    return Form(
        form_id=FORM_ID,
        title="Post a need",
        intro="Ask for an hour or two of help. Helpers from any organisation can offer.",
        submit_label="Post need",
        inputs=(
            Input("title", "What do you need help with?", required=True, max_length=rules.max_title_chars,
                  value=values.get("title"), placeholder="e.g. Review our theatre waste audit"),
            Input("description", "Details", kind="multiline", max_length=rules.max_description_chars,
                  value=values.get("description"), placeholder="Context, what good looks like, timing"),
            Input("campaign", "Campaign", kind="select", value=values.get("campaign"),
                  options=tuple(Option(c.title, str(c.id)) for c in campaigns)),
            Input("skills", "Skills (comma-separated)", value=values.get("skills"),
                  hint=f"Up to {rules.max_skills}, e.g. procurement, recycling"),
            Input("hours", "Estimated hours", kind="hours", required=True, value=values.get("hours") or "1h",
                  hint="e.g. 1.5, 1h30, 90m"),
        ),
    )


def read(values: dict[str, Any], rules: Rules, campaign_ids: set[str]) -> dict[str, Any]:
    """The keyword arguments of `marketplace.post_need`, or FieldErrors."""
    reader = Reader(values, rules)
    draft = {
        "title": reader.text("title", required=True, limit=rules.max_title_chars, what="a title"),
        "description": reader.text("description", limit=rules.max_description_chars),
        "skills": reader.skills("skills"),
        "minutes": reader.minutes("hours"),
    }
    campaign = reader.choice("campaign", campaign_ids)
    draft["campaign_id"] = int(campaign) if campaign else None
    reader.done()
    return draft
