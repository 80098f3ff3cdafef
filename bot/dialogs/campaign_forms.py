"""Campaign forms: create and edit (leads), broadcast compose and preview, donation confirmation."""

import secrets
from typing import Any

from bot.dialogs.fields import Reader
from bot.views import PRIMARY, Button, Card, Form, Input, Option
from core.broadcasts import CALLS_TO_ACTION, Broadcast
from core.campaigns import Campaign, CampaignStatus
from core.minutes import format_minutes
from core.rules import Rules

CREATE, EDIT = "campaign.create", "campaign.edit"
COMPOSE, PREVIEW = "broadcast.compose", "broadcast.confirm"
DONATE = "donate.confirm"
CTA_BUTTONS = {"needs": Button("See open needs", "needs.page", "0|", PRIMARY),
               "offer": Button("Offer hours", "offer.new", "", PRIMARY)}


def nonce() -> str:
    """A fresh reference for a confirmation step; submitting that step twice acts once."""
    return secrets.token_hex(8)


def campaign_form(rules: Rules, campaign: Campaign | None = None) -> Form:
    """`campaign new` (no campaign) or `campaign edit` (prefilled; the short name is fixed)."""
    c = campaign
    inputs = [
        Input("title", "Title", required=True, value=c.title if c else None, max_length=rules.max_title_chars),
        Input("description", "Description", kind="multiline", value=c.description if c else None,
              max_length=rules.max_description_chars),
        Input("skills", "Skills (comma-separated)", value=", ".join(c.skills) if c else None,
              hint=f"Up to {rules.max_skills}"),
    ]
    if c is None:
        inputs.insert(0, Input("slug", "Short name", required=True, max_length=40,
                               placeholder="e.g. green-travel", hint="Letters, digits and dashes"))
        return Form(CREATE, "New campaign", tuple(inputs), submit_label="Create campaign", ref=nonce())
    inputs.append(Input("status", "Status", kind="select", required=True, value=str(c.status),
                        options=tuple(Option(s.value.title(), s.value) for s in CampaignStatus)))
    return Form(EDIT, f"Edit {c.slug}"[:24], tuple(inputs), submit_label="Save", ref=str(c.id))


def read_campaign(values: dict[str, Any], rules: Rules, new: bool) -> dict[str, Any]:
    reader = Reader(values, rules)
    draft = {
        "title": reader.text("title", required=True, limit=rules.max_title_chars, what="a title"),
        "description": reader.text("description", limit=rules.max_description_chars),
        "skills": reader.skills("skills"),
    }
    if new:
        slug = reader.text("slug", required=True, limit=40, what="a short name").lower()
        if slug and "slug" not in reader.errors and not slug.replace("-", "").isalnum():
            reader.errors["slug"] = "Use letters, digits and dashes only, e.g. green-travel."
        draft["slug"] = slug
    else:
        draft["status"] = reader.choice("status", {s.value for s in CampaignStatus}, required=True)
    reader.done()
    return draft


def compose_form(campaign: Campaign, rules: Rules) -> Form:
    return Form(
        COMPOSE, "New broadcast", ref=str(campaign.id), submit_label="Preview",
        intro=f"To everyone in {campaign.title}. You'll see a preview before it's queued.",
        inputs=(
            Input("title", "Title", required=True, max_length=rules.max_title_chars),
            Input("text", "Message", kind="multiline", required=True, max_length=rules.max_description_chars),
            Input("cta", "Call to action", kind="select", value="",
                  options=tuple(Option(label, value) for value, label in CALLS_TO_ACTION.items())),
        ),
    )


def read_broadcast(values: dict[str, Any], rules: Rules) -> dict[str, Any]:
    reader = Reader(values, rules)
    draft = {
        "title": reader.text("title", required=True, limit=rules.max_title_chars, what="a title"),
        "text": reader.text("text", required=True, limit=rules.max_description_chars, what="the message"),
        "call_to_action": reader.choice("cta", set(CALLS_TO_ACTION) - {""}) or "",
    }
    reader.done()
    return draft


def broadcast_card(broadcast: Broadcast, campaign: Campaign) -> Card:
    """Exactly what each participant receives."""
    button = CTA_BUTTONS.get(broadcast.call_to_action)
    if button is not None and broadcast.call_to_action == "needs":
        button = Button(button.label, button.action, f"0|campaign {campaign.slug}", PRIMARY)
    return Card(title=broadcast.title, text=broadcast.text, buttons=(button,) if button else (),
                note=f"From the {campaign.title} campaign")


def preview_form(draft: dict[str, Any], campaign: Campaign, audience: int) -> Form:
    """The read-only confirmation step; the composed values ride along unchanged."""
    return Form(
        PREVIEW, "Send broadcast?", ref=f"{campaign.id}:{nonce()}", submit_label="Queue broadcast",
        intro="This is exactly what participants will get.",
        confirm=f"Queue this for {audience} participant{'s' if audience != 1 else ''} of {campaign.title}?",
        inputs=(Input("title", "Title", value=draft["title"]),
                Input("text", "Message", kind="multiline", value=draft["text"]),
                Input("cta", "Call to action", value=draft["call_to_action"])),
    )


def donate_form(minutes: int, target: str, name: str, reason: str) -> Form:
    return Form(
        DONATE, "Donate hours", ref=nonce(), submit_label="Donate",
        confirm=f"Give {format_minutes(minutes)} of your hours to {name}? Donations can't be undone.",
        inputs=(Input("hours", "Hours", kind="hours", value=f"{minutes}m"),
                Input("target", "To", value=target), Input("reason", "Reason", value=reason)),
    )
